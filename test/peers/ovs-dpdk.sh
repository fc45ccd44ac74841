#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Stock OVS-DPDK (Debian's openvswitch-switch-dpdk: OVS 3.1 on DPDK 22.11)
# loads net_vio with -d and switches between two vio backend ports; stock
# dpdk-testpmd with two net_virtio_user ports is the other side of both.
#
#   ovs-dpdk.sh PMD_SO [--seconds S]
#
#   testpmd port 0 (net_virtio_user0) <-> a.sock <-> OVS port a (net_vio0)
#                                                     | br0: a -> b, b -> a
#   testpmd port 1 (net_virtio_user1) <-> b.sock <-> OVS port b (net_vio1)
#
# The test starts its own ovsdb-server and ovs-vswitchd-dpdk on a database
# and run directory of its own, and stops them (by PID) at exit; a system
# Open vSwitch, if one runs, is neither used nor touched. OVS gets the PMD
# through other_config:dpdk-extra (-d), the ports through
# options:dpdk-devargs, the cross-connect through two OpenFlow flows.
#
# Rounds of traffic, both directions at once, every count exact. OVS's
# figures come from `ovs-ofctl dump-ports` (live; the database's statistics
# column is written only every 5 s), each as the difference over the round.
#   io (3 s, --seconds): testpmd forwards io (what port 1 receives goes out
#     of port 0 and the other way round) after `start tx_first 2`: 64
#     packets a way circulate. 64 is far below every ring's 256 entries, so
#     nothing may be lost anywhere. testpmd stops; once OVS has moved what
#     was left in testpmd's transmit rings, testpmd takes what waits in its
#     receive rings (rxonly), and then for each direction (a to b shown):
#       testpmd port 0 TX = OVS a rx pkts      (and a rx drop = 0)
#                         = flow in_port=a n_packets
#                         = OVS b tx pkts      (and b tx drop = 0)
#                         = testpmd port 1 RX
#     and at least 10000 packets each way.
#   overload (1 s): testpmd sends txonly on both ports and receives
#     nothing: its receive rings fill and net_vio's Tx refuses the rest.
#     The same equalities, except that OVS b tx pkts + b tx drop = OVS a rx
#     pkts, with 1 to 256 (one ring) through, and b tx errs (net_vio's
#     oerrors, a count of refusals) at least b tx drop.
# Then:
#   - a port c with a bad device argument (bogus-key=1): OVS refuses it (no
#     OpenFlow port, its interface error names the devargs), vio's log line
#     in OVS's log names the key, no socket file appears, OVS lives on, and
#     a and b forward exactly as before (an io round of 1 s);
#   - `ovs-vsctl del-port a` detaches net_vio0: its socket file goes, OVS's
#     log says the device was detached;
#   - `ovs-appctl exit --cleanup`: OVS closes net_vio1 (its socket goes) and
#     exits.
# The script ends with "N passed, N failed".
#
# Exit 0 pass, 1 fail, 77 skip (ovs-vswitchd-dpdk or dpdk-testpmd not
# installed, no network namespace), 99 set-up error. ~15 s.
# shellcheck disable=SC2317 # cleanup and stop_daemon also run from the EXIT trap
set -euo pipefail

pmd=$(realpath "$1")
shift
secs=3
while [ $# -gt 0 ]; do
	case "$1" in
	--seconds) secs=$2 ;;
	*) echo "unknown option $1" >&2; exit 99 ;;
	esac
	shift 2
done

vswitchd=/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk
schema=/usr/share/openvswitch/vswitch.ovsschema
src=$(cd "$(dirname "$0")/../.." && pwd)
PEERS=${PEERS:-$(cd "$src/../shared/peers" && pwd)}
if [ ! -x "$vswitchd" ]; then
	echo "SKIP: $vswitchd is not installed (Debian package openvswitch-switch-dpdk;" \
		"devtools/setup.sh packages installs it)"
	exit 77
fi
for p in ovsdb-server ovsdb-tool ovs-vsctl ovs-ofctl ovs-appctl dpdk-testpmd unshare; do
	command -v "$p" >/dev/null || { echo "SKIP: $p is not installed"; exit 77; }
done
[ -f "$schema" ] || { echo "SKIP: no $schema"; exit 77; }
unshare --net -- true 2>/dev/null ||
	{ echo "SKIP: cannot make a network namespace for ovs-vswitchd (unshare --net; root?)"; exit 77; }
