#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio in DPDK telemetry, read by stock dpdk-telemetry.py from stock
# dpdk-testpmd with net_vio loaded by -d (doc/pmd.md, "Telemetry").
#
#   telemetry.sh PMD_SO
#
# One testpmd (telemetry socket under --file-prefix vio-tel-PID), three
# net_vio ports of 2 queue pairs, chained forwarding (io, 0 -> 1 -> 2 -> 0):
#   port 0  backend, iface=a.sock, served by stock net_virtio_user in a
#           second testpmd (io forwarding)
#   port 1  backend, iface=b.sock, served by port 2 in-process
#   port 2  frontend, path=b.sock,driver=local
# Both sides start with tx_first; after 2 s of traffic, and again once both
# have stopped, dpdk-telemetry.py runs /vio/ports, /vio/port, /vio/queue and
# /vio/mem; python3 checks the JSON: roles, drivers, sockets, queue counts,
# link, features, connections; during traffic every queue moves packets; once
# stopped each port's counters summed over its queue pairs equal testpmd's
# "show port stats" exactly, no error counter is set, the ring positions of
# port 2's rings and of port 1's view of the same rings agree with each other
# and with the counters, port 1's memory table is the one port 2 gave it;
# unknown ports and queue pairs give null. Then port 2 is closed: /vio/ports
# no longer lists it and port 1 shows no connection.
#
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd or dpdk-telemetry.py), 99
# set-up error.
set -euo pipefail

pmd=$(realpath "$1")
src=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-$(cd "$src/../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
command -v dpdk-telemetry.py >/dev/null || { echo "dpdk-telemetry.py not installed"; exit 77; }
[ -f "$pmd" ] || { echo "no PMD at $pmd"; exit 99; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-tel.XXXXXX)
export TP_DIR=$run
prefix=vio-tel-$$
fe_prefix=vio-tel-fe-$$
# Where EAL puts the telemetry socket for root (dpdk-telemetry.py looks there too).
tel_dir=/var/run/dpdk/$prefix
stage_tool=$src/devtools/stage-pmd.sh
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "${KEEP_RUN:-}" ] && echo "kept $run" || rm -rf "$run"
	rm -rf "$tel_dir" "/var/run/dpdk/$fe_prefix"
	"$stage_tool" --clean "$pmd" || true
}
trap cleanup EXIT
pmd=$("$stage_tool" "$pmd") || exit 99
[ "$(id -u)" = 0 ] || { echo "needs root (the telemetry socket under /var/run/dpdk)"; exit 77; }
# A socket left by another process of this prefix would answer for it.
[ ! -e "$tel_dir" ] || { echo "$tel_dir exists already"; exit 99; }

fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

a=$run/a.sock b=$run/b.sock
tp_start vio -l 0,1 --main-lcore 0 --no-huge -m 512 --no-pci --no-shconf \
	--file-prefix="$prefix" -d "$pmd" \
	--vdev "net_vio0,iface=$a,queues=2" --vdev "net_vio1,iface=$b,queues=2" \
	--vdev "net_vio2,path=$b,driver=local,queues=2" -- -i --total-num-mbufs=16384 \
	--port-topology=chained --rxq=2 --txq=2 || exit 99
[ -S "$tel_dir/dpdk_telemetry.v2" ] || { echo "no telemetry socket in $tel_dir"; exit 99; }
tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --in-memory --single-file-segments \
	--file-prefix="$fe_prefix" --vdev "net_virtio_user0,path=$a,queues=2" \
	-- -i --total-num-mbufs=16384 --rxq=2 --txq=2 || exit 99

# query FILE COMMAND...: one line of JSON per command, in order.
query() {
	local out=$1
	shift
	printf '%s\n' "$@" | timeout 20 dpdk-telemetry.py -f "$prefix" >"$out" ||
		bad "dpdk-telemetry.py failed"
}
all_cmds=(/vio/ports /vio/port,0 /vio/port,1 /vio/port,2 /vio/port,net_vio2
	/vio/queue,0,0 /vio/queue,0,1 /vio/queue,1,0 /vio/queue,1,1
	/vio/queue,2,0 /vio/queue,2,1 /vio/mem,0 /vio/mem,1 /vio/mem,net_vio2
	/vio/port,9 /vio/port,net_vio9 /vio/queue,0,2 /vio/queue,0 /vio/mem,9)

