#!/bin/sh
#
# TAP: every manual page in man/ passes "mandoc -Tlint -W warning" (kcgi
# lints its pages the same way).  Run from man/, so that cross-references
# between our own pages resolve; -W warning leaves out the STYLE level,
# where a page referenced but not installed (spawn-fcgi(1), say) is
# reported.  Skips when mandoc is not installed (Debian: mandoc).

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}

if ! command -v mandoc >/dev/null 2>&1; then
	echo "1..0 # SKIP mandoc not installed"
	exit 0
fi

cd "$top_srcdir/man" || {
	echo "Bail out! no man/ directory in $top_srcdir"
	exit 1
}

n=0
failed=0
for page in *.[1-9]; do
	[ -f "$page" ] || continue
	n=$((n + 1))
	out=$(mandoc -Tlint -W warning "$page" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && [ -z "$out" ]; then
		echo "ok $n - mandoc -Tlint -W warning $page"
	else
		failed=$((failed + 1))
		echo "not ok $n - mandoc -Tlint -W warning $page (exit $rc)"
		printf '%s\n' "$out" | sed 's/^/# /'
	fi
done
if [ "$n" -eq 0 ]; then
	echo "Bail out! no manual pages in $top_srcdir/man"
	exit 1
fi
echo "1..$n"
[ "$failed" -eq 0 ]
