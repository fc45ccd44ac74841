#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# setup.sh: prepare this machine for building and testing vio, and build.
#
#   devtools/setup.sh                   packages, hugepages, driver headers, then the test peers
#   devtools/setup.sh packages          install the missing Debian packages
#   devtools/setup.sh hugepages         mount hugetlbfs, reserve 2 MiB pages
#   devtools/setup.sh headers           DPDK's driver headers for the PMD, into a cache (below)
#   devtools/setup.sh headers --find    print their directory (exit 1 when absent); offline
#   devtools/setup.sh peers             ../shared/peers/setup.sh, if that folder exists
#   devtools/setup.sh build DIR [OPT..] [-- TARGET..]
#                                       configure DIR if needed, then ninja (TARGETs only)
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
# headers: Debian's libdpdk-dev ships no driver SDK headers (ethdev_driver.h,
# bus_vdev_driver.h, dev_driver.h), so the PMD takes them from Debian's source
# package of exactly the installed libdpdk-dev (doc/pmd.md "How it is
# built"): as root, a deb-src entry for every binary suite the machine uses
# (/etc/apt/sources.list.d/vio-src.sources, when none is there yet), then
# `apt-get source --download-only` (apt checks each file's hash against the
# archive's signed index, dpkg-source each file against the .dsc), the source
# unpacked and patched in a temporary directory, and only the headers that a
# compile of the PMD's includes misses copied into
# CACHE/dpdk-<version>/include. Every installed DPDK header those headers
# include is compared with the source's copy first. Quick and offline once
# the cache is there. Any failure (no network, not root) is a warning: the
# PMD then builds with drivers/net/vio/ethdev_abi.h. CACHE is $VIO_CACHE_DIR,
# else /var/cache/vio as root, else ${XDG_CACHE_HOME:-~/.cache}/vio;
# `headers --find` looks in $VIO_CACHE_DIR only when that is set, else in
# both of the others.
#
# build: DIR is relative to the current directory. OPT are `meson setup`
# options (-Dbuildtype=release ...); after `--`, ninja targets to build
# instead of all of them (test/fuzz/fuzz_iotlb ...). The first time DIR is configured with
# them; later, when OPT differ from the last run, DIR is reconfigured with
# `meson setup --reconfigure` (also when the driver headers of `headers`
# came or went since); otherwise only ninja runs.
#
# Environment:
#   VIO_HUGEPAGES  2 MiB pages to reserve when fewer are (default 512)
#   VIO_CACHE_DIR  where `headers` keeps DPDK's driver headers (above)
set -euo pipefail

# qemu-system-common: qemu-storage-daemon, the vhost-user-blk backend of test-frontend-blk.
# openvswitch-switch-dpdk: ovs-vswitchd-dpdk, the stock switch of test peers/ovs-dpdk.sh.
# clang, libfuzzer-14-dev: the fuzz targets of test/fuzz (clang 14's libFuzzer, Debian 12).
PKGS=(dpdk dpdk-dev libdpdk-dev meson ninja-build libnuma-dev pkg-config gcc clang-format gnuplot-nox doxygen
	qemu-system-common openvswitch-switch-dpdk clang libfuzzer-14-dev)
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

# ---- headers: DPDK's driver headers from Debian's source package ----------

SRC_ENTRY=/etc/apt/sources.list.d/vio-src.sources
# What the PMD includes of DPDK's driver interface; the compiler finds the rest.
DRIVER_HEADERS=(ethdev_driver.h bus_vdev_driver.h)

# The source package and version of the installed libdpdk-dev: "dpdk 22.11.11-0+deb12u1".
dpdk_source() {
	dpkg-query -W -f='${source:Package} ${source:Version}' libdpdk-dev 2>/dev/null
}

# The cache directories `headers` may write to (the first) and --find looks in.
cache_roots() {
	if [ -n "${VIO_CACHE_DIR:-}" ]; then
		echo "$VIO_CACHE_DIR"
		return 0
	fi
	[ "$(id -u)" = 0 ] && echo /var/cache/vio
	[ -n "${HOME:-}" ] || [ -n "${XDG_CACHE_HOME:-}" ] && echo "${XDG_CACHE_HOME:-$HOME/.cache}/vio"
	[ "$(id -u)" = 0 ] || echo /var/cache/vio
}

