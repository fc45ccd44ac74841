#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# What an integrator gets: install into a scratch root, then build and run a
# program against it through pkg-config alone; check that the libraries
# export vio_ symbols only; the PMD is where a DPDK application loads it
# from, exports nothing, and finds vio's libraries by itself.
#
#   check-install.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

meson install -C "$build" --destdir "$root" --no-rebuild --quiet >/dev/null
pc=$(find "$root" -name libvio.pc | head -n 1)
[ -n "$pc" ] || { echo "libvio.pc not installed"; exit 1; }
prefix=$(sed -n 's/^prefix=//p' "$pc")
# Point the .pc file at the scratch root (a sysroot would move libdpdk too).
mkdir -p "$root/pc"
sed "s|^prefix=.*|prefix=$root$prefix|" "$pc" >"$root/pc/libvio.pc"
export PKG_CONFIG_PATH=$root/pc

for h in vio_virtio.h vio_mem.h vio_mem_driver.h vio_engine.h vio_vhost.h vio_vhost_driver.h \
	vio_port.h; do
	[ -f "$root$prefix/include/vio/$h" ] || { echo "header $h not installed"; exit 1; }
done

# Exports: every defined dynamic symbol of every library is vio_*.
libdir=$(dirname "$(dirname "$pc")")
for lib in "$libdir"/libvio_*.so; do
	bad=$(nm -D --defined-only "$lib" | awk '$2 ~ /^[TDRB]$/ && $3 !~ /^vio_/ && $3 !~ /^VIO_/ { print $3 }')
	if [ -n "$bad" ]; then
		echo "$lib exports symbols outside vio_: $bad"
		exit 1
	fi
done

# The PMD: <libdir>/dpdk/pmds-vio/librte_net_vio.so, no exported symbol of
# its own (DPDK finds it through its constructor), and every library it
# needs resolved without LD_LIBRARY_PATH (RUNPATHs into the install tree).
pmd=$libdir/dpdk/pmds-vio/librte_net_vio.so
[ -f "$pmd" ] || { echo "PMD not installed at $pmd"; exit 1; }
exported=$(nm -D --defined-only "$pmd" | awk '$2 ~ /^[TDRB]$/ { print $3 }')
[ -z "$exported" ] || { echo "$pmd exports symbols: $exported"; exit 1; }
missing=$(env -u LD_LIBRARY_PATH ldd "$pmd" | awk '/not found/ { print $1 }')
[ -z "$missing" ] || { echo "$pmd: libraries not found once installed: $missing"; exit 1; }
# shellcheck disable=SC2046 # pkg-config output is a list of words
cc -o "$root/consumer" "$src/test/install/consumer.c" $(pkg-config --cflags --libs libvio) \
	-Wl,-rpath,"$libdir"
"$root/consumer"
