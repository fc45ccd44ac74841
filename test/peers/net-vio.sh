#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# net_vio, vio's ethdev PMD, in stock dpdk-testpmd (loaded with -d) against
# stock dpdk-testpmd with net_virtio_user.
#
#   net-vio.sh PMD_SO CASE [--ring split|packed] [--queues N] [--seconds S]
#              [--vargs ,KEY=VALUE...]   (more device arguments of net_vio0)
#
# CASE:
#   traffic    both sides forward (io), the virtio-user side starts with
#              tx_first; every figure of each side must match the other's
#              within what was in flight; every queue carries traffic; the
#              port's xstats list every counter of vio's engine (names read
#              from lib/engine/vio_engine.h) for each queue
#   client     the same with net_vio client=1 against virtio-user server=1
#   two-ports  net_vio0 and net_vio1 in one testpmd, forwarding to each
#              other, against two virtio-user ports of another testpmd
#   local      net_vio1 (path=S,driver=local) driving net_vio0 (iface=S)
#              in-process, in one testpmd, io forwarding between them: what
#              each sent the other received, exactly; every queue pair busy
#   reconnect  two frontends one after the other: vio's xstats add up over
#              both connections, "connections" counts them, and only
#              clear port xstats resets them
#   unplug     with a frontend connected and traffic running: one port
#              stopped and detached (rte_dev_remove), another stopped and
#              closed; no socket file is left, testpmd goes on, and a port
#              attached again listens again
#   bad-args   bad device arguments are refused, each with an error that
#              names the argument
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error.
set -euo pipefail

pmd=$(realpath "$1")
case_name=$2
shift 2
ring=split queues=1 secs=3 extra=
while [ $# -gt 0 ]; do
	case "$1" in
	--ring) ring=$2 ;;
	--queues) queues=$2 ;;
	--seconds) secs=$2 ;;
	--vargs) extra=$2 ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done

src=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-$(cd "$src/../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
[ -f "$pmd" ] || { echo "no PMD at $pmd"; exit 99; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-net-vio.XXXXXX)
export TP_DIR=$run
prefix=vio-pmd-$$
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "${KEEP_RUN:-}" ] && echo "kept $run" || rm -rf "$run"
	rm -rf "/var/run/dpdk/$prefix"
	"$stage_tool" --clean "$pmd" || true
}
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
stage_tool=$(cd "$(dirname "$0")/../../devtools" && pwd)/stage-pmd.sh
trap cleanup EXIT
pmd=$("$stage_tool" "$pmd") || exit 99

packed=0
[ "$ring" = packed ] && packed=1
fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# vio's testpmd: forwarding on lcore 1; the peer forwards on lcore 0.
vio_eal=(-l 0,1 --main-lcore 0 --no-huge -m 512 --no-pci --no-shconf -d "$pmd"
	--log-level 'pmd.net.vio:info' --log-level 'lib.vio.*:info')
fe_eal=(-l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments
	--file-prefix="$prefix")
tp_args=(-i --disable-link-check --total-num-mbufs=16384)

# Socket files of the vio side appear.
wait_sock() {
	for _ in $(seq 50); do [ -S "$1" ] && return 0; sleep 0.1; done
	return 1
}

# stat NAME FIELD PORT: from the last "show port stats PORT" of NAME.
stat() {
	tp_cmd "$1" show port stats "$3" >/dev/null
	tp_stat "$1" "$2" "$3"
}

# xstat NAME PORT XSTAT: from "show port xstats PORT" of NAME.
xstat() {
	tp_cmd "$1" show port xstats "$2"
	awk -v k="$3:" '$1 == k { v = $2 } END { print v + 0 }' "$TP_DIR/$1.log"
}