# Print the include directory of the installed DPDK's driver headers; 1 when absent.
find_driver_headers() {
	local pkg ver root
	read -r pkg ver <<<"$(dpdk_source)" || true
	[ -n "${ver:-}" ] || return 1
	while read -r root; do
		if [ -f "$root/dpdk-${ver//:/_}/complete" ]; then
			echo "$root/dpdk-${ver//:/_}/include"
			return 0
		fi
	done < <(cache_roots)
	return 1
}

# The deb-src entries missing for the suites of the machine's deb entries, in
# deb822 form on stdout (nothing when every suite has its deb-src already).
# Each copies its deb entry's fields (Signed-By above all: apt refuses two
# entries of one repository that disagree) but Types and Architectures.
src_entries() {
	python3 - "$SRC_ENTRY" <<'PY'
import glob, os, re, sys

own = sys.argv[1]
parts = "/etc/apt/sources.list.d"
binary, covered = [], set()

def norm(uri):
	return uri.rstrip("/")

def stanzas(path):
	cur = []
	for line in open(path, encoding="utf-8", errors="replace"):
		line = line.rstrip("\n")
		if line.startswith("#"):
			continue
		if not line.strip():
			if cur:
				yield cur
			cur = []
		elif line[0] in " \t" and cur:
			cur[-1][1].append(line)
		elif ":" in line:
			k, v = line.split(":", 1)
			cur.append((k.strip(), [v.strip()]))
	if cur:
		yield cur

for path in sorted(glob.glob(parts + "/*.sources")):
	if path == own:
		continue
	for st in stanzas(path):
		f = {k.lower(): v[0] for k, v in st}
		if f.get("enabled", "yes").lower() == "no":
			continue
		types = f.get("types", "").split()
		uris = [norm(u) for u in f.get("uris", "").split()]
		suites = f.get("suites", "").split()
		if "deb-src" in types:
			covered.update((u, s) for u in uris for s in suites)
		if "deb" in types:
			binary.append((uris, suites, st))

one_line = re.compile(r"^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)(.*)$")
for path in ["/etc/apt/sources.list"] + sorted(glob.glob(parts + "/*.list")):
	if not os.path.exists(path):
		continue
	for line in open(path, encoding="utf-8", errors="replace"):
		m = one_line.match(line.split("#", 1)[0].strip())
		if not m:
			continue
		kind, opts, uri, suite, comps = m.groups()
		if kind == "deb-src":
			covered.add((norm(uri), suite))
			continue
		st = [("Types", ["deb"]), ("URIs", [uri]), ("Suites", [suite]),
		      ("Components", [comps.strip()])]
		for o in (opts or "").split():
			k, _, v = o.partition("=")
			if k == "signed-by":
				st.append(("Signed-By", [v]))
			elif k == "trusted":
				st.append(("Trusted", [v]))
		binary.append(([norm(uri)], [suite], st))

out = []
for uris, suites, st in binary:
	need = [s for s in suites if any((u, s) not in covered for u in uris)]
	if not need:
		continue
	covered.update((u, s) for u in uris for s in need)
	lines = []
	for k, v in st:
		if k.lower() in ("types", "architectures"):
			continue
		if k.lower() == "suites":
			v = [" ".join(need)]
		lines.append(("%s: %s" % (k, v[0])).rstrip())
		lines.extend(v[1:])
	out.append("Types: deb-src\n" + "\n".join(lines) + "\n")
if out:
	print("# devtools/setup.sh (vio): the sources of this machine's deb suites, for\n"
	      "# DPDK's driver headers (doc/pmd.md). Made anew when needed; remove to undo.\n")
	print("\n".join(out), end="")
PY
}

# has_source PKG VER: apt knows that source package (grep reads it all: pipefail).
has_source() {
	apt-cache showsrc --only-source "$1" 2>/dev/null | grep -xF "Version: $2" >/dev/null
}

