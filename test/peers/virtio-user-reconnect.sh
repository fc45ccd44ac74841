#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio as vhost-user client, stock net_virtio_user as server: testpmd is
# started ROUNDS times and goes away during traffic each time (quit while
# forwarding in odd rounds, SIGKILL in even rounds); vio must reconnect each
# time and traffic must flow in every round.
#
#   virtio-user-reconnect.sh VIO_ECHO [--ring split|packed] [--rounds N]
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error.
set -euo pipefail

echo_bin=$1
shift
ring=split rounds=10
while [ $# -gt 0 ]; do
	case "$1" in
	--ring) ring=$2 ;;
	--rounds) rounds=$2 ;;
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
prefix=vio-vur-$$
echo_pid=
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "$echo_pid" ] && kill -9 "$echo_pid" 2>/dev/null || true
	[ -n "${KEEP:-}" ] && echo "kept $run" || rm -rf "$run" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT
packed=0
[ "$ring" = packed ] && packed=1

"$echo_bin" -l 1 --no-huge -m 256 --no-pci --no-shconf --log-level 'lib.vio.*:info' \
	-- --socket "$sock" --client --seconds 600 >"$run/echo.log" 2>&1 &
echo_pid=$!

fail=0
total_rx=0
for round in $(seq "$rounds"); do
	tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
		--file-prefix="$prefix" \
		--vdev "net_virtio_user0,path=$sock,server=1,queues=1,packed_vq=$packed" \
		-- -i --total-num-mbufs=16384 || exit 99
	# Wait for vio to connect and the link to come up.
	for _ in $(seq 50); do
		tp_cmd fe show port info 0
		grep -q "Link status: up" "$TP_DIR/fe.log" && break
		sleep 0.2
	done
	tp_cmd fe set fwd io
	tp_cmd fe start tx_first
	sleep 1
	tp_cmd fe show port stats 0
	rx=$(tp_stat fe RX-packets)
	if [ $((round % 2)) = 1 ]; then
		tp_quit fe
	else
		kill -9 "$(cat "$TP_DIR/fe.testpmd-pid")"
		sleep 0.5
		# A killed virtio-user server leaves its socket file; the next one
		# cannot bind over it ("Address already in use").
		rm -f "$sock"
	fi
	: >"$TP_DIR/fe.log"
	echo "round $round: testpmd received ${rx:-0} packets back from vio"
	[ "${rx:-0}" -gt 100 ] || { echo "FAIL: round $round carried no traffic"; fail=1; }
	total_rx=$((total_rx + ${rx:-0}))
done
kill -TERM "$echo_pid"
wait "$echo_pid" || true
echo_pid=
tail -n 3 "$run/echo.log"
ready=$(awk '/^total:/ { print $10 }' "$run/echo.log")
echo "rounds=$rounds received=$total_rx devices ready=$ready"
[ "${ready:-0}" -ge "$rounds" ] || { echo "FAIL: vio saw $ready devices for $rounds rounds"; fail=1; }
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