[ -f "$pmd" ] || { echo "no PMD at $pmd"; exit 99; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

run=$(mktemp -d /tmp/vio-ovs.XXXXXX)
export TP_DIR=$run
# Every OVS program of this test finds its database, sockets, pid files and
# logs here, never in /var/run/openvswitch or /etc/openvswitch.
export OVS_RUNDIR=$run OVS_DBDIR=$run OVS_LOGDIR=$run OVS_SYSCONFDIR=$run
export OVS_PKGDATADIR=/usr/share/openvswitch
prefix=vio-ovs-$$
db=unix:$run/db.sock
vsctl=(ovs-vsctl --db="$db" --timeout=20)
ofctl=(ovs-ofctl --timeout=20)
br=unix:$run/br0.mgmt # br0's OpenFlow socket
ovsdb_pid='' vswitchd_pid=''
stage_tool=$src/devtools/stage-pmd.sh

# stop_daemon NAME PID [EXIT_ARGS]: `ovs-appctl exit`, SIGTERM after 5 s,
# SIGKILL after 10 s; only the PID this script started.
stop_daemon() {
	local i
	[ -n "$2" ] && kill -0 "$2" 2>/dev/null || return 0
	# shellcheck disable=SC2086 # EXIT_ARGS: words
	timeout 10 ovs-appctl -t "$run/$1.ctl" exit ${3:-} >/dev/null 2>&1 ||
		kill -TERM "$2" 2>/dev/null || true
	for i in $(seq 100); do
		kill -0 "$2" 2>/dev/null || return 0
		[ "$i" = 50 ] && { kill -TERM "$2" 2>/dev/null || true; }
		sleep 0.1
	done
	echo "$1 ($2) did not exit: killing it"
	kill -KILL "$2" 2>/dev/null || true
	return 1
}

cleanup() {
	tp_kill_all 2>/dev/null || true
	stop_daemon ovs-vswitchd "$vswitchd_pid" || true
	stop_daemon ovsdb-server "$ovsdb_pid" || true
	if [ -n "${KEEP_RUN:-}" ]; then echo "kept $run"; else rm -rf "$run"; fi
	rm -rf "/var/run/dpdk/$prefix" "/var/run/dpdk/$prefix-tp"
	[ -z "${staged:-}" ] || "$stage_tool" --clean "$staged" || true
}
trap cleanup EXIT
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
staged=$("$stage_tool" "$pmd") || exit 99

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() {
	echo "FAIL: $*"
	failed=$((failed + 1))
}
# expect WHAT CMD...: one check; CMD's status decides.
expect() {
	local what=$1
	shift
	if "$@"; then ok; else bad "$what"; fi
}
# between LO X HI: LO <= X <= HI
between() { [ "$1" -le "$2" ] && [ "$2" -le "$3" ]; }
logs() {
	local f
	for f in ovs-vswitchd ovsdb-server tp; do
		[ -f "$run/$f.log" ] || continue
		echo "--- $f.log, last lines:"
		tail -n 25 "$run/$f.log"
	done
}
# finish: the summary line and the exit status.
finish() {
	[ "$failed" = 0 ] || logs
	echo "$passed passed, $failed failed"
	[ "$failed" = 0 ] && exit 0
	exit 1
}
setup_error() {
	echo "set-up error: $*"
	logs
	exit 99
}

# The database and ovsdb-server. --detach returns once it serves db.sock.
ovsdb-tool create "$run/conf.db" "$schema" || setup_error "ovsdb-tool create"
ovsdb-server "$run/conf.db" --remote="punix:$run/db.sock" --pidfile="$run/ovsdb-server.pid" \
	--unixctl="$run/ovsdb-server.ctl" --log-file="$run/ovsdb-server.log" --detach \
	-vconsole:off 2>>"$run/ovsdb-server.log" || setup_error "ovsdb-server did not start"
ovsdb_pid=$(cat "$run/ovsdb-server.pid")
"${vsctl[@]}" --no-wait init

# OVS's own DPDK: -d and vio's ports, on plain memory. net_vio's backend
# role maps the frontend's (testpmd's) memory and shares none of its own, so
# OVS needs no hugepages, and --no-huge leaves the machine's hugepages to the
# other tests. OVS adds --in-memory unless it is given --legacy-mem, and EAL
# refuses --in-memory beside --no-huge ("Option --legacy-mem is not
# compatible with --in-memory"): so --legacy-mem, --no-shconf and a file
# prefix of our own instead. per-port-memory: a mempool per port sized for
# its queues instead of OVS's shared pool of 262144 mbufs for MTU 1500,
# which -m 512 cannot hold (OVS 3.1: "Failed to create mempool ... No buffer
# space available", and the port is not added). The PMD thread polls CPU 1
# (pmd-cpu-mask), testpmd forwards on CPU 0.
eal_extra="-d $staged --no-pci --no-huge -m 512 --legacy-mem --no-shconf --file-prefix=$prefix"
eal_extra+=" --log-level=pmd.net.vio:info"
"${vsctl[@]}" --no-wait set Open_vSwitch . other_config:dpdk-init=true \
	other_config:dpdk-extra="$eal_extra" other_config:per-port-memory=true \
	other_config:pmd-cpu-mask=0x2
# In a network namespace of its own, for two reasons. The userspace datapath
# makes tap devices for its local ports ("ovs-netdev", "br0"), persistent
# ones, which would land on the host, outlive the test and clash with a
# system OVS's; the namespace ends with ovs-vswitchd and takes them along.
# And the kernel's OVS datapaths (a system OVS's ovs-system and its ports)
# belong to a network namespace: from this one, ovs-vswitchd can neither see
# nor change them. The vhost-user sockets are files: testpmd reaches them
# from the host's namespace.
unshare --net -- "$vswitchd" "$db" --pidfile="$run/ovs-vswitchd.pid" \
	--unixctl="$run/ovs-vswitchd.ctl" --log-file="$run/ovs-vswitchd.log" --detach \
	-vconsole:off 2>>"$run/ovs-vswitchd.log" || setup_error "ovs-vswitchd-dpdk did not start"
vswitchd_pid=$(cat "$run/ovs-vswitchd.pid")
[ "$("${vsctl[@]}" get Open_vSwitch . dpdk_initialized)" = true ] ||
	setup_error "OVS did not initialise DPDK"
echo "OVS $("${vsctl[@]}" get Open_vSwitch . dpdk_version):" \
	"$(grep -o 'EAL ARGS: .*' "$run/ovs-vswitchd.log" | head -n 1)"

# The bridge, vio's two backend ports (listening on a.sock, b.sock) and the
# cross-connect. ofport_request fixes the OpenFlow port numbers: a=1, b=2.
"${vsctl[@]}" add-br br0 -- set bridge br0 datapath_type=netdev
"${vsctl[@]}" add-port br0 a -- set interface a type=dpdk ofport_request=1 \
	options:dpdk-devargs="net_vio0,iface=$run/a.sock" || true
"${vsctl[@]}" add-port br0 b -- set interface b type=dpdk ofport_request=2 \
	options:dpdk-devargs="net_vio1,iface=$run/b.sock" || true
for p in a b; do
	if [ "$("${vsctl[@]}" get interface $p ofport)" -le 0 ]; then
		bad "OVS did not add port $p: $("${vsctl[@]}" get interface $p error)"
		finish
	fi
	ok
	expect "net_vio of port $p does not listen on $run/$p.sock" test -S "$run/$p.sock"
	echo "OVS port $p: $("${vsctl[@]}" get interface $p status)"
done
"${ofctl[@]}" del-flows "$br"
"${ofctl[@]}" add-flow "$br" in_port=1,actions=output:2
"${ofctl[@]}" add-flow "$br" in_port=2,actions=output:1

# ovs_port OFPORT rx|tx FIELD: FIELD (pkts, bytes, drop, errs) of an OVS
# port, live from the datapath.
ovs_port() {
	"${ofctl[@]}" dump-ports "$br" "$1" | awk -v d="$2" -v f="$3" '
		{ for (i = 1; i <= NF; i++) {
			if ($i == "rx" || $i == "tx") dir = $i
			else if (dir == d && index($i, f "=") == 1) {
				v = substr($i, length(f) + 2); sub(/,$/, "", v) } } }
		END { printf "%.0f\n", v + 0 }'
}

# flow_packets OFPORT: n_packets of the flow in_port=OFPORT.
flow_packets() {
	"${ofctl[@]}" dump-flows "$br" "in_port=$1" |
		awk '{ for (i = 1; i <= NF; i++) if (index($i, "n_packets=") == 1) {
			v = substr($i, 11); sub(/,$/, "", v) } } END { printf "%.0f\n", v + 0 }'
}

