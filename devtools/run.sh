#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh: the main job, the README's first command. On a fresh Debian 12
# machine it sets up (packages, hugepages), builds vio, and then:
#
#   1. forwards: vio-fwd (app/vio-fwd) with one net_vio port (vio's PMD,
#      loaded with -d) serving a vhost-user socket, in mac mode on lcore 1,
#      and a stock DPDK peer on that socket (dpdk-testpmd, net_virtio_user,
#      fwd mac, start tx_first 32: a packet loop between the two, as in
#      DPDK's vhost loopback test plan), for --seconds,
#      with vio-fwd's live statistics once a second and its summary;
#   2. compares: devtools/bench.sh, vio against DPDK 22.11's vhost on the
#      same stock peer in the same run, for this ring and packet size: the
#      cycles per packet of enqueue and dequeue, the PVP loopback Mpps, and
#      the PVP Mpps of the frontend role (vio's frontend port against
#      net_virtio_user on net_vhost), with their vio/DPDK ratios
#      (doc/benchmark.md).
#
#   devtools/run.sh [--seconds N] [--ring split|packed] [--size BYTES]
#                   [--runs N] [--no-bench] [--engine]
#
#   --seconds N   forwarding time (default 10)
#   --ring R      virtqueue layout of the peer: split (default) or packed
#   --size B      frame bytes the peer sends, 64 to 1518 (default 64)
#   --runs N      runs of each library in the comparison (default 5; the
#                 full matrix is devtools/bench.sh)
#   --no-bench    forward only
#   --engine      instead of all this, the engine benchmark (app/vio-bench)
#
# Shares build/ (release, werror) with devtools/test.sh. Needs root for the
# set-up (packages, hugepages) and for hugepage memory. Exit 0 when the
# forwarding moved packets both ways (and the comparison ran), 1 otherwise,
# 2 for bad arguments.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

secs=10 ring=split size=64 runs=5 bench=1 engine=0
usage() { sed -n '/^#   devtools\/run.sh/,/^#   --engine/p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=${2:-}; shift ;;
	--ring) ring=${2:-}; shift ;;
	--size) size=${2:-}; shift ;;
	--runs) runs=${2:-}; shift ;;
	--no-bench) bench=0 ;;
	--engine) engine=1 ;;
	-h | --help) usage ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage ;;
	esac
	shift
done
[[ "$secs" =~ ^[0-9]+$ ]] && [ "$secs" -ge 1 ] && [ "$secs" -le 3600 ] ||
	{ echo "run.sh: --seconds '$secs': a whole number of seconds, 1 to 3600" >&2; exit 2; }
[ "$ring" = split ] || [ "$ring" = packed ] ||
	{ echo "run.sh: --ring '$ring': split or packed" >&2; exit 2; }
[[ "$size" =~ ^[0-9]+$ ]] && [ "$size" -ge 64 ] && [ "$size" -le 1518 ] ||
	{ echo "run.sh: --size '$size': frame bytes, 64 to 1518" >&2; exit 2; }
[[ "$runs" =~ ^[0-9]+$ ]] && [ "$runs" -ge 1 ] && [ "$runs" -le 99 ] ||
	{ echo "run.sh: --runs '$runs': 1 to 99" >&2; exit 2; }

say() { printf '\n== %s\n' "$*"; }

devtools/setup.sh packages >&2
devtools/setup.sh hugepages >&2
devtools/setup.sh build build -Dbuildtype=release -Dwerror=true >&2

if [ "$engine" = 1 ]; then
	exec build/app/vio-bench
fi

FWD=$ROOT/build/app/vio-fwd
PMD=$ROOT/build/drivers/librte_net_vio.so
for f in "$FWD" "$PMD"; do
	[ -e "$f" ] || { echo "run.sh: $f was not built" >&2; exit 1; }
done
command -v dpdk-testpmd >/dev/null || { echo "run.sh: dpdk-testpmd missing (package dpdk)" >&2; exit 1; }

# Hugepages when there are enough free ones, memfd memory otherwise.
free_huge=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
if [ "$free_huge" -ge 512 ]; then
	fwd_mem=(--in-memory)
	peer_mem=(--in-memory --single-file-segments)
	mem_note="2 MiB hugepages"
