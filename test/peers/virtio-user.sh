#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio's vhost-user backend against stock DPDK net_virtio_user (Debian's
# dpdk-testpmd): testpmd sends a burst on every queue with io forwarding,
# vio-echo sends every packet back; both sides' counters must agree.
#
#   virtio-user.sh VIO_ECHO [--ring split|packed] [--mrg 0|1] [--inorder 0|1]
#                  [--queues N] [--mem huge|memfd] [--seconds S]
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error.
set -euo pipefail

echo_bin=$1
shift
ring=split mrg=1 inorder=0 queues=1 mem=huge secs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--ring) ring=$2 ;;
	--mrg) mrg=$2 ;;
	--inorder) inorder=$2 ;;
	--queues) queues=$2 ;;
	--mem) mem=$2 ;;
	--seconds) secs=$2 ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done

PEERS=${PEERS:-$(cd "$(dirname "$0")/../../../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-peers.XXXXXX)
sock=$run/vhost.sock
export TP_DIR=$run
prefix=vio-vu-$$
echo_pid=
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "$echo_pid" ] && kill -9 "$echo_pid" 2>/dev/null || true
	rm -rf "$run" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

case "$mem" in
huge) mem_args=(--in-memory --single-file-segments) ;;
memfd) mem_args=(--no-huge -m 1024 --no-shconf) ;;
*) echo "--mem huge|memfd"; exit 99 ;;
esac
packed=0
[ "$ring" = packed ] && packed=1

# vio on lcore 1, testpmd's forwarding on lcore 0: one poller per core.
"$echo_bin" -l 1 --no-huge -m 256 --no-pci --no-shconf --log-level 'lib.vio.*:info' \
	-- --socket "$sock" --queues "$queues" --seconds 600 --log-levels >"$run/echo.log" 2>&1 &
echo_pid=$!
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
[ -S "$sock" ] || { echo "vio-echo did not listen"; cat "$run/echo.log"; exit 99; }

tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci "${mem_args[@]}" --file-prefix="$prefix" \
	--vdev "net_virtio_user0,path=$sock,queues=$queues,packed_vq=$packed,mrg_rxbuf=$mrg,in_order=$inorder" \
	-- -i --total-num-mbufs=32768 --rxq="$queues" --txq="$queues" || exit 99
tp_cmd fe set fwd io
tp_cmd fe start tx_first
sleep "$secs"
tp_cmd fe stop
tp_cmd fe show port stats 0
fe_rx=$(tp_stat fe RX-packets)
fe_tx=$(tp_stat fe TX-packets)
tp_quit fe
kill -TERM "$echo_pid"
wait "$echo_pid" || true
echo_pid=
cat "$run/echo.log"

read -r deq enq drop < <(awk '/^total:/ { print $3, $5, $7 }' "$run/echo.log")
echo "virtio_user: rx=$fe_rx tx=$fe_tx  vio: dequeued=$deq enqueued=$enq dropped=$drop" \
	"(ring=$ring mrg=$mrg in_order=$inorder queues=$queues mem=$mem, $secs s)"
fail=0
[ "${fe_rx:-0}" -gt 1000 ] && [ "${fe_tx:-0}" -gt 1000 ] || { echo "FAIL: too little traffic"; fail=1; }
# Everything testpmd sent, vio took; everything vio sent back, testpmd got,
# but what was in flight when testpmd stopped (at most a ring per queue).
inflight=$((1024 * queues))
[ "$deq" -le "$fe_tx" ] && [ $((fe_tx - deq)) -le "$inflight" ] ||
	{ echo "FAIL: testpmd sent $fe_tx, vio dequeued $deq"; fail=1; }
[ "$enq" -ge "$fe_rx" ] && [ $((enq - fe_rx)) -le "$inflight" ] ||
	{ echo "FAIL: vio enqueued $enq, testpmd received $fe_rx"; fail=1; }
for q in $(seq 0 $((queues - 1))); do
	n=$(awk -v q="$q:" '$1 == "queue" && $2 == q { print $4 }' "$run/echo.log")
	[ "${n:-0}" -gt 0 ] || { echo "FAIL: queue pair $q carried no traffic"; fail=1; }
done
if grep -q "^ERR: " "$run/echo.log"; then
	echo "FAIL: vio logged errors"
	fail=1
fi
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
