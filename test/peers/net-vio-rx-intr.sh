#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# net_vio's Rx queue interrupts: pmd-rx-intr (an application that sleeps in
# rte_epoll_wait() on its Rx queue, with net_vio loaded by -d) against stock
# dpdk-testpmd with net_virtio_user, which sends one burst (start tx_first)
# per round; each round must be woken by the guest's kick, not a timeout.
# With --role frontend the roles are swapped: the application's port is a
# frontend port (net_vio0,path=...) driving stock net_vhost, whose bursts
# must wake it through the receive queue's call eventfd.
#
#   net-vio-rx-intr.sh PMD_SO PMD_RX_INTR [--ring split|packed] [--rounds N]
#                      [--role backend|frontend]
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error.
set -euo pipefail

pmd=$(realpath "$1")
app=$2
shift 2
ring=split rounds=3 role=backend
while [ $# -gt 0 ]; do
	case "$1" in
	--ring) ring=$2 ;;
	--rounds) rounds=$2 ;;
	--role) role=$2 ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done

PEERS=${PEERS:-$(cd "$(dirname "$0")/../../../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-rx-intr.XXXXXX)
export TP_DIR=$run
prefix=vio-intr-$$
sock=$run/vhost.sock
app_pid=
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "$app_pid" ] && kill -9 "$app_pid" 2>/dev/null || true
	rm -rf "$run" "/var/run/dpdk/$prefix"
	"$stage_tool" --clean "$pmd" || true
}
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
stage_tool=$(cd "$(dirname "$0")/../../devtools" && pwd)/stage-pmd.sh
trap cleanup EXIT
pmd=$("$stage_tool" "$pmd") || exit 99
packed=0
[ "$ring" = packed ] && packed=1

if [ "$role" = frontend ]; then
	# net_vhost listens; the application's frontend port connects and sleeps on it.
	tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
		--file-prefix="$prefix" --log-level 'lib.vhost.*:notice' --vdev "net_vhost0,iface=$sock" \
		-- -i --total-num-mbufs=8192 || exit 99
	"$app" -l 1 --no-huge -m 256 --no-pci --no-shconf -d "$pmd" \
		--vdev "net_vio0,path=$sock,packed_vq=$packed" \
		--log-level 'pmd.net.vio:info' -- "$rounds" 32 >"$run/app.log" 2>&1 &
	app_pid=$!
	tp_cmd fe set fwd io
	tp_cmd fe start
else
	"$app" -l 1 --no-huge -m 256 --no-pci --no-shconf -d "$pmd" --vdev "net_vio0,iface=$sock" \
		--log-level 'pmd.net.vio:info' -- "$rounds" 32 >"$run/app.log" 2>&1 &
	app_pid=$!
	for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || { echo "pmd-rx-intr did not listen"; cat "$run/app.log"; exit 99; }

	tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
		--file-prefix="$prefix" --vdev "net_virtio_user0,path=$sock,packed_vq=$packed" \
		-- -i --total-num-mbufs=8192 || exit 99
	tp_cmd fe set fwd io
	tp_cmd fe start tx_first
fi
for r in $(seq "$rounds"); do
	for _ in $(seq 100); do grep -q "^armed $r$" "$run/app.log" && break; sleep 0.1; done
	grep -q "^armed $r$" "$run/app.log" || { echo "FAIL: round $r never armed"; break; }
	sleep 0.5 # asleep in epoll by now
	tp_cmd fe stop
	tp_cmd fe start tx_first
done
wait "$app_pid" && rc=0 || rc=$?
app_pid=
tp_quit fe
cat "$run/app.log"
[ ! -e "$sock" ] || { echo "FAIL: socket file left behind"; rc=1; }
if [ "$role" = frontend ]; then
	grep -q "frontend of the backend at path" "$run/app.log" || { echo "FAIL: not a frontend port"; rc=1; }
fi
[ "$rc" = 0 ] && echo "PASS: $rounds rounds woken by the peer's signal (ring=$ring, vio $role)"
exit "$rc"
