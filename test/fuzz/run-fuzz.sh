#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run-fuzz.sh EXE SEEDS WORK [LIBFUZZER_ARG...]: one bounded libFuzzer run of
# a target of test/fuzz, as suite fuzz and devtools/fuzz.sh run it.
#
# First every input of SEEDS (the corpus in the tree, regression inputs
# included) and WORK runs once; then libFuzzer mutates them for
# FUZZ_SECONDS (default 4) with one job, writing what it finds into WORK (a
# directory of the build, created here) and a failing input into WORK/..,
# named <target>-crash-<sha1> (-leak-, -timeout-, -oom-). FUZZ_FRESH=1
# empties WORK first. Exits 0 when nothing failed, 1 on a crash, a leak, a
# timeout or a failed check.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 EXE SEEDS WORK [LIBFUZZER_ARG...]" >&2; exit 2; }
exe="$1" seeds="$2" work="$3"
shift 3
name="$(basename "$exe")"
[ "${FUZZ_FRESH:-0}" = 1 ] && rm -rf "$work"
mkdir -p "$work"
# libFuzzer's own exit code for a failure is 77, meson's code for a skip.
common=(-error_exitcode=1 -timeout_exitcode=1 -oom_exitcode=1 -timeout=10 -rss_limit_mb=4096
	-artifact_prefix="$(dirname "$work")/${name#fuzz_}-" -print_final_stats=1)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:allocator_may_return_null=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
"$exe" "${common[@]}" -max_total_time="${FUZZ_SECONDS:-4}" "$@" "$work" "$seeds"
