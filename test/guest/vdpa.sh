#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio's vdpa driver (frontend role) against the real vhost_vdpa and
# vdpa_sim_net modules, inside a Linux 6.12 guest under QEMU (TCG). One boot:
# the guest loads vhost_vdpa, vdpa_sim_net and vdpa_sim_blk, adds a net
# device (vdpa0, MAC 02:00:00:00:00:01) and a block device (blk0), both bound
# to vhost_vdpa, and runs test-vdpa-port (vdpa_port.c) on them: frames out
# through a vio frontend port on /dev/vhost-vdpa-N and back from the
# simulator byte for byte, counts checked against `vdpa dev vstats`; the
# port's queues restarted; a block device, an oversized queue_size, a
# missing path and a busy device refused; then on hugepages, DPDK's heap grown
# and shrunk under running rings; then stock testpmd with vio's PMD and with
# DPDK's net_virtio_user on the same device; then the backend role (the
# handoff): vio's backend port with driver=vdpa serving a vio frontend port
# (test-vdpa-port handoff) and stock net_virtio_user (testpmd), its rings
# served by the device.
#
#   vdpa.sh TEST_VDPA_PORT [GUEST-RUN-OPTION...]
#
# Pass: every case of test-vdpa-port passes and each refusal's error names
# the device and the call (checked in its log below).
# Env: PEERS, the shared peers folder (default: ../../../shared/peers from
# here); VDPA_FRAMES, the frames of the traffic case (default 100000).
# Exit 0 pass, 1 fail, 77 skip (no peers folder, or QEMU missing and not
# root), 99 set-up error (also: the guest never reported back).
# Time: ~45 s (TCG boot included).
set -euo pipefail

start=$(date +%s.%N)
exe=${1:?usage: vdpa.sh TEST_VDPA_PORT [GUEST-RUN-OPTION...]}
shift
PEERS=${PEERS:-$(cd "$(dirname "$0")/../../.." && pwd)/shared/peers}
[ -x "$PEERS/guest-run.sh" ] || { echo "no peers folder at $PEERS"; exit 77; }
if ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" != 0 ]; then
	echo "qemu-system-x86_64 missing; run $PEERS/setup.sh (root)"
	exit 77
fi
[ -x "$exe" ] || { echo "no test binary at $exe"; exit 99; }
exe=$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")
# The build dir goes into the guest whole (the binary's RUNPATHs are relative to it).
build=$(cd "$(dirname "$exe")/../.." && pwd)
[ -f "$build/meson-info/meson-info.json" ] || build=$(dirname "$exe")

run=$(mktemp -d /tmp/vio-vdpa.XXXXXX)
trap 'rm -rf "$run"' EXIT
log=$run/guest.log

cat >"$run/guest.sh" <<'EOF'
fail=0
for m in vhost_vdpa vdpa_sim_net vdpa_sim_blk; do modprobe $m || fail=1; done
# DPDK loads no plugin below a world-writable directory, and the build may
# sit under /tmp: a private copy of the PMD, its RUNPATH ($ORIGIN/../lib) kept
# by a link to the build's lib/ (what devtools/stage-pmd.sh does on the host).
mkdir -p -m 0700 /vio/pmd && cp "$PMD" /vio/pmd/ &&
	ln -sfn "$(dirname "$(dirname "$PMD")")/lib" /vio/lib || { echo "cannot stage $PMD"; exit 99; }
PMD=/vio/pmd/$(basename "$PMD")
vdpa dev add mgmtdev vdpasim_net name vdpa0 mac 02:00:00:00:00:01 || fail=1
vdpa dev add mgmtdev vdpasim_blk name blk0 || fail=1
# Each vDPA device bound to vhost_vdpa has a vhost-vdpa-N child: its character device.
chr() { d=$(ls -d /sys/bus/vdpa/devices/$1/vhost-vdpa-* 2>/dev/null | head -1); [ -n "$d" ] && echo "/dev/$(basename "$d")"; }
net=$(chr vdpa0) blk=$(chr blk0)
echo "vdpa0: ${net:-none}, blk0: ${blk:-none}"
[ -c "$net" ] && [ -c "$blk" ] || { vdpa dev show; ls -l /dev/vhost-vdpa-* || true; exit 1; }
VDPA_NET=$net VDPA_BLK=$blk VDPA_NET_NAME=vdpa0 VDPA_MAC=02:00:00:00:00:01 \
	"$EXE" || fail=1
# Again on hugepages with dynamic memory: the heap grows and shrinks under running rings.
VDPA_NET=$net VDPA_NET_NAME=vdpa0 VDPA_MAC=02:00:00:00:00:01 VDPA_HUGE=1 \
	"$EXE" mem_growth || fail=1