# check_pair VIO_PORT FE_PORT: each side's figures against the other's.
check_pair() {
	local vp=$1 fp=$2 vrx vtx frx ftx inflight
	vrx=$(stat vio RX-packets "$vp")
	vtx=$(stat vio TX-packets "$vp")
	frx=$(stat fe RX-packets "$fp")
	ftx=$(stat fe TX-packets "$fp")
	echo "net_vio port $vp: rx=$vrx tx=$vtx  virtio_user port $fp: rx=$frx tx=$ftx"
	[ "$vrx" -gt 1000 ] && [ "$vtx" -gt 1000 ] || bad "port $vp: too little traffic"
	# What the guest sent, net_vio received, but what was still in its
	# rings when both stopped (a ring of 256 per queue by default).
	inflight=$((1024 * queues))
	[ "$vrx" -le "$ftx" ] && [ $((ftx - vrx)) -le "$inflight" ] ||
		bad "virtio_user port $fp sent $ftx, net_vio port $vp received $vrx"
	[ "$frx" -le "$vtx" ] && [ $((vtx - frx)) -le "$inflight" ] ||
		bad "net_vio port $vp sent $vtx, virtio_user port $fp received $frx"
}

# Both sides forward for $secs seconds, then stop (the peer first).
forward() {
	tp_cmd vio set fwd io
	tp_cmd vio start
	tp_cmd fe set fwd io
	tp_cmd fe start tx_first
	sleep "$secs"
	tp_cmd fe stop
	sleep 0.5
	tp_cmd vio stop
}

# Every counter of vio's engine, as the X-macro of vio_engine.h names them.
engine_counters() {
	sed -n 's/^[[:space:]]*X(\([a-z_0-9]*\),.*/\1/p' "$src/lib/engine/vio_engine.h"
}

case_traffic() {
	local client=$1 sock=$run/vhost.sock vargs fargs q n name
	vargs="net_vio0,iface=$sock,queues=$queues$extra"
	fargs="net_virtio_user0,path=$sock,queues=$queues,packed_vq=$packed"
	if [ "$client" = 1 ]; then
		# vio connects (and retries) to a virtio-user that listens.
		vargs="$vargs,client=1"
		fargs="$fargs,server=1"
		tp_start vio "${vio_eal[@]}" --vdev "$vargs" -- "${tp_args[@]}" \
			--rxq="$queues" --txq="$queues" || exit 99
		tp_start fe "${fe_eal[@]}" --vdev "$fargs" -- "${tp_args[@]}" \
			--rxq="$queues" --txq="$queues" || exit 99
	else
		tp_start vio "${vio_eal[@]}" --vdev "$vargs" -- "${tp_args[@]}" \
			--rxq="$queues" --txq="$queues" || exit 99
		wait_sock "$sock" || { echo "net_vio did not listen"; cat "$run/vio.log"; exit 99; }
		tp_start fe "${fe_eal[@]}" --vdev "$fargs" -- "${tp_args[@]}" \
			--rxq="$queues" --txq="$queues" || exit 99
	fi
	forward
	check_pair 0 0
	for q in $(seq 0 $((queues - 1))); do
		n=$(xstat vio 0 "rx_q${q}_packets")
		[ "$n" -gt 0 ] || bad "net_vio rx queue $q carried no traffic"
		n=$(xstat vio 0 "tx_q${q}_packets")
		[ "$n" -gt 0 ] || bad "net_vio tx queue $q carried no traffic"
		n=$(xstat vio 0 "rx_q${q}_vio_packets")
		[ "$n" -gt 0 ] || bad "xstat rx_q${q}_vio_packets is $n"
		for name in $(engine_counters) no_room; do
			grep -q "^tx_q${q}_vio_$name: \|^tx_q${q}_$name: " "$run/vio.log" ||
				bad "xstats lack tx_q${q}_vio_$name"
		done
		for name in $(engine_counters) dropped_nonlinear; do
			grep -q "^rx_q${q}_vio_$name: \|^rx_q${q}_$name: " "$run/vio.log" ||
				bad "xstats lack rx_q${q}_vio_$name"
		done
	done
	grep -q "link state change event" "$run/vio.log" || bad "no link state change event"
	grep -q "queue state event" "$run/vio.log" || bad "no queue state event"
	# virtio_user pauses its rings around every memory table it sends again
	# (its heap grows at start): one frontend, one link up, no flapping.
	n=$(grep -c "^net_vio: net_vio0: link up" "$run/vio.log" || true)
	[ "$n" = 1 ] || bad "the link came up $n times for one frontend"
	tp_quit fe
	tp_quit vio
	[ ! -e "$sock" ] || bad "socket file $sock left behind"
}

