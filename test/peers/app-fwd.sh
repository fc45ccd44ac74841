#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio-fwd in io, mac or macswap mode on a net_vhost port, against stock
# testpmd with net_virtio_user (Debian's dpdk-testpmd) doing io forwarding
# after `start tx_first`: packets loop between the two for a few seconds.
#
#   app-fwd.sh VIO_FWD [--mode io|mac|macswap] [--queues N] [--seconds S]
#              [--port-driver NAME] [--pmd SO] [--role backend|frontend]
#
#   --port-driver NAME  vio-fwd's port is NAME0,iface=... (default net_vhost;
#                       net_vio for vio's PMD, whose devargs are a superset)
#   --pmd SO            load the PMD from SO (the EAL's -d), e.g. a build's
#                       librte_net_vio.so
#   --role frontend     the roles swapped: vio-fwd's port is net_vio0,path=...
#                       (a frontend port, net_virtio_user's arguments) and
#                       testpmd's is net_vhost0,iface=..., which listens
#
# Pass when
# - vio-fwd exits 0 on SIGTERM with a summary, and its socket is gone;
# - vio-fwd lost nothing: rx-packets = tx-packets + tx-dropped;
# - the counts agree: testpmd sent what vio-fwd received and received what
#   vio-fwd sent, but for what was in flight (a ring per queue);
# - every queue pair carried traffic (testpmd's per-stream figures);
# - the addresses are what the mode writes: after a drain, testpmd sends one
#   burst per queue with `set fwd rxonly`, `set verbose 1` and `start
#   tx_first`, so each frame crosses vio-fwd exactly once and comes back
#   printed; testpmd's frames go from its own MAC to 02:00:00:00:00:00, and
#   every one of them must come back as io (unchanged), mac (from vio-fwd's
#   port MAC to --eth-peer) or macswap (the two swapped) leaves it.
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error. ~10 s.
set -euo pipefail

fwd_bin=$1
shift
mode=io queues=1 secs=3 driver=net_vhost role=backend
pmd=() pmd_so=
while [ $# -gt 0 ]; do
	case "$1" in
	--port-driver) driver=$2 ;;
	--pmd) pmd_so=$2 ;;
	--mode) mode=$2 ;;
	--queues) queues=$2 ;;
	--seconds) secs=$2 ;;
	--role) role=$2 ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done
case "$mode" in io | mac | macswap) ;; *) echo "--mode io|mac|macswap" >&2; exit 99 ;; esac
case "$role" in backend) ;; frontend) [ "$driver" = net_vio ] || { echo "--role frontend needs --port-driver net_vio" >&2; exit 99; } ;;
*) echo "--role backend|frontend" >&2; exit 99 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$(cd "$here/../../../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"
# shellcheck source=app-lib.sh
. "$here/app-lib.sh"

run=$(mktemp -d /tmp/vio-app-fwd.XXXXXX)
sock=$run/vhost.sock
export TP_DIR=$run
prefix=vio-app-fwd-$$
fwd_pid=
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "$fwd_pid" ] && kill -9 "$fwd_pid" 2>/dev/null || true
	rm -rf "$run" "/var/run/dpdk/$prefix"
	[ -z "${pmd[1]:-}" ] || "$stage_tool" --clean "${pmd[1]}" || true
}
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
stage_tool=$(cd "$(dirname "$0")/../../devtools" && pwd)/stage-pmd.sh
trap cleanup EXIT
if [ -n "$pmd_so" ]; then
	staged=$("$stage_tool" "$pmd_so") || exit 99
	pmd=(-d "$staged")
fi

vu_mac=02:aa:00:00:00:01   # testpmd's port
tp_dst=02:00:00:00:00:00   # where testpmd's tx_first frames go (its peer address of port 0)
eth_peer=02:11:22:33:44:55 # what vio-fwd writes as destination in mac mode

# vio-fwd forwards on lcore 1 (its main lcore 0 prints), testpmd on lcore 0.
fwd_port="${driver}0,iface=$sock,queues=$queues"
tp_port="net_virtio_user0,path=$sock,queues=$queues,mac=$vu_mac"
if [ "$role" = frontend ]; then
	# testpmd's net_vhost listens first; vio-fwd's frontend port connects to it.
	fwd_port="${driver}0,path=$sock,queues=$queues"
	tp_port="net_vhost0,iface=$sock,queues=$queues"
	tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
		--file-prefix="$prefix" --log-level 'lib.vhost.*:notice' --vdev "$tp_port" \
		-- -i --total-num-mbufs=16384 --rxq="$queues" --txq="$queues" || exit 99
	vu_mac=$(grep -o 'Port 0: [0-9A-Fa-f:]*' "$run/fe.log" | head -n 1 | cut -d' ' -f3)
	[ -n "$vu_mac" ] || { echo "no MAC in testpmd's output"; exit 99; }
