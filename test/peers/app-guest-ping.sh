#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio-fwd in icmpecho mode against a Linux guest's virtio_net under QEMU
# (TCG): vio-fwd serves a vhost-user socket through DPDK's net_vhost (or
# another vhost-user PMD, --port-driver) and plays 192.0.2.10 (--ip, not the
# default); the guest brings eth0 up as 192.0.2.2/24 and pings it (ARP, then
# ICMP echo) 5 times and 20 times with a 1400-byte payload. The guest's kernel checks the checksums of vio-fwd's
# replies: a bad one is dropped and the ping counts it lost.
#
#   app-guest-ping.sh VIO_FWD [--port-driver NAME] [--pmd SO] [GUEST-RUN-OPTION...]
#
#   --port-driver NAME  vio-fwd's port is NAME0,iface=... (default net_vhost;
#                       net_vio for vio's PMD)
#   --pmd SO            load the PMD from SO (the EAL's -d)
#
# Pass: every echo request answered; the guest resolved 192.0.2.10 to
# vio-fwd's port MAC; vio-fwd built ARP and ICMP replies, dropped none, saw
# no damaged request (bad 0), and exited 0 on SIGTERM with its socket gone.
# Env: PEERS, the shared peers folder (default: ../../../shared/peers from
# here). Exit 0 pass, 1 fail, 77 skip (no peers folder, or QEMU missing and
# not root), 99 set-up error (also: the guest never reported back). ~20-40 s.
set -euo pipefail

start=$(date +%s.%N)
fwd_bin=${1:?usage: app-guest-ping.sh VIO_FWD [--port-driver NAME] [--pmd SO] [GUEST-RUN-OPTION...]}
shift
driver=net_vhost
pmd=() pmd_so=
guest_args=()
while [ $# -gt 0 ]; do
	case "$1" in
	--port-driver) driver=${2:?--port-driver needs a value}; shift ;;
	--pmd) pmd_so=${2:?--pmd needs a value}; shift ;;
	*) guest_args+=("$1") ;;
	esac
	shift
done
ip=192.0.2.10

here=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$(cd "$here/../../.." && pwd)/shared/peers}
[ -x "$PEERS/guest-run.sh" ] || { echo "no peers folder at $PEERS"; exit 77; }
if ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" != 0 ]; then
	echo "qemu-system-x86_64 missing; run $PEERS/setup.sh (root)"
	exit 77
fi
# shellcheck source=app-lib.sh
. "$here/app-lib.sh"

run=$(mktemp -d /tmp/vio-app-guest.XXXXXX)
sock=$run/vhost.sock
log=$run/fwd.log
fwd_pid=
cleanup() {
	if [ -n "$fwd_pid" ]; then kill -9 "$fwd_pid" 2>/dev/null || true; fi
	rm -rf "$run"
	[ -z "${pmd[1]:-}" ] || "$stage_tool" --clean "${pmd[1]}" || true
}
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
stage_tool=$(cd "$(dirname "$0")/../../devtools" && pwd)/stage-pmd.sh
trap cleanup EXIT
if [ -n "$pmd_so" ]; then
	staged=$("$stage_tool" "$pmd_so") || exit 99
	pmd=(-d "$staged")
fi

# 1. vio-fwd: main lcore 0 (it sleeps between statistics), forwarding on 1;
#    QEMU's TCG thread gets the rest.
"$fwd_bin" -l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --no-shconf \
	--log-level lib.vhost.config:warning "${pmd[@]}" --vdev "${driver}0,iface=$sock" \
	-- --fwd icmpecho --ip "$ip" --stats-period 5 >"$log" 2>&1 &
fwd_pid=$!
fwd_wait_sock "$sock" "$fwd_pid" "$log" || exit 99
vio_mac=$(fwd_mac "$log" 0)

# 2. The guest: eth0 up, ARP and ping.
cat >"$run/guest.sh" <<'EOF'
modprobe virtio_net
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
[ -e /sys/class/net/eth0 ] || { echo "no eth0"; exit 1; }
ip link set eth0 up
ip addr add 192.0.2.2/24 dev eth0
i=0
while [ "$(cat /sys/class/net/eth0/carrier)" != 1 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
n1=$(ping -c 5 -i 0.2 -W 2 "$TARGET" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
n2=$(ping -c 20 -s 1400 -i 0.05 -W 2 "$TARGET" | sed -n 's/.* \([0-9]*\) packets received.*/\1/p')
echo "replies: ${n1:-0}/5 small, ${n2:-0}/20 with 1400 bytes"
echo "neighbour: $(ip neigh show "$TARGET" dev eth0)"
s=/sys/class/net/eth0/statistics
echo "eth0: rx_packets=$(cat $s/rx_packets) tx_packets=$(cat $s/tx_packets) rx_errors=$(cat $s/rx_errors)"
[ "${n1:-0}" = 5 ] && [ "${n2:-0}" = 20 ] || exit 1
ip neigh show "$TARGET" dev eth0 | grep -qi "$VIO_MAC" || { echo "neighbour is not vio-fwd's MAC $VIO_MAC"; exit 1; }
exit 0
EOF
rc=0
"$PEERS/guest-run.sh" --script "$run/guest.sh" --vhost-user "$sock" \
	--env TARGET="$ip" --env VIO_MAC="$vio_mac" "${guest_args[@]}" || rc=$?

# 3. vio-fwd's view.
fwd_stop "$fwd_pid" TERM
fwd_rc=$FWD_RC
fwd_pid=
echo "---- vio-fwd log"
grep -v -e '^EAL:' "$log"
echo "----"

fail=0
[ "$rc" = 0 ] || { echo "FAIL: the guest's script exited with $rc"; fail=1; }
[ "$fwd_rc" = 0 ] || { echo "FAIL: vio-fwd exited with $fwd_rc"; fail=1; }
[ ! -e "$sock" ] || { echo "FAIL: $sock left behind"; fail=1; }
arp=$(fwd_stat "$log" "port 0" arp-replies)
icmp=$(fwd_stat "$log" "port 0" icmp-replies)
bad=$(fwd_stat "$log" "port 0" bad)
drop=$(fwd_stat "$log" "port 0" tx-dropped)
[ "$arp" -gt 0 ] || { echo "FAIL: no ARP reply built"; fail=1; }
[ "$icmp" -ge 25 ] || { echo "FAIL: $icmp ICMP replies built, 25 expected"; fail=1; }
[ "$bad" = 0 ] || { echo "FAIL: $bad damaged requests"; fail=1; }
[ "$drop" = 0 ] || { echo "FAIL: $drop replies not accepted by the port"; fail=1; }
echo "guest ping of vio-fwd icmpecho on ${driver}0: guest status $rc, vio-fwd status $fwd_rc," \
	"arp-replies=$arp icmp-replies=$icmp bad=$bad tx-dropped=$drop," \
	"$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
if [ "$fail" = 0 ]; then
	echo "PASS"
	exit 0
fi
[ "$rc" = 99 ] && exit 99
exit 1
