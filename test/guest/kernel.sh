#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio's kernel driver (frontend ports over Linux vhost-net and a TAP) on the
# real vhost_net and tun modules, inside one Linux guest under QEMU (TCG). In
# one boot:
#   1. unit: test-backend-kernel on the real module: iface=lo, /dev/null and
#      a missing path refused with no fd left open, a 2-pair open (the offer,
#      the TAP up, gone at destroy), the memory table merged under
#      max_mem_regions and refused over it (count and limit in the log);
#   2. echo: vio-fwd in icmpecho mode on net_vio0,path=/dev/vhost-net,
#      iface=tap0 (packed_vq=1,in_order=1 asked: vhost-net has neither, the
#      port falls back to split rings and says so); the guest kernel pings it
#      through tap0, 20 times with 56 bytes and 20 times with 1400; every
#      reply must come, and the TAP's counters must equal vio-fwd's;
#   3. tcp-fwd: vio-fwd io --offload between two kernel ports, tap0 (root
#      namespace, 192.0.2.2) and tap1 (moved into a network namespace,
#      192.0.2.3): a 2 MiB random file each way over busybox httpd and wget,
#      checked by SHA-256. The TAPs hand vio partial checksums (GUEST_CSUM,
#      TUN_F_CSUM), which vio-fwd --offload passes on unfinished to the other
#      TAP (NEEDS_CSUM); every count of both ports must equal its TAP's;
#   4. tcp-2q: stock testpmd, io forwarding, between the same two ports with
#      queues=2 and mrg_rxbuf=0 (no Rx offload: vio finishes each partial
#      checksum in software, and the receiving kernel checks it): 8 flows each
#      way (1 MiB each, SHA-256 checked), every queue of both ports carries
#      packets (the TAP spreads flows over its queues by hash: the chance that
#      16 flows all take one queue is 2^-15);
#   5. handoff-echo: the backend role. Stock testpmd holds a net_vio backend
#      port iface=/tmp/h0.sock,driver=kernel,tap=tap0 and never forwards;
#      a second stock testpmd, net_virtio_user on that socket in icmpecho,
#      is its frontend, whose rings vio hands to vhost-net. The guest kernel
#      pings through tap0 (20 of 56 bytes, 20 of 1400): every reply comes,
#      the TAP's counters equal the frontend's, vio's own queues moved 0
#      packets; the frontend restarted: its TAP goes, the new connection's
#      comes, 10 pings more all answered;
#   6. handoff-tcp: the same with two ports of 2 queue pairs (tap0, tap1 in
#      the namespace) and a testpmd io frontend between them: 2 MiB each way,
#      SHA-256 checked, the TAPs' counters equal the frontend's;
#   7. handoff-bad: device=/dev/null: the frontend's connection is refused
#      with the call and the device named, the holder lives on, its fd count
#      unchanged;
#   8. bad: vio-fwd refuses iface=lo (exists, not a TAP), driver=kernel with
#      path=/dev/null, and a path that does not exist, each exiting non-zero
#      with an error that names the device and the call, no TAP left behind;
#   9. burst: testpmd on net_vio0,path=/dev/vhost-net,iface=tap0,
#      1 and 2 queue pairs: UDP datagrams from the guest kernel (rounds of 4
#      flows; with 2 pairs both queues must get some) into rxonly, then txonly
#      for 3 s: each way at least 100 000 packets, and testpmd's counts equal
#      tap0's; then DPDK's net_virtio_user on the same traffic (the anchor),
#      the txonly figures of both printed side by side (not checked).
#
#   kernel.sh VIO_FWD TEST_BACKEND_KERNEL --pmd SO --udp UDP_FRAG [GUEST-RUN-OPTION...]
#
# Env: PEERS, the shared peers folder (default: ../../../shared/peers from
# here). Exit 0 pass, 1 fail, 77 skip (no peers folder, no dpdk-testpmd, or
# QEMU missing and not root), 99 set-up error (also: the guest never reported
# back). Time: 110-150 s (TCG boot included); a dead TCP path adds 30 s per phase.
set -euo pipefail

