#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two Linux guests under QEMU (TCG) talk through a switch on the host that
# has two vhost-user ports, one per guest: real TCP and UDP, checked by hash
# and byte by byte. Guest A is 192.0.2.1, guest B 192.0.2.2 (RFC 5737; the
# addresses never leave the guests). In one boot of the two guests:
#   1. tcp: each guest serves a 2 MiB random file with busybox httpd and
#      fetches the other's with busybox wget (with --queues N, N flows at once,
#      each pinned to its own vCPU); the host compares the SHA-256 of every
#      fetched copy with the original's, so data moves both ways;
#   2. udp: each guest sends the other numbered datagrams of 4000 bytes (IP
#      fragments at MTU 1500) and of 1400 bytes (one frame each), paced, from
#      every vCPU (so every queue pair carries them); udp-frag at the receiver
#      checks every byte and that each came exactly once;
#   3. mtu9000: both guests set eth0's MTU to 9000 and ping each other with
#      8972 bytes (a 9000-byte packet: no fragment may be made or
#      reassembled, /proc/net/snmp says so) and send 8900-byte datagrams.
# The phases are separated by barriers that need ICMP only (each guest adds
# an address of its own and pings the other's), so a broken TCP or UDP path
# delays the run by its own timeouts and no more.
#
#   switch.sh UDP_FRAG --switch testpmd-vio|testpmd-vhost|vio-fwd [--pmd SO]
#             [--fwd VIO_FWD] [--ring split|packed] [--mrg on|off] [--tso 0|1]
#             [--queues N] [--offload] [--no-jumbo] [GUEST-RUN-OPTION...]
#
#   UDP_FRAG     test/guest/udp_frag.c built (copied into both guests)
#   --switch     testpmd-vio: stock dpdk-testpmd, io forwarding between two
#                net_vio ports (vio's PMD, loaded with -d from --pmd);
#                testpmd-vhost: the same with DPDK's own net_vhost (the
#                control: it proves the harness); vio-fwd: vio's forwarding
#                app (--fwd) in io mode between two net_vio ports, paired
#   --pmd SO     librte_net_vio.so (testpmd-vio, vio-fwd)
#   --fwd EXE    vio-fwd (vio-fwd)
#   --ring       split (default) or packed virtqueues
#   --mrg        on (default) or off: QEMU's virtio-net-pci mrg_rxbuf
#   --tso        the ports' tso= devarg (0 default): 1 offers HOST_TSO4/6, so
#                the guests send 64 KiB GSO packets that the switch's port
#                segments (testpmd enables no Rx offload)
#   --queues N   N queue pairs per guest (the guests get N vCPUs)
#   --offload    vio-fwd --offload (partial checksums and GSO go from port to
#                port unfinished)
#   --no-jumbo   skip check 3
#   anything else goes to both guest-run.sh calls
#
# Pass: every fetched copy has the original's size and hash, every datagram
# arrived once and intact, all jumbo pings answered without fragments, the
# guests negotiated what was asked (RING_PACKED, MRG_RXBUF, HOST_TSO4, MQ),
# every queue of both switch ports carried packets (testpmd), with --tso 1
# the TCP packets the receiver got were whole GSO packets (--offload: more
# than 3000 bytes on average) or segments (otherwise: one frame of at most
# 1514 bytes on average), and the switch ran to the end. Prints what each check moved, then the switch's statistics.
# Env: PEERS, the shared peers folder (default: ../../../shared/peers from
# here); KEEP_RUN=1 keeps the run directory.
# Exit 0 pass, 1 fail, 77 skip (no peers folder or no dpdk-testpmd, or QEMU
# missing and not root), 99 set-up error (also: a guest never reported back).
# Time: 15-25 s when everything passes; a dead TCP path adds its 40 s timeout.
set -euo pipefail

