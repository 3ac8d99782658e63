#!/bin/sh
#
# run-tests.sh: build licensehook and run every test, from a fresh clone.
#
#   sudo contrib/run-tests.sh     # or as any user once the packages are in
#
# Installs the Debian packages the build and the tests need when some are
# missing (as root only; otherwise it says what is missing and goes on:
# end-to-end tests skip themselves without nginx and friends), then runs
# autoreconf -fi, ./configure $CONFIGURE_FLAGS (default: --enable-asan
# --enable-ubsan; set it empty for a plain build), make -j2 and make -j2 -k
# check (every test runs even after a failure), then, if all passed, make
# distcheck, whose make check of the plain build in the tarball runs
# under valgrind's memcheck (LH_VALGRIND=1; NO_DISTCHECK=1 skips
# distcheck, NO_VALGRIND=1 runs it without valgrind), and last every
# libFuzzer target for FUZZ_SECONDS (15) in a clang build of the
# tarball of its own (NO_FUZZ=1 skips it).  It prints a summary per test
# script and ends with one line, counted over TAP test points:
#
#   N passed, N failed, N skipped
#
# and exits non-zero when anything failed, or did not build or run.  A
# test script that crashed or bailed out counts as one failure more; a
# test that never ran (its program did not build) counts as one failure.
# distcheck is one test point, and so is each fuzz target.

set -u

cd "$(dirname "$0")/.." || exit 1

PACKAGES="build-essential autoconf automake libtool pkg-config libssl-dev
libsqlite3-dev libcjson-dev libfcgi-dev spawn-fcgi multiwatch nginx-light
sqlite3 curl openssl mandoc apache2 libapache2-mod-fcgid systemd man-db jq
strace valgrind clang libclang-rt-14-dev"

say() {
	printf '==> %s\n' "$*"
}

# ---- packages --------------------------------------------------------------

# A package counts as present when installed; for nginx-light, any nginx
# (nginx-core, nginx-full, ... conflict with it) will do.
missing_packages() {
	for _p in $PACKAGES; do
		case $_p in
		nginx-light) command -v nginx >/dev/null 2>&1 && continue ;;
		esac
		dpkg-query -W -f='${Status}\n' "$_p" 2>/dev/null |
		    grep -q 'install ok installed' || printf '%s ' "$_p"
	done
}

install_packages() {
	command -v dpkg-query >/dev/null 2>&1 || {
		say "not Debian: skipping package installation"
		return 0
	}
	_missing=$(missing_packages)
	[ -n "$_missing" ] || return 0
	if [ "$(id -u)" -ne 0 ]; then
		say "missing packages: $_missing(not root: not installing;" \
		    "tests that need them are skipped)"
		return 0
	fi
	say "installing $_missing"
	# Keep the nginx package from starting a system-wide nginx on port 80
	# (and from failing the install when that port is taken).
	_policy=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod 755 /usr/sbin/policy-rc.d
		_policy=/usr/sbin/policy-rc.d
	fi
	DEBIAN_FRONTEND=noninteractive
	export DEBIAN_FRONTEND
	_rc=0
	# shellcheck disable=SC2086
	{ apt-get -q update &&
	    apt-get -q -y --no-install-recommends \
	    -o Dpkg::Options::=--force-confdef \
	    -o Dpkg::Options::=--force-confold install $_missing; } </dev/null ||
	    _rc=$?
	[ -z "$_policy" ] || rm -f "$_policy"
	if [ "$_rc" -ne 0 ]; then
		say "apt-get failed ($_rc)"
		return 1
	fi
}

# ---- results -----------------------------------------------------------------

# make_var NAME: a variable of the generated Makefile, as make expands it.
make_var() {
	_mk=$(mktemp "${TMPDIR:-/tmp}/lh-print-var.XXXXXX") || return 1
	# shellcheck disable=SC2016
	printf 'lh-print-var:\n\t@echo $(%s)\n' "$1" >"$_mk"
	make -s -f Makefile -f "$_mk" lh-print-var 2>/dev/null
	rm -f "$_mk"
}

# The TESTS list, straight from the generated Makefile.
list_tests() {
	make_var TESTS | tr ' ' '\n' | sed '/^$/d'
}

# The .trs file automake's parallel harness wrote for test $1 (its name
# keeps the extension unless that is in TEST_EXTENSIONS), or nothing.
trs_of() {
	for _f in "$1.trs" "${1%.*}.trs"; do
		if [ -f "$_f" ]; then
			echo "$_f"
			return 0
		fi
	done
}