start=$(date +%s.%N)
fwd_bin=${1:?usage: kernel.sh VIO_FWD TEST_BACKEND_KERNEL --pmd SO [GUEST-RUN-OPTION...]}
unit_bin=${2:?usage: kernel.sh VIO_FWD TEST_BACKEND_KERNEL --pmd SO [GUEST-RUN-OPTION...]}
shift 2
pmd_so=''
udp_bin=''
guest_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--pmd) pmd_so=${2:?--pmd needs a value}; shift ;;
	--udp) udp_bin=${2:?--udp needs a value}; shift ;;
	*) guest_args+=("$1") ;;
	esac
	shift
done

here=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$(cd "$here/../../.." && pwd)/shared/peers}
[ -x "$PEERS/guest-run.sh" ] || { echo "no peers folder at $PEERS"; exit 77; }
if ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" != 0 ]; then
	echo "qemu-system-x86_64 missing; run $PEERS/setup.sh (root)"
	exit 77
fi
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
for f in "$fwd_bin" "$unit_bin" "$udp_bin"; do [ -x "$f" ] || { echo "no binary at '$f'"; exit 99; }; done
[ -f "$pmd_so" ] || { echo "--pmd: no PMD at '$pmd_so'"; exit 99; }
fwd_bin=$(realpath "$fwd_bin") unit_bin=$(realpath "$unit_bin") pmd_so=$(realpath "$pmd_so")
udp_bin=$(realpath "$udp_bin")
# The build directory goes into the guest whole: vio-fwd, the PMD and vio's libraries.
build=$(cd "$(dirname "$fwd_bin")/.." && pwd)
case "$pmd_so" in "$build"/*) ;; *) echo "the PMD must be in vio-fwd's build dir $build"; exit 99 ;; esac

run=$(mktemp -d /tmp/vio-kernel.XXXXXX)
trap 'rm -rf "$run"' EXIT

cat >"$run/guest.sh" <<'EOF'
# busybox sh, in the guest. DPDK: vio-fwd and dpdk-testpmd, --no-huge.
. /usr/share/vio-peers/testpmd-lib.sh
. "$APP_LIB"
export TP_DIR=/tmp
fail=0
bad() { echo "FAIL: $*"; fail=1; }
for m in tun vhost_net; do modprobe "$m" || { echo "no module $m"; exit 77; }; done
# DPDK loads no plugin below a world-writable directory, and the build may
# sit under /tmp: a private copy of the PMD, its RUNPATH ($ORIGIN/../lib) kept
# by a link to the build's lib/ (what devtools/stage-pmd.sh does on the host).
mkdir -p -m 0700 /vio/pmd && cp "$PMD" /vio/pmd/ &&
	ln -sfn "$(dirname "$(dirname "$PMD")")/lib" /vio/lib || { echo "cannot stage $PMD"; exit 99; }
PMD=/vio/pmd/$(basename "$PMD")
# No IPv6 and static neighbours: every packet a TAP counts is the test's own.
echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6
EAL="-l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --no-shconf -d $PMD"
KPORT=path=/dev/vhost-net

# dev_stat IFACE FIELD [ns]: rx_packets, rx_dropped, tx_packets, tx_dropped of IFACE
# from /proc/net/dev (which shows the reader's network namespace: ns, the test's other one)
dev_stat() {
	_in=''
	[ "${3:-}" != ns ] || _in="nsenter -t $NS -n"
	$_in awk -v i="$1:" -v f="$2" '
		{ sub(/^ */, ""); sub(/:/, ": ") }
		$1 == i { c["rx_packets"] = $3; c["rx_dropped"] = $5; c["tx_packets"] = $11
			c["tx_dropped"] = $13; print c[f] + 0 }' /proc/net/dev
}
# fwd_start LOG ARG...: vio-fwd in the background (FWD_PID) until it forwards;
# 1 if it exited first
fwd_start() {
	_log=$1
	shift
	"$FWD" $EAL "$@" >"$_log" 2>&1 &
	FWD_PID=$!
	_i=0
	while [ $_i -lt 300 ]; do
		grep -q '^lcore [0-9]* (socket' "$_log" && return 0
		kill -0 $FWD_PID 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "vio-fwd did not start:"
	cat "$_log"
	return 1
}
# same WHAT A B: A and B are equal numbers
same() {
	if [ "$2" = "$3" ]; then echo "  $1: $2"; else bad "$1: $2 against $3"; fi
}
# wait_iface NAME: until the interface exists (5 s)
wait_iface() {
	_i=0
	while [ ! -e "/sys/class/net/$1" ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
}
mac_of() { cat "/sys/class/net/$1/address"; }

echo "== 1. unit: test-backend-kernel on the real vhost_net"
"$UNIT" >/tmp/unit.log 2>&1
urc=$?
cat /tmp/unit.log
[ $urc = 0 ] && grep -q 'cases: 7 ok, 0 failed, 0 skipped' /tmp/unit.log ||
	bad "test-backend-kernel exited $urc"

echo "== 2. echo: the guest kernel pings vio-fwd icmpecho through tap0"
if fwd_start /tmp/echo.log --log-level 'lib.vio.*:info' \
	--vdev "net_vio0,$KPORT,iface=tap0,packed_vq=1,in_order=1" \
	-- --fwd icmpecho --ip 192.0.2.1 --stats-period 0; then
	ip addr add 192.0.2.2/24 dev tap0
	arp -i tap0 -s 192.0.2.1 "$(fwd_mac /tmp/echo.log 0)"
	n1=$(ping -c 20 -i 0.05 -W 2 192.0.2.1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	n2=$(ping -c 20 -i 0.05 -W 2 -s 1400 192.0.2.1 |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	sleep 0.3
	t_tx=$(dev_stat tap0 tx_packets) t_rx=$(dev_stat tap0 rx_packets)
	fwd_stop $FWD_PID TERM
	grep -e 'kernel net_vio0' -e 'no packed rings' -e 'no VIRTIO_F_IN_ORDER' \
		-e 'negotiated' /tmp/echo.log
	same "replies of 20 + 20" "${n1:-0}+${n2:-0}" "20+20"
	same "vio-fwd exit status" "$FWD_RC" 0
	same "icmp-replies" "$(fwd_stat /tmp/echo.log 'port 0' icmp-replies)" 40
	same "bad requests" "$(fwd_stat /tmp/echo.log 'port 0' bad)" 0
	same "tap0 tx = port 0 rx" "$t_tx" "$(fwd_stat /tmp/echo.log 'port 0' rx-packets)"
	same "tap0 rx = port 0 tx" "$t_rx" "$(fwd_stat /tmp/echo.log 'port 0' tx-packets)"
	grep -q 'no packed rings; split rings' /tmp/echo.log || bad "no split-ring fallback logged"
else
	bad "echo: vio-fwd did not start"
fi

# The other namespace, for tap1 (busybox: unshare, nsenter, ip link set ... netns).
unshare -n sleep 600 &
NS=$!
sleep 0.2
inns() { nsenter -t $NS -n "$@"; }
inns sh -c 'echo 1 >/proc/sys/net/ipv6/conf/default/disable_ipv6
	echo 1 >/proc/sys/net/ipv6/conf/all/disable_ipv6; ip link set lo up'
mkdir -p /tmp/www-a /tmp/www-b
dd if=/dev/urandom of=/tmp/www-a/a.bin bs=1M count=2 2>/dev/null
dd if=/dev/urandom of=/tmp/www-b/b.bin bs=1M count=2 2>/dev/null
dd if=/dev/urandom of=/tmp/www-a/c.bin bs=1M count=1 2>/dev/null
dd if=/dev/urandom of=/tmp/www-b/d.bin bs=1M count=1 2>/dev/null
httpd -f -p 8080 -h /tmp/www-a &
HA=$!
inns httpd -f -p 8080 -h /tmp/www-b &
HB=$!

# link_taps: tap1 into the namespace, both addressed, neighbours static, a ping
link_taps() {
	wait_iface tap1
	_mac1=$(mac_of tap1)
	ip link set tap1 netns $NS
	ip addr add 192.0.2.2/24 dev tap0
	inns ip addr add 192.0.2.3/24 dev tap1
	inns ip link set tap1 up
	arp -i tap0 -s 192.0.2.3 "$_mac1"
	inns arp -i tap1 -s 192.0.2.2 "$(mac_of tap0)"
	ping -c 3 -i 0.2 -W 2 192.0.2.3 >/dev/null || { bad "no ping through vio to tap1"; return 1; }
}
# fetch WHERE URL OUT: wget (in the namespace when WHERE is ns), 30 s at most
fetch() {
	if [ "$1" = ns ]; then
		inns timeout 30 wget -q -O "$3" "$2"
	else
		timeout 30 wget -q -O "$3" "$2"
	fi
}
# fetch_pair A B: a.bin into the namespace (as A) and b.bin out of it (as B) at once
fetch_pair() {
	fetch ns http://192.0.2.2:8080/a.bin "$1" &
	_w1=$!
	fetch root http://192.0.2.3:8080/b.bin "$2" &
	_w2=$!
	wait $_w1 || bad "wget of a.bin from the namespace failed"
	wait $_w2 || bad "wget of b.bin from the root namespace failed"
}
# sums WHAT ORIG COPY...: every copy has ORIG's SHA-256
sums() {
	_want=$(sha256sum <"$2" | cut -d' ' -f1)
	_what=$1
	shift 2
	for _c in "$@"; do
		_got=$(sha256sum <"$_c" 2>/dev/null | cut -d' ' -f1)
		[ "$_got" = "$_want" ] || bad "$_what: $_c has SHA-256 '${_got}', not $_want"
	done
	echo "  $_what: $# cop$([ $# = 1 ] && echo y || echo ies) checked"
}
# tap_counts PORT_RX PORT_TX PORT_RX1 PORT_TX1: the TAPs' counters against the ports'
tap_counts() {
	same "tap0 tx = port 0 rx" "$T0_TX" "$1"
	same "tap0 rx = port 0 tx" "$T0_RX" "$2"
	same "tap1 tx = port 1 rx" "$T1_TX" "$3"
	same "tap1 rx = port 1 tx" "$T1_RX" "$4"
	same "tap0, tap1 rx_dropped" "$T0_DROP,$T1_DROP" "0,0"
}
read_taps() {
	sleep 1 # the last ACKs and FINs
	T0_TX=$(dev_stat tap0 tx_packets) T0_RX=$(dev_stat tap0 rx_packets)
	T0_DROP=$(dev_stat tap0 rx_dropped)
	T1_TX=$(dev_stat tap1 tx_packets ns) T1_RX=$(dev_stat tap1 rx_packets ns)
	T1_DROP=$(dev_stat tap1 rx_dropped ns)
}

echo "== 3. tcp-fwd: 2 MiB each way, vio-fwd io --offload, tap0 <-> tap1 (namespace)"
t0=$(date +%s)
if fwd_start /tmp/tcp.log --log-level 'lib.vio.*:info' \
	--vdev "net_vio0,$KPORT,iface=tap0,queue_size=1024" \
	--vdev "net_vio1,$KPORT,iface=tap1,queue_size=1024" \
	-- --fwd io --offload --stats-period 0 && link_taps; then
	fetch_pair /tmp/got-a.bin /tmp/got-b.bin
	read_taps
	fwd_stop $FWD_PID TERM
	echo "  $(($(date +%s) - t0)) s"
	grep -e 'negotiated' -e 'TUNSETOFFLOAD' -e 'offload' /tmp/tcp.log | head -n 6
	sums "a.bin (root to namespace)" /tmp/www-a/a.bin /tmp/got-a.bin
	sums "b.bin (namespace to root)" /tmp/www-b/b.bin /tmp/got-b.bin
	same "vio-fwd exit status" "$FWD_RC" 0
	tap_counts "$(fwd_stat /tmp/tcp.log 'port 0' rx-packets)" \
		"$(fwd_stat /tmp/tcp.log 'port 0' tx-packets)" \
		"$(fwd_stat /tmp/tcp.log 'port 1' rx-packets)" \
		"$(fwd_stat /tmp/tcp.log 'port 1' tx-packets)"
	# io mode does not retry: what a full ring refused is counted, and TCP sends it again.
	same "port 0 rx = port 1 tx + tx-dropped" "$(fwd_stat /tmp/tcp.log 'port 0' rx-packets)" \
		"$(($(fwd_stat /tmp/tcp.log 'port 1' tx-packets) + $(fwd_stat /tmp/tcp.log 'port 1' tx-dropped)))"
	same "port 1 rx = port 0 tx + tx-dropped" "$(fwd_stat /tmp/tcp.log 'port 1' rx-packets)" \
		"$(($(fwd_stat /tmp/tcp.log 'port 0' tx-packets) + $(fwd_stat /tmp/tcp.log 'port 0' tx-dropped)))"
else
	bad "tcp-fwd: no path"
	kill -9 $FWD_PID 2>/dev/null
fi
wait $FWD_PID 2>/dev/null

echo "== 4. tcp-2q: 8 flows each way, testpmd io, queues=2, mrg_rxbuf=0"
t0=$(date +%s)
TP="queues=2,mrg_rxbuf=0"
if tp_start k2 $EAL --file-prefix=k2 --vdev "net_vio0,$KPORT,iface=tap0,$TP" \
	--vdev "net_vio1,$KPORT,iface=tap1,$TP" -- -i --rxq=2 --txq=2 --total-num-mbufs=8192; then
	tp_cmd k2 set fwd io
	tp_cmd k2 start
	if link_taps; then
		pids=''
		for i in 1 2 3 4 5 6 7 8; do
			fetch ns http://192.0.2.2:8080/c.bin /tmp/got-c$i.bin &
			pids="$pids $!"
			fetch root http://192.0.2.3:8080/d.bin /tmp/got-d$i.bin &
			pids="$pids $!"
		done
		for p in $pids; do wait $p || bad "a wget failed"; done
		read_taps
		tp_cmd k2 stop
		tp_cmd k2 show port stats all
		mark=$(wc -c </tmp/k2.log)
		tp_cmd k2 show port xstats all
		# xs REGEX: the sum of the xstats of both ports whose name matches
		xs() {
			tail -c +$((mark + 1)) /tmp/k2.log |
				awk -v p="$1" '$1 ~ p { s += $2 } END { printf "%.0f\n", s }'
		}
		csw=$(xs '^rx_q[0-9]*_vio_csum_sw:$')
		echo "  partial checksums vio finished (rx csum_sw): $csw"
		[ "$csw" -gt 0 ] || bad "no partial checksum from the TAPs was finished by vio"
		same "header errors (err_hdr)" "$(xs '_vio_err_hdr:$')" 0
		echo "  $(($(date +%s) - t0)) s"
		sums "c.bin (root to namespace)" /tmp/www-a/c.bin /tmp/got-c?.bin
		sums "d.bin (namespace to root)" /tmp/www-b/d.bin /tmp/got-d?.bin
		for p in 0 1; do
			for q in 0 1; do
				n=$(tp_qstat k2 $p $q RX-packets)
				echo "  port $p queue $q: RX-packets $n TX-packets" \
					"$(tp_qstat k2 $p $q TX-packets)"
				[ "${n:-0}" -gt 0 ] || bad "port $p queue $q carried nothing"
			done
		done
		tap_counts "$(tp_stat k2 RX-packets 0)" "$(tp_stat k2 TX-packets 0)" \
			"$(tp_stat k2 RX-packets 1)" "$(tp_stat k2 TX-packets 1)"
	fi
	tp_quit k2
else
	bad "tcp-2q: testpmd did not start"
fi

# The handoff: stock testpmd holds net_vio backend ports with driver=kernel
# (never started forwarding: vio moves nothing itself); a second stock testpmd
# is the frontend, net_virtio_user on the ports' sockets. vhost-net serves the
# frontend's rings, in the first process's mappings, straight to the TAP.
EALF="-l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --no-shconf"
HPORT="driver=kernel,device=/dev/vhost-net"
# hold NAME PORTS...: the holder testpmd, with net_vio<i>,iface=/tmp/h<i>.sock,<PORTS[i]>
hold() {
	_n=$1
	shift
	_vdevs=''
	_i=0
	for _p in "$@"; do
		_vdevs="$_vdevs --vdev net_vio$_i,iface=/tmp/h$_i.sock,$_p"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	tp_start "$_n" $EAL --file-prefix="$_n" --log-level 'lib.vio.*:info' $_vdevs \
		-- -i --total-num-mbufs=2048
}
# frontend NAME NB [Q]: the frontend testpmd, net_virtio_user<i>,path=/tmp/h<i>.sock for
# i < NB, Q queue pairs each (default 1)
frontend() {
	_vdevs=''
	_i=0
	_fq=${3:-1}
	while [ $_i -lt "$2" ]; do
		_vdevs="$_vdevs --vdev net_virtio_user$_i,path=/tmp/h$_i.sock,queue_size=1024,queues=$_fq"
		_i=$((_i + 1))
	done
	# shellcheck disable=SC2086
	tp_start "$1" $EALF --file-prefix="$1" $_vdevs -- -i --total-num-mbufs=8192 \
		--rxq="$_fq" --txq="$_fq"
}
# pings N [SIZE]: replies of N pings of 192.0.2.1 from tap0
pings() {
	ping -c "$1" -i 0.05 -W 2 -s "${2:-56}" 192.0.2.1 |
		sed -n 's/.* \([0-9]*\) packets received.*/\1/p'
}
# echo_up: the frontend in icmpecho, tap0 (the connection's TAP) addressed
echo_up() {
	frontend hf 1 || return 1
	tp_cmd hf set fwd icmpecho
	tp_cmd hf start
	wait_iface tap0
	ip addr add 192.0.2.2/24 dev tap0 || return 1
}

echo "== 5. handoff-echo: testpmd net_virtio_user icmpecho behind vio's handoff to vhost-net"
if hold hh "$HPORT,tap=tap0" && echo_up; then
	r1=$(pings 20) r2=$(pings 20 1400)
	sleep 0.3
	t_tx=$(dev_stat tap0 tx_packets) t_rx=$(dev_stat tap0 rx_packets)
	tp_cmd hf stop
	tp_cmd hf show port stats 0
	same "replies of 20 + 20" "${r1:-0}+${r2:-0}" "20+20"
	same "tap0 tx = frontend RX-packets" "$t_tx" "$(tp_stat hf RX-packets 0)"
	same "tap0 rx = frontend TX-packets" "$t_rx" "$(tp_stat hf TX-packets 0)"
	tp_cmd hh show port stats 0
	same "packets vio's own queues moved (RX+TX)" \
		"$(($(tp_stat hh RX-packets 0) + $(tp_stat hh TX-packets 0)))" 0
	grep -e 'features 0x' -e 'driver kernel' /tmp/hh.log | head -n 4 | sed 's/^/  /'
	# A new connection: the TAP of the old one goes, the new one's comes, pings again.
	tp_quit hf
	_i=0
	while [ -e /sys/class/net/tap0 ] && [ $_i -lt 50 ]; do sleep 0.1; _i=$((_i + 1)); done
	[ ! -e /sys/class/net/tap0 ] || bad "tap0 outlived its connection"
	if echo_up; then
		same "replies after the frontend's restart" "$(pings 10)" 10
		tp_quit hf
	else
		bad "handoff-echo: no second connection"
	fi
else
	bad "handoff-echo: no holder or no frontend"
	tp_quit hf 2>/dev/null
fi
tp_quit hh

echo "== 6. handoff-tcp: 2 MiB each way, tap0 <-> tap1 (2 queue pairs each) through a testpmd io frontend"
t0=$(date +%s)
if hold ht "$HPORT,tap=tap0,queues=2" "$HPORT,tap=tap1,queues=2" && frontend tf 2 2; then
	tp_cmd tf set fwd io
	tp_cmd tf start
	wait_iface tap0
	if link_taps; then
		fetch_pair /tmp/got-ha.bin /tmp/got-hb.bin
		read_taps
		tp_cmd tf stop
		tp_cmd tf show port stats all
		echo "  $(($(date +%s) - t0)) s"
		sums "a.bin (root to namespace)" /tmp/www-a/a.bin /tmp/got-ha.bin
		sums "b.bin (namespace to root)" /tmp/www-b/b.bin /tmp/got-hb.bin
		tap_counts "$(tp_stat tf RX-packets 0)" "$(tp_stat tf TX-packets 0)" \
			"$(tp_stat tf RX-packets 1)" "$(tp_stat tf TX-packets 1)"
		# Both pairs handed over: vhost-net opened twice, MQ (bit 22) negotiated.
		grep -q 'TAP tap0): vhost-net features .* 2 queue pairs' /tmp/ht.log ||
			bad "tap0's port did not open 2 queue pairs"
		f=$(sed -n 's/.*TAP tap0): features 0x\([0-9a-f]*\):.*/\1/p' /tmp/ht.log | tail -n 1)
		echo "  tap0's port: negotiated features 0x${f:-?}"
		[ $(((0x${f:-0} >> 22) & 1)) = 1 ] || bad "MQ not negotiated through the handoff"
	fi
	tp_quit tf
else
	bad "handoff-tcp: no holder or no frontend"
	tp_quit tf 2>/dev/null
fi
tp_quit ht
kill $HA $HB $NS 2>/dev/null

echo "== 7. handoff-bad: a device that is not vhost-net breaks the connection only"
if hold hb "driver=kernel,device=/dev/null"; then
	hpid=$(cat /tmp/hb.testpmd-pid)
	fds0=$(ls /proc/$hpid/fd | wc -l)
	timeout 30 dpdk-testpmd $EALF --file-prefix=fb --vdev net_virtio_user0,path=/tmp/h0.sock \
		-- -i --total-num-mbufs=2048 </dev/null >/tmp/fb.log 2>&1
	sleep 0.5
	for w in "/dev/null: VHOST_SET_OWNER" "not a vhost-net device" "cannot open the device"; do
		grep -qF -- "$w" /tmp/hb.log || bad "no '$w' in the holder's log"
	done
	grep -F -e 'cannot open the device' /tmp/hb.log | head -n 1 | sed 's/^/  /'
	kill -0 "$hpid" 2>/dev/null || bad "the holder died"
	same "holder fds after the refused connection" "$(ls /proc/$hpid/fd | wc -l)" "$fds0"
	tp_quit hb
else
	bad "handoff-bad: no holder"
fi

echo "== 8. bad: refused with the device and the call named, nothing left behind"
# refused ARG WORD...: vio-fwd with the port ARG exits non-zero, its log has each WORD
refused() {
	_arg=$1
	shift
	"$FWD" $EAL --vdev "net_vio0,$_arg" -- --fwd io --stats-period 0 >/tmp/bad.log 2>&1
	_rc=$?
	[ $_rc != 0 ] || bad "$_arg: vio-fwd exited 0"
	for _w in "$@"; do
		grep -qF -- "$_w" /tmp/bad.log || { bad "$_arg: no '$_w' in the log:"; cat /tmp/bad.log; }
	done
	grep -F -e "$1" /tmp/bad.log | head -n 2 | sed 's/^/  /'
	echo "  $_arg: vio-fwd exited $_rc"
}
refused "$KPORT,iface=lo" "iface=lo: TUNSETIFF: Invalid argument" \
	"exists and is not a multi-queue vnet-header TAP"
refused "driver=kernel,path=/dev/null" "/dev/null: VHOST_SET_OWNER" "not a vhost-net device"
refused "driver=kernel,path=/dev/vhost-none" "/dev/vhost-none: open: No such file or directory"
left=$(ls /sys/class/net | grep -c '^tap')
same "TAPs left behind" "$left" 0

echo "== 9. burst: at least 100 000 packets each way through tap0, 1 and 2 queue pairs"
# burst NAME VDEV Q [FLOOR]: the guest kernel sends 4 UDP flows to 192.0.2.1 through
# tap0 (testpmd rxonly), then testpmd txonly sends through tap0 for 3 s; every count
# equals tap0's, each way at least FLOOR (default 100000). BURST_TX: what testpmd sent.
burst() {
	_n=$1 _q=$3 _floor=${4:-100000}
	BURST_TX=0
	tp_start "$_n" $EALF -d "$PMD" --file-prefix="$_n" --vdev "$2" \
		-- -i --rxq="$_q" --txq="$_q" --total-num-mbufs=8192 || { bad "$_n: no testpmd"; return 1; }
	wait_iface tap0
	ip link set tap0 up # net_virtio_user leaves its TAP down
	ip addr add 192.0.2.2/24 dev tap0
	arp -i tap0 -s 192.0.2.1 02:00:00:00:00:10
	tp_cmd "$_n" set fwd rxonly
	tp_cmd "$_n" start
	t_tx0=$(dev_stat tap0 tx_packets) t_txd0=$(dev_stat tap0 tx_dropped)
	_t0=$(date +%s)
	# Rounds of 4 flows of 40 000 at full speed until 100 000 went through: the
	# kernel sends faster than vhost-net fills the port's ring under TCG, and the
	# TAP drops what its queue cannot hold (tx_dropped; pacing with usleep is
	# far too slow here).
	_r=0
	while [ $((_r < 8)) = 1 ] && [ $(($(dev_stat tap0 tx_packets) - t_tx0)) -lt 100000 ]; do
		pids=''
		for f in 1 2 3 4; do
			"$UDP" send 192.0.2.1 9 40000 64 0 >/dev/null &
			pids="$pids $!"
		done
		for p in $pids; do wait $p || bad "$_n: udp-frag send failed"; done
		_r=$((_r + 1))
	done
	echo "  $_n in: $_r round(s) of 160 000 datagrams in $(($(date +%s) - _t0)) s"
	sleep 1
	tp_cmd "$_n" stop
	tp_cmd "$_n" show port stats 0
	_in=$(($(dev_stat tap0 tx_packets) - t_tx0))
	echo "  $_n in: tap0 tx_packets +$_in, tx_dropped +$(($(dev_stat tap0 tx_dropped) - t_txd0))"
	same "$_n: port RX-packets = tap0 tx_packets" "$(tp_stat "$_n" RX-packets 0)" "$_in"
	[ "$_in" -ge "$_floor" ] || bad "$_n: only $_in packets in"
	if [ "$_q" = 2 ]; then
		for q in 0 1; do
			[ "$(tp_qstat "$_n" 0 $q RX-packets)" -gt 0 ] || bad "$_n: rx queue $q got nothing"
		done
	fi
	tp_cmd "$_n" clear port stats all
	t_rx0=$(dev_stat tap0 rx_packets) t_rxd0=$(dev_stat tap0 rx_dropped)
	tp_cmd "$_n" set fwd txonly
	tp_cmd "$_n" start
	sleep 3
	tp_cmd "$_n" stop
	sleep 0.5
	tp_cmd "$_n" show port stats 0
	BURST_TX=$(tp_stat "$_n" TX-packets 0)
	_mark=$(wc -c <"/tmp/$_n.log")
	tp_cmd "$_n" show port xstats 0
	tail -c +$((_mark + 1)) "/tmp/$_n.log" | grep -e 'tx_q0_vio_kicks' -e 'tx_q0_vio_packets' |
		sed 's/^ */  /'
	_out=$(($(dev_stat tap0 rx_packets) - t_rx0))
	echo "  $_n out: tap0 rx_packets +$_out, rx_dropped +$(($(dev_stat tap0 rx_dropped) - t_rxd0))"
	same "$_n: port TX-packets = tap0 rx_packets" "$BURST_TX" "$_out"
	[ "$_out" -ge "$_floor" ] || bad "$_n: only $_out packets out in 3 s"
	tp_quit "$_n"
}
burst b1 "net_vio0,$KPORT,iface=tap0,mac=02:00:00:00:00:10" 1
vio1=$BURST_TX
burst b2 "net_vio0,$KPORT,iface=tap0,mac=02:00:00:00:00:10,queues=2" 2
# The anchor on the same traffic: DPDK's net_virtio_user over the same vhost-net.
burst d1 "net_virtio_user0,path=/dev/vhost-net,iface=tap0,mac=02:00:00:00:00:10,queue_size=256" 1 1
dpdk1=$BURST_TX
# A figure, not a check: the kernel does the work under TCG.
echo "  txonly 3 s, 1 queue pair: vio $vio1, DPDK net_virtio_user $dpdk1 packets" \
	"(vio/DPDK $(awk -v a="$vio1" -v b="$dpdk1" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'))"
exit $fail
EOF

app_lib=$(realpath "$here/../peers/app-lib.sh")
rc=0
"$PEERS/guest-run.sh" --script "$run/guest.sh" --smp 2 --mem-size 1G --hugepages 0 \
	--add-dir "$build" --add "$app_lib" \
	--env "FWD=$fwd_bin" --env "UNIT=$unit_bin" --env "PMD=$pmd_so" --env "UDP=$udp_bin" \
	--env "APP_LIB=$app_lib" "${guest_args[@]}" || rc=$?
echo "kernel.sh: guest status $rc in $(awk -v a="$start" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", b - a }') s"
case "$rc" in 0 | 1 | 77 | 99) exit "$rc" ;; *) exit 99 ;; esac
