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
#   5. bad: vio-fwd refuses iface=lo (exists, not a TAP), driver=kernel with
#      path=/dev/null, and a path that does not exist, each exiting non-zero
#      with an error that names the device and the call, no TAP left behind.
#
#   kernel.sh VIO_FWD TEST_BACKEND_KERNEL --pmd SO [GUEST-RUN-OPTION...]
#
# Env: PEERS, the shared peers folder (default: ../../../shared/peers from
# here). Exit 0 pass, 1 fail, 77 skip (no peers folder, no dpdk-testpmd, or
# QEMU missing and not root), 99 set-up error (also: the guest never reported
# back). Time: 35-50 s (TCG boot included); a dead TCP path adds 30 s per phase.
set -euo pipefail

start=$(date +%s.%N)
fwd_bin=${1:?usage: kernel.sh VIO_FWD TEST_BACKEND_KERNEL --pmd SO [GUEST-RUN-OPTION...]}
unit_bin=${2:?usage: kernel.sh VIO_FWD TEST_BACKEND_KERNEL --pmd SO [GUEST-RUN-OPTION...]}
shift 2
pmd_so=''
guest_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--pmd) pmd_so=${2:?--pmd needs a value}; shift ;;
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
for f in "$fwd_bin" "$unit_bin"; do [ -x "$f" ] || { echo "no binary at $f"; exit 99; }; done
[ -f "$pmd_so" ] || { echo "--pmd: no PMD at '$pmd_so'"; exit 99; }
fwd_bin=$(realpath "$fwd_bin") unit_bin=$(realpath "$unit_bin") pmd_so=$(realpath "$pmd_so")
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
[ $urc = 0 ] && grep -q 'cases: 5 ok, 0 failed, 0 skipped' /tmp/unit.log ||
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
	fetch ns http://192.0.2.2:8080/a.bin /tmp/got-a.bin &
	w1=$!
	fetch root http://192.0.2.3:8080/b.bin /tmp/got-b.bin &
	w2=$!
	wait $w1 || bad "wget of a.bin from the namespace failed"
	wait $w2 || bad "wget of b.bin from the root namespace failed"
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
kill $HA $HB $NS 2>/dev/null

echo "== 5. bad: refused with the device and the call named, nothing left behind"
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
exit $fail
EOF

app_lib=$(realpath "$here/../peers/app-lib.sh")
rc=0
"$PEERS/guest-run.sh" --script "$run/guest.sh" --smp 2 --mem-size 1G --hugepages 0 \
	--add-dir "$build" --add "$app_lib" \
	--env "FWD=$fwd_bin" --env "UNIT=$unit_bin" --env "PMD=$pmd_so" \
	--env "APP_LIB=$app_lib" "${guest_args[@]}" || rc=$?
echo "kernel.sh: guest status $rc in $(awk -v a="$start" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", b - a }') s"
case "$rc" in 0 | 1 | 77 | 99) exit "$rc" ;; *) exit 99 ;; esac
