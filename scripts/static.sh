#!/bin/sh
# static.sh - static analysis with zero reports allowed: cppcheck over every C file of the
# project, then clang's analyzer (scan-build) over a full clang build, then the library's
# module graph (scripts/modcycles.sh: no include loops).
#
# usage: static.sh [WORK_DIR]
#	WORK_DIR holds cppcheck's cache and the scan-build build (default: build-static).
#
# cppcheck runs the warning, style, performance and portability checks. One check is off:
# variableScope, which asks for variables to be declared in the innermost block; the code
# declares them at the top of a function or block on purpose, as Postfix and OpenBSD do.
# A report that is a false positive is silenced where it occurs, with a comment saying why
# (cppcheck-suppress ID ; reason), never here.
#
# scan-build runs clang's core, unix, security and deadcode checkers; --status-bugs makes any
# report a failure, and the HTML reports stay in WORK_DIR/scan-reports for reading.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$top/build-static}
mkdir -p "$work/cppcheck"
work=$(cd "$work" && pwd)
cd "$top"

dirs="lib src lab tests/unit"
[ -d fuzz ] && dirs="$dirs fuzz"

status=0
echo "static.sh: cppcheck $(cppcheck --version | sed 's/^Cppcheck //') over $dirs"
# shellcheck disable=SC2086
if ! cppcheck -q --std=c11 --enable=warning,style,performance,portability \
    --suppress=variableScope --inline-suppr --error-exitcode=1 \
    -Iinclude -Ilib -Isrc -D_GNU_SOURCE --cppcheck-build-dir="$work/cppcheck" $dirs; then
	echo "static.sh: cppcheck reported problems (above)" >&2
	status=1
fi

if command -v scan-build >/dev/null 2>&1 && command -v clang >/dev/null 2>&1; then
	echo "static.sh: scan-build (clang $(clang -dumpversion)) over a clang build in $work/scan"
	rm -rf "$work/scan" "$work/scan-reports"
	# scan-build wraps the compiler (ccc-analyzer) only when it runs the configure step too.
	if ! CC=clang scan-build -o "$work/scan-reports" meson setup "$work/scan" \
	    >"$work/scan-setup.log" 2>&1; then
		cat "$work/scan-setup.log" >&2
		echo "static.sh: meson setup for scan-build failed" >&2
		exit 1
	fi
	if ! scan-build -o "$work/scan-reports" --status-bugs ninja -C "$work/scan" \
	    >"$work/scan-build.log" 2>&1; then
		grep -E 'warning:|bugs? found' "$work/scan-build.log" >&2 || tail -n 20 "$work/scan-build.log" >&2
		echo "static.sh: scan-build reported problems (reports in $work/scan-reports)" >&2
		status=1
	else
		grep -E 'bugs? found|No bugs' "$work/scan-build.log" || true
	fi
else
	echo "static.sh: scan-build or clang not installed (scripts/deps.sh installs them)" >&2
	status=1
fi

# The module graph has no loop (no two library modules include each other).
sh "$top/scripts/modcycles.sh" || status=1

[ "$status" -eq 0 ] && echo "static.sh: no reports"
exit "$status"