log_of() {
	_t=$(trs_of "$1")
	[ -n "$_t" ] && echo "${_t%.trs}.log"
}

fail_build() {
	say "$1"
	echo "0 passed, 1 failed"
	exit 1
}

# ---- main ----------------------------------------------------------------------

t_start=$(date +%s)
# since T: seconds since date +%s gave T.
since() {
	echo $(($(date +%s) - $1))
}

install_packages || fail_build "could not install the packages"
say "packages: $(since "$t_start") s"

say "autoreconf -fi"
autoreconf -fi || fail_build "autoreconf failed"
# The whole suite runs under AddressSanitizer and UBSan by default: a
# leak, an overflow or undefined behaviour anywhere fails it.
CONFIGURE_FLAGS=${CONFIGURE_FLAGS-"--enable-asan --enable-ubsan"}
say "./configure $CONFIGURE_FLAGS"
# shellcheck disable=SC2086
./configure $CONFIGURE_FLAGS || fail_build "configure failed"
say "make -j2"
t_build=$(date +%s)
make_rc=0
make -j2 || make_rc=$?
[ "$make_rc" -eq 0 ] || say "make failed ($make_rc); running the tests that built"
say "build: $(since "$t_build") s"

tests=$(list_tests)
[ -n "$tests" ] || fail_build "no TESTS in the Makefile"

# Results from an earlier run must not stand in for this one.
for t in $tests; do
	rm -f "$t.log" "$t.trs" "${t%.*}.log" "${t%.*}.trs"
done
rm -f test-suite.log

# Two tests at a time (each works in its own scratch directory, on
# random ports), and every one even after a failure.
say "make -j2 -k check"
t_check=$(date +%s)
check_rc=0
make -j2 -k check || check_rc=$?
say "make check: $(since "$t_check") s"

# ---- summary -----------------------------------------------------------------

