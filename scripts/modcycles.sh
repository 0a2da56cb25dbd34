#!/bin/sh
# modcycles.sh - the library's modules must not depend on each other in a circle. A module
# is a lib/NAME.c with its lib/NAME.h; it depends on another when its .c or .h includes the
# other's header. tsort(1) orders the graph and reports any loop; a loop fails.
#
# usage: modcycles.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
err=$(mktemp)
cd "$top/lib"
edges=$(for f in *.c *.h; do
	mod=${f%.*}
	sed -n 's/^#include "\([a-z0-9_]*\)\.h".*/\1/p' "$f" | while read -r dep; do
		[ "$dep" = "$mod" ] || [ ! -f "$dep.c" ] || echo "$mod $dep"
	done
done | sort -u)
if ! printf '%s\n' "$edges" | tsort >/dev/null 2>"$err"; then
	echo "modcycles.sh: modules that include each other in a circle:" >&2
	grep -v '^tsort: -: input contains a loop:' "$err" | sed 's/^tsort: /  /' >&2
	rm -f "$err"
	exit 1
fi
rm -f "$err"
echo "modcycles.sh: $(printf '%s\n' "$edges" | wc -l) module dependencies, no loop"
