#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio-fwd's streams, topologies and accounting, on three stock net_null
# ports (an endless source and sink) with two queues each and two
# forwarding lcores (three EAL lcores on two CPUs with --lcores). Each port
# makes frames of its own size (net_null's size=: 64, 128, 256 bytes), so
# the bytes a port sent say whose frames they were.
#
#   app-topology.sh VIO_FWD
#
# For each topology (paired: 0<->1 and 2 to itself; chained: 0->1->2->0;
# loop: each to itself), a 1.5 s run in io mode passes when
# - vio-fwd exits 0 by itself (--duration) with its summary;
# - the six streams were dealt three to each forwarding lcore;
# - what each port received went out by the port the topology names:
#   rx-packets of port P = tx-packets + tx-dropped of its destination, whose
#   tx-bytes are tx-packets times P's frame size;
# - net_null's own counters agree with vio-fwd's (opackets = tx-packets);
# - every port moved packets and has a cycles-per-packet figure.
# Exit 0 pass, 1 fail. ~10 s. Ends with "N passed, N failed".
set -uo pipefail

fwd_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=app-lib.sh
. "$here/app-lib.sh"
run=$(mktemp -d /tmp/vio-app-topo.XXXXXX)
trap 'rm -rf "$run"' EXIT
pass=0 fail=0

declare -A dest=(
	[paired]="1 0 2"
	[chained]="1 2 0"
	[loop]="0 1 2"
)
for topo in paired chained loop; do
	log=$run/$topo.log
	rc=0
	timeout 60 "$fwd_bin" --lcores 0@0,1@1,2@1 --main-lcore 0 --no-huge -m 256 --no-pci \
		--no-shconf --log-level lib.eal:error --vdev net_null0,size=64 --vdev net_null1,size=128 \
		--vdev net_null2,size=256 \
		-- --fwd io --queues 2 --port-topology "$topo" --duration 1.5 --stats-period 0.5 \
		>"$log" 2>&1 || rc=$?
	bad=0
	[ "$rc" = 0 ] || { echo "$topo: FAIL: exit status $rc"; bad=1; }
	grep -q '^==== vio-fwd summary: mode io.* 3 ports, 6 streams on 2 lcores' "$log" ||
		{ echo "$topo: FAIL: not 6 streams on 2 lcores"; bad=1; }
	for l in 1 2; do
		n=$(fwd_stat "$log" "lcore $l" streams)
		[ "$n" = 3 ] || { echo "$topo: FAIL: lcore $l has $n streams"; bad=1; }
	done
	read -r -a d <<<"${dest[$topo]}"
	size=(64 128 256)
	for p in 0 1 2; do
		q=${d[$p]}
		rx=$(fwd_stat "$log" "port $p" rx-packets)
		tx=$(fwd_stat "$log" "port $q" tx-packets)
		drop=$(fwd_stat "$log" "port $q" tx-dropped)
		txb=$(fwd_stat "$log" "port $q" tx-bytes)
		opk=$(fwd_stat "$log" "port $q" opackets)
		cyc=$(awk -v p="port $p" '
			/^==== vio-fwd summary/ { on = 1 }
			on && index($0, p " ") == 1 { s = 1; next }
			on && /^(port|total|lcore)/ { s = 0 }
			s && /average/ { for (i = 1; i < NF; i++) if ($i == "cyc/pkt") print $(i + 1) }' "$log")
		echo "$topo: port $p -> port $q: rx $rx, tx $tx + dropped $drop, tx-bytes $txb," \
			"opackets $opk, cyc/pkt ${cyc:-?}"
		[ "$rx" -gt 0 ] || { echo "$topo: FAIL: port $p received nothing"; bad=1; }
		[ "$rx" = $((tx + drop)) ] || { echo "$topo: FAIL: port $p's packets did not all reach port $q"; bad=1; }
		[ "$txb" = $((tx * size[p])) ] ||
			{ echo "$topo: FAIL: port $q sent frames that are not port $p's"; bad=1; }
		[ "$opk" = "$tx" ] || { echo "$topo: FAIL: port $q counted $opk, vio-fwd $tx"; bad=1; }
		[[ "${cyc:-}" =~ ^[0-9]+\.[0-9]$ ]] || { echo "$topo: FAIL: no cycles per packet"; bad=1; }
	done
	if [ "$bad" = 0 ]; then
		echo "$topo: ok"
		pass=$((pass + 1))
	else
		grep -v 'EAL' "$log" | tail -n 40
		fail=$((fail + 1))
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
