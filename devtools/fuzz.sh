#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# fuzz.sh: long libFuzzer runs of vio's fuzz targets (doc/testing.md, "Fuzzers").
#
#   devtools/fuzz.sh [TARGET|all] [SECONDS] [LIBFUZZER_ARG...]
#
# TARGET: vhost_msg, engine, frontend_reply, port_args, iotlb, or all (the
# default: each in turn). SECONDS: how long each runs (default 600). More
# arguments go to libFuzzer, e.g. -runs=10000000 (stop after that many
# executions) or -jobs=2. The build is build-fuzz/ (clang, ASan + UBSan,
# -Dfuzz=true), configured when needed. A target's corpus grows in
# build-fuzz/test/fuzz/corpus/TARGET; a failing input is written beside it
# as TARGET-crash-<sha1> (-leak-, -timeout-) and stops the run. To keep a finding as a regression
# input, copy it into test/fuzz/corpus/TARGET/ with a name that says what it
# found. libFuzzer's final statistics (executions, cov:, ft:) end each run.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

TARGETS=(vhost_msg engine frontend_reply port_args iotlb)
# shellcheck disable=SC2054 # the comma is part of the meson option value
FUZZ_OPTS=(-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dfuzz=true
	-Dtests=false -Dwerror=true)

target="${1:-all}"
seconds="${2:-600}"
[ $# -gt 0 ] && shift
[ $# -gt 0 ] && shift
case "$target" in
-h | --help)
	sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
all) run=("${TARGETS[@]}") ;;
*)
	[[ " ${TARGETS[*]} " == *" $target "* ]] ||
		{ echo "fuzz.sh: unknown target '$target' (${TARGETS[*]} or all)" >&2; exit 2; }
	run=("$target")
	;;
esac

CC=clang devtools/setup.sh build build-fuzz "${FUZZ_OPTS[@]}" -- \
	"${run[@]/#/test/fuzz/fuzz_}"
status=0
for t in "${run[@]}"; do
	opts=()
	case "$t" in
	vhost_msg | frontend_reply) opts=(-dict=test/fuzz/vhost_user.dict) ;;
	port_args) opts=(-dict=test/fuzz/port_args.dict) ;;
	# Its inputs hold guest memory: 64 KiB and the configuration before it.
	engine) opts=(-max_len=66000) ;;
	esac
	echo "==== fuzz $t: $seconds s"
	FUZZ_SECONDS="$seconds" test/fuzz/run-fuzz.sh "build-fuzz/test/fuzz/fuzz_$t" \
		"test/fuzz/corpus/$t" "build-fuzz/test/fuzz/corpus/$t" "${opts[@]}" "$@" ||
		status=1
done
exit "$status"