# testpmd: net_virtio_user0 on a.sock (its port 0), net_virtio_user1 on
# b.sock (port 1). --no-huge: its memory is one memfd, which vio maps.
# Forwarding on CPU 0 (lcore 0); the main lcore 1 only reads commands.
tp_start tp -l 0,1 --main-lcore 1 --no-huge -m 512 --no-pci --no-shconf \
	--file-prefix="$prefix-tp" --log-level 'pmd.net.virtio.*:notice' \
	--vdev "net_virtio_user0,path=$run/a.sock" --vdev "net_virtio_user1,path=$run/b.sock" \
	-- -i --total-num-mbufs=8192 || setup_error "testpmd did not start"

# tp_port FIELD PORT: testpmd's figure, from a fresh "show port stats".
tp_port() {
	tp_cmd tp show port stats "$2" >/dev/null
	tp_stat tp "$1" "$2"
}

# since KEY VALUE: VALUE less its count at the start of the round.
since() { echo $(($2 - base[$1])); }

# settled: true when OVS has received all testpmd sent in this round and
# sent or dropped all it received.
settled() {
	local p q rx
	for p in 1 2; do
		q=$((3 - p))
		rx=$(since rx$p "$(ovs_port $p rx pkts)")
		[ "$rx" = "$(tp_port TX-packets $((p - 1)))" ] || return 1
		[ $(($(since tx$q "$(ovs_port $q tx pkts)") + $(since txdrop$q "$(ovs_port $q tx drop)"))) \
			= "$rx" ] || return 1
	done
}

