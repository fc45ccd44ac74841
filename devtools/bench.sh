#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# bench.sh: vio against DPDK 22.11, the same stock peer, in the same run
# (doc/benchmark.md, "vio against DPDK").
#
#   devtools/bench.sh [OPTION...]
#
#   1. Set-up as devtools/run.sh does: packages (gnuplot-nox among them),
#      hugepages, then the release build of BUILD (default build/).
#   2. cycles: BUILD/app/vio-cmp serves a vhost-user socket with vio or with
#      DPDK's rte_vhost, alternately (vio, dpdk, then dpdk, vio: ABBA); a
#      stock dpdk-testpmd with net_virtio_user is the guest, in rxonly while
#      the backend enqueues and txonly while it dequeues. Figure: TSC cycles
#      inside the library's burst call per packet moved, and the backend
#      loop's Mpps.
#   3. pvp: stock testpmd with net_vhost, or with vio's PMD loaded with -d
#      (BUILD/drivers/librte_net_vio.so), fwd mac, against stock testpmd
#      net_virtio_user fwd mac, start tx_first 32: the vhost port's Rx Mpps.
#      Skipped, with the reason, while that PMD is not built.
#   4. fepvp (the frontend role): stock testpmd with net_vhost, fwd mac, is
#      the vhost side in both columns; the virtio side is stock testpmd with
#      DPDK's net_virtio_user, or with vio's PMD as a frontend port
#      (net_vio path=..., the same device arguments), fwd mac, start
#      tx_first 32: the vhost port's Rx Mpps. Skipped like pvp.
#   5. The tables on stdout; CSV, plots and logs in the output directory.
#
# Options (lists are comma-separated):
#   --quick             small matrix: mergeable on only, 0.2 s warm-up and
#                       0.5 s per measurement, PVP 64 B only, 1 s samples
#   --build DIR         build directory (default build, as run.sh)
#   --out DIR           output directory (default BUILD/bench-out)
#   --runs N            runs of each library per cell, 1 to 99 (default 5)
#   --warmup S          untimed seconds before each cycles measurement (0.5)
#   --seconds S         timed seconds of each cycles measurement (1)
#   --sizes L           packet bytes of the cycles part (64,1518)
#   --rings L           ring layouts: split,packed (both)
#   --mrg L             mergeable receive buffers: 1,0 (both)
#   --dirs L            enqueue,dequeue (both)
#   --ring-size N       virtqueue entries (queue_size, --rxd, --txd; 1024)
#   --max-call-us N     leave out calls longer than N us (descheduled; 200;
#                       0 keeps all); they are counted under the table
#   --dpdk-flags X      rte_vhost_driver_register() flags of vio-cmp (hex;
#                       default 0x300, net_vhost's: stats, compliant ol flags)
#   --inorder 0|1       the peer's in_order devarg (1: net_virtio_user's default)
#   --pvp-sizes L       packet bytes of the PVP part (64)
#   --pvp-warmup S      seconds of PVP traffic before sampling (1)
#   --pvp-seconds S     seconds between the two PVP samples (2)
#   --pvp-pmd FILE      vio's PMD (default BUILD/drivers/librte_net_vio.so)
#   --fe-sizes L        packet bytes of the fepvp part (64,1518)
#   --no-cycles, --no-pvp, --no-fe   skip a part
#   --aa                A/A check: DPDK in both columns (the harness and its
#                       noise; the ratios should be 1 within the noise)
#   --no-setup          no package or hugepage set-up (the build still runs)
#   --keep              keep the run directory (testpmd logs) in /tmp
#   --report-only       no runs: table, CSV and plots again from OUT/raw.txt
#
# Needs root for set-up only. Exit 0 when every measurement ran, 1 when one
# failed (its logs are copied to OUT/logs), 2 for bad arguments.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

usage() { sed -n '3,58p' "$0" | sed 's/^# \{0,1\}//'; }
die() { printf 'bench.sh: %s\n' "$*" >&2; exit 1; }
bad_arg() { printf 'bench.sh: %s (try --help)\n' "$*" >&2; exit 2; }
say() { printf '%s\n' "$*" >&2; }

BUILD=build OUT='' RUNS=5 WARMUP=0.5 SECONDS_PER=1
SIZES=64,1518 RINGS=split,packed MRGS=1,0 DIRS=enqueue,dequeue
RING_SIZE=1024 INORDER=1
PVP_SIZES=64 PVP_WARMUP=1 PVP_SECONDS=2 PVP_PMD='' DPDK_FLAGS=''
MAX_CALL_US=200 DO_CYCLES=1 DO_PVP=1 AA=0 REPORT_ONLY=0 SETUP=1 KEEP=0 QUICK=0
FE_SIZES=64,1518 DO_FE=1

