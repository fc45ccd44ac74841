#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio's vhost-user backend against a Linux guest's virtio_net driver under
# QEMU (TCG): vio-responder plays 192.0.2.1 on a vhost-user socket, the guest
# brings eth0 up as 192.0.2.2/24 and pings it (ARP, then ICMP echo) 5 times
# from every vCPU (pinned with taskset, so with --queues N every queue pair
# carries traffic) and 20 times with a 1400-byte payload.
#
#   ping.sh VIO_RESPONDER [--packed] [--queues N] [--server] [--reload] [--iommu]
#           [GUEST-RUN-OPTION...]
#
#   --packed      packed virtqueues
#   --queues N    N queue pairs (the guest gets N vCPUs)
#   --server      QEMU listens on the socket, vio connects (VIO_VHOST_F_CLIENT)
#   --reload      then unload and load virtio_net in the guest (a device reset:
#                 QEMU stops and restarts the vhost-user rings) and ping again
#   --iommu       a vIOMMU: q35 with QEMU's intel-iommu, the NIC behind it
#                 (iommu_platform=on, ats=on), intel_iommu=on in the guest; vio
#                 offers VIRTIO_F_ACCESS_PLATFORM and translates IOVAs through
#                 the IOTLB that QEMU fills on vio's IOTLB misses
#   anything else goes to guest-run.sh (--kernel 6.1, --mem hugefile, ...)
#
# Pass: every echo request answered; the guest resolved 192.0.2.1 to
# vio-responder's MAC; the responder built replies on every queue pair, vio
# took all of them, no packet for 192.0.2.1 arrived damaged (bad checksum),
# no vio error was logged, and the responder exited cleanly (an ASan build
# fails here on a memory error).
# Env: PEERS, the shared peers folder (default: ../../../shared/peers from
# here); VIO_RESPONDER_ARGS, extra EAL arguments for the responder.
# Exit 0 pass, 1 fail, 77 skip (no peers folder, or QEMU missing and not
# root), 99 set-up error (also: the guest never reported back).
# Time: 11-20 s (TCG boot included; --reload adds ~2 s).
set -euo pipefail

start=$(date +%s.%N)
responder=${1:?usage: ping.sh VIO_RESPONDER [--packed] [--queues N] [--server] [--reload] [...]}
shift
queues=1 server=0 reload=0 iommu=0 ring=split
guest_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--queues) queues=${2:?--queues needs a value}; shift ;;
	--server) server=1 ;;
	--reload) reload=1 ;;
	--iommu) iommu=1 ;;
	--packed) ring=packed; guest_args+=("$1") ;;
	*) guest_args+=("$1") ;;
	esac
	shift
done

PEERS=${PEERS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers}
[ -x "$PEERS/guest-run.sh" ] || { echo "no peers folder at $PEERS"; exit 77; }
if ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" != 0 ]; then
	echo "qemu-system-x86_64 missing; run $PEERS/setup.sh (root)"
	exit 77
fi
[ -x "$responder" ] || { echo "no responder binary at $responder"; exit 99; }

run=$(mktemp -d /tmp/vio-guest.XXXXXX)
sock=$run/vhost.sock
log=$run/responder.log
responder_pid=
cleanup() {
	if [ -n "$responder_pid" ]; then kill -9 "$responder_pid" 2>/dev/null || true; fi
	rm -rf "$run"
}
trap cleanup EXIT

# 1. vio-responder on lcore 1 (a whole core; QEMU's TCG takes the other).
#    In server mode QEMU creates the socket and vio connects, retrying in the
#    background until it can.
client_arg=()
[ "$server" = 1 ] && client_arg=(--client) && guest_args+=(--vhost-user-server)
if [ "$iommu" = 1 ]; then
	# QEMU takes the last -M; virtio-net-pci needs modern-only to sit behind an IOMMU.
	client_arg+=(--iommu)
	guest_args+=(--qemu-arg -M --qemu-arg q35,kernel-irqchip=split
		--qemu-arg -device --qemu-arg intel-iommu,intremap=on,device-iotlb=on
		--qemu-arg -global --qemu-arg virtio-net-pci.iommu_platform=on
		--qemu-arg -global --qemu-arg virtio-net-pci.ats=on
		--qemu-arg -global --qemu-arg virtio-net-pci.disable-legacy=on
		--append "intel_iommu=on iommu=nopt iommu.strict=1")
fi
# shellcheck disable=SC2086 # VIO_RESPONDER_ARGS is a list of words
"$responder" -l 1 --no-huge -m 256 --no-pci --no-shconf --log-level 'lib.vio.*:info' \
	${VIO_RESPONDER_ARGS:-} -- --socket "$sock" --queues "$queues" --seconds 290 \
	"${client_arg[@]}" >"$log" 2>&1 &
responder_pid=$!
if [ "$server" = 0 ]; then
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	[ -S "$sock" ] || { echo "vio-responder did not listen on $sock"; cat "$log"; exit 99; }
fi