# flows_counted: true when both flows' counters have caught up with the ports'.
flows_counted() {
	[ "$(since flow1 "$(flow_packets 1)")" = "$(since rx1 "$(ovs_port 1 rx pkts)")" ] &&
		[ "$(since flow2 "$(flow_packets 2)")" = "$(since rx2 "$(ovs_port 2 rx pkts)")" ]
}

# round NAME io|txonly SECONDS: traffic both ways at once, then every count
# exact. io: 64 packets a way circulate (start tx_first 2), so nothing may
# be lost. txonly: testpmd sends as fast as it can and receives nothing, so
# testpmd's receive rings fill and net_vio's Tx refuses the rest: OVS must
# count every refused packet as a tx drop, and lose nothing else.
declare -A base
round() {
	local name=$1 mode=$2 secs=$3 i p q d tp_tx tp_rx o_rx o_rxdrop o_flow o_tx o_txdrop o_txerr
	for p in 1 2; do
		base[rx$p]=$(ovs_port $p rx pkts)
		base[rxdrop$p]=$(ovs_port $p rx drop)
		base[tx$p]=$(ovs_port $p tx pkts)
		base[txdrop$p]=$(ovs_port $p tx drop)
		base[txerr$p]=$(ovs_port $p tx errs)
		base[flow$p]=$(flow_packets $p)
	done
	tp_cmd tp clear port stats all
	tp_cmd tp set fwd "$mode"
	if [ "$mode" = io ]; then tp_cmd tp start tx_first 2; else tp_cmd tp start; fi
	sleep "$secs"
	tp_cmd tp stop
	# OVS moves what is left in testpmd's transmit rings.
	for i in $(seq 50); do settled && break; sleep 0.1; done
	expect "$name: OVS's port counters did not settle within 5 s" settled
	# What waits in testpmd's receive rings (io: the 64 circulating packets).
	tp_cmd tp set fwd rxonly
	tp_cmd tp start
	sleep 0.3
	tp_cmd tp stop
	# OVS's revalidator pushes datapath flow statistics every 0.5 to 1 s.
	for i in $(seq 50); do flows_counted && break; sleep 0.1; done
	for p in 1 2; do
		q=$((3 - p))
		d="testpmd port $((p - 1)) -> OVS $p -> OVS $q -> testpmd port $((q - 1))"
		tp_tx=$(tp_port TX-packets $((p - 1)))
		tp_rx=$(tp_port RX-packets $((q - 1)))
		o_rx=$(since rx$p "$(ovs_port $p rx pkts)")
		o_rxdrop=$(since rxdrop$p "$(ovs_port $p rx drop)")
		o_flow=$(since flow$p "$(flow_packets $p)")
		o_tx=$(since tx$q "$(ovs_port $q tx pkts)")
		o_txdrop=$(since txdrop$q "$(ovs_port $q tx drop)")
		o_txerr=$(since txerr$q "$(ovs_port $q tx errs)")
		echo "$name, $d: testpmd TX $tp_tx, OVS rx $o_rx (drop $o_rxdrop)," \
			"flow $o_flow, OVS tx $o_tx (drop $o_txdrop, errs $o_txerr), testpmd RX $tp_rx"
		expect "$name, $d: only $tp_tx packets" [ "$tp_tx" -ge 10000 ]
		expect "$name, $d: testpmd sent $tp_tx, OVS received $o_rx" [ "$o_rx" = "$tp_tx" ]
		expect "$name, $d: OVS dropped $o_rxdrop on receive" [ "$o_rxdrop" = 0 ]
		expect "$name, $d: the flow counted $o_flow of $o_rx" [ "$o_flow" = "$o_rx" ]
		expect "$name, $d: OVS received $o_rx, sent $o_tx and dropped $o_txdrop" \
			[ $((o_tx + o_txdrop)) = "$o_rx" ]
		expect "$name, $d: OVS sent $o_tx, testpmd received $tp_rx" [ "$tp_rx" = "$o_tx" ]
		if [ "$mode" = io ]; then
			expect "$name, $d: OVS dropped $o_txdrop on transmit" [ "$o_txdrop" = 0 ]
		else
			# At most one receive ring (256 entries) got through; net_vio
			# counts each refusal in oerrors (OVS's tx errs), OVS may retry.
			expect "$name, $d: $o_tx got through, not 1 to 256" between 1 "$o_tx" 256
			expect "$name, $d: tx errs $o_txerr below tx drop $o_txdrop" \
				[ "$o_txerr" -ge "$o_txdrop" ]
		fi
	done
}

