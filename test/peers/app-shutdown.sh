#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# vio-fwd stops cleanly: on SIGTERM while stock testpmd (net_virtio_user)
# loops traffic through it, on SIGINT with nobody connected, and by itself
# after --duration.
#
#   app-shutdown.sh VIO_FWD
#
# Each round passes when vio-fwd exits 0 within 10 s, has printed its
# summary, and left nothing behind: no vhost-user socket file, no hugepage
# file of its --file-prefix under /dev/hugepages, no EAL runtime directory
# /var/run/dpdk/PREFIX.
#   sigterm   hugepages with --in-memory, traffic flowing at the signal
#   sigint    --no-huge --no-shconf, no peer ever connected
#   duration  --duration 2: the summary says 2.0 to 3.0 s of forwarding
# Exit 0 pass, 1 fail, 77 skip (no dpdk-testpmd, or fewer than 128 free
# hugepages), 99 set-up error. ~15 s.
set -euo pipefail

fwd_bin=$1
here=$(cd "$(dirname "$0")" && pwd)
PEERS=${PEERS:-$(cd "$here/../../../shared/peers" && pwd)}
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not installed"; exit 77; }
free=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo)
[ "${free:-0}" -ge 128 ] || { echo "$free free hugepages, 128 needed"; exit 77; }
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"
# shellcheck source=app-lib.sh
. "$here/app-lib.sh"

run=$(mktemp -d /tmp/vio-app-shutdown.XXXXXX)
export TP_DIR=$run
prefix=vio-app-shut-$$
fwd_pid=
cleanup() {
	tp_kill_all 2>/dev/null || true
	[ -n "$fwd_pid" ] && kill -9 "$fwd_pid" 2>/dev/null || true
	rm -rf "$run" "/var/run/dpdk/$prefix" "/var/run/dpdk/$prefix-tp"
	rm -f /dev/hugepages/"$prefix"*
}
trap cleanup EXIT

pass=0 fail=0
# check NAME LOG SOCK RC ELAPSED
check() {
	local bad=0
	[ "$4" = 0 ] || { echo "$1: FAIL: exit status $4"; bad=1; }
	[ "$5" -le 10 ] || { echo "$1: FAIL: took $5 s to exit"; bad=1; }
	grep -q '^==== vio-fwd summary' "$2" || { echo "$1: FAIL: no summary"; bad=1; }
	[ ! -e "$3" ] || { echo "$1: FAIL: socket $3 left behind"; bad=1; }
	if compgen -G "/dev/hugepages/$prefix*" >/dev/null; then
		echo "$1: FAIL: hugepage files left:" /dev/hugepages/"$prefix"*
		bad=1
	fi
	[ ! -e "/var/run/dpdk/$prefix" ] || { echo "$1: FAIL: /var/run/dpdk/$prefix left"; bad=1; }
	if [ "$bad" = 0 ]; then
		echo "$1: ok"
		pass=$((pass + 1))
	else
		grep -v -e '^EAL:' -e '^VHOST_CONFIG' "$2" | tail -n 30
		fail=$((fail + 1))
	fi
}

# sigterm: hugepages (--in-memory), traffic looping through at the signal.
sock=$run/term.sock
"$fwd_bin" -l 0,1 --main-lcore 0 -m 128 --in-memory --file-prefix "$prefix" --no-pci \
	--log-level lib.vhost.config:warning --vdev "net_vhost0,iface=$sock" -- --fwd io \
	>"$run/term.log" 2>&1 &
fwd_pid=$!
fwd_wait_sock "$sock" "$fwd_pid" "$run/term.log" || exit 99
tp_start fe -l 0,1 --main-lcore 1 -n 1 --no-pci --no-huge -m 1024 --no-shconf \
	--file-prefix="$prefix-tp" --vdev "net_virtio_user0,path=$sock" \
	-- -i --total-num-mbufs=16384 || exit 99
tp_cmd fe set fwd io
tp_cmd fe start tx_first
sleep 2
t0=$(date +%s)
fwd_stop "$fwd_pid" TERM
rc=$FWD_RC
fwd_pid=
check sigterm "$run/term.log" "$sock" "$rc" $(($(date +%s) - t0))
rx=$(fwd_stat "$run/term.log" "port 0" rx-packets)
echo "sigterm: vio-fwd had forwarded $rx packets"
[ "$rx" -gt 1000 ] || { echo "sigterm: FAIL: no traffic before the signal"; fail=$((fail + 1)); }
tp_quit fe

# sigint: no hugepages, nobody connected.
sock=$run/int.sock
"$fwd_bin" -l 0,1 --main-lcore 0 --no-huge -m 128 --no-shconf --file-prefix "$prefix" \
	--no-pci --vdev "net_vhost0,iface=$sock" -- --fwd mac >"$run/int.log" 2>&1 &
fwd_pid=$!
fwd_wait_sock "$sock" "$fwd_pid" "$run/int.log" || exit 99
sleep 1
t0=$(date +%s)
fwd_stop "$fwd_pid" INT
rc=$FWD_RC
fwd_pid=
check sigint "$run/int.log" "$sock" "$rc" $(($(date +%s) - t0))

# duration: stops by itself.
sock=$run/dur.sock
t0=$(date +%s)
rc=0
timeout 30 "$fwd_bin" -l 0,1 --main-lcore 0 --no-huge -m 128 --no-shconf --file-prefix "$prefix" \
	--no-pci --vdev "net_vhost0,iface=$sock" -- --duration 2 --stats-period 0.5 \
	>"$run/dur.log" 2>&1 || rc=$?
elapsed=$(($(date +%s) - t0))
check duration "$run/dur.log" "$sock" "$rc" $((elapsed > 2 ? elapsed - 2 : 0))
secs=$(awk '/^==== vio-fwd summary/ { for (i = 1; i < NF; i++) if ($(i + 1) == "s") print $i }' "$run/dur.log")
lines=$(grep -c '^ *[0-9.]* *0 ' "$run/dur.log" || true)
echo "duration: ${secs:-?} s of forwarding, $lines lines of statistics"
awk -v s="${secs:-0}" 'BEGIN { exit !(s >= 2.0 && s < 3.0) }' ||
	{ echo "duration: FAIL: forwarded ${secs:-?} s"; fail=$((fail + 1)); }
[ "$lines" -ge 3 ] || { echo "duration: FAIL: $lines statistics lines, 3 or 4 expected"; fail=$((fail + 1)); }

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
