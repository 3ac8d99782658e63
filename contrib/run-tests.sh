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
# --enable-ubsan; set it empty for a plain build), make -j2 and make -k check
# (every test runs even after a failure), then, if all passed, make
# distcheck (NO_DISTCHECK=1 skips it).  It prints a summary per test
# script and ends with one line, counted over TAP test points:
#
#   N passed, N failed, N skipped
#
# and exits non-zero when anything failed, or did not build or run.  A
# test script that crashed or bailed out counts as one failure more; a
# test that never ran (its program did not build) counts as one failure.

set -u

cd "$(dirname "$0")/.." || exit 1

PACKAGES="build-essential autoconf automake libtool pkg-config libssl-dev
libsqlite3-dev libcjson-dev libfcgi-dev spawn-fcgi multiwatch nginx-light
sqlite3 curl openssl mandoc apache2 libapache2-mod-fcgid systemd man-db jq
strace"

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

# The TESTS list, straight from the generated Makefile.
list_tests() {
	_mk=$(mktemp "${TMPDIR:-/tmp}/lh-print-tests.XXXXXX") || return 1
	# shellcheck disable=SC2016
	printf 'lh-print-tests:\n\t@echo $(TESTS)\n' >"$_mk"
	make -s -f Makefile -f "$_mk" lh-print-tests 2>/dev/null |
	    tr ' ' '\n' | sed '/^$/d'
	rm -f "$_mk"
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

install_packages || fail_build "could not install the packages"

say "autoreconf -fi"
autoreconf -fi || fail_build "autoreconf failed"
# The whole suite runs under AddressSanitizer and UBSan by default: a
# leak, an overflow or undefined behaviour anywhere fails it.
CONFIGURE_FLAGS=${CONFIGURE_FLAGS-"--enable-asan --enable-ubsan"}
say "./configure $CONFIGURE_FLAGS"
# shellcheck disable=SC2086
./configure $CONFIGURE_FLAGS || fail_build "configure failed"
say "make -j2"
make_rc=0
make -j2 || make_rc=$?
[ "$make_rc" -eq 0 ] || say "make failed ($make_rc); running the tests that built"

tests=$(list_tests)
[ -n "$tests" ] || fail_build "no TESTS in the Makefile"

# Results from an earlier run must not stand in for this one.
for t in $tests; do
	rm -f "$t.log" "$t.trs" "${t%.*}.log" "${t%.*}.trs"
done
rm -f test-suite.log

say "make -k check"
check_rc=0
make -k check || check_rc=$?

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

if [ -n "$bad_logs" ]; then
	say "failures"
	for l in $bad_logs; do
		echo "--- $l"
		# The failing test points with their diagnostics, and any
		# bail out.
		awk '/^not ok/ { show = 1; print; next }
		    /^(ok|1\.\.)/ { show = 0; next }
		    /^Bail out!/ { print; next }
		    show && /^#/ { print }' "$l" | head -n 60
	done
fi

# ---- make distcheck ------------------------------------------------------------

# The tarball: it must hold everything the build and the tests need, build
# out of tree (VPATH, sources read-only), pass make check there, install,
# uninstall and clean up.  One more test point, run only when everything
# above passed (about a minute on 2 cores); NO_DISTCHECK=1 leaves it out.
if [ "${NO_DISTCHECK:-0}" = 1 ]; then
	say "make distcheck: skipped (NO_DISTCHECK=1)"
	skipped=$((skipped + 1))
elif [ "$failed" -ne 0 ] || [ "$make_rc" -ne 0 ] || [ "$check_rc" -ne 0 ]; then
	say "make distcheck: skipped (make check did not pass)"
	skipped=$((skipped + 1))
else
	say "make distcheck (log: distcheck.log)"
	if make distcheck >distcheck.log 2>&1; then
		printf '%-8s %s\n' PASS "make distcheck"
		passed=$((passed + 1))
	else
		printf '%-8s %s\n' FAIL "make distcheck"
		failed=$((failed + 1))
		say "failures"
		echo "--- distcheck.log"
		grep -E '^(FAIL|ERROR|XPASS)|rror|missing|No rule' distcheck.log |
		    head -n 40
	fi
fi

if [ "$failed" -eq 0 ] && { [ "$make_rc" -ne 0 ] || [ "$check_rc" -ne 0 ]; }; then
	# Every test passed, yet make failed: count that too.
	say "make -k check failed ($check_rc) outside the tests"
	failed=1
fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