# As root: make sure apt knows the source package; 1 when it does not.
ensure_src_index() {
	local pkg="$1" ver="$2" want
	has_source "$pkg" "$ver" && return 0
	[ "$(id -u)" = 0 ] || { warn "no deb-src entry for $pkg $ver; run as root to add one"; return 1; }
	want="$(src_entries)" || { warn "cannot read the apt sources"; return 1; }
	if [ -z "$want" ]; then
		rm -f "$SRC_ENTRY"
		log "updating the apt indexes for $pkg $ver"
		apt-get update -qq || { warn "apt-get update failed"; return 1; }
	else
		if [ "$(cat "$SRC_ENTRY" 2>/dev/null)" != "$want" ]; then
			printf '%s\n' "$want" >"$SRC_ENTRY"
			log "wrote $SRC_ENTRY"
		fi
		# Only the new entries: the binary indexes stay as they are.
		log "updating the source indexes of $SRC_ENTRY"
		apt-get update -qq -o Dir::Etc::SourceList="$SRC_ENTRY" -o Dir::Etc::SourceParts=- \
			-o APT::Get::List-Cleanup=0 || { warn "apt-get update of $SRC_ENTRY failed"; return 1; }
	fi
	has_source "$pkg" "$ver" && return 0
	warn "apt has no source of $pkg $ver (offline, or gone from the archive)"
	return 1
}