need() { [ $# -ge 2 ] || bad_arg "$1 needs a value"; }
declare -A GIVEN
set_opt() { printf -v "$1" '%s' "$2"; GIVEN[$1]=1; }
is_num() { [[ "$2" =~ ^[0-9]+([.][0-9]+)?$ ]] || bad_arg "$1 '$2': expected a number of seconds"; }
is_list() { [[ "$2" =~ ^($3)(,($3))*$ ]] || bad_arg "$1 '$2': expected a comma-separated list of $4"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--build) need "$@"; set_opt BUILD "$2"; shift ;;
	--out) need "$@"; set_opt OUT "$2"; shift ;;
	--runs) need "$@"; [[ "$2" =~ ^[1-9][0-9]?$ ]] || bad_arg "--runs '$2': expected 1 to 99"; set_opt RUNS "$2"; shift ;;
	--warmup) need "$@"; is_num "$1" "$2"; set_opt WARMUP "$2"; shift ;;
	--seconds) need "$@"; is_num "$1" "$2"; set_opt SECONDS_PER "$2"; shift ;;
	--sizes) need "$@"; is_list "$1" "$2" '[0-9]+' 'packet sizes (60 to 2048)'; set_opt SIZES "$2"; shift ;;
	--rings) need "$@"; is_list "$1" "$2" 'split|packed' 'split, packed'; set_opt RINGS "$2"; shift ;;
	--mrg) need "$@"; is_list "$1" "$2" '0|1' '0, 1'; set_opt MRGS "$2"; shift ;;
	--dirs) need "$@"; is_list "$1" "$2" 'enqueue|dequeue' 'enqueue, dequeue'; set_opt DIRS "$2"; shift ;;
	--ring-size) need "$@"; [[ "$2" =~ ^(64|128|256|512|1024|2048|4096)$ ]] || bad_arg "--ring-size '$2': expected a power of two from 64 to 4096"; set_opt RING_SIZE "$2"; shift ;;
	--inorder) need "$@"; [[ "$2" =~ ^[01]$ ]] || bad_arg "--inorder '$2': expected 0 or 1"; set_opt INORDER "$2"; shift ;;
	--pvp-sizes) need "$@"; is_list "$1" "$2" '[0-9]+' 'packet sizes (64 to 1518)'; set_opt PVP_SIZES "$2"; shift ;;
	--pvp-warmup) need "$@"; is_num "$1" "$2"; set_opt PVP_WARMUP "$2"; shift ;;
	--pvp-seconds) need "$@"; is_num "$1" "$2"; set_opt PVP_SECONDS "$2"; shift ;;
	--pvp-pmd) need "$@"; set_opt PVP_PMD "$2"; shift ;;
	--dpdk-flags) need "$@"; [[ "$2" =~ ^(0x)?[0-9a-fA-F]+$ ]] || bad_arg "--dpdk-flags '$2': expected a hex integer"; set_opt DPDK_FLAGS "$2"; shift ;;
	--max-call-us) need "$@"; [[ "$2" =~ ^[0-9]+$ ]] || bad_arg "--max-call-us '$2': expected an integer"; set_opt MAX_CALL_US "$2"; shift ;;
	--no-cycles) DO_CYCLES=0 ;;
	--no-pvp) DO_PVP=0 ;;
	--no-fe) DO_FE=0 ;;
	--fe-sizes) need "$@"; is_list "$1" "$2" '[0-9]+' 'packet sizes (64 to 1518)'; set_opt FE_SIZES "$2"; shift ;;
	--aa) AA=1 ;;
	--no-setup) SETUP=0 ;;
	--keep) KEEP=1 ;;
	--report-only) REPORT_ONLY=1 ;;
	-h | --help) usage; exit 0 ;;
	*) bad_arg "unknown option '$1'" ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	# The quick matrix, except where an option said otherwise.
	for kv in MRGS=1 WARMUP=0.2 SECONDS_PER=0.5 PVP_SIZES=64 PVP_WARMUP=1 PVP_SECONDS=1 FE_SIZES=64; do
		[ -n "${GIVEN[${kv%%=*}]:-}" ] || printf -v "${kv%%=*}" '%s' "${kv#*=}"
	done
