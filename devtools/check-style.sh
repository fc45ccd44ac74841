#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# check-style.sh: the house style checks of STYLE.md.
#
#   devtools/check-style.sh         check; exit 1 on any finding
#   devtools/check-style.sh --fix   reformat with clang-format -i, then check
#
# 1. clang-format (.clang-format) over every *.c and *.h under lib/,
#    drivers/, app/ and test/; the first difference in each file is shown.
# 2. Forbidden calls and keywords in lib/ and drivers/ (file:line for each):
#    printf/fprintf/perror (snprintf is fine), exit, abort, assert,
#    rte_panic, rte_exit, volatile, __sync_*. Comments and string literals
#    are not searched.
#
# Environment: CLANG_FORMAT names the clang-format binary (default
# clang-format; Debian 12 ships version 14).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

fix=0
case "${1:-}" in
"") ;;
--fix) fix=1 ;;
-h | --help)
	sed -n '3,17p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "check-style.sh: unknown option '$1' (try --help)" >&2
	exit 2
	;;
esac

CLANG_FORMAT="${CLANG_FORMAT:-clang-format}"
status=0

# list_sources DIR...: the *.c and *.h files under the DIRs that exist, sorted.
list_sources() {
	local d dirs=()
	for d in "$@"; do
		[ -d "$d" ] && dirs+=("$d")
	done
	[ ${#dirs[@]} -eq 0 ] && return 0
	find "${dirs[@]}" -type f \( -name '*.c' -o -name '*.h' \) | LC_ALL=C sort
}

mapfile -t all_files < <(list_sources lib drivers app test)
mapfile -t lib_files < <(list_sources lib drivers)

# 1. formatting
if [ ${#all_files[@]} -gt 0 ]; then
	command -v "$CLANG_FORMAT" >/dev/null ||
		{ echo "check-style.sh: $CLANG_FORMAT not found (devtools/setup.sh installs it)" >&2; exit 2; }
	if [ "$fix" = 1 ]; then
		"$CLANG_FORMAT" -i "${all_files[@]}"
	fi
	if ! "$CLANG_FORMAT" --dry-run -Werror --ferror-limit=1 "${all_files[@]}"; then
		echo "check-style.sh: files above need clang-format; run devtools/check-style.sh --fix" >&2
		status=1
	fi
fi

# 2. forbidden tokens, outside comments and string literals
if [ ${#lib_files[@]} -gt 0 ]; then
	if ! perl -e '
		my $re = qr/\b(?:printf|fprintf|perror|exit|abort|assert)\s*\(|\b(?:rte_panic|rte_exit|volatile)\b|\b__sync_\w*/;
		my $hits = 0;
		for my $file (@ARGV) {
			open(my $fh, "<", $file) or die "$file: $!\n";
			my $in_comment = 0;
			while (my $line = <$fh>) {
				my ($s, $code) = ($line, "");
				while (length $s) {
					if ($in_comment) {
						if ($s =~ s{^.*?\*/}{}s) {
							$in_comment = 0;
							$code .= " ";
						} else {
							$s = "";
						}
					} elsif ($s =~ s{^([^/"\x27]+)}{}) {
						$code .= $1;
					} elsif ($s =~ s{^/\*}{}) {
						$in_comment = 1;
					} elsif ($s =~ s{^//.*}{}s) {
					} elsif ($s =~ s{^"(?:[^"\\]|\\.)*"?}{}) {
						$code .= "\"\"";
					} elsif ($s =~ s{^\x27(?:[^\x27\\]|\\.)*\x27?}{}) {
						$code .= "\x27\x27";
					} else {
						$code .= substr($s, 0, 1, "");
					}
				}
				while ($code =~ /($re)/g) {
					my $tok = $1;
					$tok =~ s/\s*\($//;
					chomp(my $text = $line);
					$text =~ s/^\s+//;
					print "$file:$.: forbidden \x27$tok\x27: $text\n";
					$hits++;
				}
			}
			close($fh);
		}
		exit($hits ? 1 : 0);
	' "${lib_files[@]}"; then
		echo "check-style.sh: forbidden tokens in lib/ or drivers/ (STYLE.md, Errors and logging)" >&2
		status=1
	fi
fi

exit "$status"