tp_cmd vio set fwd io
tp_cmd vio start tx_first
tp_cmd fe set fwd io
tp_cmd fe start tx_first
sleep 2
query "$run/running.json" "${all_cmds[@]}"
tp_cmd fe stop
sleep 0.5
tp_cmd vio stop
query "$run/stopped.json" "${all_cmds[@]}"
tp_cmd vio show port stats all
stats=""
for p in 0 1 2; do
	stats="$stats $(tp_stat vio RX-packets $p) $(tp_stat vio TX-packets $p)"
done
tp_cmd vio port stop 2
tp_cmd vio port close 2
query "$run/closed.json" /vio/ports /vio/port,1 /vio/port,2 /vio/queue,2,0 /vio/mem,2

python3 - "$run" "$a" "$b" $stats <<'EOF' || fail=1
import json
import sys

run, sock_a, sock_b = sys.argv[1:4]
tp = [int(x) for x in sys.argv[4:]]  # RX, TX of ports 0, 1, 2 from "show port stats"
fails = []


def check(ok, what):
    if not ok:
        fails.append(what)
        print("FAIL:", what)


def load(name, n):
    lines = [l for l in open(f"{run}/{name}.json") if l.strip()]
    check(len(lines) == n, f"{name}: {len(lines)} replies for {n} commands")
    return [json.loads(l) for l in lines]


VERSION_1, MQ, PROTOCOL_FEATURES = 1 << 32, 1 << 22, 1 << 30


def replies(name):
    r = load(name, 19)
    return dict(zip(["ports", "p0", "p1", "p2", "p2name", "q00", "q01", "q10", "q11",
                     "q20", "q21", "m0", "m1", "m2", "bad_port", "bad_name", "bad_qp",
                     "no_qp", "bad_mem"], [list(x.values())[0] for x in r]))


def dirs(q):
    return [q[d] for d in ("to_guest", "from_guest", "rx", "tx") if d in q]


for name in ("running", "stopped"):
    r = replies(name)
    check(r["ports"] == [0, 1, 2], f"{name}: /vio/ports is {r['ports']}")
    p0, p1, p2 = r["p0"], r["p1"], r["p2"]
    for p, role, driver, sock in ((p0, "backend", "local", sock_a),
                                  (p1, "backend", "local", sock_b),
                                  (p2, "frontend", "local", sock_b)):
        check(p is not None, f"{name}: a port is null")
        if p is None:
            continue
        n = p["name"]
        check(p["role"] == role and p["driver"] == driver,
              f"{name}: {n} is {p['role']}/{p['driver']}, not {role}/{driver}")
        check(p.get("iface" if role == "backend" else "path") == sock, f"{name}: {n}: socket")
        check(p["queue_pairs"] == 2, f"{name}: {n}: queue_pairs {p['queue_pairs']}")
        check(p["link"] == "up" and p["connected"] == 1, f"{name}: {n}: link {p['link']}")
        check(p["connections"] == 1, f"{name}: {n}: connections {p['connections']}")
        f = int(p["features"], 16)
        check(f & VERSION_1 and f & MQ, f"{name}: {n}: features {p['features']}")
        check(p["mem_regions"] >= 1, f"{name}: {n}: mem_regions {p['mem_regions']}")
    check(r["p2name"] == p2, f"{name}: /vio/port,net_vio2 differs from /vio/port,2")
    check(p0["vrings"] == 4 and p1["vrings"] == 4, f"{name}: vrings")
    # One link up per connection: pausing rings (virtio_user does at start) is no flap.
    check(p0["link_ups"] == 1 and p1["link_ups"] == 1, f"{name}: link_ups {p0['link_ups']}, {p1['link_ups']}")
    check(p2["queue_pairs_started"] == 2, f"{name}: net_vio2 queue_pairs_started")
    # The backend sees what the frontend negotiated, plus PROTOCOL_FEATURES.
    check(int(p1["features"], 16) & ~PROTOCOL_FEATURES == int(p2["features"], 16),
          f"{name}: net_vio1 has {p1['features']}, net_vio2 {p2['features']}")
    for k in ("q00", "q01", "q10", "q11", "q20", "q21"):
        q = r[k]
        check(q is not None and len(dirs(q)) == 2, f"{name}: {k}: {q}")
        if q is None:
            continue
        for d in dirs(q):
            check(d["packets"] > 0 and d["bytes"] >= 60 * d["packets"],
                  f"{name}: {k} vring {d['vring']}: {d['packets']} packets, {d['bytes']} bytes")
            check(d["size"] == 256, f"{name}: {k}: ring size {d['size']}")
            errs = {c: v for c, v in d.items() if c.startswith("err_") and v}
            check(not errs and not d.get("broken"), f"{name}: {k}: {errs}")
            check(d.get("live", 1) == 1, f"{name}: {k}: not live")
    for m, p in (("m0", p0), ("m1", p1), ("m2", p2)):
        mm = r[m]
        check(mm["nb_regions"] == p["mem_regions"] == mm["regions_listed"] ==
              len(mm["gpa"]) == len(mm["size"]), f"{name}: {m}: {mm}")
        check(sum(mm["size"]) == mm["listed_bytes"] > 0, f"{name}: {m}: sizes")
        check("iotlb_entries" not in mm, f"{name}: {m}: an IOTLB without iommu-support")
    check(r["m1"]["gpa"] == r["m2"]["gpa"] and r["m1"]["size"] == r["m2"]["size"],
          f"{name}: net_vio1's memory table is not the one net_vio2 gave")
    for k in ("bad_port", "bad_name", "bad_qp", "no_qp", "bad_mem"):
        check(r[k] is None, f"{name}: {k} gave {r[k]}")

