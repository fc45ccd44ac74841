#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# net_vio as a frontend port (path=, the device arguments of DPDK's
# net_virtio_user) in stock dpdk-testpmd (loaded with -d), driving a
# vhost-user backend in another stock testpmd: DPDK's own net_vhost, or
# vio's own backend port (net_vio iface=). Traffic goes both ways, in two
# phases, and the counts of both sides must agree exactly:
#   1. vio sends: the frontend in txonly, the backend in rxonly;
#   2. vio receives: the backend in txonly, the frontend in rxonly.
# The sender is stopped first and the receiver 0.3 s later (a polling
# receiver empties a ring in microseconds), so every packet the sender
# counted has been taken off the ring when the receiver stops. With --queues N every queue must carry packets in both phases.
#
# With --restarts N the backend is then killed (SIGKILL) N times while the
# frontend is sending, and started again: each time the frontend must give
# the new backend its rings within 5 s (the time it took is printed), the
# chains the dead backend had taken and not completed must come to the new
# one (at most one ring's worth per queue), both phases must again count
# exactly, and the frontend must hold as many fds at the end as before.
#
#   net-vio-frontend.sh PMD_SO [--backend vhost|vio] [--queues N]
#                       [--mrg 0|1] [--size BYTES] [--server] [--seconds S]
#                       [--restarts N] [--packed] [--in-order] [--tso]
#
#   --backend  vhost: net_vhost (default); vio: net_vio iface= (vio's engine)
#   --packed   packed_vq=1: the frontend must negotiate packed rings
#   --tso      the backend's tso=1: the frontend must show Tx TCP_TSO
#   --in-order in_order=1: the frontend must negotiate VIRTIO_F_IN_ORDER; on
#              packed rings against net_vhost some buffers must come back
#              with the used entry of a later one (xstats tx_qN_vio_batched)
#
# Always: the offloads both backends offer must be negotiated (CSUM,
# GUEST_CSUM) and shown as the port's capabilities (Rx and Tx TCP_CKSUM and
# UDP_CKSUM; TCP_TSO with --tso only, TCP_LRO never), and so must
# VIRTIO_F_RING_INDIRECT_DESC: with --size above 2000 (frames of 2 or 3
# segments) every chain the frontend sends must go through an indirect
# table (xstats tx_qN_vio_indirect).
#   --server   the frontend listens (server=1) and the backend connects
#              (client=1); otherwise the backend listens
#   --size     txonly frame length (default 64; above 2000 bytes the frames
#              are chained mbufs of 2000-byte segments on the sending side,
#              and take several buffers of the receiving side)
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd), 99 set-up error.
set -euo pipefail

pmd=$(realpath "$1")
shift
backend=vhost queues=1 mrg=1 size=64 server=0 secs=1 restarts=0 packed=0 in_order=0 tso=0
while [ $# -gt 0 ]; do
	case "$1" in
	--backend) backend=$2; shift ;;
	--queues) queues=$2; shift ;;
	--mrg) mrg=$2; shift ;;
	--size) size=$2; shift ;;
	--seconds) secs=$2; shift ;;
	--server) server=1 ;;
	--packed) packed=1 ;;
	--in-order) in_order=1 ;;
	--tso) tso=1 ;;
	--restarts) restarts=$2; shift ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift
done
case "$backend" in vhost | vio) ;; *) echo "--backend vhost|vio"; exit 99 ;; esac

