#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio-fwd as a traffic source (txonly) or sink (rxonly) on a net_vhost port,
# against stock testpmd with net_virtio_user in the opposite mode.
#
#   app-oneway.sh VIO_FWD --mode txonly|rxonly [--size BYTES] [--seconds S]
#
# txonly passes when
# - testpmd (rxonly) received what vio-fwd's port accepted, but for what was
#   in flight when testpmd stopped (its receive ring), and every frame was
#   --size bytes (RX-bytes = RX-packets x size);
# - a second, short run of vio-fwd txonly into a net_pcap port writes frames
#   that an independent reader (Python, here) finds well formed: Ethernet
#   from the port's MAC to --eth-peer, IPv4 from and to --tx-ip with a valid
#   header checksum, UDP between --tx-udp's ports with the right length and
#   a valid checksum over the pseudo-header and payload.
# rxonly passes when vio-fwd received every frame testpmd (txonly) sent, but
# for what was in flight, each of --size bytes, and sent nothing.
# Both: vio-fwd exits 0 on SIGTERM, and its socket is gone.
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd or python3), 99 set-up
# error. ~10 s.
set -euo pipefail

fwd_bin=$1
shift
mode='' size=128 secs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--mode) mode=$2 ;;
	--size) size=$2 ;;
	--seconds) secs=$2 ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done
case "$mode" in txonly | rxonly) ;; *) echo "--mode txonly|rxonly" >&2; exit 99 ;; esac

here=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$(cd "$here/../../../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
if [ "$mode" = txonly ]; then
	command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
fi
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"
# shellcheck source=app-lib.sh
. "$here/app-lib.sh"

run=$(mktemp -d /tmp/vio-app-oneway.XXXXXX)
sock=$run/vhost.sock
export TP_DIR=$run
prefix=vio-app-oneway-$$
fwd_pid=
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "$fwd_pid" ] && kill -9 "$fwd_pid" 2>/dev/null || true
	rm -rf "$run" "/var/run/dpdk/$prefix"
}
trap cleanup EXIT

eal=(-l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --no-shconf --log-level lib.vhost.config:warning)
tx_args=(--txpkts "$size" --eth-peer 0,02:11:22:33:44:55 --tx-ip 198.18.7.1,198.18.7.2
	--tx-udp 4000,5000)
if [ "$mode" = txonly ]; then
	peer_mode=rxonly
	app_args=(--fwd txonly "${tx_args[@]}")
else
	peer_mode=txonly
	app_args=(--fwd rxonly)
fi

"$fwd_bin" "${eal[@]}" --vdev "net_vhost0,iface=$sock" -- "${app_args[@]}" >"$run/fwd.log" 2>&1 &
fwd_pid=$!
fwd_wait_sock "$sock" "$fwd_pid" "$run/fwd.log" || exit 99

tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
	--file-prefix="$prefix" --vdev "net_virtio_user0,path=$sock" \
	-- -i --total-num-mbufs=16384 || exit 99
tp_cmd fe set fwd "$peer_mode"
[ "$peer_mode" = txonly ] && tp_cmd fe set txpkts "$size"
tp_cmd fe start
sleep "$secs"
tp_cmd fe stop
tp_cmd fe show port stats 0
fe_rx=$(tp_stat fe RX-packets)
fe_rx_bytes=$(tp_stat_big fe RX-bytes)
fe_tx=$(tp_stat fe TX-packets)
# testpmd's own frames are sent; give vio-fwd a moment to take the last ones.
sleep 0.3
fwd_stop "$fwd_pid" TERM
rc=$FWD_RC
fwd_pid=
tp_quit fe
grep -v -e '^EAL:' -e '^VHOST_CONFIG' "$run/fwd.log"

fail=0
[ "$rc" = 0 ] || { echo "FAIL: vio-fwd exited with $rc on SIGTERM"; fail=1; }
[ ! -e "$sock" ] || { echo "FAIL: $sock left behind"; fail=1; }
rx=$(fwd_stat "$run/fwd.log" "port 0" rx-packets)
rx_bytes=$(fwd_stat "$run/fwd.log" "port 0" rx-bytes)
tx=$(fwd_stat "$run/fwd.log" "port 0" tx-packets)
tx_bytes=$(fwd_stat "$run/fwd.log" "port 0" tx-bytes)
echo "testpmd ($peer_mode): rx=$fe_rx rx-bytes=$fe_rx_bytes tx=$fe_tx" \
	" vio-fwd ($mode): rx=$rx rx-bytes=$rx_bytes tx=$tx tx-bytes=$tx_bytes ($size-byte frames, $secs s)"
