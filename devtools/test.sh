#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# test.sh: set up, build and run every vio test suite; the README's test
# command, and what .ci/run runs.
#
#   devtools/test.sh [--fast] [--no-asan]
#
#   1. devtools/setup.sh: packages, hugepages and the shared test peers (QEMU)
#   2. build/ (release, werror): meson suites "fast", "stress", "peers"
#      (real DPDK testpmd processes) and "guest" (a Linux guest under QEMU
#      pings vio), one test at a time (they use both cores)
#   3. build-asan/ (debug, ASan + UBSan, werror): suite "fast"
#   4. build-fuzz/ (clang, debug, ASan + UBSan, werror, -Dfuzz=true): the
#      fuzz targets only, suite "fuzz" (each target a few seconds from its
#      seed corpus; devtools/fuzz.sh runs them long)
#   5. devtools/check-style.sh, counted as one test
#
#   --fast     skip the stress, peers and guest suites
#   --no-asan  skip the ASan + UBSan build
#   --no-fuzz  skip the fuzz build
#
# The last line of output is always "N passed, N failed, N skipped", totalled
# over every step from each build's meson-logs/testlog.json. TIMEOUT, ERROR
# and UNEXPECTEDPASS count as failed, EXPECTEDFAIL as passed; a build that
# fails counts as one failed test. Exits 1 when anything failed.
#
# Environment: ASAN_OPTIONS and UBSAN_OPTIONS are appended to this script's
# defaults (later settings win); MESON_TEST_ARGS adds arguments to every
# `meson test` run (e.g. "--timeout-multiplier 4").
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

RELEASE_OPTS=(-Dbuildtype=release -Dwerror=true)
# shellcheck disable=SC2054 # the comma is part of the meson option value
ASAN_OPTS=(-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true)
# shellcheck disable=SC2054 # as above
FUZZ_OPTS=(-Dbuildtype=debug -Db_sanitize=address,undefined -Db_lundef=false -Dwerror=true
	-Dfuzz=true -Dtests=false)
FUZZ_TARGETS=(test/fuzz/fuzz_vhost_msg test/fuzz/fuzz_engine test/fuzz/fuzz_frontend_reply
	test/fuzz/fuzz_port_args test/fuzz/fuzz_iotlb)

run_stress=1
run_asan=1
run_fuzz=1
for arg in "$@"; do
	case "$arg" in
	--fast) run_stress=0 ;;
	--no-asan) run_asan=0 ;;
	--no-fuzz) run_fuzz=0 ;;
	-h | --help)
		sed -n '3,28p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "test.sh: unknown option '$arg' (try --help)" >&2
		exit 2
		;;
	esac
done

passed=0
failed=0
skipped=0

step() { printf '\n==== %s\n' "$*"; }

# count_testlog FILE: print "passed failed skipped" for one meson test log.
count_testlog() {
	if python3 -c '' 2>/dev/null; then
		python3 - "$1" <<'PY'
import json, sys
n = {"p": 0, "f": 0, "s": 0}
kind = {"OK": "p", "EXPECTEDFAIL": "p", "SKIP": "s"}
with open(sys.argv[1]) as f:
	for line in f:
		line = line.strip()
		if line:
			n[kind.get(json.loads(line).get("result"), "f")] += 1
print(n["p"], n["f"], n["s"])
PY
	else
		grep -o '"result": "[A-Z]*"' "$1" | awk -F'"' '
			$4 == "OK" || $4 == "EXPECTEDFAIL" { p++; next }
			$4 == "SKIP" { s++; next }
			{ f++ }
			END { print p + 0, f + 0, s + 0 }'
	fi
}

