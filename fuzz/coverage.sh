#!/bin/sh
# coverage.sh - line coverage of the parsers reached by the fuzz inputs; `make fuzz-coverage`.
#
#   sh fuzz/coverage.sh
#
# Builds the replay binaries with clang source-based coverage (-fprofile-instr-generate
# -fcoverage-mapping) in build-cov/, replays fuzz/corpus/<target>/, fuzz/regressions/<target>/
# and, when present, the work corpus that `make fuzz` grew in build-fuzz/corpus/<target>/,
# merges the profiles (llvm-profdata) and prints llvm-cov's report for the parser sources.
# Environment: COV_BUILD (build-cov), FUZZ_BUILD (build-fuzz), LLVM_COV, LLVM_PROFDATA.
set -eu
cd "$(dirname "$0")/.."

COV_BUILD=${COV_BUILD:-build-cov}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
LLVM_COV=${LLVM_COV:-llvm-cov}
LLVM_PROFDATA=${LLVM_PROFDATA:-llvm-profdata}
FILES="lib/reply.c lib/names.c lib/timeutil.c src/opts.c lib/x509info.c lib/verify.c lib/escape.c lib/mtasts_read.c"
FLAGS="-fprofile-instr-generate -fcoverage-mapping"

targets=$(sed -n "/^fuzz_targets = \[/,/^\]/p" fuzz/meson.build | sed -n "s/^ *'\([a-z0-9_]*\)',*$/\1/p")

# Programs meson runs while configuring are instrumented too: keep their profiles out of
# the source tree.
export LLVM_PROFILE_FILE="$PWD/$COV_BUILD.setup-%p.profraw"
if [ ! -f "$COV_BUILD/build.ninja" ]; then
	CC=clang meson setup "$COV_BUILD" -Dtests=false -Dbuildtype=debug \
		-Dc_args="$FLAGS" -Dc_link_args="$FLAGS" >"$COV_BUILD.setup.log" 2>&1 || {
		cat "$COV_BUILD.setup.log"; exit 2; }
	rm -f "$COV_BUILD.setup.log"
fi
ninja -C "$COV_BUILD" $(for t in $targets; do printf 'fuzz/fuzz_%s ' "$t"; done) >/dev/null

rm -f "$COV_BUILD".setup-*.profraw
rm -rf "$COV_BUILD/profiles"
mkdir -p "$COV_BUILD/profiles"
objects=""
for t in $targets; do
	dirs="fuzz/corpus/$t fuzz/regressions/$t"
	[ -d "$FUZZ_BUILD/corpus/$t" ] && dirs="$dirs $FUZZ_BUILD/corpus/$t"
	# The replay binary reports each directory's input count.
	LLVM_PROFILE_FILE="$COV_BUILD/profiles/$t.profraw" "$COV_BUILD/fuzz/fuzz_$t" $dirs |
		sed "s/^/$t: /"
	objects="$objects -object $COV_BUILD/fuzz/fuzz_$t"
done
"$LLVM_PROFDATA" merge -sparse -o "$COV_BUILD/fuzz.profdata" "$COV_BUILD"/profiles/*.profraw
echo
# llvm-cov 14 reports every file of the binaries (its source filter does not apply to
# report): keep the parser files and total them here. Columns of llvm-cov report: 1 file,
# 2-4 regions, 5-7 functions, 8-10 lines, 11-13 branches.
# shellcheck disable=SC2086
"$LLVM_COV" report -instr-profile="$COV_BUILD/fuzz.profdata" ${objects# -object } |
awk -v files="$FILES" '
	BEGIN { n = split(files, f, " "); for (i = 1; i <= n; i++) want[f[i]] = 1
		printf "%-18s %8s %8s %8s   %s %s %s\n", "file", "lines", "missed", "line%",
			"region%", "function%", "branch%" }
	($1 in want) { printf "%-18s %8d %8d %8s   %7s %9s %7s\n", $1, $8, $9, $10, $4, $7, $13
		lines += $8; missed += $9 }
	END { printf "%-18s %8d %8d %7.2f%%\n", "TOTAL (parsers)", lines, missed,
		lines ? 100 * (lines - missed) / lines : 0 }'
echo
echo "line-by-line: $LLVM_COV show -instr-profile=$COV_BUILD/fuzz.profdata" \
	"${objects# -object } FILE"