case_two_ports() {
	local s0=$run/vhost0.sock s1=$run/vhost1.sock
	tp_start vio "${vio_eal[@]}" --vdev "net_vio0,iface=$s0" --vdev "net_vio1,iface=$s1" \
		-- "${tp_args[@]}" || exit 99
	wait_sock "$s0" && wait_sock "$s1" || { echo "net_vio did not listen"; exit 99; }
	tp_start fe "${fe_eal[@]}" --vdev "net_virtio_user0,path=$s0,packed_vq=$packed" \
		--vdev "net_virtio_user1,path=$s1,packed_vq=$packed" -- "${tp_args[@]}" || exit 99
	forward
	check_pair 0 0
	check_pair 1 1
	tp_quit fe
	tp_quit vio
	[ ! -e "$s0" ] && [ ! -e "$s1" ] || bad "socket files left behind"
}

# The local driver: a frontend port (path=S,driver=local) and the backend port
# it drives in-process (iface=S), both net_vio in one testpmd, forwarding to
# each other (io) after tx_first: the first bursts go round and round. Then
# both only receive for a moment, which empties the rings: with nothing lost
# each port has received exactly what the other sent.
case_local() {
	local s=$run/local.sock p rx0 tx0 rx1 tx1
	tp_start vio "${vio_eal[@]}" --vdev "net_vio0,iface=$s,queues=$queues" \
		--vdev "net_vio1,path=$s,driver=local,queues=$queues,packed_vq=$packed" \
		-- "${tp_args[@]}" --rxq="$queues" --txq="$queues" || exit 99
	grep -q "frontend attached in-process (driver=local)" "$run/vio.log" ||
		bad "net_vio1 did not attach to net_vio0 in-process"
	tp_cmd vio set fwd io
	tp_cmd vio start tx_first
	sleep "$secs"
	tp_cmd vio stop
	tp_cmd vio set fwd rxonly
	tp_cmd vio start
	sleep 0.3
	tp_cmd vio stop
	rx0=$(stat vio RX-packets 0)
	tx0=$(stat vio TX-packets 0)
	rx1=$(stat vio RX-packets 1)
	tx1=$(stat vio TX-packets 1)
	echo "net_vio0 (backend): rx=$rx0 tx=$tx0  net_vio1 (frontend, local): rx=$rx1 tx=$tx1"
	[ "$rx0" -gt 100000 ] && [ "$rx1" -gt 100000 ] || bad "too little traffic in $secs s"
	[ "$rx0" = "$tx1" ] || bad "net_vio1 sent $tx1, net_vio0 received $rx0"
	[ "$rx1" = "$tx0" ] || bad "net_vio0 sent $tx0, net_vio1 received $rx1"
	# Every queue pair of the frontend carried packets.
	for p in $(seq 0 $((queues - 1))); do
		[ "$(xstat vio 1 "rx_q${p}_packets")" -gt 0 ] || bad "net_vio1 rx queue $p idle"
	done
	tp_quit vio
	[ ! -e "$s" ] || bad "socket file left behind"
}

