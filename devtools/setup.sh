#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# setup.sh: prepare this machine for building and testing vio, and build.
#
#   devtools/setup.sh                   packages, hugepages, then the test peers
#   devtools/setup.sh packages          install the missing Debian packages
#   devtools/setup.sh hugepages         mount hugetlbfs, reserve 2 MiB pages
#   devtools/setup.sh peers             ../shared/peers/setup.sh, if that folder exists
#   devtools/setup.sh build DIR [OPT..] configure DIR if needed, then ninja
#
# Idempotent and quick when there is nothing to do: apt-get runs only when a
# package is missing. Installing packages needs root; hugepages need root too,
# but a hugepage failure is only a warning (the fast tests use --no-huge).
#
# peers: the guest suite boots a Linux guest with QEMU through the shared test
# peers (../shared/peers next to this repository); their setup.sh installs
# what they need (qemu-system-x86, the guest kernels, busybox-static, ...) and
# is as quick as this one when everything is there. Without root only a
# warning is printed when QEMU is missing.
#
# build: DIR is relative to the current directory. OPT are `meson setup`
# options (-Dbuildtype=release ...). The first time DIR is configured with
# them; later, when OPT differ from the last run, DIR is reconfigured with
# `meson setup --reconfigure`; otherwise only ninja runs.
#
# Environment:
#   VIO_HUGEPAGES  2 MiB pages to reserve when fewer are (default 512)
set -euo pipefail

# qemu-system-common: qemu-storage-daemon, the vhost-user-blk backend of test-frontend-blk.
# openvswitch-switch-dpdk: ovs-vswitchd-dpdk, the stock switch of test peers/ovs-dpdk.sh.
PKGS=(dpdk dpdk-dev libdpdk-dev meson ninja-build libnuma-dev pkg-config gcc clang-format gnuplot-nox doxygen
	qemu-system-common openvswitch-switch-dpdk)
POLICY_RC=/usr/sbin/policy-rc.d
HUGE_DIR=/dev/hugepages
HUGE_NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

log() { printf '[setup] %s\n' "$*" >&2; }
warn() { printf '[setup] warning: %s\n' "$*" >&2; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

ensure_packages() {
	local missing=() installed p
	# One dpkg-query for all: it reports the installed ones, and fails on unknown ones.
	installed=" $(dpkg-query -W -f='${Package} ${Status}\n' "${PKGS[@]}" 2>/dev/null |
		awk '/ install ok installed$/ { printf "%s ", $1 }') " || true
	for p in "${PKGS[@]}"; do
		[[ "$installed" == *" $p "* ]] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	[ "$(id -u)" = 0 ] || die "missing packages: ${missing[*]}; run as root (sudo $0) to install them"
	log "installing: ${missing[*]}"
	apt-get update -qq
	# Debian's openvswitch-switch starts the system Open vSwitch (ovsdb-server,
	# ovs-vswitchd) at install. The tests start their own and need none: a
	# policy-rc.d that exits 101 (invoke-rc.d: "action forbidden") keeps every
	# service stopped during the install. One already there is left alone.
	local own_policy=0 rc=0
	if [ ! -e "$POLICY_RC" ]; then
		printf '#!/bin/sh\n# devtools/setup.sh: no service starts during its install\nexit 101\n' \
			>"$POLICY_RC"
		chmod 0755 "$POLICY_RC"
		own_policy=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
		rc=$?
	[ "$own_policy" = 0 ] || rm -f "$POLICY_RC"
	[ "$rc" = 0 ] || die "apt-get install failed ($rc)"
}

# Best effort: every failure is a warning and the function returns 0.
ensure_hugepages() {
	local want="${VIO_HUGEPAGES:-512}" have
	if ! mountpoint -q "$HUGE_DIR" 2>/dev/null; then
		if [ "$(id -u)" != 0 ]; then
			warn "$HUGE_DIR is not mounted and we are not root; tests fall back to --no-huge"
			return 0
		fi
		if ! { mkdir -p "$HUGE_DIR" && mount -t hugetlbfs nodev "$HUGE_DIR"; }; then
			warn "cannot mount hugetlbfs on $HUGE_DIR"
		fi
	fi
	if [ ! -r "$HUGE_NR" ]; then
		warn "no 2 MiB hugepage support ($HUGE_NR)"
		return 0
	fi
	have=$(cat "$HUGE_NR")
	[ "$have" -ge "$want" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		warn "$have 2 MiB hugepages reserved, $want wanted; run as root to reserve them"
		return 0
	fi
	echo "$want" 2>/dev/null >"$HUGE_NR" || true
	have=$(cat "$HUGE_NR")
	if [ "$have" -lt "$want" ]; then
		warn "only $have of $want 2 MiB hugepages could be reserved"
	else
		log "reserved $have 2 MiB hugepages"
	fi
}

# The shared test peers: QEMU, guest kernels and image tools for the guest suite.
ensure_peers() {
	local peers
	peers="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/shared/peers"
	[ -x "$peers/setup.sh" ] || return 0
	if [ "$(id -u)" != 0 ]; then
		command -v qemu-system-x86_64 >/dev/null ||
			warn "QEMU missing: run $peers/setup.sh as root for the guest suite"
		return 0
	fi
	"$peers/setup.sh" || die "$peers/setup.sh failed"
}

# build DIR [OPT...]
build() {
	[ $# -ge 1 ] || die "usage: $0 build DIR [meson setup options...]"
	local dir="$1" src stamp want
	shift
	src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
	stamp="$dir/.vio-setup-options"
	# Sorted, so that the same options in another order count as unchanged.
	want="$(printf '%s\n' "$@" | LC_ALL=C sort)"

	if [ ! -f "$dir/build.ninja" ] || [ ! -f "$dir/meson-private/coredata.dat" ]; then
		local wipe=()
		[ -f "$dir/meson-private/coredata.dat" ] && wipe=(--wipe)
		log "configuring $dir: $*"
		rm -f "$stamp"
		meson setup "${wipe[@]}" "$@" "$dir" "$src"
		printf '%s\n' "$want" >"$stamp"
	elif [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
		log "options changed, reconfiguring $dir: $*"
		rm -f "$stamp"
		meson setup --reconfigure "$@" "$dir" "$src"
		printf '%s\n' "$want" >"$stamp"
	fi
	ninja -C "$dir"
}

case "${1:-all}" in
all)
	ensure_packages
	ensure_hugepages
	ensure_peers
	;;
packages) ensure_packages ;;
hugepages) ensure_hugepages ;;
peers) ensure_peers ;;
build)
	shift
	build "$@"
	;;
-h | --help) sed -n '3,27p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command '$1' (try --help)" ;;
esac
