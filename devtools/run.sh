#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# run.sh: set up, build and run the main job, the engine benchmark
# (build/app/vio-bench), which prints a table. The README's first command.
#
#   devtools/run.sh [vio-bench arguments...]
#
# Shares build/ (release, werror) with devtools/test.sh, so after either of
# them the other only checks that nothing changed. Setup and build messages
# go to stderr; stdout carries only the benchmark's output.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The benchmark needs no QEMU: packages and hugepages only.
devtools/setup.sh packages >&2
devtools/setup.sh hugepages >&2
devtools/setup.sh build build -Dbuildtype=release -Dwerror=true >&2
[ -x build/app/vio-bench ] || { echo "run.sh: build/app/vio-bench was not built (is it in app/meson.build?)" >&2; exit 1; }
exec build/app/vio-bench "$@"