src=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-$(cd "$src/../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
[ -f "$pmd" ] || { echo "no PMD at $pmd"; exit 99; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-net-fe.XXXXXX)
export TP_DIR=$run
sock=$run/vhost.sock
stage_tool=$src/devtools/stage-pmd.sh
cleanup() {
	tp_kill_all 2>/dev/null || true
	if [ -n "${KEEP_RUN:-}" ]; then echo "kept $run"; else rm -rf "$run"; fi
	"$stage_tool" --clean "$pmd" || true
}
trap cleanup EXIT
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
pmd=$("$stage_tool" "$pmd") || exit 99

fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

# The backend forwards on lcore 0, the frontend on lcore 1. Both in memfd
# memory (--no-huge): the frontend shares it with the backend by fd. The
# backend logs no vhost-user message: its vhost thread would print them in
# the middle of testpmd's prompt, which testpmd-lib.sh counts.
eal=(--no-huge -m 512 --no-pci --no-shconf)
# txonly frames above one mbuf go as segments of at most 2000 bytes (testpmd
# ignores a --txpkts segment longer than its mbufs and sends 64 bytes).
txpkts=$size
if [ "$size" -gt 2000 ]; then
	txpkts=2000 rest=$((size - 2000))
	while [ "$rest" -gt 2000 ]; do txpkts=$txpkts,2000 rest=$((rest - 2000)); done
	txpkts=$txpkts,$rest
fi
tp=(-i --disable-link-check --total-num-mbufs=16384 --nb-cores=1 --rxq="$queues"
	--txq="$queues" --txpkts="$txpkts")
if [ "$backend" = vhost ]; then
	be_dev="net_vhost0,iface=$sock,queues=$queues"
	[ "$server" = 1 ] && be_dev="$be_dev,client=1"
	[ "$tso" = 1 ] && be_dev="$be_dev,tso=1"
	be_eal=(-l 0,1 --main-lcore 1 "${eal[@]}" --vdev "$be_dev" --log-level 'lib.vhost.*:notice')
else
	be_dev="net_vio0,iface=$sock,queues=$queues"
	[ "$server" = 1 ] && be_dev="$be_dev,client=1"
	[ "$tso" = 1 ] && be_dev="$be_dev,tso=1"
	be_eal=(-l 0,1 --main-lcore 1 "${eal[@]}" -d "$pmd" --vdev "$be_dev"
		--log-level 'lib.vio.*:notice' --log-level 'pmd.net.vio:notice')
fi
fe_dev="net_vio1,path=$sock,queues=$queues,mrg_rxbuf=$mrg,queue_size=256"
[ "$server" = 1 ] && fe_dev="$fe_dev,server=1"
[ "$packed" = 1 ] && fe_dev="$fe_dev,packed_vq=1"
[ "$in_order" = 1 ] && fe_dev="$fe_dev,in_order=1"
fe_eal=(-l 0,1 --main-lcore 0 "${eal[@]}" -d "$pmd" --vdev "$fe_dev"
	--log-level 'pmd.net.vio:info' --log-level 'lib.vio.*:info')

echo "backend: $be_dev; frontend: $fe_dev; ${size}-byte frames"
start_be() {
	tp_start be "${be_eal[@]}" -- "${tp[@]}" || { echo "the backend did not start"; exit 99; }
}
# FE_PRELOAD: LD_PRELOAD for the frontend's testpmd only (a sanitizer's
# runtime, to load an ASan build of the PMD into stock testpmd).
start_fe() {
	LD_PRELOAD=${FE_PRELOAD:-${LD_PRELOAD:-}} tp_start fe "${fe_eal[@]}" -- "${tp[@]}" ||
		{ echo "the frontend did not start"; exit 99; }
}
if [ "$server" = 1 ]; then
	# The frontend listens and waits in its probe: start it, then the backend.
	tp_start_bg() {
		LD_PRELOAD=${FE_PRELOAD:-${LD_PRELOAD:-}} TP_WAIT=90 tp_start fe "${fe_eal[@]}" -- "${tp[@]}"
	}
	tp_start_bg &
	fe_starter=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || { echo "the frontend does not listen on $sock"; cat "$run/fe.log"; exit 99; }
	start_be
	wait "$fe_starter" || { echo "the frontend did not start"; exit 99; }
else
	start_be
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || { echo "the backend does not listen on $sock"; exit 99; }
	start_fe
fi

# One phase: SENDER in txonly, RECEIVER in rxonly; stop the sender, then the receiver.
phase() {
	local snd=$1 rcv=$2 q s r
	tp_cmd "$rcv" "set fwd rxonly"
	tp_cmd "$snd" "set fwd txonly"
	tp_cmd "$rcv" "clear port stats all"
	tp_cmd "$snd" "clear port stats all"
	tp_cmd "$rcv" start
	tp_cmd "$snd" start
	sleep "$secs"
	tp_cmd "$snd" stop
	sleep 0.3
	tp_cmd "$rcv" stop
	tp_cmd "$snd" "show port stats 0"
	tp_cmd "$rcv" "show port stats 0"
	s=$(tp_stat "$snd" TX-packets 0)
	r=$(tp_stat "$rcv" RX-packets 0)
	sb=$(tp_stat "$snd" TX-bytes 0)
	rb=$(tp_stat "$rcv" RX-bytes 0)
	echo "$snd -> $rcv: $snd sent $s ($sb bytes), $rcv received $r ($rb bytes)"
	grep -q "packet len=$size " "$run/$snd.log" ||
		bad "$snd: testpmd did not send $size-byte frames ($(grep -m1 'packet len=' "$run/$snd.log"))"
	[ "$sb" = $((s * size)) ] || bad "$snd -> $rcv: $sb bytes sent, not $s frames of $size"
	[ "$sb" = "$rb" ] || bad "$snd -> $rcv: $sb bytes sent, $rb received"
	[ "$s" -gt 1000 ] || bad "$snd -> $rcv: only $s packets sent"
	[ "$s" = "$r" ] || bad "$snd -> $rcv: $s sent, $r received"
	# The frontend's own queue counters (xstats of its lib/vnet queues) agree.
	local dir=rx
	[ "$snd" = fe ] && dir=tx
	tp_cmd fe "show port xstats 0"
	x=$(awk -v d="$dir" '$1 ~ "^" d "_q[0-9]+_vio_packets:$" { v[$1] = $2 }
		END { for (k in v) t += v[k]; print t + 0 }' "$run/fe.log")
	echo "  fe xstats: ${dir}_qN_vio_packets sum to $x"
	if [ "$dir" = tx ]; then [ "$x" = "$s" ] || bad "fe xstats: $x packets posted, $s sent"; fi
	if [ "$dir" = tx ]; then
		ind=$(awk '$1 ~ "^tx_q[0-9]+_vio_indirect:$" { v[$1] = $2 }
			END { for (k in v) t += v[k]; print t + 0 }' "$run/fe.log")
		echo "  fe xstats: tx_qN_vio_indirect sum to $ind"
		if [ "$size" -gt 2000 ]; then
			[ "$ind" = "$s" ] || bad "fe: $ind of $s chained frames through indirect tables"
		else
			[ "$ind" = 0 ] || bad "fe: $ind single-segment frames through indirect tables"
		fi
	fi
	if [ "$dir" = tx ] && [ "$in_order" = 1 ]; then
		batched=$(awk '$1 ~ "^tx_q[0-9]+_vio_batched:$" { v[$1] = $2 }
			END { for (k in v) t += v[k]; print t + 0 }' "$run/fe.log")
		echo "  fe xstats: tx_qN_vio_batched sum to $batched"
		if [ "$packed" = 1 ] && [ "$backend" = vhost ] && [ "$batched" = 0 ]; then
			bad "in order on packed rings: net_vhost returned no batch"
		fi
	fi
	if [ "$dir" = rx ]; then [ "$x" = "$r" ] || bad "fe xstats: $x packets taken, $r received"; fi
	if [ "$queues" -gt 1 ]; then
		for q in $(seq 0 $((queues - 1))); do
			n=$(tp_qstat "$rcv" 0 "$q" RX-packets)
			echo "  $rcv queue $q: $n received"
			[ "$n" -gt 0 ] || bad "$snd -> $rcv: queue $q carried nothing"
		done
	fi
}

# The ring layout asked for is the one negotiated (VIRTIO_F_RING_PACKED, bit 34).
neg=$(sed -n 's/.*features 0x\([0-9a-f]*\) negotiated of.*/\1/p' "$run/fe.log" | head -n 1)
if [ -z "$neg" ]; then
	bad "the frontend logged no negotiated features"
elif [ $(((0x$neg >> 34) & 1)) != "$packed" ]; then
	bad "features 0x$neg negotiated: RING_PACKED is not $packed"
elif [ $(((0x$neg >> 35) & 1)) != "$in_order" ]; then
	bad "features 0x$neg negotiated: IN_ORDER is not $in_order"
elif [ $((0x$neg & 3)) != 3 ]; then
	bad "features 0x$neg negotiated: no CSUM and GUEST_CSUM"
elif [ $(((0x$neg >> 28) & 1)) != 1 ]; then
	bad "features 0x$neg negotiated: no RING_INDIRECT_DESC"
fi
# The capabilities are what was negotiated.
for dir in rx tx; do
	tp_cmd fe "show port 0 ${dir}_offload capabilities"
	caps=$(grep -A3 "$(echo "$dir" | sed 's/^./\U&/') Offloading Capabilities of port 0" "$run/fe.log" |
		grep "Per Port" | tail -n 1)
	echo "fe $dir capabilities: $caps"
	case "$caps" in *TCP_CKSUM*UDP_CKSUM* | *UDP_CKSUM*TCP_CKSUM*) ;;
	*) bad "fe $dir capabilities lack TCP_CKSUM and UDP_CKSUM: $caps" ;; esac
	case "$caps" in *TCP_LRO*) bad "fe $dir capabilities: LRO, never negotiated: $caps" ;; esac
	if [ "$dir" = tx ]; then
		case "$caps" in
		*TCP_TSO*) [ "$tso" = 1 ] || bad "fe tx capabilities: TCP_TSO not negotiated: $caps" ;;
		*) [ "$tso" = 0 ] || bad "fe tx capabilities: no TCP_TSO with the backend's tso=1: $caps" ;;
		esac
	fi