# Stopped: the counters are still, and equal testpmd's per port.
r = replies("stopped")
for port, qs, rx, tx in ((0, ("q00", "q01"), "from_guest", "to_guest"),
                         (1, ("q10", "q11"), "from_guest", "to_guest"),
                         (2, ("q20", "q21"), "rx", "tx")):
    got_rx = sum(r[q][rx]["packets"] for q in qs)
    got_tx = sum(r[q][tx]["packets"] for q in qs)
    print(f"port {port}: telemetry rx {got_rx} tx {got_tx}, testpmd rx {tp[2 * port]} "
          f"tx {tp[2 * port + 1]}")
    check(got_rx == tp[2 * port] and got_tx == tp[2 * port + 1],
          f"port {port}: telemetry and show port stats differ")
# Port 2 drives port 1's rings: the two views of each ring agree.
for qp in (0, 1):
    fe, be = r[f"q2{qp}"], r[f"q1{qp}"]
    for drv, dev in ((fe["tx"], be["from_guest"]), (fe["rx"], be["to_guest"])):
        v = drv["vring"]
        check(dev["vring"] == v, f"qp {qp}: vring {dev['vring']} against {v}")
        # The index the driver posts up to is the one the device reads.
        check(dev["avail_idx"] == drv["avail_idx"],
              f"vring {v}: device reads avail {dev['avail_idx']}, driver at {drv['avail_idx']}")
        # The device's used index is the one the driver reads.
        check(drv["used_idx"] == dev["last_used_idx"],
              f"vring {v}: driver sees used {drv['used_idx']}, device {dev['last_used_idx']}")
    # Transmit: one descriptor chain a packet; what was posted and not taken is the difference.
    tx, fg = fe["tx"], be["from_guest"]
    check((tx["packets"] - fg["packets"]) % 65536 == (tx["avail_idx"] - fg["last_avail_idx"]) % 65536,
          f"qp {qp}: posted {tx['packets']} (avail {tx['avail_idx']}), taken {fg['packets']} "
          f"(at {fg['last_avail_idx']})")

r = load("closed", 5)
ports, p1, p2, q2, m2 = [list(x.values())[0] for x in r]
check(ports == [0, 1], f"after port close 2: /vio/ports is {ports}")
check(p2 is None and q2 is None and m2 is None, "after port close 2: port 2 still answers")
check(p1 is not None and p1["connected"] == 0 and p1["link"] == "down",
      f"after port close 2: net_vio1 is {p1}")
print(f"{'FAIL' if fails else 'ok'}: {len(fails)} failed checks")
sys.exit(1 if fails else 0)
EOF

echo "--- a sample (stopped): /vio/port,2 and /vio/queue,2,0"
sed -n '4p;10p' "$run/stopped.json"
tp_quit fe
tp_quit vio
if [ "$fail" = 0 ]; then
	echo "PASS: telemetry"
else
	echo "--- net_vio testpmd, last lines:"
	tail -n 20 "$run/vio.log"
fi
exit "$fail"