fi
for s in ${SIZES//,/ } ${PVP_SIZES//,/ } ${FE_SIZES//,/ }; do
	[ "$s" -ge 60 ] && [ "$s" -le 2048 ] || bad_arg "packet size $s: expected 60 to 2048"
done
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=${OUT:-$BUILD/bench-out}
case "$OUT" in /*) ;; *) OUT=$ROOT/$OUT ;; esac
PVP_PMD=${PVP_PMD:-$BUILD/drivers/librte_net_vio.so}

# elapsed T0: seconds since $EPOCHREALTIME was T0, one decimal.
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# kv KEY LINE: the value of KEY=VALUE in a reply line.
kv() {
	[[ " $2 " =~ \ $1=([^ ]*)\  ]] && printf '%s' "${BASH_REMATCH[1]}"
}

# Everything up to the report; --report-only skips it.
run_all() {
# ---------------------------------------------------------------- set-up
if [ "$SETUP" = 1 ]; then
	devtools/setup.sh packages >&2
	devtools/setup.sh hugepages >&2
fi
devtools/setup.sh build "$BUILD" -Dbuildtype=release -Dwerror=true >&2
VIO_CMP=$BUILD/app/vio-cmp
[ -x "$VIO_CMP" ] || die "$VIO_CMP was not built (is it in app/meson.build?)"
command -v dpdk-testpmd >/dev/null || die "dpdk-testpmd is not installed (devtools/setup.sh packages)"
PEERS=${PEERS:-$(cd "$ROOT/.." && pwd)/shared/peers}
[ -r "$PEERS/testpmd-lib.sh" ] || die "$PEERS/testpmd-lib.sh not found (set PEERS)"
# shellcheck source=/dev/null
. "$PEERS/testpmd-lib.sh"

mkdir -p "$OUT/logs"
RUN=$(mktemp -d /tmp/vio-bench.XXXXXX)
export TP_DIR=$RUN
PREFIX=vio-bench-$$
CMP_PID=
cleanup() {
	tp_kill_all 2>/dev/null || true
	if [ -n "$CMP_PID" ]; then
		kill -TERM "$CMP_PID" 2>/dev/null || true
		wait "$CMP_PID" 2>/dev/null || true
	fi
	rm -rf "/var/run/dpdk/$PREFIX-fe" "/var/run/dpdk/$PREFIX-be" 2>/dev/null || true
	if [ "$KEEP" = 1 ]; then say "bench.sh: kept $RUN"; else rm -rf "$RUN"; fi
	[ -z "${PVP_PMD_BUILT:-}" ] || [ "$PVP_PMD" = "$PVP_PMD_BUILT" ] ||
		"$ROOT/devtools/stage-pmd.sh" --clean "$PVP_PMD" || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# DPDK's -d refuses a PMD below a world-writable directory (a checkout under /tmp): stage it.
PVP_PMD_BUILT=$PVP_PMD
if [ -f "$PVP_PMD" ]; then
	PVP_PMD=$("$ROOT/devtools/stage-pmd.sh" "$PVP_PMD") || die "cannot stage $PVP_PMD_BUILT for -d"
fi

# Guest (peer) memory: hugepages as the test plans use them, while enough are
# free; otherwise one memfd (--no-huge), the same for both libraries.
free_huge=$(awk '/^HugePages_Free:/ { print $2 }' /proc/meminfo 2>/dev/null || echo 0)
if [ "${free_huge:-0}" -ge 256 ] && mountpoint -q /dev/hugepages 2>/dev/null; then
	PEER_MEM=(--in-memory --single-file-segments)
	PEER_MEM_DESC="2 MiB hugepages (--in-memory --single-file-segments)"
else
	PEER_MEM=(--no-huge -m 1024 --no-shconf)
	PEER_MEM_DESC="no hugepages ($free_huge free): --no-huge -m 1024"
fi

# part ring mrg dir size lib run value loop_mpps tx_mpps packets calls idle long burst_avg features
# notifications
RAW=$RUN/raw.txt
: >"$RAW"

fail_logs() {
	say "bench.sh: $*"
	cp -f "$RUN"/*.log "$OUT/logs/" 2>/dev/null || true
	say "bench.sh: logs in $OUT/logs"
}

# peer_batch NAME CMD...: send several commands to testpmd NAME, then wait
# until it has run them all (one prompt each). testpmd-lib.sh's tp_cmd waits
# after each command; this uses the same FIFO and prompt count.
peer_batch() {
	local name=$1 c cmd
	shift
	c=$(_tp_prompts "$name")
	for cmd in "$@"; do printf '%s\n' "$cmd" 1<>"$TP_DIR/$name.in"; done
	_tp_wait "$name" $((c + $#))
}


# ---------------------------------------------------------------- vio-cmp
CMP_LOG=$OUT/logs/vio-cmp.log
REPLY_LINE=
cmp_start() {
	: >"$CMP_LOG"
	# The backend on lcore 1 (the peer forwards on lcore 0), memory without hugepages.
	coproc CMP { exec "$VIO_CMP" -l 1 --no-huge -m 256 --no-pci --no-shconf --no-telemetry \
		-- --burst 32 --max-call-us "$MAX_CALL_US" ${DPDK_FLAGS:+--dpdk-flags "$DPDK_FLAGS"} \
		2>>"$CMP_LOG"; }
	exec {CMP_IN}>&"${CMP[1]}" {CMP_OUT}<&"${CMP[0]}"
	cmp_reply 30 || die "vio-cmp did not start: $REPLY_LINE (see $CMP_LOG)"
	CMP_START=$REPLY_LINE
	cmp_reply 10 || die "vio-cmp: $REPLY_LINE"
	CMP_FEATURES=$REPLY_LINE
}

# cmp_reply TIMEOUT: read vio-cmp's output up to its next reply line.
cmp_reply() {
	local line
	while IFS= read -r -t "$1" line <&"$CMP_OUT"; do
		printf '%s\n' "$line" >>"$CMP_LOG"
		case "$line" in
		"ok "*) REPLY_LINE=$line; return 0 ;;
		"error "*) REPLY_LINE=$line; return 1 ;;
		esac
	done
	REPLY_LINE="no reply within $1 s (vio-cmp exited or hangs)"
	return 2
}

# cmp_cmd TIMEOUT COMMAND...
cmp_cmd() {
	local t=$1
	shift
	printf '%s\n' "$*" >>"$CMP_LOG"
	printf '%s\n' "$*" >&"$CMP_IN"
	cmp_reply "$t"
}

# fe_args SOCK PACKED MRG: FE_ARGS, the virtio-user peer's command line (both parts).
fe_args() {
	# shellcheck disable=SC2054 # "0,1" is one argument
	FE_ARGS=(-l 0,1 --main-lcore 1 -n 1 --no-pci "${PEER_MEM[@]}" --file-prefix="$PREFIX-fe"
		--vdev "net_virtio_user0,path=$1,queues=1,packed_vq=$2,mrg_rxbuf=$3,in_order=$INORDER,queue_size=$RING_SIZE"
		-- -i --rxd="$RING_SIZE" --txd="$RING_SIZE" --burst=32 --nb-cores=1)
}

# fe_args_lib LIB SOCK PACKED MRG: FE_ARGS for the fepvp part: DPDK's
# net_virtio_user, or vio's frontend port with the same device arguments.
fe_args_lib() {
	fe_args "$2" "$3" "$4"
	if [ "$1" = vio ] && [ "$AA" = 0 ]; then
		# shellcheck disable=SC2054
		FE_ARGS=(-l 0,1 --main-lcore 1 -n 1 --no-pci "${PEER_MEM[@]}" --file-prefix="$PREFIX-fe"
			-d "$PVP_PMD"
			--vdev "net_vio1,path=$2,queues=1,packed_vq=$3,mrg_rxbuf=$4,in_order=$INORDER,queue_size=$RING_SIZE"
			-- -i --rxd="$RING_SIZE" --txd="$RING_SIZE" --burst=32 --nb-cores=1)
	fi
}

# cycles_conn RING MRG LIB RUN: one connection, every (dir, size) cell.
cycles_conn() {
	local ring=$1 mrg=$2 lib=$3 run=$4 serve=$3 packed=0 sock=$RUN/cmp.sock t0=$EPOCHREALTIME
	local dir size line f enq=0 deq=0 nenq=0 ndeq=0 rx tx summary="" rows=""
	[ "$ring" = packed ] && packed=1
	[ "$AA" = 1 ] && serve=dpdk
	rm -f "$sock"
	cmp_cmd 10 serve "$serve" "$sock" || { fail_logs "serve $serve: $REPLY_LINE"; return 1; }
	fe_args "$sock" "$packed" "$mrg"
	if ! tp_start fe "${FE_ARGS[@]}" >/dev/null; then
		fail_logs "the testpmd peer did not start"
		cmp_cmd 20 close || true
		return 1
	fi
	if ! cmp_cmd 30 wait 20; then
		fail_logs "$lib: $REPLY_LINE"
		tp_quit fe
		cmp_cmd 20 close || true
		return 1
	fi
	f=$(kv features "$REPLY_LINE")
	FEAT["$ring,$mrg,$lib"]="$f $(kv names "$REPLY_LINE")"
	for dir in ${DIRS//,/ }; do
		for size in ${SIZES//,/ }; do
			if [ "$dir" = enqueue ]; then
				set -- stop "set fwd rxonly" start
			else
				set -- stop "set fwd txonly" "set txpkts $size" start
			fi
			if ! peer_batch fe "$@"; then
				fail_logs "the testpmd peer died"
				cmp_cmd 20 close || true
				return 1
			fi
			if ! cmp_cmd "$(awk -v a="$WARMUP" -v b="$SECONDS_PER" 'BEGIN { print int(a + b + 30) }')" \
				measure "$dir" "$size" "$WARMUP" "$SECONDS_PER"; then
				fail_logs "$lib $ring mrg=$mrg $dir $size: $REPLY_LINE"
				tp_quit fe
				cmp_cmd 20 close || true
				return 1
			fi
			line=$REPLY_LINE
			if [ "$(kv bad_len "$line")" != 0 ]; then
				say "bench.sh: warning: $lib $dir $size: $(kv bad_len "$line") packets of another length"
				CHECKS_BAD=$((CHECKS_BAD + 1))
			fi
			rows+=$(printf 'cycles %s %s %s %s %s %s %s %s - %s %s %s %s %s %s %s' "$ring" \
				"$mrg" "$dir" "$size" "$lib" "$run" "$(kv cpp "$line")" "$(kv mpps "$line")" \
				"$(kv packets "$line")" "$(kv calls "$line")" "$(kv idle_calls "$line")" \
				"$(kv long_calls "$line")" "$(kv burst_avg "$line")" "$f" \
				"$(kv notifications "$line")")$'\n'
			summary+=" ${dir:0:3}$size=$(kv cpp "$line")"
			if [ "$dir" = enqueue ]; then
				enq=$((enq + $(kv packets "$line") + $(kv long_packets "$line") + $(kv warm_packets "$line")))
				nenq=$((nenq + 1))
			else
				deq=$((deq + $(kv packets "$line") + $(kv long_packets "$line") + $(kv warm_packets "$line")))
				ndeq=$((ndeq + 1))
			fi
		done
	done
	peer_batch fe stop "show port stats 0" || { fail_logs "the peer died"; cmp_cmd 20 close; return 1; }
	rx=$(tp_stat fe RX-packets)
	tx=$(tp_stat fe TX-packets)
	tp_quit fe
	cmp_cmd 20 close || { fail_logs "close: $REPLY_LINE"; return 1; }
	# Only a connection that measured every cell counts (a retry repeats them all).
	printf '%s' "$rows" >>"$RAW"
	# What the backend moved, the peer saw: all of it but at most a ring per cell in flight.
	if [ "$enq" -ge "$rx" ] && [ $((enq - rx)) -le $((RING_SIZE * nenq)) ] &&
		[ "$tx" -ge "$deq" ] && [ $((tx - deq)) -le $((RING_SIZE * ndeq)) ]; then
		CHECKS_OK=$((CHECKS_OK + 1))
	else
		CHECKS_BAD=$((CHECKS_BAD + 1))
		say "bench.sh: warning: counts disagree: $lib enqueued $enq, peer received $rx;" \
			"peer sent $tx, $lib dequeued $deq"
	fi
	say "  $summary  (cycles/packet; $(elapsed "$t0") s)"
}

# ---------------------------------------------------------------- PVP
# be_args LIB SOCK: BE_ARGS, the vhost-side testpmd (forwarding on lcore 1).
be_args() {
	local vdev=net_vhost0 dso=()
	if [ "$1" = vio ] && [ "$AA" = 0 ]; then
		vdev=net_vio0
		dso=(-d "$PVP_PMD")
	fi
	# shellcheck disable=SC2054
	BE_ARGS=(-l 0,1 --main-lcore 0 -n 1 --no-pci "${PEER_MEM[@]}" --file-prefix="$PREFIX-be"
		"${dso[@]}" --vdev "$vdev,iface=$2,queues=1"
		-- -i --rxd="$RING_SIZE" --txd="$RING_SIZE" --burst=32 --nb-cores=1)
}

# pvp_one RING MRG SIZE LIB RUN [PART]: PART pvp (LIB is the vhost side) or
# fepvp (LIB is the virtio side, net_vhost the vhost side).
pvp_one() {
	local ring=$1 mrg=$2 size=$3 lib=$4 run=$5 part=${6:-pvp} packed=0 sock=$RUN/pvp.sock rx tx
	local t0=$EPOCHREALTIME
	[ "$ring" = packed ] && packed=1
	rm -f "$sock"
	if [ "$part" = fepvp ]; then be_args dpdk "$sock"; else be_args "$lib" "$sock"; fi
	tp_start be "${BE_ARGS[@]}" >/dev/null || { fail_logs "$lib: the vhost-side testpmd did not start"; return 1; }
	peer_batch be "set fwd mac" start
	if [ "$part" = fepvp ]; then fe_args_lib "$lib" "$sock" "$packed" "$mrg"; else fe_args "$sock" "$packed" "$mrg"; fi
	if ! tp_start fe "${FE_ARGS[@]}" >/dev/null; then
		fail_logs "$lib: the virtio-user testpmd did not start"
		tp_quit be
		return 1
	fi
	peer_batch fe "set fwd mac" "set txpkts $size" "start tx_first 32"
	sleep "$PVP_WARMUP"
	# testpmd's Rx-pps/Tx-pps are the rates since the previous "show port stats".
	peer_batch be "show port stats 0"
	sleep "$PVP_SECONDS"
	peer_batch be "show port stats 0"
	rx=$(tp_stat be Rx-pps)
	tx=$(tp_stat be Tx-pps)
	tp_quit fe
	tp_quit be
	if [ "${rx:-0}" -le 0 ]; then
		fail_logs "$lib $ring mrg=$mrg $size: no traffic through the vhost port"
		return 1
	fi
	printf '%s %s %s fwd %s %s %s %s - %s - - - - - - -\n' "$part" "$ring" "$mrg" "$size" "$lib" "$run" \
		"$(awk -v v="$rx" 'BEGIN { printf "%.4f", v / 1e6 }')" \
		"$(awk -v v="$tx" 'BEGIN { printf "%.4f", v / 1e6 }')" >>"$RAW"
	say "   rx $(awk -v v="$rx" 'BEGIN { printf "%.3f", v / 1e6 }') Mpps, tx $(awk -v v="$tx" 'BEGIN { printf "%.3f", v / 1e6 }') Mpps ($(elapsed "$t0") s)"
}

# with_retry DESCRIPTION CMD...: run CMD, once more if it fails; count a second failure.
with_retry() {
	local what=$1
	shift
	"$@" && return 0
	say "bench.sh: $what failed; retrying once"
	"$@" && return 0
	FAILED=$((FAILED + 1))
	return 1
}

# ---------------------------------------------------------------- the runs
START_S=$(date +%s)
LIBS_A=(vio dpdk)
LIBS_B=(dpdk vio)
if [ "$DO_CYCLES" = 1 ]; then
	cmp_start
	say "vio-cmp: $CMP_START"
	say "vio-cmp: $CMP_FEATURES"
	n=0
	total=$((RUNS * $(echo "${RINGS//,/ }" | wc -w) * $(echo "${MRGS//,/ }" | wc -w) * 2))
	for run in $(seq "$RUNS"); do
		# ABBA: vio first in odd runs, DPDK first in even ones.
		if [ $((run % 2)) = 1 ]; then order=("${LIBS_A[@]}"); else order=("${LIBS_B[@]}"); fi
		for ring in ${RINGS//,/ }; do
			for mrg in ${MRGS//,/ }; do
				for lib in "${order[@]}"; do
					n=$((n + 1))
					say "[cycles $n/$total] run $run $ring mrg=$mrg $lib"
					with_retry "$lib $ring mrg=$mrg run $run" \
						cycles_conn "$ring" "$mrg" "$lib" "$run" || true
				done
			done
		done
	done
	cmp_cmd 20 quit || true
	wait "$CMP_PID" 2>/dev/null || true
	CMP_PID=
fi

# pvp_part PART SIZES: every PVP cell of PART (pvp or fepvp), ABBA.
pvp_part() {
	local part=$1 sizes=$2 n=0 total run ring mrg size lib order
	total=$((RUNS * $(echo "${RINGS//,/ }" | wc -w) * $(echo "${MRGS//,/ }" | wc -w) *
		$(echo "${sizes//,/ }" | wc -w) * 2))
	for run in $(seq "$RUNS"); do
		if [ $((run % 2)) = 1 ]; then order=("${LIBS_A[@]}"); else order=("${LIBS_B[@]}"); fi
		for ring in ${RINGS//,/ }; do
			for mrg in ${MRGS//,/ }; do
				for size in ${sizes//,/ }; do
					for lib in "${order[@]}"; do
						n=$((n + 1))
						say "[$part $n/$total] run $run $ring mrg=$mrg ${size} B $lib"
						with_retry "$part $lib $ring mrg=$mrg $size run $run" \
							pvp_one "$ring" "$mrg" "$size" "$lib" "$run" "$part" || true
					done
				done
			done
		done
	done
}

PVP_NOTE=
if [ "$DO_PVP" = 1 ]; then
	if [ "$AA" = 0 ] && [ ! -f "$PVP_PMD" ]; then
		PVP_NOTE="PVP skipped: vio's PMD $PVP_PMD is not built yet (drivers/net/vio); rerun when it is, or --pvp-pmd FILE"
		say "bench.sh: $PVP_NOTE"
	else
		pvp_part pvp "$PVP_SIZES"
	fi
fi
if [ "$DO_FE" = 1 ]; then
	if [ "$AA" = 0 ] && [ ! -f "$PVP_PMD" ]; then
		FE_NOTE="fepvp skipped: vio's PMD $PVP_PMD is not built"
		say "bench.sh: $FE_NOTE"
	else
		pvp_part fepvp "$FE_SIZES"
	fi
fi
WALL_S=$(($(date +%s) - START_S))
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
cp "$RAW" "$OUT/raw.txt"
# What the report needs besides raw.txt, for --report-only.
{
	for var in CMP_START PEER_MEM_DESC WALL_S LOADAVG PVP_NOTE FE_NOTE PVP_PMD RUNS WARMUP SECONDS_PER PVP_WARMUP \
		PVP_SECONDS RING_SIZE INORDER MAX_CALL_US CHECKS_OK CHECKS_BAD AA RINGS MRGS FAILED; do
		printf '%s=%q\n' "$var" "${!var}"
	done
	for k in "${!FEAT[@]}"; do printf 'FEAT[%q]=%q\n' "$k" "${FEAT[$k]}"; done
} >"$OUT/meta.sh"
}

declare -A FEAT
CMP_START='' PEER_MEM_DESC='' WALL_S=0 LOADAVG='' PVP_NOTE='' FE_NOTE='' CHECKS_OK=0 CHECKS_BAD=0 FAILED=0
if [ "$REPORT_ONLY" = 1 ]; then
	[ -r "$OUT/raw.txt" ] && [ -r "$OUT/meta.sh" ] || die "--report-only: no $OUT/raw.txt and meta.sh"
	# shellcheck source=/dev/null
	. "$OUT/meta.sh"
	RAW=$OUT/raw.txt
else
	run_all
fi

# ---------------------------------------------------------------- report
TSC_HZ=$(kv tsc_hz "${CMP_START:-}" || true)
TIMER=$(kv timer_cycles "${CMP_START:-}" || true)
CSV=$OUT/results.csv
TABLE=$OUT/table.txt
if [ "$AA" = 1 ]; then COLA="dpdk(A)" COLB="dpdk(B)"; else COLA=vio COLB=DPDK; fi
# A part this run did not measure must not keep an older run's plot.
rm -f "$OUT"/cycles-ratio.* "$OUT"/pvp-ratio.* "$OUT"/fepvp-ratio.*

# One awk pass: medians, the tables, the CSV and the plot data. The ratio of
# a cell is median(vio) / median(DPDK); its range is that of the per-run
# ratios, each from a vio and a DPDK measurement taken back to back.
awk -v csv="$CSV" -v table="$TABLE" -v out="$OUT" -v runs="$RUNS" -v cola="$COLA" -v colb="$COLB" \
	-v tsc="${TSC_HZ:-0}" -v timer="${TIMER:-?}" -v ring_size="$RING_SIZE" -v inorder="$INORDER" \
	-v warm="$WARMUP" -v secs="$SECONDS_PER" -v pvpw="$PVP_WARMUP" -v pvps="$PVP_SECONDS" \
	-v maxcall="$MAX_CALL_US" -v pmd="$PVP_PMD" -v checks_ok="$CHECKS_OK" -v checks_bad="$CHECKS_BAD" '
# stats(ARR, KEY, N): sort the N values ARR[KEY, 1..N]; sets lo, hi; returns the median.
function stats(arr, key, n,   i, j, t, a) {
	for (i = 1; i <= n; i++) a[i] = arr[key, i]
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
	lo = a[1]; hi = a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
function dash(x) { return x == "-" || x == "?" ? "" : x }
BEGIN {
	print "part,kind,ring,mrg,dir,size,lib,run,value,unit,min,max,loop_mpps,tx_mpps,packets,calls,idle_calls,long_calls,burst_avg,features,notifications" > csv
}
{
	part = $1; cell = $1 SUBSEP $2 SUBSEP $3 SUBSEP $4 SUBSEP $5; lib = $6; run = $7
	if (!(cell in seen)) { seen[cell] = 1; order[++ncell] = cell }
	k = cell SUBSEP lib
	n[k]++; v[k, n[k]] = $8; lm[k, n[k]] = $9; tm[k, n[k]] = $10
	byrun[k, run] = $8; if (run > maxrun[cell]) maxrun[cell] = run
	unit = part == "cycles" ? "cycles/packet" : "Mpps"
	printf "%s,run,%s,%s,%s,%s,%s,%s,%s,%s,,,%s,%s,%s,%s,%s,%s,%s,%s,%s\n", $1, $2, $3, $4, $5, lib, run, $8,
		unit, dash($9), dash($10), dash($11), dash($12), dash($13), dash($14), dash($15), dash($16),
		dash($17) > csv
	if (part == "cycles") {
		longc[lib] += $14; allc[lib] += $12 + $14
		if (dash($17) == "") nonotif[lib] = 1; else notifs[lib] += $17
	}
}
END {
	for (c = 1; c <= ncell; c++) {
		cell = order[c]; split(cell, f, SUBSEP); part = f[1]
		unit = part == "cycles" ? "cycles/packet" : "Mpps"
		for (l = 1; l <= 2; l++) {
			lib = l == 1 ? "vio" : "dpdk"; k = cell SUBSEP lib
			if (!(k in n)) continue
			med[k] = stats(v, k, n[k]); mn[k] = lo; mx[k] = hi
			lmed[k] = part == "cycles" ? sprintf("%.3f", stats(lm, k, n[k])) : ""
			tmed[k] = part != "cycles" ? sprintf("%.3f", stats(tm, k, n[k])) : ""
			printf "%s,median,%s,%s,%s,%s,%s,,%.4f,%s,%.4f,%.4f,%s,%s,,,,,,,\n", part, f[2], f[3], f[4], f[5],
				lib, med[k], unit, mn[k], mx[k], lmed[k], tmed[k] > csv
		}
		kv = cell SUBSEP "vio"; kd = cell SUBSEP "dpdk"
		if (!((kv in n) && (kd in n) && med[kd] > 0)) continue
		ratio[cell] = med[kv] / med[kd]
		np = 0
		for (r = 1; r <= maxrun[cell]; r++)
			if (((kv, r) in byrun) && ((kd, r) in byrun) && byrun[kd, r] > 0)
				pr[cell, ++np] = byrun[kv, r] / byrun[kd, r]
		if (np > 0) { stats(pr, cell, np); plo[cell] = lo; phi[cell] = hi } else { plo[cell] = phi[cell] = ratio[cell] }
		printf "%s,ratio,%s,%s,%s,%s,vio/dpdk,,%.4f,ratio,%.4f,%.4f,,,,,,,,,\n", part, f[2], f[3], f[4], f[5],
			ratio[cell], plo[cell], phi[cell] > csv
	}
	close(csv)
	if (runs < 5)
		printf "\nNOTE: %s runs per cell, fewer than 5: a smoke test, not a result\n", runs > table
	for (p = 1; p <= 3; p++) {
		part = p == 1 ? "cycles" : p == 2 ? "pvp" : "fepvp"; any = 0
		for (c = 1; c <= ncell; c++) { split(order[c], f, SUBSEP); if (f[1] == part) any = 1 }
		if (!any) continue
		if (part == "cycles") {
			printf "\n%s against %s rte_vhost: backend cycles per packet of the burst call, median [min..max] of %s runs\n", cola, colb, runs > table
			printf "peer: stock dpdk-testpmd net_virtio_user (rxonly / txonly), queue_size %s, in_order %s, burst 32\n", ring_size, inorder > table
			printf "%s s warm-up + %s s timed per measurement; TSC %.3f GHz; the rdtsc pair (%s cycles per call) is included\n", warm, secs, tsc / 1e9, timer > table
			printf "%-6s %-3s %-7s %5s  %-26s %-26s %-23s %s\n", "ring", "mrg", "dir", "size", cola " cycles/packet", colb " cycles/packet", cola "/" colb " [per-run]", "loop Mpps " cola " / " colb > table
		} else if (part == "fepvp") {
			printf "\nPVP loopback, the frontend role: %s frontend port against %s net_virtio_user, on the same stock net_vhost: Rx Mpps of the vhost port, median [min..max] of %s runs\n", cola, colb, runs > table
			printf "stock testpmd fwd mac on both sides, start tx_first 32 on the virtio side, %s descriptors; %s s warm-up, %s s sample\n", ring_size, pvpw, pvps > table
			printf "virtio side: %s\n", cola == "vio" ? "-d " pmd " --vdev net_vio1,path=SOCK,... against --vdev net_virtio_user0,path=SOCK,... (the same device arguments)" : "--vdev net_virtio_user0,path=SOCK,... in both columns" > table
			printf "%-6s %-3s %-7s %5s  %-26s %-26s %-23s %s\n", "ring", "mrg", "", "size", cola " Mpps", colb " Mpps", cola "/" colb " [per-run]", "Tx Mpps " cola " / " colb > table
		} else {
			printf "\nPVP loopback, %s against %s net_vhost: Rx Mpps of the vhost port, median [min..max] of %s runs\n", cola, colb, runs > table
			printf "stock testpmd fwd mac on both sides, start tx_first 32, %s descriptors; %s s warm-up, %s s sample\n", ring_size, pvpw, pvps > table
			printf "vhost side: %s\n", cola == "vio" ? "-d " pmd " --vdev net_vio0,iface=SOCK,queues=1 against --vdev net_vhost0,iface=SOCK,queues=1" : "--vdev net_vhost0,iface=SOCK,queues=1 in both columns" > table
			printf "%-6s %-3s %-7s %5s  %-26s %-26s %-23s %s\n", "ring", "mrg", "", "size", cola " Mpps", colb " Mpps", cola "/" colb " [per-run]", "Tx Mpps " cola " / " colb > table
		}
		datf = out "/" part "-ratio.dat"
		printf "# label ratio per-run-min per-run-max\n" > datf
		for (c = 1; c <= ncell; c++) {
			cell = order[c]; split(cell, f, SUBSEP)
			if (f[1] != part) continue
			kv = cell SUBSEP "vio"; kd = cell SUBSEP "dpdk"
			sv = (kv in n) ? sprintf("%7.2f [%7.2f..%7.2f]", med[kv], mn[kv], mx[kv]) : "-"
			sd = (kd in n) ? sprintf("%7.2f [%7.2f..%7.2f]", med[kd], mn[kd], mx[kd]) : "-"
			sr = (cell in ratio) ? sprintf("%5.2f [%5.2f..%5.2f]", ratio[cell], plo[cell], phi[cell]) : "-"
			se = sprintf("%s / %s", part == "cycles" ? lmed[kv] : tmed[kv], part == "cycles" ? lmed[kd] : tmed[kd])
			printf "%-6s %-3s %-7s %5s  %-26s %-26s %-23s %s\n", f[2], f[3] ? "on" : "off", part == "cycles" ? f[4] : "", f[5], sv, sd, sr, se > table
			if (cell in ratio)
				printf "\"%s%s %s%s\" %.4f %.4f %.4f\n", f[2], f[3] ? "+mrg" : "", part == "cycles" ? substr(f[4], 1, 3) " " : "", f[5], ratio[cell], plo[cell], phi[cell] > datf
		}
		close(datf)
	}
	for (l in allc) {
		printf "%s: %d of %d timed calls took longer than %s us (descheduled): left out; ", l == "vio" ? cola : colb, longc[l], allc[l], maxcall > table
		printf "interrupts sent to the guest in timed windows: %s\n", (l in nonotif) ? "not counted" : notifs[l] + 0 > table
	}
	if (checks_ok + checks_bad > 0)
		printf "consistency: %d connections where the peer saw what the backend moved, %d where it did not\n", checks_ok, checks_bad > table
}' "$RAW"

{
	[ -n "${FEAT[*]+x}" ] && echo && echo "negotiated virtio features (vio-cmp \"wait\"), per ring and mergeable setting:"
	for ring in ${RINGS//,/ }; do
		for mrg in ${MRGS//,/ }; do
			v=${FEAT["$ring,$mrg,vio"]:-} d=${FEAT["$ring,$mrg,dpdk"]:-}
			[ -z "$v$d" ] && continue
			if [ "${v%% *}" = "${d%% *}" ]; then same="same on both sides"; else same="DIFFERENT, vio"; fi
			printf '  %-6s mrg=%s  %s: %s\n' "$ring" "$mrg" "$same" "$v"
			[ "$same" != "same on both sides" ] && printf '  %-6s mrg=%s  DPDK: %s\n' "$ring" "$mrg" "$d"
		done
	done
	[ -n "$PVP_NOTE" ] && echo && echo "$PVP_NOTE"
	[ -n "${FE_NOTE:-}" ] && echo && echo "$FE_NOTE"
	[ "$AA" = 1 ] && echo && echo "A/A run (--aa): both columns are DPDK's rte_vhost / net_vhost; the ratios show the noise."
	echo
	echo "peer memory: $PEER_MEM_DESC; wall time ${WALL_S} s; load average at the end: $LOADAVG"
} >>"$TABLE"
cat "$TABLE"

# ---------------------------------------------------------------- plots
PLOTS=()
if command -v gnuplot >/dev/null; then
	if gnuplot -e 'set terminal pngcairo' 2>/dev/null; then term="pngcairo size 1000,520 font ',10'" ext=png
	elif gnuplot -e 'set terminal png' 2>/dev/null; then term="png size 1000,520" ext=png
	else term="svg size 1000,520" ext=svg; fi
	for part in cycles pvp fepvp; do
		dat=$OUT/$part-ratio.dat
		[ -s "$dat" ] && [ "$(grep -vc '^#' "$dat")" -gt 0 ] || continue
		if [ "$part" = cycles ]; then
			title="$COLA/$COLB cycles per packet of the burst call (below 1: $COLA cheaper)"
			goal=0.75 ylabel="cycles ratio"
		elif [ "$part" = fepvp ]; then
			title="$COLA/$COLB PVP Mpps, frontend role, on net_vhost (above 1: $COLA faster)"
			goal=1.25 ylabel="Mpps ratio"
		else
			title="$COLA/$COLB PVP Mpps (above 1: $COLA faster)"
			goal=1.25 ylabel="Mpps ratio"
		fi
		img=$OUT/$part-ratio.$ext
		gnuplot <<-EOF 2>>"$OUT/logs/gnuplot.log" && PLOTS+=("$img")
			set terminal $term
			set output '$img'
			set title "$title, median of $RUNS runs"
			set ylabel '$ylabel'
			set style fill solid 0.6 border -1
			set boxwidth 0.6
			set grid ytics
			set yrange [0:*]
			set bmargin 7
			set xtics rotate by 35 right
			set key outside top center horizontal
			plot '$dat' using 0:2:xtic(1) with boxes lc rgb '#4070a0' title '$COLA/$COLB, ratio of the medians', \\
			     '' using 0:2:3:4 with yerrorbars lc rgb 'black' pt 0 title 'range of the per-run ratios', \\
			     '' using 0:(\$4):(sprintf('%.2f', \$2)) with labels offset 0,0.8 notitle, \\
			     1 with lines lc rgb 'black' lw 2 notitle, \\
			     $goal with lines lc rgb 'red' dt 2 title 'goal $goal'
		EOF
	done
else
	say "bench.sh: gnuplot is not installed (devtools/setup.sh packages installs gnuplot-nox): no plot"
fi

say ""
say "table:   $TABLE"
say "CSV:     $CSV"
for p in "${PLOTS[@]}"; do say "plot:    $p"; done
say "logs:    $OUT/logs"
if [ "$FAILED" -gt 0 ]; then
	say "bench.sh: $FAILED measurement(s) failed twice; the table lacks them"
	exit 1
fi
exit 0