start=$(date +%s.%N)
udp_frag=${1:?usage: switch.sh UDP_FRAG --switch KIND [--pmd SO] [--fwd VIO_FWD] [...]}
shift
kind='' pmd_so='' fwd_bin='' ring=split mrg=on tso=0 queues=1 offload=0 jumbo=1
guest_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--switch) kind=${2:?--switch needs a value}; shift ;;
	--pmd) pmd_so=${2:?--pmd needs a value}; shift ;;
	--fwd) fwd_bin=${2:?--fwd needs a value}; shift ;;
	--ring) ring=${2:?--ring needs a value}; shift ;;
	--mrg) mrg=${2:?--mrg needs a value}; shift ;;
	--tso) tso=${2:?--tso needs a value}; shift ;;
	--queues) queues=${2:?--queues needs a value}; shift ;;
	--offload) offload=1 ;;
	--no-jumbo) jumbo=0 ;;
	*) guest_args+=("$1") ;;
	esac
	shift
done
case "$kind" in
testpmd-vio | testpmd-vhost | vio-fwd) ;;
*) echo "--switch testpmd-vio|testpmd-vhost|vio-fwd, not '$kind'"; exit 99 ;;
esac
case "$ring" in split) ;; packed) guest_args+=(--packed) ;; *) echo "--ring split|packed"; exit 99 ;; esac
case "$mrg" in
on) ;;
off) guest_args+=(--qemu-arg -global --qemu-arg virtio-net-pci.mrg_rxbuf=off) ;;
*) echo "--mrg on|off"; exit 99 ;;
esac
case "$tso" in 0 | 1) ;; *) echo "--tso 0|1"; exit 99 ;; esac
case "$queues" in [1-8]) ;; *) echo "--queues 1 to 8"; exit 99 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$(cd "$here/../../.." && pwd)/shared/peers}
[ -x "$PEERS/guest-run.sh" ] || { echo "no peers folder at $PEERS"; exit 77; }
if ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" != 0 ]; then
	echo "qemu-system-x86_64 missing; run $PEERS/setup.sh (root)"
	exit 77
fi
[ -x "$udp_frag" ] || { echo "no udp-frag binary at $udp_frag"; exit 99; }
udp_frag=$(realpath "$udp_frag")
[ "$kind" = vio-fwd ] || command -v dpdk-testpmd >/dev/null ||
	{ echo "dpdk-testpmd not installed"; exit 77; }