done

phase fe be
phase be fe

# The restarts: kill the backend while the frontend sends, start it again.
given_back() { grep -c "rings given back" "$run/fe.log" || true; }
fe_fds() { ls "/proc/$(cat "$run/fe.testpmd-pid")/fd" | wc -l; }
fds_before=$(fe_fds)
for round in $(seq "$restarts"); do
	tp_cmd fe "set fwd txonly"
	tp_cmd fe start
	sleep 0.3
	kill -KILL "$(cat "$run/be.testpmd-pid")"
	wait "$(cat "$run/be.testpmd-pid")" 2>/dev/null || true
	rm -f "$run/be.testpmd-pid" "$run/be.in"
	# A server's socket file outlives it; net_vhost does not replace a stale one.
	[ "$server" = 1 ] || rm -f "$sock"
	before=$(given_back)
	t0=$(date +%s%N)
	start_be
	for _ in $(seq 50); do [ "$(given_back)" -gt "$before" ] && break; sleep 0.1; done
	ms=$((($(date +%s%N) - t0) / 1000000))
	# testpmd prints the link-up event right after: not in the middle of a prompt.
	sleep 0.2
	tp_cmd fe stop
	if [ "$(given_back)" -le "$before" ]; then
		bad "restart $round: the frontend did not give the new backend its rings in 5 s"
		break
	fi
	# What the dead backend had taken and not completed comes to the new one.
	tp_cmd be "set fwd rxonly"
	tp_cmd be start
	sleep 0.5
	tp_cmd be stop
	tp_cmd be "show port stats 0"
	stale=$(tp_stat be RX-packets 0)
	echo "restart $round: rings given back $ms ms after the backend started;" \
		"$stale chains offered again"
	[ "$stale" -le $((queues * 256)) ] ||
		bad "restart $round: $stale chains came again, more than the rings hold"
	phase fe be
	phase be fe
	[ "$fail" = 0 ] || break
done
if [ "$restarts" -gt 0 ]; then
	fds_after=$(fe_fds)
	echo "frontend fds: $fds_before before the restarts, $fds_after after"
	[ "$fds_after" = "$fds_before" ] || bad "the frontend holds $fds_after fds, $fds_before before"
fi
grep -E "negotiated|queue pair|memory table" "$run/fe.log" | sed 's/^/fe: /' || true
tp_quit fe
tp_quit be
if grep -E "ERR|broken|bad used" "$run/fe.log" | grep -v "^EAL" | grep -qv "Invalid"; then
	grep -E "ERR|broken|bad used" "$run/fe.log" | head -5
	bad "the frontend logged errors"
fi
if [ "$fail" -ne 0 ]; then
	echo "--- frontend log"; tail -n 30 "$run/fe.log"
	echo "--- backend log"; tail -n 30 "$run/be.log"
	exit 1
fi
echo PASS
