#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio's vhost-user frontend (vio_vhost_frontend.h + vio_vnet.h, in
# vio-frontend-net) against stock DPDK net_vhost (Debian's dpdk-testpmd, in
# macswap forwarding), or vio's own backend port (net_vio iface= in the same
# testpmd, --backend vio): vio sends numbered UDP frames, testpmd sends each
# back; vio checks every frame that returns (length, pattern, number seen
# once) and testpmd's counters must show the same count both ways.
#
#   frontend-net-vhost.sh VIO_FRONTEND_NET [--packets N] [--size BYTES]
#                         [--mrg 0|1] [--mem huge|memfd] [--packed 0|1]
#                         [--csum none|tx|rx] [--in-order 0|1|batched]
#                         [--segs N] [--indirect 0|1] [--tso MSS]
#                         [--backend vhost|vio --pmd PMD_SO]
#
# --in-order (vio-frontend-net's): VIRTIO_F_IN_ORDER must be negotiated;
# batched: and the backend must have returned some buffers with the used
# entry of a later one (net_vhost does on packed rings).
# --segs N: frames sent as chains of N mbufs; --indirect 1: through indirect
# tables, which must be negotiated and used (vio-frontend-net's).
# --tso MSS: TCP frames sent as TSO packets to a backend with tso=1; vio's
# backend segments them (its testpmd takes no LRO), net_vhost hands them on
# whole; vio-frontend-net checks what comes back either way.
#
# --csum (vio-frontend-net's): the frames carry UDP checksums, which vio
# checks; tx: vio leaves them partial (NEEDS_CSUM) and the backend, in
# macswap, completes them (its testpmd does not enable Rx checksum offload);
# rx: the backend's testpmd forwards in its csum engine with "csum set udp
# hw", so that the backend sends them partial.
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error.
set -euo pipefail

fe_bin=$1
shift
packets=100000 size=64 mrg=1 mem=memfd packed=0 csum=none backend=vhost pmd= in_order=0
segs=1 indirect=0 tso=0
while [ $# -gt 0 ]; do
	case "$1" in
	--packets) packets=$2 ;;
	--size) size=$2 ;;
	--mrg) mrg=$2 ;;
	--mem) mem=$2 ;;
	--packed) packed=$2 ;;
	--csum) csum=$2 ;;
	--in-order) in_order=$2 ;;
	--segs) segs=$2 ;;
	--indirect) indirect=$2 ;;
	--tso) tso=$2 ;;
	--backend) backend=$2 ;;
	--pmd) pmd=$(realpath "$2") ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done
case "$csum" in none | tx | rx) ;; *) echo "--csum none|tx|rx"; exit 99 ;; esac
case "$backend" in
vhost) ;;
vio) [ -f "$pmd" ] || { echo "--backend vio needs --pmd PMD_SO"; exit 99; } ;;
*) echo "--backend vhost|vio"; exit 99 ;;
esac

PEERS=${PEERS:-$(cd "$(dirname "$0")/../../../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-fe-net.XXXXXX)
sock=$run/vhost.sock
export TP_DIR=$run
prefix=vio-fe-net-$$
stage_tool=$(cd "$(dirname "$0")/../.." && pwd)/devtools/stage-pmd.sh
cleanup() {
	tp_kill_all 2>/dev/null || true
	rm -rf "$run" "/var/run/dpdk/$prefix" "/var/run/dpdk/$prefix-fe"
	[ -z "$pmd" ] || "$stage_tool" --clean "$pmd" || true
}
trap cleanup EXIT
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
[ -z "$pmd" ] || pmd=$("$stage_tool" "$pmd") || exit 99

case "$mem" in
huge) mem_args=(--in-memory --single-file-segments) ;;
memfd) mem_args=(--no-huge -m 512 --no-shconf) ;;
*) echo "--mem huge|memfd"; exit 99 ;;
esac

# testpmd (the vhost-user server) forwards on lcore 0, vio on lcore 1.
mbuf=$((size > 2048 ? 9216 : 2176))
be_args=
[ "$tso" = 0 ] || be_args=,tso=1
if [ "$backend" = vhost ]; then
	be_dev=(--vdev "net_vhost0,iface=$sock,queues=1$be_args")
else
	be_dev=(-d "$pmd" --vdev "net_vio0,iface=$sock,queues=1$be_args" --log-level 'lib.vio.*:notice')
fi
fwd=macswap
[ "$csum" = rx ] && fwd=csum
tp_start be -l 0,1 --main-lcore 1 --no-huge -m 512 --no-pci --no-shconf --file-prefix "$prefix" \
	"${be_dev[@]}" -- -i --forward-mode="$fwd" \
	--nb-cores=1 --mbuf-size="$mbuf" --max-pkt-len=9600 --total-num-mbufs=8192 ||
	exit 99
if [ "$csum" = rx ]; then
	# The UDP checksum left to the port (its Tx offload), which puts it in the net header.
	tp_cmd be "port stop 0"
	tp_cmd be "csum set udp hw 0"
	tp_cmd be "port start 0"
	tp_cmd be "csum show 0"
	grep -q "UDP checksum offload is hw" "$run/be.log" ||
		{ echo "the backend's testpmd refused UDP checksum offload"; exit 99; }
fi
tp_cmd be start
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "net_vhost did not listen"; exit 99; }

rc=0
timeout 60 "$fe_bin" -l 1 "${mem_args[@]}" --no-pci --file-prefix "$prefix-fe" \
	--log-level 'lib.vio.*:info' -- "$sock" --packets "$packets" --size "$size" \
	--mrg "$mrg" --packed "$packed" --csum "$csum" --in-order "$in_order" --segs "$segs" \
	--indirect "$indirect" --tso "$tso" || rc=$?
tp_cmd be stop
tp_cmd be "show port stats 0"
rx=$(tp_stat be RX-packets 0)
tx=$(tp_stat be TX-packets 0)
echo "backend ($backend): RX-packets $rx TX-packets $tx (vio sent $packets)"
tp_quit be
if [ "$rc" -ne 0 ]; then
	echo "FAIL: vio-frontend-net exited with $rc"
	exit 1
fi
if [ "$tso" != 0 ] && [ "$backend" = vio ]; then
	# vio's backend segments each packet: its testpmd counts the segments.
	if [ "$rx" != "$tx" ] || [ "$rx" -le "$packets" ]; then
		echo "FAIL: the backend counted $rx segments in, $tx out, for $packets packets"
		exit 1
	fi
elif [ "$rx" != "$packets" ] || [ "$tx" != "$packets" ]; then
	echo "FAIL: the backend counted $rx in, $tx out; vio sent and received $packets"
	exit 1
fi
echo PASS