# A receive ring of net_virtio_user holds 256 entries by default; room for more.
inflight=1024
if [ "$mode" = txonly ]; then
	[ "$fe_rx" -gt 1000 ] || { echo "FAIL: testpmd received too little"; fail=1; }
	[ "$tx" -ge "$fe_rx" ] && [ $((tx - fe_rx)) -le "$inflight" ] ||
		{ echo "FAIL: vio-fwd sent $tx, testpmd received $fe_rx"; fail=1; }
	[ "$fe_rx_bytes" = $((fe_rx * size)) ] ||
		{ echo "FAIL: testpmd received $fe_rx_bytes bytes in $fe_rx frames"; fail=1; }
	[ "$tx_bytes" = $((tx * size)) ] || { echo "FAIL: vio-fwd counted $tx_bytes bytes"; fail=1; }
	[ "$rx" = 0 ] || { echo "FAIL: txonly received $rx"; fail=1; }
else
	[ "$fe_tx" -gt 1000 ] || { echo "FAIL: testpmd sent too little"; fail=1; }
	[ "$rx" -le "$fe_tx" ] && [ $((fe_tx - rx)) -le "$inflight" ] ||
		{ echo "FAIL: testpmd sent $fe_tx, vio-fwd received $rx"; fail=1; }
	[ "$rx_bytes" = $((rx * size)) ] || { echo "FAIL: vio-fwd received $rx_bytes bytes"; fail=1; }
	[ "$tx" = 0 ] || { echo "FAIL: rxonly sent $tx"; fail=1; }
fi

if [ "$mode" = txonly ]; then
	# The frames themselves, through a pcap file, read by code that is not vio-fwd's.
	"$fwd_bin" -l 0,1 --main-lcore 0 --no-huge -m 256 --no-pci --no-shconf \
		--vdev "net_pcap0,tx_pcap=$run/tx.pcap" -- "${tx_args[@]}" --fwd txonly \
		--duration 0.05 >"$run/pcap.log" 2>&1 || { echo "FAIL: vio-fwd into net_pcap"; cat "$run/pcap.log"; fail=1; }
	pcap_mac=$(fwd_mac "$run/pcap.log" 0)
	python3 - "$run/tx.pcap" "$size" "$pcap_mac" <<'EOF' || fail=1
import socket, struct, sys

path, size, src_mac = sys.argv[1], int(sys.argv[2]), sys.argv[3].lower()

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s  # 0xffff when the data, checksum included, is intact

def mac(b):
    return ":".join("%02x" % x for x in b)

with open(path, "rb") as f:
    data = f.read(2 << 20)
if len(data) < 24 or struct.unpack("<I", data[:4])[0] not in (0xa1b2c3d4, 0xa1b23c4d):
    sys.exit("FAIL: %s is not a pcap file" % path)
off, n, bad = 24, 0, []
while off + 16 <= len(data) and n < 2000:
    incl = struct.unpack("<I", data[off + 8:off + 12])[0]
    frame = data[off + 16:off + 16 + incl]
    off += 16 + incl
    if len(frame) < incl:
        break
    n += 1
    why = []
    if len(frame) != size:
        why.append("length %d" % len(frame))
    elif mac(frame[0:6]) != "02:11:22:33:44:55" or mac(frame[6:12]) != src_mac:
        why.append("addresses %s <- %s" % (mac(frame[0:6]), mac(frame[6:12])))
    elif frame[12:14] != b"\x08\x00":
        why.append("ethertype")
    else:
        ip = frame[14:34]
        udp = frame[34:]
        tot, proto = struct.unpack("!H", ip[2:4])[0], ip[9]
        if ip[0] != 0x45 or tot != size - 14 or proto != 17:
            why.append("ip header")
        if csum(ip) != 0xffff:
            why.append("ip checksum")
        if socket.inet_ntoa(ip[12:16]) != "198.18.7.1" or socket.inet_ntoa(ip[16:20]) != "198.18.7.2":
            why.append("ip addresses")
        sport, dport, ulen, ucs = struct.unpack("!HHHH", udp[:8])
        if (sport, dport) != (4000, 5000) or ulen != size - 34:
            why.append("udp header")
        pseudo = ip[12:20] + struct.pack("!BBH", 0, 17, ulen)
        if ucs == 0 or csum(pseudo + udp) != 0xffff:
            why.append("udp checksum")
    if why:
        bad.append("frame %d: %s" % (n, ", ".join(why)))
print("pcap: %d frames read, %d bad" % (n, len(bad)))
for b in bad[:5]:
    print("FAIL:", b)
sys.exit(1 if bad or n < 100 else 0)
EOF
fi
[ "$fail" = 0 ] && echo "PASS"
exit "$fail"
