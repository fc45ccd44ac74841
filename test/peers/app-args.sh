#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio-fwd's arguments: --help reads like a manual page and lists every
# option; each bad argument makes vio-fwd exit 2 with a message that names
# the argument (and, where there is a list or a range, what it accepts),
# without a crash, a core, or a socket file left behind.
#
#   app-args.sh VIO_FWD
#
# Some cases are found before the EAL starts (option syntax, ranges), others
# after it, against the ports it probed (no port, queues the port does not
# have, --nb-cores beyond the lcores, --eth-peer of a missing port, a
# transmit queue two lcores would share).
# Exit 0 pass, 1 fail. ~15 s. Ends with "N passed, N failed".
set -uo pipefail

fwd_bin=$1
run=$(mktemp -d /tmp/vio-app-args.XXXXXX)
trap 'rm -rf "$run"' EXIT
pass=0 fail=0

ok() {
	echo "ok    $1"
	pass=$((pass + 1))
}
bad() {
	echo "FAIL  $1: $2"
	sed 's/^/        /' "$run/out" | grep -v -e 'EAL: ' | tail -n 5
	fail=$((fail + 1))
}

# --help: exit 0, the sections of a manual page, every option of the parser.
"$fwd_bin" --help >"$run/out" 2>&1
rc=$?
missing=
for w in NAME SYNOPSIS DESCRIPTION 'FORWARDING MODES' OPTIONS STATISTICS SIGNALS 'EXIT STATUS' \
	EXAMPLES --fwd --port-topology --rxq --txq --queues --nb-cores --rxd --txd --burst \
	--nb-mbufs --mbuf-size --eth-peer --txpkts --tx-ip --tx-udp --ip --no-promisc \
	--stats-period --duration --quiet --offload --help io mac macswap rxonly txonly icmpecho; do
	grep -q -e "$w" "$run/out" || missing="$missing $w"
done
if [ "$rc" = 0 ] && [ -z "$missing" ]; then ok "--help"; else bad "--help" "status $rc, missing:$missing"; fi
"$fwd_bin" -- -h >"$run/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '^SYNOPSIS' "$run/out"; then ok "-- -h"; else bad "-- -h" "status $rc"; fi

# expect NAME WORD... -- EAL-AND-APP-ARGS: exit 2, stderr holds every WORD, no core.
expect() {
	local name=$1 words=() rc w miss=
	shift
	while [ "$1" != -- ]; do
		words+=("$1")
		shift
	done
	shift
	timeout 60 "$fwd_bin" "$@" >"$run/out" 2>&1
	rc=$?
	for w in "${words[@]}"; do
		grep -q -F -e "$w" "$run/out" || miss="$miss '$w'"
	done
	if [ "$rc" = 2 ] && [ -z "$miss" ]; then
		ok "$name"
	else
		bad "$name" "status $rc (2 expected)${miss:+, message lacks$miss}"
	fi
}

# Before the EAL.
expect "unknown option" "unknown option '--bogus'" "--help" -- -- --bogus
# A plugin below a world-writable directory (the run directory is under /tmp):
# the EAL refuses it, vio-fwd says why and what to do.
cp "$(dirname "$fwd_bin")/../drivers/librte_net_vio.so" "$run/" 2>/dev/null ||
	: >"$run/librte_net_vio.so"
expect "-d below /tmp" "world-writable directory" "stage-pmd.sh" -- -l 0 --no-huge -m 64 \
	--no-pci --no-shconf -d "$run/librte_net_vio.so" -- --fwd io