[ "$kind" = testpmd-vhost ] || [ -f "$pmd_so" ] || { echo "--pmd: no PMD at '$pmd_so'"; exit 99; }
[ "$kind" != vio-fwd ] || [ -x "$fwd_bin" ] || { echo "--fwd: no vio-fwd at '$fwd_bin'"; exit 99; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"
# shellcheck source=test/peers/app-lib.sh
. "$here/../peers/app-lib.sh"

run=$(mktemp -d /tmp/vio-switch.XXXXXX)
export TP_DIR=$run
sock_a=$run/a.sock sock_b=$run/b.sock
fwd_log=$run/fwd.log
fwd_pid='' ga_pid='' gb_pid='' staged=''
stage_tool=$here/../../devtools/stage-pmd.sh
cleanup() {
	local p
	for p in $ga_pid $gb_pid; do kill -TERM "$p" 2>/dev/null || true; done
	for p in $ga_pid $gb_pid; do wait "$p" 2>/dev/null || true; done
	tp_kill_all 2>/dev/null || true
	if [ -n "$fwd_pid" ]; then kill -9 "$fwd_pid" 2>/dev/null || true; fi
	[ -z "$staged" ] || "$stage_tool" --clean "$staged" || true
	if [ -n "${KEEP_RUN:-}" ]; then echo "kept $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 99' INT TERM
elapsed() { awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. The switch: two vhost-user server ports on lcore 1 (a whole core, busy
#    polling), the main lcore 0 shares the other core with the guests.
#    DPDK's -d refuses a PMD below a world-writable directory: stage it.
if [ "$kind" != testpmd-vhost ]; then
	staged=$("$stage_tool" "$pmd_so") || exit 99
fi
pdrv=net_vio
[ "$kind" = testpmd-vhost ] && pdrv=net_vhost
dev_a="${pdrv}0,iface=$sock_a,queues=$queues"
dev_b="${pdrv}1,iface=$sock_b,queues=$queues"
if [ "$tso" = 1 ]; then dev_a="$dev_a,tso=1" dev_b="$dev_b,tso=1"; fi
eal=(-l 0-1 --main-lcore 0 --no-huge -m 1024 --no-pci --no-shconf)
[ -z "$staged" ] || eal+=(-d "$staged")
if [ "$kind" = vio-fwd ]; then
	fwd_args=(--fwd io --queues "$queues" --stats-period 10)
	[ "$offload" = 0 ] || fwd_args+=(--offload)
	"$fwd_bin" "${eal[@]}" --log-level 'lib.vio.*:info' --vdev "$dev_a" --vdev "$dev_b" \
		-- "${fwd_args[@]}" >"$fwd_log" 2>&1 &
	fwd_pid=$!
	fwd_wait_sock "$sock_b" "$fwd_pid" "$fwd_log" || exit 99
else
	# -i with --forward-mode=io; mbufs are chained for frames over 2 KiB
	# (both PMDs do), so jumbo frames need no larger mbuf.
	tp_start sw "${eal[@]}" --log-level 'pmd.net.vio:info' --log-level 'lib.vio.*:info' \
		--vdev "$dev_a" --vdev "$dev_b" -- -i --forward-mode=io --rxq="$queues" \
		--txq="$queues" --nb-cores=1 --total-num-mbufs=32768 ||
		{ echo "the switch did not start"; exit 99; }
	for s in "$sock_a" "$sock_b"; do
		for _ in $(seq 50); do [ -S "$s" ] && break; sleep 0.1; done
		[ -S "$s" ] || { echo "the switch does not listen on $s"; cat "$run/sw.log"; exit 99; }
	done
	tp_cmd sw start
fi
echo "switch $kind: ports $dev_a and $dev_b ($(elapsed) s)"

# 2. The guests. One script for both; ID and PEER_ID pick the addresses.
cat >"$run/guest.sh" <<'EOF'
SELF=192.0.2.$ID
PEER=192.0.2.$PEER_ID
rc=0
check() {   # check NAME ok|FAIL TEXT...
	n=$1 s=$2
	shift 2
	echo "CHECK $n $s: $*"
	[ "$s" = ok ] || rc=1
}
up() { awk '{ print $1 }' /proc/uptime; }
since() { awk -v a="$1" -v b="$(up)" 'BEGIN { printf "%.1f", b - a }'; }
# snmp FIELD: a figure of the Ip: line of /proc/net/snmp
snmp() {
	awk -v f="$1" '$1 == "Ip:" { if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1 } else print $c[f] }' \
		/proc/net/snmp
}
# barrier K SECONDS: add 192.0.2.(10K+ID); wait until the peer's own answers a ping
barrier() {
	ip addr add "192.0.2.$(($1 * 10 + ID))/32" dev eth0
	b=192.0.2.$(($1 * 10 + PEER_ID))
	t0=$(up)
	while ! ping -c 1 -W 1 "$b" >/dev/null 2>&1; do
		if [ "$(awk -v a="$t0" -v b="$(up)" -v l="$2" 'BEGIN { print (b - a > l) }')" = 1 ]; then
			check "barrier$1" FAIL "$b did not answer for $2 s"
			return 1
		fi
	done
	echo "barrier $1: $b answers after $(since "$t0") s"
}
# reap PID...: wait up to 15 s for the receivers, then SIGTERM (they print what came)
reap() {
	i=0
	for p in "$@"; do
		while kill -0 "$p" 2>/dev/null && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
		kill -TERM "$p" 2>/dev/null
		wait "$p"
	done
}
eth_stats() {
	s=/sys/class/net/eth0/statistics
	tp=$(cat $s/tx_packets) tb=$(cat $s/tx_bytes) rp=$(cat $s/rx_packets) rb=$(cat $s/rx_bytes)
	echo "eth0 $1: tx_packets=$tp tx_bytes=$tb (avg $((tb / (tp + 1)))) rx_packets=$rp" \
		"rx_bytes=$rb (avg $((rb / (rp + 1)))) rx_dropped=$(cat $s/rx_dropped)" \
		"rx_errors=$(cat $s/rx_errors) tx_errors=$(cat $s/tx_errors)"
	for q in /sys/class/net/eth0/queues/*; do
		[ -f "$q/tx_timeout" ] && [ "$(cat "$q/tx_timeout")" != 0 ] && echo "$q: tx_timeout $(cat "$q/tx_timeout")"
	done
	echo "udp $1: $(awk '$1 == "Udp:" { l = l $0 " | " } END { print l }' /proc/net/snmp)"
}

modprobe virtio_net
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/class/net/eth0 ] || { echo "no eth0"; exit 99; }
for d in /sys/bus/virtio/devices/virtio*; do echo "$d features: $(cat "$d/features")"; done
f=$(cat /sys/class/net/eth0/device/features)   # one character per feature bit, bit 0 first
bit() { echo "$f" | cut -c$(($1 + 1)); }
echo "FEATURES CSUM=$(bit 0) GUEST_CSUM=$(bit 1) MTU=$(bit 3) GUEST_TSO4=$(bit 7)" \
	"GUEST_TSO6=$(bit 8) HOST_TSO4=$(bit 11) HOST_TSO6=$(bit 12) MRG_RXBUF=$(bit 15)" \
	"MQ=$(bit 22) EVENT_IDX=$(bit 29) VERSION_1=$(bit 32) RING_PACKED=$(bit 34)" \
	"queues=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"
ip link set eth0 up
ip addr add "$SELF/24" dev eth0
i=0
while [ "$(cat /sys/class/net/eth0/carrier)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

mkdir -p /www
dd if=/dev/urandom of=/www/data.bin bs=1024 count=2048 2>/dev/null
echo "SERVED size=$(stat -c %s /www/data.bin) sha256=$(sha256sum /www/data.bin | cut -d' ' -f1)"
httpd -p 80 -h /www
barrier 1 60 || true

# 1. tcp: every flow fetches the whole file, flow q pinned to vCPU q.
eth_stats before-tcp
rp0=$(cat /sys/class/net/eth0/statistics/rx_packets) rb0=$(cat /sys/class/net/eth0/statistics/rx_bytes)
t0=$(up)
for q in $(seq 0 $((QUEUES - 1))); do
	(
		taskset -c "$q" timeout "$TCP_TIMEOUT" wget -q -O "/tmp/fetch$q.bin" "http://$PEER/data.bin"
		echo $? >"/tmp/fetch$q.rc"
	) &
done
wait
for q in $(seq 0 $((QUEUES - 1))); do
	sz=$(stat -c %s "/tmp/fetch$q.bin" 2>/dev/null || echo 0)
	echo "FETCHED flow=$q size=$sz sha256=$(sha256sum "/tmp/fetch$q.bin" 2>/dev/null |
		cut -d' ' -f1) wget=$(cat "/tmp/fetch$q.rc") seconds=$(since "$t0")"
	rm -f "/tmp/fetch$q.bin"
done
eth_stats after-tcp
# What the receiving side was handed during the TCP phase: with tso=1 the
# sender's 64 KiB GSO packets reach this guest whole when the switch carries
# them unfinished (vio-fwd --offload), as segments of at most one MTU
# frame when the switch's port segments them (testpmd, vio-fwd plain).
rp1=$(cat /sys/class/net/eth0/statistics/rx_packets) rb1=$(cat /sys/class/net/eth0/statistics/rx_bytes)
avg=$(((rb1 - rb0) / (rp1 - rp0 + 1)))
case "$TCP_RX" in
whole) if [ "$avg" -gt 3000 ]; then s=ok; else s=FAIL; fi ;;
segments) if [ "$avg" -le 1514 ]; then s=ok; else s=FAIL; fi ;;
*) s=ok ;;
esac
check tcp-rx-$TCP_RX "$s" "received $((rp1 - rp0)) packets of $avg bytes on average during tcp"

# 2. udp: receivers first, then the barrier, then the senders (one per vCPU).
pids=
for q in $(seq 0 $((QUEUES - 1))); do
	"$UDP_FRAG" recv $((5000 + q)) "$UDP_COUNT" 4000,1400 120 5 >"/tmp/udp-recv$q.log" 2>&1 &
	pids="$pids $!"
	i=0
	while ! grep -q ready "/tmp/udp-recv$q.log" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
done
fc=$(snmp FragCreates) fo=$(snmp FragOKs) rr=$(snmp ReasmReqds) ro=$(snmp ReasmOKs)
barrier 2 40 || true
spids=
for q in $(seq 0 $((QUEUES - 1))); do
	taskset -c "$q" "$UDP_FRAG" send "$PEER" $((5000 + q)) "$UDP_COUNT" 4000,1400 "$UDP_GAP_US" &
	spids="$spids $!"
done
for p in $spids; do wait "$p" || check udp-send FAIL "a sender failed"; done
reap $pids
for q in $(seq 0 $((QUEUES - 1))); do
	cat "/tmp/udp-recv$q.log"
	if grep -q ': ok$' "/tmp/udp-recv$q.log"; then s=ok; else s=FAIL; fi
	check udp-q$q "$s" "$(tail -n 1 "/tmp/udp-recv$q.log")"
done
echo "ip fragments: created $(($(snmp FragCreates) - fc)) (datagrams $(($(snmp FragOKs) - fo)))," \
	"reassembly requests $(($(snmp ReasmReqds) - rr)), reassembled $(($(snmp ReasmOKs) - ro))"
eth_stats after-udp

# 3. mtu9000: 5 pings of 8972 bytes, 50 datagrams of 8900, no fragment.
if [ "$JUMBO" = 1 ]; then
	ip link set eth0 mtu 9000 || check mtu9000 FAIL "ip link set eth0 mtu 9000 refused"
	echo "eth0 mtu $(cat /sys/class/net/eth0/mtu)"
	"$UDP_FRAG" recv 5100 50 8900 120 5 >/tmp/udp-jumbo.log 2>&1 &
	jp=$!
	i=0
	while ! grep -q ready /tmp/udp-jumbo.log && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	fc=$(snmp FragCreates) rr=$(snmp ReasmReqds)
	barrier 3 30 || true
	n=$(ping -c 5 -s 8972 -i 0.5 -W 3 "$PEER" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	"$UDP_FRAG" send "$PEER" 5100 50 8900 5000
	reap "$jp"
	cat /tmp/udp-jumbo.log
	frags=$(($(snmp FragCreates) - fc)) reasm=$(($(snmp ReasmReqds) - rr))
	echo "mtu9000: ${n:-0}/5 replies to 8972-byte pings; fragments created $frags, reassembly requests $reasm"
	if [ "${n:-0}" = 5 ] && [ "$frags" = 0 ] && [ "$reasm" = 0 ]; then s=ok; else s=FAIL; fi
	check mtu9000-ping "$s" "${n:-0}/5 replies of 8972 bytes, fragments created $frags, reassembled $reasm"
	if grep -q ': ok$' /tmp/udp-jumbo.log; then s=ok; else s=FAIL; fi
	check mtu9000-udp "$s" "$(tail -n 1 /tmp/udp-jumbo.log)"
	eth_stats after-mtu9000
fi

# The peer may still fetch from us: stay until it is done too.
barrier 4 60 || true
sleep 2
exit $rc
EOF

mac_a=52:54:00:00:0a:01 mac_b=52:54:00:00:0b:01
tcp_timeout=40
# tso=1: the guests send GSO packets; what reaches the other guest depends on
# whether the switch finishes them (see TCP_RX in the guest script).
tcp_rx=any
if [ "$tso" = 1 ]; then
	if [ "$offload" = 1 ]; then tcp_rx=whole; else tcp_rx=segments; fi
fi
genv=(--env QUEUES="$queues" --env UDP_FRAG="$udp_frag" --env UDP_COUNT=200
	--env UDP_GAP_US=3000 --env JUMBO="$jumbo" --env TCP_TIMEOUT="$tcp_timeout" --env TCP_RX="$tcp_rx")
"$PEERS/guest-run.sh" --script "$run/guest.sh" --vhost-user "$sock_a" --mac "$mac_a" \
	--queues "$queues" --add "$udp_frag" --env ID=1 --env PEER_ID=2 "${genv[@]}" \
	--timeout 200 --log "$run/guest-a.log" "${guest_args[@]}" >"$run/run-a.log" 2>&1 &
ga_pid=$!
"$PEERS/guest-run.sh" --script "$run/guest.sh" --vhost-user "$sock_b" --mac "$mac_b" \
	--queues "$queues" --add "$udp_frag" --env ID=2 --env PEER_ID=1 "${genv[@]}" \
	--timeout 200 --log "$run/guest-b.log" "${guest_args[@]}" >"$run/run-b.log" 2>&1 &
gb_pid=$!
rc_a=0 rc_b=0
wait "$ga_pid" || rc_a=$?
ga_pid=
wait "$gb_pid" || rc_b=$?
gb_pid=
guests_done=$(elapsed)

# 3. The switch's statistics, then stop it.
sw_rc=0
if [ "$kind" = vio-fwd ]; then
	fwd_stop "$fwd_pid" TERM
	sw_rc=$FWD_RC
	fwd_pid=
else
	if kill -0 "$(cat "$run/sw.testpmd-pid")" 2>/dev/null; then
		tp_cmd sw stop >/dev/null
		tp_cmd sw show port stats all >/dev/null
		tp_cmd sw show port xstats all >/dev/null
		tp_quit sw
	else
		sw_rc=1
	fi
fi

for g in a b; do
	echo "---- guest $g (guest-run)"
	grep -v '^\[.*guest-run.sh\] qemu-system' "$run/run-$g.log" || true
	grep -o 'qemu-system-x86_64 .*' "$run/run-$g.log" | grep -o 'mrg_rxbuf=[a-z]*\|packed=on\|queues=[0-9]*' |
		sort -u | tr '\n' ' ' | sed 's/^/qemu: /' || true
	echo
	echo "---- guest $g (console)"
	grep -v -e '^\[ *[0-9.]*\] \(ACPI\|PCI\|pci\|e820\|BIOS\)' "$run/guest-$g.log" || true
done
echo "---- switch ($kind)"
if [ "$kind" = vio-fwd ]; then
	grep -v -e '^EAL:' "$fwd_log" | sed -n '/^==== vio-fwd summary/,$p'
	grep -E 'vio|error|Error' "$fwd_log" | grep -v '^EAL:' | head -n 40 || true
else
	# From `stop` on: per-stream and per-port figures, then the xstats that are
	# not zero (net_vhost has none once its guest has gone).
	sed -n '/^stop$/,$p' "$run/sw.log" | grep -v -E ': +0$|^ *$|-pps:|^(Stopping|Shutting|Closing|Port|Done)' |
		head -n 300 || true
	grep -E 'closing the connection|broke the queue|rror' "$run/sw.log" | grep -v 'xstats\|device not found' |
		head -n 20 || true
fi
echo "----"

# 4. Verdict.
fail=0 harness=0
bad() { echo "FAIL: $*"; fail=1; }
feat() { sed -n "s/.*FEATURES.* $2=\([01]\).*/\1/p" "$run/guest-$1.log" | head -n 1; }
served() { sed -n 's/.*SERVED size=\([0-9]*\) sha256=\([0-9a-f]*\).*/\1 \2/p' "$run/guest-$1.log"; }
for g in a b; do
	if ! grep -q 'PEERS-DONE' "$run/guest-$g.log"; then
		echo "ERROR: guest $g did not report back (guest-run status $([ $g = a ] && echo $rc_a || echo $rc_b))"
		tail -n 20 "$run/run-$g.log"
		harness=1
		continue
	fi
	if [ "$(feat $g MRG_RXBUF)" != "$([ "$mrg" = on ] && echo 1 || echo 0)" ]; then
		echo "ERROR: guest $g: MRG_RXBUF=$(feat $g MRG_RXBUF), --mrg $mrg asked"
		harness=1
	fi
	[ "$(feat $g RING_PACKED)" = "$([ "$ring" = packed ] && echo 1 || echo 0)" ] ||
		bad "guest $g: RING_PACKED=$(feat $g RING_PACKED) with --ring $ring"
	[ "$(feat $g HOST_TSO4)" = "$tso" ] || bad "guest $g: HOST_TSO4=$(feat $g HOST_TSO4) with --tso $tso"
	if [ "$queues" -gt 1 ] && [ "$(feat $g MQ)" != 1 ]; then bad "guest $g: no MQ with --queues $queues"; fi
done
tcp_sum=
for pair in "a b" "b a"; do
	read -r srv cli <<<"$pair"
	read -r ssize ssha < <(served "$srv") || true
	for q in $(seq 0 $((queues - 1))); do
		line=$(grep "FETCHED flow=$q " "$run/guest-$cli.log" || true)
		fsize=$(sed -n 's/.* size=\([0-9]*\).*/\1/p' <<<"$line")
		fsha=$(sed -n 's/.* sha256=\([0-9a-f]*\).*/\1/p' <<<"$line")
		secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$line")
		wrc=$(sed -n 's/.* wget=\([0-9]*\).*/\1/p' <<<"$line")
		if [ -n "$ssha" ] && [ "$fsha" = "$ssha" ] && [ "$fsize" = "$ssize" ]; then
			echo "tcp $srv->$cli flow $q: ${fsize} bytes, sha256 matches, ${secs} s: ok"
			tcp_sum+=" $srv->$cli/$q:ok"
		else
			bad "tcp $srv->$cli flow $q: ${fsize:-0} of ${ssize:-?} bytes, sha256 ${fsha:-none}" \
				"(served ${ssha:-?}), wget status ${wrc:-?}, ${secs:-?} s"
			tcp_sum+=" $srv->$cli/$q:FAIL"
		fi
	done
done
for g in a b; do
	while read -r line; do
		case "$line" in
		*" ok: "*) echo "guest $g: $line" ;;
		*) bad "guest $g: $line" ;;
		esac
	done < <(grep -o 'CHECK .*' "$run/guest-$g.log" | tr -d '\r')
done
if [ "$kind" = vio-fwd ]; then
	[ "$sw_rc" = 0 ] || bad "vio-fwd exited with $sw_rc"
	for p in 0 1; do
		echo "vio-fwd port $p: rx-packets $(fwd_stat "$fwd_log" "port $p" rx-packets)" \
			"tx-packets $(fwd_stat "$fwd_log" "port $p" tx-packets)" \
			"tx-dropped $(fwd_stat "$fwd_log" "port $p" tx-dropped)"
	done
else
	[ "$sw_rc" = 0 ] || bad "testpmd (the switch) died"
	for p in 0 1; do
		echo "switch port $p: RX-packets $(tp_stat_big sw RX-packets "$p") RX-bytes" \
			"$(tp_stat_big sw RX-bytes "$p") TX-packets $(tp_stat_big sw TX-packets "$p")" \
			"TX-bytes $(tp_stat_big sw TX-bytes "$p") TX-errors $(tp_stat_big sw TX-errors "$p")"
	done
	# Per stream (testpmd prints them at `stop` when there are more streams
	# than ports): RX port P queue Q forwards to TX port 1-P queue Q, so
	# these cover every queue of both ports in both directions.
	if [ "$queues" -gt 1 ]; then
		for p in 0 1; do
			for q in $(seq 0 $((queues - 1))); do
				r=$(tp_qstat sw "$p" "$q" RX-packets) t=$(tp_qstat sw "$p" "$q" TX-packets)
				echo "switch stream rx $p/$q -> tx $((1 - p))/$q: RX-packets $r TX-packets $t"
				[ "$r" -gt 0 ] || bad "switch port $p rx queue $q carried nothing"
				[ "$t" -gt 0 ] || bad "switch port $((1 - p)) tx queue $q carried nothing"
			done
		done
	fi
fi

echo "switch $kind ring=$ring mrg=$mrg tso=$tso queues=$queues offload=$offload jumbo=$jumbo:" \
	"tcp${tcp_sum:- none}; guests $rc_a/$rc_b after $guests_done s; $(elapsed) s"
if [ "$harness" = 1 ]; then
	echo "ERROR"
	exit 99
fi
if [ "$fail" = 0 ]; then
	echo "PASS"
	exit 0
fi
exit 1