say "summary"
passed=0 failed=0 skipped=0
bad_logs=
for t in $tests; do
	trs=$(trs_of "$t")
	if [ -z "$trs" ]; then
		printf '%-8s %s (did not build or run)\n' "NOT RUN" "$t"
		failed=$((failed + 1))
		continue
	fi
	# One :test-result: line per test point (PASS, FAIL, SKIP, XFAIL,
	# XPASS), plus ERROR for a bail out, a bad plan or a non-zero exit.
	# An ERROR counts as a failure only when no test point failed (a
	# script with failures exits non-zero too).
	# shellcheck disable=SC2046
	set -- $(awk '
	    /^:test-result: (PASS|XFAIL)/ { p++ }
	    /^:test-result: (FAIL|XPASS)/ { f++ }
	    /^:test-result: ERROR/ { e++ }
	    /^:test-result: SKIP/ { s++ }
	    /^:global-test-result:/ { g = $2 }
	    END { if (f == 0) f = e
		printf "%d %d %d %s\n", p, f, s, (g == "" ? "?" : g) }' "$trs")
	printf '%-8s %s (%d passed, %d failed, %d skipped)\n' "$4" "$t" \
	    "$1" "$2" "$3"
	passed=$((passed + $1))
	failed=$((failed + $2))
	skipped=$((skipped + $3))
	[ "$2" -eq 0 ] || bad_logs="$bad_logs $(log_of "$t")"
done

# show_failures LOG...: the failing test points of TAP logs, with their
# diagnostics, and any bail out or sanitizer/valgrind report.
show_failures() {
	for _l in "$@"; do
		echo "--- $_l"
		awk '/^not ok/ { show = 1; print; next }
		    /^(ok|1\.\.)/ { show = 0; next }
		    /^Bail out!/ { print; next }
		    /^==[0-9]+==/ { print; next }
		    show && /^#/ { print }' "$_l" | head -n 60
	done
}

if [ -n "$bad_logs" ]; then
	say "failures"
	# shellcheck disable=SC2086
	show_failures $bad_logs
fi

# ---- make distcheck, with make check under valgrind ----------------------------

# The tarball: it must hold everything the build and the tests need, build
# out of tree (VPATH, sources read-only), pass make check there, install,
# uninstall and clean up.  Its make check is of a plain build, so it is
# also the valgrind run (LH_VALGRIND=1, tests/valgrind.sh and
# tests/e2e/lib.sh): every unit test and the fuzz replay, and every
# licensehook and licensectl the end-to-end scripts start, under memcheck;
# an invalid access, a use of an uninitialised value or a definite leak
# fails the test.  One more test point, run only when everything above
# passed (some 7 minutes on 2 cores); NO_DISTCHECK=1 leaves it out,
# NO_VALGRIND=1 runs it without valgrind.
dist_ok=0
vg=
if [ "${NO_VALGRIND:-0}" != 1 ]; then
	if command -v valgrind >/dev/null 2>&1; then
		vg=1
	else
		say "valgrind not installed: make distcheck runs without it"
	fi
fi
dc_name="make distcheck${vg:+ (make check under valgrind)}"
if [ "${NO_DISTCHECK:-0}" = 1 ]; then
	say "make distcheck: skipped (NO_DISTCHECK=1)"
	skipped=$((skipped + 1))
elif [ "$failed" -ne 0 ] || [ "$make_rc" -ne 0 ] || [ "$check_rc" -ne 0 ]; then
	say "make distcheck: skipped (make check did not pass)"
	skipped=$((skipped + 1))
else
	say "$dc_name (log: distcheck.log)"
	dc_start=$(date +%s)
	# shellcheck disable=SC2086
	if env ${vg:+LH_VALGRIND=1} make -j2 distcheck >distcheck.log 2>&1; then
		dc_rc=0
	else
		dc_rc=1
	fi
	# What its make check counted ("# TOTAL: N", "# PASS: N", ...).
	dc_counts=$(sed -n 's/^# \(TOTAL\|PASS\|SKIP\|XFAIL\|FAIL\|XPASS\|ERROR\): *\([0-9]*\)$/\1 \2/p' \
	    distcheck.log | tr '\n' ' ')
	dc_vg=$(sed -n 's/.*valgrind: no memcheck error in \([0-9]*\) processes$/\1/p' \
	    distcheck.log | awk '{ n += $1 } END { print n + 0 }')
	say "$dc_name: $(since "$dc_start") s; its make check: ${dc_counts:-no summary}${vg:+; $dc_vg programs run by the end-to-end tests under memcheck}"
	if [ "$dc_rc" -eq 0 ]; then
		printf '%-8s %s\n' PASS "$dc_name"
		passed=$((passed + 1))
		dist_ok=1
	else
		printf '%-8s %s\n' FAIL "$dc_name"
		failed=$((failed + 1))
		say "failures"
		echo "--- distcheck.log"
		grep -E '^(FAIL|ERROR|XPASS)|rror|missing|No rule' distcheck.log |
		    head -n 40
		# distcheck leaves its build when make check failed there.
		dc_build=$(make_var distdir)/_build/sub
		if [ -d "$dc_build" ]; then
			# shellcheck disable=SC2046
			show_failures $(grep -l -E \
			    '^:test-result: (FAIL|XPASS|ERROR)' \
			    $(find "$dc_build" -name '*.trs') 2>/dev/null |
			    sed 's/\.trs$/.log/')
		fi
	fi
fi

if [ "$failed" -eq 0 ] && { [ "$make_rc" -ne 0 ] || [ "$check_rc" -ne 0 ]; }; then
	# Every test passed, yet make failed: count that too.
	say "make -k check failed ($check_rc) outside the tests"
	failed=1
fi

# ---- fuzzing -------------------------------------------------------------------------

# Every libFuzzer target (tests/fuzz/, HACKING "Fuzzing") for FUZZ_SECONDS
# (default 25) from its seeds and dictionary, two at a time, under
# libFuzzer, ASan and UBSan with leak detection: one test point each,
# failed by a crash, a broken promise, a leak or a timeout, with the
# input and the stack shown.  The targets need a build of their own (clang,
# everything instrumented) that must not disturb the one here: the
# tarball distcheck just checked (else a fresh make dist), unpacked and
# configured in fuzz-out/build/.  What a run finds goes to
# fuzz-out/<name>/ (crash-*, leak-*, timeout-*, and libFuzzer's log).
# Each target is skipped without clang and libFuzzer (Debian: clang
# libclang-rt-14-dev), or with NO_FUZZ=1.
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
fuzz_names=$(make_var FUZZ_NAMES)
fz_top=$PWD/fuzz-out

# fuzz_all STATUS REASON: the same result for every target.
fuzz_all() {
	for _n in $fuzz_names; do
		printf '%-8s %s (%s)\n' "$1" "fuzz_$_n" "$2"
		case $1 in
		SKIP) skipped=$((skipped + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done
}

# fuzz_build: the tarball unpacked and built for fuzzing in
# $fz_top/build; sets fz_src.  1 if clang cannot build libFuzzer
# targets, 2 on any other failure.
fuzz_build() {
	_tarball=$(make_var DIST_ARCHIVES)
	if [ "$dist_ok" -ne 1 ] || [ ! -f "$_tarball" ]; then
		make dist-gzip >"$fz_top/dist.log" 2>&1 || return 2
	fi
	rm -rf "$fz_top/build" && mkdir -p "$fz_top/build" &&
	    tar -xzf "$_tarball" -C "$fz_top/build" || return 2
	fz_src=$fz_top/build/$(make_var distdir)
	if ! (cd "$fz_src" && CC=clang ./configure --enable-fuzzing) \
	    >"$fz_top/build.log" 2>&1; then
		grep -q 'needs clang with libFuzzer' "$fz_top/build.log" &&
		    return 1
		return 2
	fi
	# shellcheck disable=SC2046
	(cd "$fz_src" && make -j2 $(for _n in $fuzz_names; do
	    printf 'tests/fuzz/fuzz_%s ' "$_n"; done)) >>"$fz_top/build.log" 2>&1 ||
	    return 2
}

# fuzz_one NAME: tests/fuzz/run.sh for one target; its table in NAME.out.
fuzz_one() {
	FUZZ_SECONDS=$FUZZ_SECONDS FUZZ_WORKDIR=$fz_top \
	    sh "$fz_src/tests/fuzz/run.sh" "$fz_src" "$fz_src" "$1" \
	    >"$fz_top/$1.out" 2>&1
}

# fuzz_report NAME STATUS: its test point; on failure where its input is
# and the report libFuzzer logged (sanitizer stack or broken promise).
fuzz_report() {
	_row=$(awk -v n="$1" '$1 == n' "$fz_top/$1.out")
	# shellcheck disable=SC2086
	set -- "$1" "$2" $_row
	if [ "$2" -eq 0 ]; then
		printf '%-8s %s (%s s, %s inputs, %s edges)\n' PASS "fuzz_$1" \
		    "${4:-?}" "${5:-?}" "${8:-?}"
		passed=$((passed + 1))
		return
	fi
	printf '%-8s %s\n' FAIL "fuzz_$1"
	failed=$((failed + 1))
	sed -n '/crashed/,$p' "$fz_top/$1.out"
	echo "  (fuzz-out/build/ is scratch: the input is kept in tests/fuzz/$1/ of this tree)"
	echo "--- $fz_top/$1/log"
	sed -n '/ERROR: \|broken promise\|runtime error\|deadly signal/,/Test unit written\|^SUMMARY/p' \
	    "$fz_top/$1/log" | head -n 80
}

if [ "${NO_FUZZ:-0}" = 1 ]; then
	say "fuzzing: skipped (NO_FUZZ=1)"
	fuzz_all SKIP "NO_FUZZ=1"
elif [ -z "$fuzz_names" ]; then
	say "fuzzing: no FUZZ_NAMES in the Makefile"
	failed=$((failed + 1))
elif ! command -v clang >/dev/null 2>&1; then
	say "fuzzing: skipped (clang not installed)"
	fuzz_all SKIP "clang not installed"
else
	say "fuzzing: a clang build of the tarball in fuzz-out/build (log: fuzz-out/build.log)"
	mkdir -p "$fz_top"
	fz_start=$(date +%s)
	fuzz_build
	fz_rc=$?
	if [ "$fz_rc" -eq 1 ]; then
		fuzz_all SKIP "clang cannot build libFuzzer targets"
	elif [ "$fz_rc" -ne 0 ]; then
		fuzz_all FAIL "did not build, see fuzz-out/build.log"
		tail -n 20 "$fz_top/build.log"
	else
		say "fuzzing: ${FUZZ_SECONDS} s per target, two at a time"
		# shellcheck disable=SC2086
		set -- $fuzz_names
		while [ $# -gt 0 ]; do
			fuzz_one "$1" &
			fz_p1=$!
			fz_n1=$1
			shift
			fz_n2=
			if [ $# -gt 0 ]; then
				fuzz_one "$1" &
				fz_p2=$!
				fz_n2=$1
				shift
			fi
			wait "$fz_p1"
			fz_r1=$?
			if [ -n "$fz_n2" ]; then
				wait "$fz_p2"
				fz_r2=$?
			fi
			fuzz_report "$fz_n1" "$fz_r1"
			[ -z "$fz_n2" ] || fuzz_report "$fz_n2" "$fz_r2"
		done
	fi
	say "fuzzing: $(since "$fz_start") s"
fi

say "total: $(since "$t_start") s"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