fi
"$fwd_bin" -l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --no-shconf \
	--log-level lib.vhost.config:warning "${pmd[@]}" --vdev "$fwd_port" \
	-- --fwd "$mode" --queues "$queues" --eth-peer "0,$eth_peer" >"$run/fwd.log" 2>&1 &
fwd_pid=$!
fwd_wait_sock "$sock" "$fwd_pid" "$run/fwd.log" || exit 99
vio_mac=$(fwd_mac "$run/fwd.log" 0)
[ -n "$vio_mac" ] || { echo "no MAC in vio-fwd's output"; cat "$run/fwd.log"; exit 99; }

if [ "$role" = backend ]; then
	tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
		--file-prefix="$prefix" --vdev "$tp_port" \
		-- -i --total-num-mbufs=16384 --rxq="$queues" --txq="$queues" || exit 99
else
	grep -q 'frontend of the backend at path' "$run/fwd.log" ||
		{ echo "vio-fwd's port is not a frontend port"; cat "$run/fwd.log"; exit 99; }
	sleep 0.5 # net_vhost's link comes up when the rings are enabled
fi
tp_cmd fe set fwd io
tp_cmd fe start tx_first
sleep "$secs"
tp_cmd fe stop
# Drain what was in flight, then one burst per queue that crosses vio-fwd once.
tp_cmd fe set fwd rxonly
tp_cmd fe start
sleep 0.3
tp_cmd fe stop
# testpmd writes its log at its own offset: remember where the burst starts.
mark=$(stat -c %s "$run/fe.log")
tp_cmd fe set verbose 1
tp_cmd fe start tx_first
sleep 0.5
tp_cmd fe stop
tp_cmd fe set verbose 0
tp_cmd fe show port stats 0
fe_rx=$(tp_stat fe RX-packets)
fe_tx=$(tp_stat fe TX-packets)
tp_quit fe
fwd_stop "$fwd_pid" TERM
rc=$FWD_RC
fwd_pid=
grep -v -e '^EAL:' -e '^VHOST_CONFIG' "$run/fwd.log"

fail=0
[ "$rc" = 0 ] || { echo "FAIL: vio-fwd exited with $rc on SIGTERM"; fail=1; }
grep -q '^==== vio-fwd summary' "$run/fwd.log" || { echo "FAIL: no summary"; fail=1; }
[ ! -e "$sock" ] || { echo "FAIL: $sock left behind"; fail=1; }
rx=$(fwd_stat "$run/fwd.log" "port 0" rx-packets)
tx=$(fwd_stat "$run/fwd.log" "port 0" tx-packets)
drop=$(fwd_stat "$run/fwd.log" "port 0" tx-dropped)
echo "testpmd: rx=$fe_rx tx=$fe_tx  vio-fwd: rx=$rx tx=$tx tx-dropped=$drop" \
	"(port ${driver}0 $role, mode $mode, queues $queues, $secs s)"
[ "$fe_rx" -gt 1000 ] && [ "$fe_tx" -gt 1000 ] || { echo "FAIL: too little traffic"; fail=1; }
[ "$rx" = $((tx + drop)) ] || { echo "FAIL: vio-fwd received $rx, sent $tx, dropped $drop"; fail=1; }
inflight=$((1024 * queues))
[ "$rx" -le "$fe_tx" ] && [ $((fe_tx - rx)) -le "$inflight" ] ||
	{ echo "FAIL: testpmd sent $fe_tx, vio-fwd received $rx"; fail=1; }
[ "$tx" -ge "$fe_rx" ] && [ $((tx - fe_rx)) -le "$inflight" ] ||
	{ echo "FAIL: vio-fwd sent $tx, testpmd received $fe_rx"; fail=1; }
if [ "$queues" -gt 1 ]; then
	for q in $(seq 0 $((queues - 1))); do
		n=$(tp_qstat fe 0 "$q" RX-packets)
		[ "$n" -gt 0 ] || { echo "FAIL: queue $q carried no traffic"; fail=1; }
	done
fi

case "$mode" in
io) want_src=$vu_mac want_dst=$tp_dst ;;
mac) want_src=$vio_mac want_dst=$eth_peer ;;
macswap) want_src=$tp_dst want_dst=$vu_mac ;;
esac
tail -c +"$((mark + 1))" "$run/fe.log" >"$run/burst.log"
read -r n_seen n_good < <(awk -v s="${want_src,,}" -v d="${want_dst,,}" '
	/src=.* - dst=/ {
		n++
		line = tolower($0)
		if (index(line, "src=" s " - dst=" d " ") > 0) good++
	}
	END { print n + 0, good + 0 }' "$run/burst.log")
echo "verbose burst: $n_seen frames back, $n_good from $want_src to $want_dst"
[ "$n_seen" = $((32 * queues)) ] || { echo "FAIL: expected $((32 * queues)) frames back"; fail=1; }
[ "$n_good" = "$n_seen" ] || {
	echo "FAIL: frames with other addresses:"
	grep 'src=' "$run/burst.log" | head -n 3
	fail=1
}
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