else
	fwd_mem=(--no-huge -m 512 --no-shconf)
	peer_mem=(--no-huge -m 1024 --no-shconf)
	mem_note="memfd memory (fewer than 512 free hugepages)"
fi

run=$(mktemp -d /tmp/vio-run.XXXXXX)
sock=$run/vio0.sock
fwd_pid= peer_pid=
cleanup() {
	[ -n "$peer_pid" ] && kill -9 "$peer_pid" 2>/dev/null || true
	[ -n "$fwd_pid" ] && kill -9 "$fwd_pid" 2>/dev/null || true
	rm -rf "$run"
	[ "$PMD" = "$PMD_BUILT" ] || devtools/stage-pmd.sh --clean "$PMD" || true
}
trap cleanup EXIT
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
PMD_BUILT=$PMD
PMD=$(devtools/stage-pmd.sh "$PMD")

packed=0
[ "$ring" = packed ] && packed=1
say "forwarding for $secs s: vio-fwd (net_vio, fwd mac, lcore 1) <-> stock dpdk-testpmd" \
	"(net_virtio_user, $ring ring, $size-byte frames, fwd mac, tx_first, lcore 0); $mem_note"

# vio-fwd serves the socket: its forwarding lcore is 1, its main lcore 0
# prints the statistics (and sleeps in between).
"$FWD" -l 0,1 --main-lcore 0 -n 1 --no-pci "${fwd_mem[@]}" --file-prefix=vio-run-fwd-$$ \
	-d "$PMD" --vdev "net_vio0,iface=$sock" --log-level 'pmd.net.vio:warning' \
	-- --fwd mac --rxd 1024 --txd 1024 --duration "$secs" --stats-period 1 &
fwd_pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "run.sh: vio-fwd did not create $sock" >&2; exit 1; }

# The peer: interactive testpmd driven through a FIFO; "start tx_first 32"
# puts 32 bursts in flight (the loopback test plan of DPDK's own vhost
# tests), then it forwards back what it gets. Its forwarding lcore is 0, its
# main lcore 1.
mkfifo "$run/peer.in"
dpdk-testpmd -l 0,1 --main-lcore 1 -n 1 --no-pci "${peer_mem[@]}" --file-prefix=vio-run-peer-$$ \
	--vdev "net_virtio_user0,path=$sock,packed_vq=$packed,queue_size=1024" \
	-- -i --forward-mode=mac --txpkts="$size" --rxd=1024 --txd=1024 --nb-cores=1 \
	<"$run/peer.in" >"$run/peer.log" 2>&1 &
peer_pid=$!
exec {peer_in}>"$run/peer.in"
echo "start tx_first 32" >&"$peer_in"

fwd_rc=0
wait "$fwd_pid" || fwd_rc=$?
fwd_pid=
printf 'stop\nquit\n' >&"$peer_in"
exec {peer_in}>&-
for _ in $(seq 100); do kill -0 "$peer_pid" 2>/dev/null || break; sleep 0.1; done
peer_pid=
peer_rx=$(awk '/RX-packets:/ { v = $2 } END { print v + 0 }' "$run/peer.log")
peer_tx=$(awk '/TX-packets:/ { v = $2 } END { print v + 0 }' "$run/peer.log")
printf '\npeer (stock testpmd, net_virtio_user): RX-packets %s TX-packets %s\n' "$peer_rx" "$peer_tx"
ok=1
[ "$fwd_rc" = 0 ] || { echo "run.sh: vio-fwd exited with $fwd_rc"; ok=0; }
[ "$peer_rx" -gt 0 ] && [ "$peer_tx" -gt 0 ] ||
	{ echo "run.sh: no packets went round (peer log: $(tail -3 "$run/peer.log"))"; ok=0; }

if [ "$bench" = 1 ] && [ "$ok" = 1 ]; then
	say "vio against DPDK 22.11's vhost, same stock peer, same run ($ring, $size B, $runs runs each;" \
		"the full matrix: devtools/bench.sh)"
	devtools/bench.sh --no-setup --build build --runs "$runs" --rings "$ring" --mrg 1 \
		--sizes "$size" --pvp-sizes "$size" --fe-sizes "$size" --warmup 0.3 --seconds 0.5 \
		--pvp-warmup 1 --pvp-seconds 1 --out "$ROOT/build/run-out" || ok=0
fi
[ "$ok" = 1 ]