# suite_times LOG DIR SECS: the tests and seconds of each suite in one meson
# test log (the sum of the tests' durations), and the wall time of the run.
suite_times() {
	[ -s "$1" ] && python3 -c '' 2>/dev/null || return 0
	python3 - "$1" "$2" "$3" <<'PY'
import collections, json, sys
n, t = collections.Counter(), collections.Counter()
with open(sys.argv[1]) as f:
	for line in f:
		if line.strip():
			r = json.loads(line)
			# "vio:fast / install": the suite between the colon and the slash
			s = r.get("name", "?").split(" / ")[0].split(":")[-1]
			n[s] += 1
			t[s] += r.get("duration") or 0
for s in sorted(t, key=lambda k: -t[k]):
	print("%s: suite %-6s %3d tests %7.1f s" % (sys.argv[2], s, n[s], t[s]))
print("%s: %s s wall" % (sys.argv[2], sys.argv[3]))
PY
}

# run_suites DIR SUITE... [-- MESON_TEST_ARGS...]: run meson test, add the
# results to the totals. A run that fails without a failed test in its log
# (ninja failed, meson crashed) counts as one failed test.
run_suites() {
	local dir="$1" names=() suites=() extra=() log="$1/meson-logs/testlog.json" rc=0 p=0 f=0 s=0 t0
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		names+=("$1")
		suites+=(--suite "$1")
		shift
	done
	[ $# -gt 0 ] && shift
	extra=("$@")
	# meson test leaves an old log in place when no test matches the suites.
	rm -f "$log"
	t0=$SECONDS
	# shellcheck disable=SC2086 # MESON_TEST_ARGS is a list of words
	meson test -C "$dir" "${suites[@]}" --print-errorlogs "${extra[@]}" \
		${MESON_TEST_ARGS:-} || rc=$?
	if [ -s "$log" ]; then
		read -r p f s <<<"$(count_testlog "$log" || echo 0 1 0)"
	else
		echo "(no test in suites ${names[*]} under $dir)"
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "test.sh: meson test -C $dir exited with $rc; counted as one failed test" >&2
		f=1
	fi
	suite_times "$log" "$dir" "$((SECONDS - t0))"
	echo "$dir: $p passed, $f failed, $s skipped"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# build_dir DIR OPTS...: configure and build; a failure counts as one failed test.
build_dir() {
	if devtools/setup.sh build "$@"; then
		return 0
	fi
	echo "test.sh: building $1 failed; counted as one failed test" >&2
	failed=$((failed + 1))
	return 1
}

finish() {
	echo
	echo "$passed passed, $failed failed, $skipped skipped"
	if [ "$failed" -ne 0 ]; then
		exit 1
	fi
	exit 0
}

step "setup"
if ! devtools/setup.sh; then
	echo "test.sh: setup failed" >&2
	failed=$((failed + 1))
	finish
fi

step "release build (build/)"
if build_dir build "${RELEASE_OPTS[@]}"; then
	suites=(fast)
	[ "$run_stress" = 1 ] && suites+=(stress peers guest)
	step "release tests: ${suites[*]}"
	run_suites build "${suites[@]}" -- --num-processes 1
fi

if [ "$run_asan" = 1 ]; then
	step "ASan + UBSan build (build-asan/)"
	if build_dir build-asan "${ASAN_OPTS[@]}"; then
		step "ASan + UBSan tests: fast"
		ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:abort_on_error=1:detect_stack_use_after_return=1${ASAN_OPTIONS:+:$ASAN_OPTIONS}" \
		UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}" \
			run_suites build-asan fast -- --timeout-multiplier 3
	fi
fi

if [ "$run_fuzz" = 1 ]; then
	step "fuzz build (build-fuzz/, clang)"
	t0=$SECONDS
	if CC=clang build_dir build-fuzz "${FUZZ_OPTS[@]}" -- "${FUZZ_TARGETS[@]}"; then
		step "fuzz targets: suite fuzz"
		# Only the fuzz targets are built: meson test must not build the rest.
		run_suites build-fuzz fuzz -- --no-rebuild
	fi
	echo "build-fuzz: $((SECONDS - t0)) s wall, build included"
fi

step "style"
if devtools/check-style.sh; then
	echo "style: passed"
	passed=$((passed + 1))
else
	echo "style: failed"
	failed=$((failed + 1))
fi

finish