# xstats across reconnects: two frontends one after the other on one port;
# vio's counters add up over both (rx_q0_vio_packets equals the port's
# RX-packets, which ethdev counts over the port's life), "connections" says
# 2, and only `clear port xstats` sets them back to 0.
case_reconnect() {
	local sock=$run/vhost.sock round rx vrx conns
	tp_start vio "${vio_eal[@]}" --vdev "net_vio0,iface=$sock" -- "${tp_args[@]}" || exit 99
	wait_sock "$sock" || { echo "net_vio did not listen"; cat "$run/vio.log"; exit 99; }
	for round in 1 2; do
		tp_start fe "${fe_eal[@]}" --vdev "net_virtio_user0,path=$sock,packed_vq=$packed" \
			-- "${tp_args[@]}" || exit 99
		forward
		tp_quit fe
		rx=$(stat vio RX-packets 0)
		vrx=$(xstat vio 0 rx_q0_vio_packets)
		conns=$(xstat vio 0 connections)
		echo "after frontend $round: RX-packets $rx, rx_q0_vio_packets $vrx, connections $conns"
		[ "$rx" -gt 1000 ] || bad "round $round: too little traffic"
		[ "$vrx" = "$rx" ] || bad "round $round: vio counted $vrx packets, ethdev $rx"
		[ "$conns" = "$round" ] || bad "round $round: $conns connections"
	done
	tp_cmd vio clear port xstats 0
	[ "$(xstat vio 0 rx_q0_vio_packets)" = 0 ] || bad "rx_q0_vio_packets not 0 after the reset"
	[ "$(xstat vio 0 connections)" = 0 ] || bad "connections not 0 after the reset"
	tp_quit vio
}

case_unplug() {
	local s0=$run/vhost0.sock s1=$run/vhost1.sock n
	tp_start vio "${vio_eal[@]}" --vdev "net_vio0,iface=$s0" --vdev "net_vio1,iface=$s1" \
		-- "${tp_args[@]}" || exit 99
	wait_sock "$s0" && wait_sock "$s1" || { echo "net_vio did not listen"; exit 99; }
	tp_start fe "${fe_eal[@]}" --vdev "net_virtio_user0,path=$s0,packed_vq=$packed" \
		--vdev "net_virtio_user1,path=$s1,packed_vq=$packed" -- "${tp_args[@]}" || exit 99
	tp_cmd vio set fwd io
	tp_cmd vio start
	tp_cmd fe set fwd io
	tp_cmd fe start tx_first
	sleep 1
	# The frontend stays connected and keeps sending while the ports go.
	tp_cmd vio stop
	tp_cmd vio port stop 0
	tp_cmd vio port detach 0
	[ ! -e "$s0" ] || bad "detached port 0 left $s0"
	grep -q "Device .*net_vio0.* is detached\|Port 0 is detached\|is detached" "$run/vio.log" ||
		bad "port 0 not detached"
	tp_cmd vio port stop 1
	tp_cmd vio port close 1
	[ ! -e "$s1" ] || bad "closed port 1 left $s1"
	# testpmd and its peer live on; a port attached again listens again.
	tp_cmd vio port attach "net_vio0,iface=$s0"
	wait_sock "$s0" || bad "attached port does not listen on $s0"
	tp_cmd vio show port summary all
	grep -q "net_vio0" "$run/vio.log" || bad "attached port missing"
	tp_cmd fe stop
	n=$(stat fe TX-packets 0)
	[ "$n" -gt 0 ] || bad "no traffic before the unplug"
	tp_quit fe
	tp_quit vio
	[ ! -e "$s0" ] || bad "socket file $s0 left at exit"
	grep -qi "segmentation\|panic" "$run/vio.log" && bad "net_vio testpmd crashed"
	return 0
}

# expect_refused DEVARGS MESSAGE: the port is not created, the log names the argument.
expect_refused() {
	local log=$run/bad.log
	# EAL goes on without the device; testpmd -i quits at the end of its input.
	timeout 30 dpdk-testpmd "${vio_eal[@]}" --vdev "net_vio0,$1" -- -i --total-num-mbufs=2048 \
		>"$log" 2>&1 </dev/null || true
	if ! grep -qF -- "$2" "$log"; then
		bad "net_vio0,$1: no error naming \"$2\""
		tail -n 5 "$log"
	elif grep -q "net_vio: net_vio0: port [0-9]" "$log"; then
		bad "net_vio0,$1: the port was created"
	else
		echo "refused as expected: net_vio0,$1 -> $(grep -F -- "$2" "$log" | head -n 1)"
	fi
}