expect "missing value" "'--burst' needs a value" -- -- --burst
expect "stray word" "unexpected argument 'io'" -- -- --fwd mac io
expect "bad mode" "--fwd 'ping'" "io, mac, macswap, rxonly, txonly, icmpecho" -- -- --fwd ping
expect "bad mode alias" "--forward-mode 'x'" "icmpecho" -- -- --forward-mode x
expect "bad topology" "--port-topology 'ring'" "paired, chained, loop" -- -- --port-topology ring
expect "burst 0" "--burst '0'" "from 1 to 512" -- -- --burst 0
expect "burst too big" "--burst '513'" "from 1 to 512" -- -- --burst 513
expect "burst not a number" "--burst '3x'" -- -- --burst 3x
expect "burst negative" "--burst '-1'" -- -- --burst -1
expect "rxq 0" "--rxq '0'" "from 1 to 1024" -- -- --rxq 0
expect "queues too many" "--queues '5000'" -- -- --queues 5000
expect "rxd too big" "--rxd '70000'" "from 0 to 65535" -- -- --rxd 70000
expect "nb-mbufs too few" "--nb-mbufs '10'" "from 1024" -- -- --nb-mbufs 10
expect "nb-cores 0" "--nb-cores '0'" -- -- --nb-cores 0
expect "mbuf-size too small" "--mbuf-size '100'" -- -- --mbuf-size 100
expect "txpkts too small" "--txpkts '20'" "from 42" -- -- --txpkts 20
expect "txpkts over the mbuf" "--txpkts 4000" "--mbuf-size" -- -- --txpkts 4000
expect "eth-peer no MAC" "--eth-peer '0'" "PORT,MAC" -- -- --eth-peer 0
expect "eth-peer bad MAC" "--eth-peer '0,02:00:zz:00:00:01'" -- -- --eth-peer 0,02:00:zz:00:00:01
expect "eth-peer port range" "--eth-peer '32,02:00:00:00:00:01'" "0 to 31" -- -- --eth-peer 32,02:00:00:00:00:01
expect "tx-ip one address" "--tx-ip '10.0.0.1'" "SRC,DST" -- -- --tx-ip 10.0.0.1
expect "tx-ip bad address" "--tx-ip '10.0.0.1,10.0.0.256'" -- -- --tx-ip 10.0.0.1,10.0.0.256
expect "tx-udp range" "--tx-udp '70000'" "0 to 65535" -- -- --tx-udp 70000
expect "ip bad" "--ip '192.0.2'" "IPv4 address" -- -- --ip 192.0.2
expect "stats-period too short" "--stats-period '0.01'" -- -- --stats-period 0.01
expect "stats-period negative" "--stats-period '-1'" -- -- --stats-period -1
expect "duration not a number" "--duration 'ten'" -- -- --duration ten
expect "duration nan" "--duration 'nan'" -- -- --duration nan

# After the EAL, against the ports it probed.
eal=(-l 0,1 --main-lcore 0 --no-huge -m 128 --no-pci --no-shconf --log-level lib.eal:error)
expect "no port" "no port" "--vdev" -- "${eal[@]}" --
expect "bad EAL option" "EAL" -- "${eal[@]}" --bogus-eal-option -- --fwd io
sock=$run/q.sock
expect "rxq beyond net_vhost queues" "--rxq 2" "at most 1 receive" "queues=" -- "${eal[@]}" \
	--vdev "net_vhost0,iface=$sock" -- --queues 2
if [ -e "$sock" ]; then
	echo "FAIL  socket left behind after a refused --queues"
	fail=$((fail + 1))
else
	ok "no socket left after a refused --queues"
fi
expect "nb-cores beyond lcores" "--nb-cores 3" "1 to 1" -- "${eal[@]}" --vdev net_null0 -- --nb-cores 3
expect "eth-peer of a missing port" "--eth-peer 3" "no port 3" -- "${eal[@]}" --vdev net_null0 \
	-- --eth-peer 3,02:00:00:00:00:09
# Three lcores on two CPUs: two forwarding lcores; two receive queues, one transmit queue.
expect "shared transmit queue" "transmit queue 0 of port 0" "shared by lcores" -- \
	--lcores 0@0,1@1,2@1 --main-lcore 0 --no-huge -m 128 --no-pci --no-shconf \
	--log-level lib.eal:error --vdev net_null0 -- --rxq 2 --txq 1 --port-topology loop

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
