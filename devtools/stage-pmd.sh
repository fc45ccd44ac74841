#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# stage-pmd.sh: print a path from which DPDK's -d will load a vio PMD.
#
#   devtools/stage-pmd.sh PMD.so        print the path to pass to -d
#   devtools/stage-pmd.sh --clean PATH  remove what an earlier call staged
#
# DPDK's EAL refuses a plugin with a world-writable directory anywhere above
# it ("EAL: Error, directory path /tmp is world-writable and insecure", then
# "Cannot init plugins"): a build under /tmp cannot be loaded as it is. When
# no directory above PMD.so is world-writable, this prints PMD.so itself.
# Otherwise it copies PMD.so into a new private directory (mode 0700) under
# the first of these with no world-writable directory above: $VIO_STAGE_DIR,
# $XDG_RUNTIME_DIR, $HOME/.cache/vio, /run/vio (root); next to the copy, a
# link "lib" to the build's lib/ keeps the PMD's RUNPATH ($ORIGIN/../lib)
# finding vio's libraries. It prints the copy's path; --clean PATH removes
# the private directory again (and does nothing for a PMD that was not
# copied). Exits 1 with a message when nothing fits.
set -euo pipefail

die() { printf 'stage-pmd.sh: %s\n' "$*" >&2; exit 1; }

# safe DIR: true when neither DIR nor any directory above it is world-writable.
safe() {
	local d
	d=$(realpath -m "$1")
	while :; do
		if [ -e "$d" ]; then
			# The sticky bit does not help: DPDK checks S_IWOTH alone.
			[ $((0$(stat -L -c '%a' "$d") & 2)) -eq 0 ] || return 1
		fi
		[ "$d" = / ] && return 0
		d=$(dirname "$d")
	done
}

if [ "${1:-}" = --clean ]; then
	p=${2:?--clean needs the path an earlier call printed}
	d=$(dirname "$(dirname "$p")")
	[ -f "$d/.vio-staged" ] && rm -rf -- "$d"
	exit 0
fi
[ $# -eq 1 ] || die "usage: stage-pmd.sh PMD.so | --clean PATH"
pmd=$(realpath "$1") || die "no such file: $1"
[ -f "$pmd" ] || die "not a file: $pmd"
if safe "$(dirname "$pmd")"; then
	printf '%s\n' "$pmd"
	exit 0
fi
base=
for c in "${VIO_STAGE_DIR:-}" "${XDG_RUNTIME_DIR:-}" "${HOME:+$HOME/.cache/vio}" /run/vio; do
	[ -n "$c" ] || continue
	if safe "$c" && mkdir -p -m 0700 "$c" 2>/dev/null && [ -w "$c" ]; then
		base=$c
		break
	fi
done
[ -n "$base" ] || die "$pmd sits under a world-writable directory and no private place was found to copy it to; set VIO_STAGE_DIR to a directory with no world-writable directory above it"
d=$(mktemp -d "$base/pmd.XXXXXX")
chmod 0700 "$d"
: >"$d/.vio-staged"
mkdir -m 0700 "$d/drivers"
cp "$pmd" "$d/drivers/"
ln -s "$(realpath -m "$(dirname "$pmd")/../lib")" "$d/lib"
printf '%s\n' "$d/drivers/$(basename "$pmd")"
