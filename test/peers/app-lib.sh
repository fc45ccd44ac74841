# shellcheck shell=bash
# SPDX-License-Identifier: BSD-3-Clause
# app-lib.sh: helpers shared by the vio-fwd tests (test/peers/app-*.sh).
# Source it; it is not a program.
#
#   fwd_stat LOG SECTION KEY   a figure of vio-fwd's summary in LOG: SECTION is
#                              "port N", "total" or "lcore N", KEY a word of
#                              it (rx-packets, tx-dropped, icmp-replies, ...);
#                              prints 0 when absent
#   tp_stat_big NAME FIELD [PORT]
#                              tp_stat (testpmd-lib.sh) for counters that may
#                              pass 2^31 (bytes)
#   fwd_mac LOG PORT           port PORT's MAC as vio-fwd printed it at start
#   fwd_wait_sock SOCK PID LOG wait up to 10 s for vio-fwd (PID) to listen on
#                              SOCK and print its lcores (it has started its
#                              ports); 1 (with LOG printed) if it did not
#   fwd_stop PID SIGNAL        send SIGNAL and wait up to 20 s for the exit;
#                              the exit status lands in FWD_RC (SIGKILL after
#                              20 s: 137). Not in a $(...): only the shell that
#                              started PID can wait for it

fwd_stat() {
	awk -v sec="$2" -v k="$3" '
		/^==== vio-fwd summary/ { in_sum = 1; next }
		!in_sum { next }
		/^total$/ { cur = "total"; next }
		/^port [0-9]+ / || /^lcore [0-9]+ / { cur = $1 " " $2 }
		cur == sec { for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) }
		END { printf "%.0f\n", v + 0 }' "$1"
}

# tp_stat of testpmd-lib.sh, but whole numbers past 2^31 too (mawk's print
# turns them into 2.1e+09): tp_stat_big NAME FIELD [PORT]
tp_stat_big() {
	awk -v f="$2:" -v p="${3:-0}" '
		/NIC statistics for port/ { for (i = 1; i < NF; i++) if ($i == "port") s = ($(i + 1) == p) }
		s { for (i = 1; i < NF; i++) if ($i == f) v = $(i + 1) }
		END { printf "%.0f\n", v + 0 }' "${TP_DIR:-/tmp}/$1.log"
}

fwd_mac() {
	awk -v p="port $2:" '
		index($0, p) == 1 { for (i = 1; i < NF; i++) if ($i == "MAC") { m = $(i + 1); sub(/,$/, "", m) } }
		END { print m }' "$1"
}

fwd_wait_sock() {
	for _ in $(seq 100); do
		# The socket comes at probe time, the lcore lines once the ports started.
		[ -S "$1" ] && grep -q '^lcore [0-9]* (socket' "$3" && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	echo "vio-fwd did not listen on $1 and start forwarding"
	cat "$3"
	return 1
}

# shellcheck disable=SC2034 # FWD_RC is for the caller
fwd_stop() {
	local i=0
	FWD_RC=0
	kill "-$2" "$1" 2>/dev/null || true
	while kill -0 "$1" 2>/dev/null && [ "$i" -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "vio-fwd still running 20 s after SIG$2: killing it"
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" || FWD_RC=$?
}