# 2. The guest: eth0 up, ping from every vCPU, then with a big payload; with
#    --reload, unload virtio_net (the driver resets the device: QEMU stops the
#    vhost-user rings), load it again and ping once more.
cat >"$run/guest.sh" <<'EOF'
eth_up() {
	modprobe virtio_net
	i=0
	while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	[ -e /sys/class/net/eth0 ] || { echo "no eth0"; return 1; }
	f=$(cat /sys/class/net/eth0/device/features)   # one character per feature bit
	echo "features: CSUM=$(echo "$f" | cut -c1) GUEST_CSUM=$(echo "$f" | cut -c2)" \
		"MRG_RXBUF=$(echo "$f" | cut -c16) MQ=$(echo "$f" | cut -c23)" \
		"EVENT_IDX=$(echo "$f" | cut -c30) VERSION_1=$(echo "$f" | cut -c33)" \
		"RING_PACKED=$(echo "$f" | cut -c35) ACCESS_PLATFORM=$(echo "$f" | cut -c34);" \
		"queues: $(ls /sys/class/net/eth0/queues | tr '\n' ' ')"
	ip link set eth0 up
	ip addr add 192.0.2.2/24 dev eth0
	i=0
	while [ "$(cat /sys/class/net/eth0/carrier)" != 1 ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}

# ping_round NAME: 5 pings from every vCPU, 20 with 1400 bytes; 0 if all answered.
ping_round() {
	ok=0
	total=0
	for cpu in $(seq 0 $(($(nproc) - 1))); do
		n=$(taskset -c "$cpu" ping -c 5 -i 0.2 -W 2 192.0.2.1 |
			sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
		echo "$1: vCPU $cpu: ${n:-0}/5 replies"
		ok=$((ok + ${n:-0}))
		total=$((total + 5))
	done
	n=$(ping -c 20 -s 1400 -i 0.05 -W 2 192.0.2.1 | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
	echo "$1: 1400-byte payload: ${n:-0}/20 replies"
	ok=$((ok + ${n:-0}))
	total=$((total + 20))
	echo "$1: replies: $ok/$total"
	neigh=$(ip neigh show 192.0.2.1 dev eth0)
	echo "$1: neighbour: $neigh"
	s=/sys/class/net/eth0/statistics
	echo "$1: eth0: rx_packets=$(cat $s/rx_packets) tx_packets=$(cat $s/tx_packets)" \
		"rx_dropped=$(cat $s/rx_dropped) rx_errors=$(cat $s/rx_errors)" \
		"tx_errors=$(cat $s/tx_errors)"
	case "$neigh" in
	*02:00:00:00:02:01*) ;;
	*) echo "$1: 192.0.2.1 did not resolve to vio-responder's MAC"; return 1 ;;
	esac
	[ "$ok" -eq "$total" ]
}

rc=0
eth_up || exit 1
ping_round first || rc=1
if [ "${RELOAD:-0}" = 1 ]; then
	ip link set eth0 down
	rmmod virtio_net || { echo "rmmod virtio_net failed"; exit 1; }
	eth_up || exit 1
	ping_round reloaded || rc=1
fi
exit $rc
EOF
rc=0
"$PEERS/guest-run.sh" --script "$run/guest.sh" --vhost-user "$sock" --queues "$queues" \
	--env RELOAD="$reload" "${guest_args[@]}" || rc=$?

# 3. The responder's view.
kill -TERM "$responder_pid" 2>/dev/null || true
responder_rc=0
wait "$responder_pid" || responder_rc=$?
responder_pid=
echo "---- vio-responder log"
if [ "$(wc -l <"$log")" -gt 200 ]; then   # e.g. a reconnect loop
	head -n 150 "$log"
	echo "[... $(($(wc -l <"$log") - 200)) lines ...]"
	tail -n 50 "$log"
else
	cat "$log"
fi
echo "----"

fail=0
[ "$rc" = 0 ] || { echo "FAIL: the guest's script exited with $rc"; fail=1; }
[ "$responder_rc" = 0 ] || { echo "FAIL: vio-responder exited with $responder_rc"; fail=1; }
if read -r deq enq drop arp icmp bad < <(awk '/^total:/ { print $3, $5, $7, $9, $11, $15 }' "$log") &&
	[ -n "$bad" ]; then
	[ "$arp" -gt 0 ] && [ "$icmp" -gt 0 ] || { echo "FAIL: no ARP or no ICMP reply built"; fail=1; }
	[ "$drop" = 0 ] || { echo "FAIL: vio refused $drop replies"; fail=1; }
	[ "$bad" = 0 ] || { echo "FAIL: $bad damaged packets for 192.0.2.1"; fail=1; }
	for q in $(seq 0 $((queues - 1))); do
		n=$(awk -v q="$q:" '$1 == "queue" && $2 == q { print $6 }' "$log")
		[ "${n:-0}" -gt 0 ] || { echo "FAIL: queue pair $q carried no reply"; fail=1; }
	done
else
	echo "FAIL: no counters from vio-responder"
	fail=1
fi
if [ "$iommu" = 1 ] && ! grep -q 'iotlb_misses' "$log"; then
	echo "FAIL: --iommu, but vio translated no IOVA through its IOTLB (no iotlb_misses)"
	fail=1
fi
if grep -m 5 -E 'closing the connection|broke the queue|Sanitizer|runtime error:' "$log"; then
	echo "FAIL: errors in vio-responder's log"
	fail=1
fi
echo "guest ping (ring=$ring queues=$queues server=$server reload=$reload iommu=$iommu):" \
	"guest status $rc, vio dequeued=${deq:-?} enqueued=${enq:-?} arp=${arp:-?} icmp=${icmp:-?}," \
	"$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
if [ "$fail" = 0 ]; then
	echo "PASS"
	exit 0
fi
# The guest never reported back: a set-up error, as guest-run says.
[ "$rc" = 99 ] && exit 99
exit 1