case_bad_args() {
	local s=$run/bad.sock
	expect_refused "iface=$s,driver=bogus" "driver=bogus"
	# The handoff (driver=kernel|vdpa with iface=): its keys, and what it cannot do.
	expect_refused "iface=$s,driver=vdpa" "driver=vdpa with iface=: device=/dev/vhost-vdpa-N is needed"
	expect_refused "iface=$s,driver=vdpa,device=/dev/vhost-vdpa-0,tap=t0" \
		"tap=t0: the TAP of driver=kernel, not a key of driver=vdpa"
	expect_refused "iface=$s,driver=kernel,iommu-support=1" "iommu-support=1 with driver=kernel"
	expect_refused "iface=$s,tap=t0" "tap=t0: a key of driver=kernel or driver=vdpa"
	expect_refused "iface=$s,driver=kernel,tap=a/b" "tap=a/b: an interface name"
	expect_refused "path=$s,device=/dev/vhost-net" "device: a key of backend ports"
	expect_refused "iface=$s,queues=0" "queues=0"
	expect_refused "iface=$s,queues=17" "queues=17"
	expect_refused "iface=$s,bogus-key=1" "\"bogus-key\""
	expect_refused "iface=$s,postcopy-support=1" "postcopy-support=1"
	expect_refused "iface=$s,ext-buffer=1" "ext-buffer=1"
	expect_refused "iface=$s,legacy-ol-flags=1" "legacy-ol-flags=1"
	expect_refused "iface=$s,tso=2" "tso=2"
	expect_refused "queues=1" "iface="
	# Frontend ports (path=): the keys of the other role, values out of
	# range, what vio's frontend does not do yet, and no backend at the path.
	expect_refused "path=$s,tso=1" "tso: a key of backend ports"
	expect_refused "iface=$s,server=1" "server: a key of frontend ports"
	expect_refused "path=$s,iface=tap0" "iface=tap0 beside path="
	expect_refused "iface=$s,driver=remote" "driver=remote with iface="
	expect_refused "path=$s,driver=local,server=1" "driver=local with server=1"
	expect_refused "path=$s,driver=kernel,server=1" "driver=kernel with server=1"
	expect_refused "path=/dev/null" "neither vhost-net nor vhost-vdpa-N"
	expect_refused "path=$s,driver=vdpa,iface=tap0" "not a key of driver=vdpa"
	expect_refused "path=$s,driver=local" "no vhost-user socket of this process is registered there"
	expect_refused "path=$s,packed_vq=2" "packed_vq=2"
	expect_refused "path=$s,queue_size=100" "queue_size=100"
	expect_refused "path=$s,mac=02:00:00:00:00" "mac=02:00:00:00:00"
	expect_refused "path=$s,mac=01:00:00:00:00:01" "mac=01:00:00:00:00:01: a multicast"
	expect_refused "path=$s,speed=0" "speed=0"
	expect_refused "path=$s" "path=$s: no backend"
	[ ! -e "$s" ] || bad "a refused port left $s"
}

case "$case_name" in
traffic) case_traffic 0 ;;
client) case_traffic 1 ;;
two-ports) case_two_ports ;;
local) case_local ;;
reconnect) case_reconnect ;;
unplug) case_unplug ;;
bad-args) case_bad_args ;;
*) echo "unknown case $case_name"; exit 99 ;;
esac

if [ "$fail" = 0 ]; then
	echo "PASS: $case_name (ring=$ring queues=$queues$extra)"
else
	echo "--- net_vio testpmd, last lines:"
	tail -n 30 "$run/vio.log" 2>/dev/null || true
fi
exit "$fail"
