#!/bin/sh
#
# valgrind.sh: make check's LOG_COMPILER (Makefile.am), which runs every
# test through it:
#
#   sh tests/valgrind.sh TEST [ARG...]
#
# Without LH_VALGRIND (or with LH_VALGRIND=0) it runs TEST as it is.
# With LH_VALGRIND=1 it runs a test program (tests/unit/t_*,
# tests/fuzz/replay) under valgrind's memcheck: any invalid read or
# write, use of an uninitialised value or definite leak makes it exit 97,
# which the TAP driver reports as an error, with memcheck's report in the
# test's .log.  The replay's children (one per corpus file) are under
# memcheck too, so a bad input fails its own test point.  A test script
# (*.sh) runs as it is: tests/e2e/lib.sh reads LH_VALGRIND itself and
# puts the programs it starts under memcheck.

case ${LH_VALGRIND:-0} in
0|'') exec "$@" ;;
esac
case $1 in
*.sh) exec "$@" ;;
esac
if ! command -v valgrind >/dev/null 2>&1; then
	echo "Bail out! LH_VALGRIND is set, but valgrind is not installed"
	exit 1
fi
exec valgrind -q --tool=memcheck --vgdb=no --num-callers=30 \
    --leak-check=full --show-leak-kinds=definite \
    --errors-for-leak-kinds=definite --error-exitcode=97 "$@"