round traffic io "$secs"
round overload txonly 1

# A bad device argument: OVS refuses the port, says why on the interface,
# and goes on; vio's log line (in OVS's log) names the key.
"${vsctl[@]}" add-port br0 c -- set interface c type=dpdk ofport_request=3 \
	options:dpdk-devargs="net_vio2,iface=$run/c.sock,bogus-key=1" 2>/dev/null || true
err=$("${vsctl[@]}" get interface c error)
echo "OVS port c: ofport $("${vsctl[@]}" get interface c ofport), error $err"
expect "port c: the error does not name the devargs: $err" grep -qF 'bogus-key=1' <<<"$err"
expect "port c was added" [ "$("${vsctl[@]}" get interface c ofport)" = -1 ]
expect "the refused port left $run/c.sock" [ ! -e "$run/c.sock" ]
line=$(grep -F 'vio_port: unknown device argument "bogus-key"' "$run/ovs-vswitchd.log" || true)
echo "OVS's log: ${line:-no line of vio naming bogus-key}"
expect "OVS's log has no line of vio naming bogus-key" [ -n "$line" ]
kill -0 "$vswitchd_pid" 2>/dev/null || { bad "ovs-vswitchd died"; finish; }
round "after port c" io 1

# del-port: OVS detaches net_vio0 (rte_dev_remove), which removes its socket.
"${vsctl[@]}" del-port br0 a
for _ in $(seq 50); do [ -e "$run/a.sock" ] || break; sleep 0.1; done
expect "del-port a left $run/a.sock" [ ! -e "$run/a.sock" ]
expect "OVS's log does not say net_vio0 was detached" \
	grep -q "Device 'net_vio0,iface=$run/a.sock' has been removed and detached" \
	"$run/ovs-vswitchd.log"
expect "port b went away with a" test -S "$run/b.sock"
tp_quit tp

# exit --cleanup: OVS removes its ports, so net_vio1 is closed too.
expect "ovs-vswitchd did not stop within 10 s of ovs-appctl exit" \
	stop_daemon ovs-vswitchd "$vswitchd_pid" --cleanup
expect "OVS's exit left $run/b.sock" [ ! -e "$run/b.sock" ]
finish
