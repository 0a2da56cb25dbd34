#!/bin/bash
# run.sh - build the fuzz targets with clang + libFuzzer + ASan + UBSan (build-fuzz/) and run
# each for FUZZ_TIME seconds; `make fuzz` calls this.
#
#   FUZZ_TIME=60 FUZZ_JOBS=1 bash fuzz/run.sh [TARGET...]   (default: every target)
#
# Each target fuzzes a work corpus, build-fuzz/corpus/<target>/, seeded from
# fuzz/corpus/<target>/ and fuzz/regressions/<target>/ (fuzz/corpus/ is never written).
# fuzz/options/<target> adds libFuzzer flags for one target ('#' lines are comments).
# Crash, leak and timeout inputs land in build-fuzz/artifacts/<target>/; logs in
# build-fuzz/logs/<target>.log, and <target>.replay.log for the replay of the whole work
# corpus with leak detection on that follows the timed run. Prints a table (target, total
# execs, exec/s, seconds, libFuzzer's final corpus size, files in the work corpus, result)
# and exits 1 when any target failed, naming the input to keep.
# Environment: FUZZ_TIME (seconds per target, 60), FUZZ_JOBS (targets run at once, 1),
# FUZZ_BUILD (build-fuzz), FUZZ_ARGS (more libFuzzer flags), CC (clang).
set -u
cd "$(dirname "$0")/.." || exit 2

FUZZ_TIME=${FUZZ_TIME:-60}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_BUILD=${FUZZ_BUILD:-build-fuzz}
FUZZ_ARGS=${FUZZ_ARGS:-}
CLANG=${CC:-clang}
case "$CLANG" in *clang*) ;; *) CLANG=clang ;; esac

# The target list lives in one place: fuzz/meson.build.
all_targets() {
	sed -n "/^fuzz_targets = \[/,/^\]/p" fuzz/meson.build | sed -n "s/^ *'\([a-z0-9_]*\)',*$/\1/p"
}
if [ $# -gt 0 ]; then targets="$*"; else targets=$(all_targets); fi

if [ ! -f "$FUZZ_BUILD/build.ninja" ]; then
	CC=$CLANG meson setup "$FUZZ_BUILD" -Dfuzzing=true -Dtests=false \
		-Dbuildtype=debugoptimized -Db_lundef=false >"$FUZZ_BUILD.setup.log" 2>&1 || {
		cat "$FUZZ_BUILD.setup.log"; exit 2; }
	rm -f "$FUZZ_BUILD.setup.log"
fi
ninja -C "$FUZZ_BUILD" $(for t in $targets; do printf 'fuzz/fuzz_%s ' "$t"; done) || exit 2
mkdir -p "$FUZZ_BUILD/logs"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# run_one TARGET - fuzz one target; its exit status is libFuzzer's.
run_one() {
	t=$1
	work="$FUZZ_BUILD/corpus/$t"
	art="$FUZZ_BUILD/artifacts/$t"
	mkdir -p "$work" "$art"
	for d in "fuzz/corpus/$t" "fuzz/regressions/$t"; do
		[ -d "$d" ] && find "$d" -maxdepth 1 -type f ! -name '.*' -exec cp -n {} "$work/" \;
	done
	dict=""
	[ -f "fuzz/dict/$t.dict" ] && dict="-dict=fuzz/dict/$t.dict"
	opts=""
	[ -f "fuzz/options/$t" ] && opts=$(grep -v '^#' "fuzz/options/$t")
	# -timeout: an input running 10 s is a hang; -max_len: certificate chains need room.
	# shellcheck disable=SC2086
	"$FUZZ_BUILD/fuzz/fuzz_$t" -max_total_time="$FUZZ_TIME" -print_final_stats=1 \
		-timeout=10 -max_len=8192 -artifact_prefix="$art/" $dict $opts $FUZZ_ARGS "$work" \
		>"$FUZZ_BUILD/logs/$t.log" 2>&1 || return
	# Then every input kept once more, with leak detection on for each (whatever the
	# options said): a leak is then caught even where checking each mutation is too slow.
	"$FUZZ_BUILD/fuzz/fuzz_$t" -runs=0 -detect_leaks=1 -timeout=10 -max_len=8192 \
		-artifact_prefix="$art/" "$work" >"$FUZZ_BUILD/logs/$t.replay.log" 2>&1
}

start=$(date +%s)
running=0
for t in $targets; do
	if [ ! -f "fuzz/fuzz_$t.c" ]; then
		echo "fuzz: no target '$t'" >&2
		exit 2
	fi
	echo "fuzz: $t for ${FUZZ_TIME}s (log: $FUZZ_BUILD/logs/$t.log)"
	( run_one "$t"; echo $? >"$FUZZ_BUILD/logs/$t.rc" ) &
	running=$((running + 1))
	if [ "$running" -ge "$FUZZ_JOBS" ]; then
		wait -n
		running=$((running - 1))
	fi
done
wait

stat() { sed -n "s/^stat::$2: *\([0-9]*\).*/\1/p" "$FUZZ_BUILD/logs/$1.log" | tail -1; }
failed=0
echo
printf '%-12s %14s %9s %7s %7s %7s  %s\n' target total_execs exec/s seconds corpus files result
for t in $targets; do
	rc=$(cat "$FUZZ_BUILD/logs/$t.rc" 2>/dev/null || echo 99)
	execs=$(stat "$t" number_of_executed_units)
	eps=$(stat "$t" average_exec_per_sec)
	secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$FUZZ_BUILD/logs/$t.log" | tail -1)
	# corpus: libFuzzer's final corpus (units kept); files: what the work directory holds.
	corp=$(sed -n 's/.* corp: \([0-9]*\)\/.*/\1/p' "$FUZZ_BUILD/logs/$t.log" | tail -1)
	size=$(find "$FUZZ_BUILD/corpus/$t" -maxdepth 1 -type f | wc -l)
	if [ "$rc" = 0 ]; then
		result=ok
	else
		result="FAILED (exit $rc)"
		failed=1
	fi
	printf '%-12s %14s %9s %7s %7s %7s  %s\n' "$t" "${execs:-?}" "${eps:-?}" "${secs:--}" \
		"${corp:-?}" "$size" "$result"
done
echo "total wall time: $(( $(date +%s) - start ))s"

if [ "$failed" = 1 ]; then
	echo
	for t in $targets; do
		rc=$(cat "$FUZZ_BUILD/logs/$t.rc" 2>/dev/null || echo 99)
		[ "$rc" = 0 ] && continue
		a=$(ls -t "$FUZZ_BUILD/artifacts/$t"/* 2>/dev/null | head -1)
		echo "fuzz_$t failed; see $FUZZ_BUILD/logs/$t.log and $t.replay.log"
		cat "$FUZZ_BUILD/logs/$t.log" "$FUZZ_BUILD/logs/$t.replay.log" 2>/dev/null |
			grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*invariant failed)'
		if [ -n "$a" ]; then
			echo "  input: $a"
			echo "  reproduce: $FUZZ_BUILD/fuzz/fuzz_$t $a"
			echo "  after fixing, keep it as a regression that make check replays:"
			echo "    cp $a fuzz/regressions/$t/<what-it-shows>"
		fi
	done
	exit 1
fi
exit 0