# Stock testpmd on the same device: vio's PMD (-d), then DPDK's own
# net_virtio_user (the anchor), io forwarding of a broadcast burst that the
# simulator loops back, 3 s each. testpmd's TX count must be the simulator's.
vst() { vdpa dev vstats show vdpa0 qidx "$1" 2>/dev/null |
	sed -n "s/.*$2 \(value \)\{0,1\}\([0-9][0-9]*\).*/\2/p" | head -1; }
. /usr/share/vio-peers/testpmd-lib.sh
EAL="-l 0,1 -n 1 --no-pci --no-huge -m 256 --iova-mode=va"
APP="-i --total-num-mbufs=2048 --txd=256 --rxd=256 --eth-peer=0,ff:ff:ff:ff:ff:ff"
pmd_run() {
	name=$1 vdev=$2
	shift 2
	tp_start "$name" $EAL --file-prefix="$name" "$@" --vdev "$vdev" -- $APP || return 1
	tx0=$(vst 1 "tx packets")
	tp_cmd "$name" set fwd io
	tp_cmd "$name" start tx_first
	sleep 3
	tp_cmd "$name" stop
	sleep 0.5
	tp_cmd "$name" show port stats 0
	tx1=$(vst 1 "tx packets")
	tp_quit "$name"
	rx=$(tp_stat "$name" RX-packets) tx=$(tp_stat "$name" TX-packets)
	echo "testpmd $vdev: RX=$rx TX=$tx in 3 s; vdpa0 tx packets ${tx0:-?} -> ${tx1:-?}"
	[ "$rx" -gt 0 ] && [ "$tx" -gt 0 ] && [ $((${tx1:-0} - ${tx0:-0})) = "$tx" ]
}
pmd_run vio "net_vio0,path=$net" -d "$PMD" || { echo "FAIL: testpmd with net_vio"; fail=1; }
pmd_run dpdk "net_virtio_user0,path=$net,queue_size=256" ||
	{ echo "FAIL: testpmd with net_virtio_user"; fail=1; }
# The handoff: stock testpmd holds a net_vio backend port with driver=vdpa
# (never forwarding); DPDK's net_virtio_user in a second testpmd is its
# vhost-user frontend, whose rings the device serves.
if tp_start hv $EAL --file-prefix=hv -d "$PMD" --log-level 'lib.vio.*:info' \
	--vdev "net_vio0,iface=/tmp/hv.sock,driver=vdpa,device=$net" -- -i --total-num-mbufs=2048; then
	pmd_run handoff "net_virtio_user0,path=/tmp/hv.sock,queue_size=256" ||
		{ echo "FAIL: net_virtio_user through vio's handoff to the device"; fail=1; }
	tp_cmd hv show port stats 0
	grep -e 'running (DRIVER_OK)' /tmp/hv.log | head -n 1
	moved=$(($(tp_stat hv RX-packets 0) + $(tp_stat hv TX-packets 0)))
	echo "packets vio's own queues moved: $moved"
	[ "$moved" = 0 ] || { echo "FAIL: vio's queues moved packets in a handoff"; fail=1; }
	tp_quit hv
else
	echo "FAIL: no holder testpmd"
	fail=1
fi
exit $fail
EOF

rc=0
"$PEERS/guest-run.sh" --script "$run/guest.sh" --smp 2 --mem-size 1536M --hugepages 128 \
	--add-dir "$build" --env EXE="$exe" --env PMD="$build/drivers/librte_net_vio.so" \
	--env VDPA_FRAMES="${VDPA_FRAMES:-100000}" \
	--timeout 240 "$@" >"$log" 2>&1 || rc=$?
cat "$log"

fail=0
[ "$rc" = 0 ] || { echo "FAIL: the guest's script exited with $rc"; fail=1; }
# Each refusal names the device and the call.
for want in \
	'VHOST_VDPA_GET_DEVICE_ID: device id 2 (block); a net port needs device id 1 (net)' \
	"queue_size=512: the device's rings take at most 256 entries (VHOST_VDPA_GET_VRING_NUM)" \
	'vdpa vdpa-bad (/dev/vhost-vdpa-99): open: No such file or directory' \
	'open: Device or resource busy' \
	'driver vdpa: /dev/vhost-vdpa-1: cannot open the device: No such device'; do
	grep -qF "$want" "$log" || { echo "FAIL: no log line with \"$want\""; fail=1; }
done
if grep -m 5 -E 'Sanitizer|runtime error:' "$log"; then
	echo "FAIL: sanitizer errors"
	fail=1
fi
# Both runs of the program print a "cases:" line.
passed=$(awk '/^cases: / { n += $2 } END { print n + 0 }' "$log")
failed=$(awk '/^cases: / { n += $4 } END { print n + 0 }' "$log")
echo "guest vdpa: guest status $rc," \
	"$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"
echo "${passed:-0} passed, $((${failed:-0} + fail)) failed"
if [ "$fail" = 0 ]; then
	exit 0
fi
[ "$rc" = 99 ] && exit 99
exit 1