# extract_driver_headers SRC INC: copy into INC the headers of SRC (an
# unpacked DPDK) that a compile of DRIVER_HEADERS against the installed DPDK
# misses, then check that every installed header they include is SRC's own.
extract_driver_headers() {
	local src="$1" inc="$2" probe="$2/../probe.c" err="$2/../probe.err" h n i hdr found f
	local -a cflags matches dpdk_dirs=()
	local -A by_name=()
	read -ra cflags <<<"$(pkg-config --cflags libdpdk)"
	for f in "${cflags[@]}"; do
		[[ "$f" == -I*/dpdk ]] && dpdk_dirs+=("${f#-I}/")
	done
	while IFS= read -r hdr; do
		by_name["${hdr##*/}"]+="$hdr "
	done < <(cd "$src" && find lib drivers config -name '*.h' -not -path '*/test*')
	printf '#include <%s>\n' "${DRIVER_HEADERS[@]}" >"$probe"
	for ((i = 0; i < 16; i++)); do
		if cc -fsyntax-only -DALLOW_INTERNAL_API "${cflags[@]}" -I"$inc" "$probe" 2>"$err"; then
			break
		fi
		h="$(sed -n 's/^.*fatal error: \([^:]*\): No such file or directory$/\1/p' "$err" | head -n 1)"
		read -ra matches <<<"${by_name[$h]:-}"
		if [ -z "$h" ] || [ ${#matches[@]} -ne 1 ]; then
			cat "$err" >&2
			warn "cannot compile the driver headers (${h:-not a missing header}: ${#matches[@]} in the source)"
			return 1
		fi
		cp "$src/${matches[0]}" "$inc/$h"
		echo "$h ${matches[0]}" >>"$inc/../headers.txt"
	done
	[ "$i" -lt 16 ] || { warn "too many missing headers"; return 1; }
	# The installed headers they use must be the source's: the same DPDK.
	n=0
	while IFS= read -r hdr; do
		found=0
		for f in "${dpdk_dirs[@]}"; do
			[[ "$hdr" == "$f"* ]] && found=1
		done
		[ "$found" = 1 ] || continue
		read -ra matches <<<"${by_name[${hdr##*/}]:-}"
		[ ${#matches[@]} -gt 0 ] || continue # generated (rte_build_config.h)
		found=0
		for h in "${matches[@]}"; do
			cmp -s "$src/$h" "$hdr" && found=1 && break
		done
		[ "$found" = 1 ] || { warn "$hdr differs from the source package's copy"; return 1; }
		n=$((n + 1))
	done < <(cc -M -DALLOW_INTERNAL_API "${cflags[@]}" -I"$inc" "$probe" |
		tr ' ' '\n' | grep '\.h$' | sort -u)
	log "checked: the $n installed DPDK headers they include are the source package's"
	rm -f "$probe" "$err"
}

# Best effort: every failure is a warning and the function returns 0.
ensure_driver_headers() {
	local pkg ver root dir tmp t0=$SECONDS
	if dir="$(find_driver_headers)"; then
		log "DPDK driver headers: $dir"
		return 0
	fi
	read -r pkg ver <<<"$(dpdk_source)" || true
	[ -n "${ver:-}" ] || { warn "libdpdk-dev is not installed: no DPDK driver headers"; return 0; }
	root="$(cache_roots | head -n 1)"
	dir="$root/dpdk-${ver//:/_}"
	ensure_src_index "$pkg" "$ver" || { warn "no DPDK driver headers: the PMD builds with ethdev_abi.h"; return 0; }
	if ! { mkdir -p "$root" && tmp="$(mktemp -d "$root/.dpdk-XXXXXX")" && chmod 0755 "$tmp"; }; then
		warn "cannot write to $root: no DPDK driver headers"
		return 0
	fi
	if fetch_driver_headers "$pkg" "$ver" "$tmp"; then
		rm -rf "$dir"
		mv "$tmp" "$dir"
		log "DPDK driver headers of $pkg $ver ($(cut -d' ' -f1 "$dir/headers.txt" | xargs)," \
			"$((SECONDS - t0)) s): $dir/include"
	else
		rm -rf "$tmp"
		warn "no DPDK driver headers: the PMD builds with ethdev_abi.h"
	fi
	return 0
}

# fetch_driver_headers PKG VER TMP: download, verify, unpack, extract into TMP/include.
fetch_driver_headers() {
	local pkg="$1" ver="$2" tmp="$3" dsc
	mkdir "$tmp/dl" "$tmp/include"
	# apt downloads as _apt when it can write there (no "unsandboxed" warning).
	if [ "$(id -u)" = 0 ] && id _apt >/dev/null 2>&1; then
		chown _apt "$tmp/dl"
	fi
	log "fetching the source of $pkg $ver"
	(cd "$tmp/dl" && apt-get source -qq --download-only "$pkg=$ver") >"$tmp/apt.log" 2>&1 ||
		{ cat "$tmp/apt.log" >&2; warn "apt-get source $pkg=$ver failed"; return 1; }
	dsc="$(ls "$tmp/dl/"*.dsc)"
	# dpkg-source checks the size and hashes of every file against the .dsc
	# (the .dsc's own signature needs debian-keyring; apt checked its hash).
	# Unpacked beside the .dsc: elsewhere dpkg-source would copy the tarballs there.
	dpkg-source -x "$dsc" "$tmp/dl/src" >"$tmp/dpkg-source.log" 2>&1 ||
		{ cat "$tmp/dpkg-source.log" >&2; warn "dpkg-source -x $dsc failed"; return 1; }
	extract_driver_headers "$tmp/dl/src" "$tmp/include" || return 1
	cp "$dsc" "$tmp/"
	cat "$tmp/dl/src/VERSION" >"$tmp/upstream-version"
	echo "$pkg $ver" >"$tmp/source"
	rm -rf "$tmp/dl" "$tmp/apt.log" "$tmp/dpkg-source.log"
	chmod -R a+rX "$tmp"
	touch "$tmp/complete"
}

# build DIR [OPT...] [-- TARGET...]
build() {
	[ $# -ge 1 ] || die "usage: $0 build DIR [meson setup options...] [-- ninja targets...]"
	local dir="$1" src stamp want opts=() targets=()
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	targets=("$@")
	set -- "${opts[@]}"
	src="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
	case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac
	stamp="$dir/.vio-setup-options"
	# Sorted, so that the same options in another order count as unchanged;
	# with the driver headers found, so that their coming or going reconfigures.
	want="$(printf '%s\n' "$@" "(headers: $(find_driver_headers || true))" | LC_ALL=C sort)"

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
	ninja -C "$dir" "${targets[@]}"
}

case "${1:-all}" in
all)
	ensure_packages
	ensure_hugepages
	ensure_driver_headers
	ensure_peers
	;;
packages) ensure_packages ;;
hugepages) ensure_hugepages ;;
headers)
	case "${2:-}" in
	"") ensure_driver_headers ;;
	--find) find_driver_headers ;;
	*) die "usage: $0 headers [--find]" ;;
	esac
	;;
peers) ensure_peers ;;
build)
	shift
	build "$@"
	;;
-h | --help) sed -n '3,47p' "$0" | sed 's/^# \{0,1\}//' ;;
*) die "unknown command '$1' (try --help)" ;;
esac
