# shellcheck shell=sh disable=SC2034
# (SC2034: the variables set here are read by the scripts that source it.)
#
# lib.sh: shared helpers for licensehook's end-to-end TAP scripts.
#
# Source it from a test script (POSIX sh; run by automake's TAP driver
# with top_srcdir and top_builddir in the environment):
#
#   . "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"
#
# What it gives:
#   TAP        pass, fail, check, is, isnt, like, unlike, skip, diag,
#              skip_all, bail_out, done_testing, require_cmd
#   scratch    $LH_TMP, a private directory removed at exit (set LH_KEEP=1
#              to keep it for a post-mortem), plus every process started
#              here is killed at exit, whatever way the script ends
#   config     write_config FILE  (from the LH_* variables below)
#   servers    start_workers / stop_workers (spawn-fcgi + multiwatch on a
#              unix socket), start_nginx / stop_nginx (127.0.0.1, free port)
#   requests   http, post_event, post_raw, cgi_request, header
#   events     make_event, make_unhandled_event, uniq_id
#   database   sql, count (the database), usql, ucount (the usage
#              database), log_lines
#   valgrind   with LH_VALGRIND=1, every licensehook and licensectl under
#              memcheck and a test point over its logs; vg_wrap, vg_off
#
# Nothing here talks to anything but 127.0.0.1 and local unix sockets.

# ---- locations ------------------------------------------------------

if [ -z "${top_srcdir:-}" ]; then
	top_srcdir=$(cd "$(dirname "$0")/../.." && pwd)
fi
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir

LH_BIN=${LH_BIN:-$top_builddir/licensehook}
LH_CTL=${LH_CTL:-$top_builddir/licensectl}
LH_SIGN=$top_srcdir/tests/e2e/sign.sh
LH_FIXTURES=$top_srcdir/tests/fixtures/stripe
LH_SNIPPET=$top_srcdir/nginx/licensehook.conf

# A proxy in the environment must never see test traffic.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY all_proxy

# ---- TAP --------------------------------------------------------------

_tap_n=0
_tap_failed=0
_tap_done=0

# Descriptions must not contain "#" (it starts a TAP directive).
_tap_desc() {
	printf '%s' "$*" | tr '\n#' ' _'
}

# diag MSG...: a TAP comment (each line prefixed with "# ").
diag() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# pass DESC / fail DESC [DIAG...]
pass() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s\n' "$_tap_n" "$(_tap_desc "$1")"
}

fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	printf 'not ok %d - %s\n' "$_tap_n" "$(_tap_desc "$1")"
	shift
	[ $# -eq 0 ] || diag "$@"
}

# skip DESC REASON: a test point that was not run.
skip() {
	_tap_n=$((_tap_n + 1))
	printf 'ok %d - %s # SKIP %s\n' "$_tap_n" "$(_tap_desc "$1")" \
	    "$(_tap_desc "$2")"
}

# check DESC CMD [ARG...]: passes when CMD exits 0.
check() {
	_c_desc=$1
	shift
	if "$@"; then
		pass "$_c_desc"
	else
		fail "$_c_desc" "command failed: $*"
	fi
}

# is GOT WANT DESC / isnt GOT UNWANTED DESC
is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3" "got:  '$1'" "want: '$2'"
	fi
}

isnt() {
	if [ "$1" != "$2" ]; then
		pass "$3"
	else
		fail "$3" "got '$1', wanted anything else"
	fi
}

# like GOT ERE DESC / unlike GOT ERE DESC: extended regular expressions,
# matched against the whole of GOT (any line).
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		pass "$3"
	else
		fail "$3" "got:  '$1'" "want match for: $2"
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		fail "$3" "got:  '$1'" "want no match for: $2"
	else
		pass "$3"
	fi
}

# skip_all REASON: the whole script cannot run here; exit successfully.
skip_all() {
	printf '1..0 # SKIP %s\n' "$(_tap_desc "$1")"
	_tap_done=1
	exit 0
}

# bail_out REASON: stop everything (the driver counts it as an error).
bail_out() {
	printf 'Bail out! %s\n' "$(_tap_desc "$1")"
	_tap_done=1
	exit 1
}

# done_testing: print the plan; exit 1 if any test point failed.  Under
# LH_VALGRIND the memcheck test point comes first.
done_testing() {
	[ -z "$LH_VG" ] || _lh_vg_check
	printf '1..%d\n' "$_tap_n"
	_tap_done=1
	if [ "$_tap_failed" -gt 0 ]; then
		diag "$_tap_failed of $_tap_n failed (scratch: $LH_TMP)"
		exit 1
	fi
	exit 0
}

# require_cmd CMD...: skip the whole script unless every CMD is found.
require_cmd() {
	for _r in "$@"; do
		command -v "$_r" >/dev/null 2>&1 ||
		    skip_all "$_r not installed"
	done
}

# require_build [PROGRAM...]: skip unless the programs under test (by
# default licensehook) have been built.
require_build() {
	[ $# -gt 0 ] || set -- "$LH_BIN"
	for _r in "$@"; do
		[ -x "$_r" ] || skip_all "$_r not built (run make first)"
	done
}

# require_e2e: skip unless everything a web-server test needs is here.
require_e2e() {
	require_build
	require_cmd curl openssl sqlite3 nginx spawn-fcgi multiwatch
	[ -r /etc/nginx/fastcgi_params ] ||
	    skip_all "/etc/nginx/fastcgi_params not found"
}

# ---- scratch directory and cleanup --------------------------------------

LH_TMP=$(mktemp -d "${TMPDIR:-/tmp}/licensehook-e2e.XXXXXX") ||
    bail_out "cannot create a temporary directory"
LH_SOCK=$LH_TMP/licensehook.sock
LH_DB=$LH_TMP/licensehook.db
LH_LOG=$LH_TMP/licensehook.log
LH_CONF=$LH_TMP/licensehook.conf
_lh_workers_pid=
_lh_nginx_pid=

_lh_cleanup() {
	_rc=$?
	trap '' INT TERM HUP
	stop_nginx
	stop_workers
	if [ "$_tap_done" -eq 0 ]; then
		# Died without a plan: make the driver see an error.
		printf 'Bail out! script ended early (status %d)\n' "$_rc"
	fi
	if [ "${LH_KEEP:-0}" = 1 ]; then
		echo "# kept $LH_TMP" >&2
	else
		rm -rf "$LH_TMP"
	fi
}
trap _lh_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---- valgrind (LH_VALGRIND=1) ---------------------------------------------

# With LH_VALGRIND set (and not 0), every licensehook and licensectl the
# script starts runs under valgrind's memcheck: LH_BIN and LH_CTL become
# wrapper scripts (vg_wrap) that log each process to
# $LH_VG_DIR/log/NAME.PID; workers are stopped with USR1, on which libfcgi
# returns from accept() and the worker leaves through main(), so that
# memcheck's leak check runs on workers too; and done_testing stops the
# servers and adds one test point that fails on any error in any log: an
# invalid read or write, a use of an uninitialised value, a definite
# leak.  A process with such an error also exits $LH_VG_EXIT.
# LH_BIN_REAL and LH_CTL_REAL are the programs themselves.
LH_BIN_REAL=$LH_BIN
LH_CTL_REAL=$LH_CTL
LH_VG=
LH_VG_DIR=$LH_TMP/valgrind
LH_VG_EXIT=97
case ${LH_VALGRIND:-0} in
0|'') ;;
*) LH_VG=1 ;;
esac

# vg_wrap PROGRAM: the path to run PROGRAM by: PROGRAM itself, or under
# LH_VALGRIND a wrapper script of the same name that runs it under
# memcheck.  The wrapper holds absolute paths only, since cgi_request,
# Apache and spawn-fcgi run it with an environment of their own, and its
# log directory is open to all, since Apache's children write there.
_lh_vg_n=0
vg_wrap() {
	if [ -z "$LH_VG" ]; then
		printf '%s\n' "$1"
		return 0
	fi
	_lh_vg_n=$((_lh_vg_n + 1))
	_vw_dir=$LH_VG_DIR/bin/$_lh_vg_n
	_vw=$_vw_dir/$(basename "$1")
	mkdir -p "$_vw_dir" "$LH_VG_DIR/log" || return 1
	chmod 0755 "$LH_VG_DIR" "$LH_VG_DIR/bin" "$_vw_dir" &&
	    chmod 1777 "$LH_VG_DIR/log" || return 1
	{
		echo '#!/bin/sh'
		echo '# written by tests/e2e/lib.sh (LH_VALGRIND)'
		echo "exec '$_lh_vg_cmd' -q --tool=memcheck --vgdb=no \\"
		echo "    --num-callers=30 --leak-check=full \\"
		echo "    --show-leak-kinds=definite --errors-for-leak-kinds=definite \\"
		echo "    --error-exitcode=$LH_VG_EXIT --error-markers=LH-VG-ERROR,LH-VG-END \\"
		echo "    --log-file='$LH_VG_DIR/log/$(basename "$1").%p' \\"
		echo "    '$1' \"\$@\""
	} >"$_vw" && chmod 0755 "$_vw" || return 1
	printf '%s\n' "$_vw"
}

if [ -n "$LH_VG" ]; then
	_lh_vg_cmd=$(command -v valgrind 2>/dev/null) ||
	    bail_out "LH_VALGRIND is set, but valgrind is not installed"
	LH_BIN=$(vg_wrap "$LH_BIN_REAL") ||
	    bail_out "cannot write the valgrind wrappers in $LH_VG_DIR"
	LH_CTL=$(vg_wrap "$LH_CTL_REAL") ||
	    bail_out "cannot write the valgrind wrappers in $LH_VG_DIR"
fi

# vg_off REASON: run this script's programs without valgrind after all,
# saying why in a skipped test point (so that the gap shows in every
# summary).  Nothing without LH_VALGRIND.
vg_off() {
	[ -n "$LH_VG" ] || return 0
	skip "valgrind: memcheck on this script's programs" "$1"
	LH_BIN=$LH_BIN_REAL
	LH_CTL=$LH_CTL_REAL
	LH_VG=
}

# _lh_vg_check: the test point over every memcheck log, once the servers
# are stopped (so that the workers have exited and run the leak check).
_lh_vg_check() {
	stop_nginx
	stop_workers
	stop_apache
	_vc_logs=$(find "$LH_VG_DIR/log" -type f 2>/dev/null | sort)
	_vc_n=$(printf '%s' "$_vc_logs" | grep -c .)
	_vc_bad=
	_vc_nbad=0
	for _vc in $_vc_logs; do
		grep -q 'LH-VG-ERROR' "$_vc" || continue
		_vc_bad="$_vc_bad $_vc"
		_vc_nbad=$((_vc_nbad + 1))
	done
	if [ -z "$_vc_bad" ]; then
		pass "valgrind: no memcheck error in $_vc_n processes"
		return 0
	fi
	fail "valgrind: no memcheck error in $_vc_n processes" \
	    "errors in $_vc_nbad of them (LH_KEEP=1 keeps $LH_VG_DIR/log)"
	# The first three logs, without the pid prefixes.
	for _vc in $(echo "$_vc_bad" | cut -d' ' -f2-4); do
		diag "--- $_vc"
		sed -e 's/^==[0-9]*== //' -e '/^LH-VG-/d' "$_vc" | head -n 60
	done
}

# sleep_short: a tenth of a second (GNU and BSD sleep take fractions).
sleep_short() {
	sleep 0.1 2>/dev/null || sleep 1
}

# wait_until TENTHS CMD [ARG...]: poll CMD until it succeeds, for at most
# TENTHS tenths of a second.  Returns CMD's last status.
wait_until() {
	_w_left=$1
	shift
	while :; do
		"$@" && return 0
		[ "$_w_left" -gt 0 ] || return 1
		_w_left=$((_w_left - 1))
		sleep_short
	done
}

_alive() {
	! _dead "$1"
}

# Gone, or a zombie waiting for whoever adopted it (a daemon's parent is
# init, which may reap late).
_dead() {
	kill -0 "$1" 2>/dev/null || return 0
	[ -r "/proc/$1/stat" ] &&
	    sed 's/^.*) \([A-Za-z]\) .*/\1/' "/proc/$1/stat" 2>/dev/null |
	    grep -q '^[ZX]$'
}

# The direct children of a process (Linux /proc; empty elsewhere).
_children() {
	# "pid (comm) state ppid ..."; comm may contain spaces.
	cat /proc/[0-9]*/stat 2>/dev/null |
	    sed -n 's/^\([0-9]*\) (.*) [A-Za-z] \([0-9]*\) .*/\1 \2/p' |
	    awk -v p="$1" '$2 == p { print $1 }'
}

# _stop_tree PID: stop a supervisor (multiwatch, nginx's master) that
# stops its own children on TERM.  Only the supervisor is signalled: a
# child killed behind multiwatch's back is restarted before multiwatch
# sees the TERM, and the new child escapes.  After 10 s whatever is left,
# supervisor or child, old or new, gets KILL.
_stop_tree() {
	_st_kids=$(_children "$1")
	kill -TERM "$1" 2>/dev/null
	if ! wait_until 100 _dead "$1"; then
		_st_kids="$_st_kids $(_children "$1")"
		kill -KILL "$1" 2>/dev/null
	fi
	for _p in $_st_kids; do
		wait_until 20 _dead "$_p" || kill -KILL "$_p" 2>/dev/null
	done
}

# uniq_id: a string unique to this run (letters and digits).
_lh_uniq_n=0
uniq_id() {
	_lh_uniq_n=$((_lh_uniq_n + 1))
	printf '%s%d%s\n' "$$" "$_lh_uniq_n" \
	    "$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
}

# ---- configuration ------------------------------------------------------

# Settings write_config uses; tests change them before calling it.
LH_SECRET=whsec_e2e_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
LH_SECRETS=$LH_SECRET		# space-separated: every webhook_secret line
LH_MODE="test"
LH_BODY_LIMIT=1048576
LH_TOLERANCE=300
LH_DEFAULT_TIER=basic		# empty: no [tiers] default
LH_KEY_PREFIX=LH
LH_USAGE_DB=			# empty: the default, $LH_DB-usage

# write_config [FILE]: write an INI config (default $LH_CONF) for the
# database, log and settings above.
write_config() {
	_wc_file=${1:-$LH_CONF}
	{
		echo "# written by tests/e2e/lib.sh"
		echo "[licensehook]"
		echo "database = $LH_DB"
		[ -z "${LH_USAGE_DB:-}" ] ||
		    echo "usage_database = $LH_USAGE_DB"
		echo "mode = $LH_MODE"
		echo "body_limit = $LH_BODY_LIMIT"
		echo "log = $LH_LOG"
		echo
		echo "[stripe]"
		for _s in $LH_SECRETS; do
			echo "webhook_secret = $_s"
		done
		echo "tolerance = $LH_TOLERANCE"
		echo
		echo "[keys]"
		echo "prefix = $LH_KEY_PREFIX"
		echo "groups = 4"
		echo "group_length = 4"
		echo
		if [ -n "$LH_DEFAULT_TIER" ]; then
			echo "[tiers]"
			echo "default = $LH_DEFAULT_TIER"
			echo
		fi
		echo "[tier basic]"
		echo "max_activations = 1"
		echo
		echo "[tier pro]"
		echo "prices = price_PRO_M, price_PRO_Y"
		echo "max_activations = 3"
		echo "features = export, sync"
	} >"$_wc_file"
	chmod 600 "$_wc_file"
}

# ---- licensehook under spawn-fcgi ----------------------------------------

# start_workers [CONF] [N]: N (default 2) licensehook workers under
# multiwatch, on the unix socket $LH_SOCK.  spawn-fcgi binds the socket,
# forks multiwatch (its pid goes to the pid file) and returns; multiwatch
# forks the workers, restarts one that dies and stops them all on TERM.
start_workers() {
	_sw_conf=${1:-$LH_CONF}
	_sw_n=${2:-2}
	[ -z "$_lh_workers_pid" ] || stop_workers
	if ! "$LH_BIN" -t -c "$_sw_conf" >"$LH_TMP/conftest.out" 2>&1; then
		diag "licensehook -t -c $_sw_conf failed:" \
		    "$(cat "$LH_TMP/conftest.out")"
		return 1
	fi
	rm -f "$LH_TMP/workers.pid"
	_sw_sig=TERM
	[ -z "$LH_VG" ] || _sw_sig=USR1
	if ! spawn-fcgi -s "$LH_SOCK" -M 0660 -P "$LH_TMP/workers.pid" -- \
	    "$(command -v multiwatch)" -f "$_sw_n" -s "$_sw_sig" -- \
	    "$LH_BIN" -c "$_sw_conf" \
	    </dev/null >>"$LH_TMP/workers.out" 2>&1; then
		diag "spawn-fcgi failed:" "$(cat "$LH_TMP/workers.out")"
		return 1
	fi
	_lh_workers_pid=$(cat "$LH_TMP/workers.pid" 2>/dev/null)
	if [ -z "$_lh_workers_pid" ] || ! _alive "$_lh_workers_pid"; then
		diag "multiwatch did not start:" "$(cat "$LH_TMP/workers.out")"
		_lh_workers_pid=
		return 1
	fi
	# Give multiwatch a moment to fork the workers; the socket already
	# queues connections, so this is not needed for correctness.
	wait_until 20 _workers_up "$_sw_n"
	# Under memcheck a worker takes seconds to open its database: wait
	# until each one sleeps in accept(), so that a script that looks at
	# the database first finds it made, as it would without valgrind.
	[ -z "$LH_VG" ] || wait_until 300 _workers_waiting
	return 0
}

_workers_up() {
	[ "$(_children "$_lh_workers_pid" | wc -l)" -ge "$1" ]
}

# Every worker asleep in accept() (Linux: in __skb_wait_for_more_packets
# on the unix socket, as supervise.sh's _busy knows).
_workers_waiting() {
	for _ww in $(_children "$_lh_workers_pid"); do
		_ww_c=
		read -r _ww_c <"/proc/$_ww/wchan" 2>/dev/null || :
		[ "$_ww_c" = __skb_wait_for_more_packets ] || return 1
	done
}

# worker_pids: the pids of the running licensehook workers.
worker_pids() {
	[ -n "$_lh_workers_pid" ] && _children "$_lh_workers_pid"
}

# stop_workers: stop multiwatch and its workers; remove the socket.
stop_workers() {
	[ -n "$_lh_workers_pid" ] || return 0
	_stop_tree "$_lh_workers_pid"
	rm -f "$LH_TMP/workers.pid"
	_lh_workers_pid=
	rm -f "$LH_SOCK"
}

# ---- nginx ------------------------------------------------------------

LH_NGINX_DIR=$LH_TMP/nginx
LH_PORT=
LH_BASE=
LH_PATH=/api/v1/webhooks/stripe
# Extra directives for the test's server {} block, after the snippet.
LH_NGINX_SERVER_EXTRA=

# A random port in 20000..59999.
_random_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 40000))
}

_port_in_use() {
	if command -v ss >/dev/null 2>&1; then
		ss -Htln "sport = :$1" 2>/dev/null | grep -q .
	else
		return 1	# find out when nginx binds
	fi
}

_write_nginx_conf() {
	_user=
	[ "$(id -u)" -ne 0 ] || _user="user root;"
	cat >"$LH_NGINX_DIR/nginx.conf" <<EOF
# written by tests/e2e/lib.sh
# Workers run as root when the tests do; otherwise they would become
# "nobody" and could not reach the 0660 socket.
$_user
worker_processes 1;
daemon on;
pid "$LH_NGINX_DIR/nginx.pid";
error_log "$LH_NGINX_DIR/error.log" info;

events {
	worker_connections 256;
}

http {
	access_log "$LH_NGINX_DIR/access.log";
	client_body_temp_path "$LH_NGINX_DIR/tmp/body";
	fastcgi_temp_path "$LH_NGINX_DIR/tmp/fastcgi";
	proxy_temp_path "$LH_NGINX_DIR/tmp/proxy";
	scgi_temp_path "$LH_NGINX_DIR/tmp/scgi";
	uwsgi_temp_path "$LH_NGINX_DIR/tmp/uwsgi";
	default_type application/octet-stream;

	# What an admin puts at http level (nginx/licensehook-upstream.conf),
	# pointed at this test's socket.
	upstream licensehook {
		server unix:$LH_SOCK;
	}

	server {
		listen 127.0.0.1:$1;
		server_name localhost;

		# The shipped snippet, unchanged.
		include "$LH_SNIPPET";

		$LH_NGINX_SERVER_EXTRA
	}
}
EOF
}

# start_nginx: nginx on 127.0.0.1 at a free port; sets LH_PORT, LH_BASE.
start_nginx() {
	[ -z "$_lh_nginx_pid" ] || stop_nginx
	mkdir -p "$LH_NGINX_DIR/tmp"
	# The snippet's "include fastcgi_params" is relative to the directory
	# of nginx.conf.
	cp /etc/nginx/fastcgi_params "$LH_NGINX_DIR/fastcgi_params" || return 1
	_sn_e=
	if nginx -h 2>&1 | grep -q -- '-e filename'; then
		_sn_e="-e $LH_NGINX_DIR/error.log"
	fi
	_sn_try=0
	while [ "$_sn_try" -lt 30 ]; do
		_sn_try=$((_sn_try + 1))
		_sn_port=$(_random_port)
		_port_in_use "$_sn_port" && continue
		_write_nginx_conf "$_sn_port"
		rm -f "$LH_NGINX_DIR/nginx.pid"
		# With "daemon on" nginx binds before it forks, so a busy port
		# shows here as a failed start.
		# shellcheck disable=SC2086
		if nginx -p "$LH_NGINX_DIR/" -c "$LH_NGINX_DIR/nginx.conf" \
		    $_sn_e </dev/null >"$LH_NGINX_DIR/start.out" 2>&1; then
			wait_until 50 test -s "$LH_NGINX_DIR/nginx.pid" || {
				diag "nginx wrote no pid file"
				return 1
			}
			_lh_nginx_pid=$(cat "$LH_NGINX_DIR/nginx.pid")
			LH_PORT=$_sn_port
			LH_BASE=http://127.0.0.1:$LH_PORT
			wait_until 50 _nginx_answers || {
				diag "nginx does not answer on $LH_BASE"
				return 1
			}
			return 0
		fi
		grep -q 'in use' "$LH_NGINX_DIR/start.out" \
		    "$LH_NGINX_DIR/error.log" 2>/dev/null || break
		: >"$LH_NGINX_DIR/error.log"
	done
	diag "nginx did not start:" "$(cat "$LH_NGINX_DIR/start.out" \
	    "$LH_NGINX_DIR/error.log" 2>/dev/null)"
	return 1
}

_nginx_answers() {
	curl -s --noproxy '*' -o /dev/null --max-time 2 "$LH_BASE/" 2>/dev/null
}

# stop_nginx: stop the master (which stops its workers).
stop_nginx() {
	[ -n "$_lh_nginx_pid" ] || return 0
	_stop_tree "$_lh_nginx_pid"
	rm -f "$LH_NGINX_DIR/nginx.pid"
	_lh_nginx_pid=
}

# ---- requests -----------------------------------------------------------

# After every request: HTTP_STATUS (e.g. 200; 000 if no answer), HTTP_BODY,
# and the response headers in $LH_TMP/http.headers (see header NAME).
HTTP_STATUS=
HTTP_BODY=
LH_REQUESTS=0		# requests that went to licensehook (see log checks)

# http METHOD PATH [CURL-ARG...]: a request to nginx.
http() {
	_h_method=$1
	_h_path=$2
	shift 2
	: >"$LH_TMP/http.body"
	: >"$LH_TMP/http.headers"
	HTTP_STATUS=$(curl -sS --noproxy '*' --max-time 30 \
	    -X "$_h_method" -H 'Expect:' \
	    -D "$LH_TMP/http.headers" -o "$LH_TMP/http.body" \
	    -w '%{http_code}' "$@" "$LH_BASE$_h_path" 2>"$LH_TMP/http.err")
	[ -n "$HTTP_STATUS" ] || HTTP_STATUS=000
	HTTP_BODY=$(cat "$LH_TMP/http.body")
	LH_REQUESTS=$((LH_REQUESTS + 1))
}

# post_raw FILE [CURL-ARG...]: POST FILE's exact bytes to $LH_PATH, with
# whatever headers the caller adds (e.g. -H "Stripe-Signature: ...").
post_raw() {
	_p_file=$1
	shift
	http POST "$LH_PATH" -H 'Content-Type: application/json' \
	    --data-binary "@$_p_file" "$@"
}

# signature FILE [SECRET] [TIMESTAMP]: a Stripe-Signature value.
signature() {
	"$LH_SIGN" "${2:-$LH_SECRET}" "$1" ${3:+"$3"}
}

# post_event FILE [SECRET] [TIMESTAMP]: sign FILE (default secret
# $LH_SECRET, default time now) and POST it to $LH_PATH.
post_event() {
	_pe_sig=$(signature "$1" "${2:-}" "${3:-}") || {
		HTTP_STATUS=000
		HTTP_BODY=
		return 1
	}
	post_raw "$1" -H "Stripe-Signature: $_pe_sig"
}

# header NAME: a header of the last response (case-insensitive name),
# without the trailing CR.
header() {
	tr -d '\r' <"$LH_TMP/http.headers" |
	    awk -v n="$1" 'BEGIN { n = tolower(n) ":" }
		tolower(substr($0, 1, length(n))) == n {
			v = substr($0, length(n) + 1); sub(/^[ \t]*/, "", v)
			print v; exit }'
}

# cgi_request METHOD URI [FILE] [VAR=VALUE...]: run licensehook once as a
# plain CGI program (no web server) with a minimal RFC 3875 environment,
# FILE on standard input and CONTENT_LENGTH set to its size.  VAR=VALUE
# arguments add to or override that environment; "-CONTENT_LENGTH" leaves
# CONTENT_LENGTH unset.  Sets HTTP_STATUS (from the Status: header, 000 if
# none), HTTP_BODY, http.headers (see header NAME) and CGI_EXIT (the
# program's exit status); its stderr goes to $LH_TMP/cgi.err.
cgi_request() {
	_cg_method=$1
	_cg_uri=$2
	_cg_file=${3:-/dev/null}
	if [ $# -ge 3 ]; then shift 3; else shift $#; fi
	_cg_len=$(wc -c <"$_cg_file" | tr -d ' ')
	_cg_n=$#
	while [ "$_cg_n" -gt 0 ]; do
		_cg_a=$1
		shift
		case $_cg_a in
		-CONTENT_LENGTH) _cg_len= ;;
		*) set -- "$@" "$_cg_a" ;;
		esac
		_cg_n=$((_cg_n - 1))
	done
	_cg_path=${_cg_uri%%\?*}
	_cg_query=
	case $_cg_uri in *\?*) _cg_query=${_cg_uri#*\?} ;; esac
	env -i PATH="$PATH" \
	    GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
	    SERVER_SOFTWARE=lh-e2e SERVER_NAME=localhost SERVER_PORT=80 \
	    REMOTE_ADDR=127.0.0.1 \
	    REQUEST_METHOD="$_cg_method" REQUEST_URI="$_cg_uri" \
	    SCRIPT_NAME="$_cg_path" QUERY_STRING="$_cg_query" \
	    CONTENT_TYPE=application/json \
	    ${_cg_len:+CONTENT_LENGTH="$_cg_len"} \
	    LICENSEHOOK_CONF="$LH_CONF" \
	    "$@" "$LH_BIN" <"$_cg_file" >"$LH_TMP/cgi.out" 2>"$LH_TMP/cgi.err"
	CGI_EXIT=$?
	LH_REQUESTS=$((LH_REQUESTS + 1))
	# Headers end at the first empty line (CRLF or LF).
	awk '{ sub(/\r$/, "") } $0 == "" { exit } { print }' \
	    "$LH_TMP/cgi.out" >"$LH_TMP/http.headers"
	awk 'body { print; next } { sub(/\r$/, "") } $0 == "" { body = 1 }' \
	    "$LH_TMP/cgi.out" >"$LH_TMP/http.body"
	HTTP_BODY=$(cat "$LH_TMP/http.body")
	HTTP_STATUS=$(header Status | cut -c1-3)
	[ -n "$HTTP_STATUS" ] || HTTP_STATUS=000
}

# json_compact TEXT: TEXT without any blanks, for comparing short answers
# whose strings hold no spaces, like {"received":true}.
json_compact() {
	printf '%s' "$1" | tr -d ' \t\r\n'
}

# ---- events -------------------------------------------------------------

# make_event OUT [NAME=VALUE...]: write a signed-ready Stripe event to OUT:
# the pay-rails checkout.session.completed object wrapped as an event.
#   id=evt_...        event id (default: unique)
#   type=...          default checkout.session.completed
#   created=N         default now
#   livemode=false    event and object livemode
#   session=cs_...    the checkout session id (default: unique)
#   sub=sub_...|null  subscription id (default: unique)
#   customer=cus_...  default the fixture's cus_M5wW9RPFk9xNZ5
#   mode=subscription payment_status=paid
#   plan=NAME         metadata.plan (default: metadata empty)
#   tier=NAME         metadata.tier
#   ref=TEXT          client_reference_id (default null)
#   email=... name=...  customer_details (default the fixture's)
#   pad=N             pad the event with an extra field to exactly N bytes
make_event() {
	_me_out=$1
	shift
	_me_id=evt_test_$(uniq_id)
	_me_type=checkout.session.completed
	_me_created=$(date +%s)
	_me_live=false
	_me_session=cs_test_$(uniq_id)
	_me_sub=sub_$(uniq_id)
	_me_customer=cus_M5wW9RPFk9xNZ5
	_me_mode=subscription
	_me_paid=paid
	_me_plan=
	_me_tier=
	_me_ref=
	_me_email=chris@gorails.com
	_me_name="Chris Oliver"
	_me_pad=
	for _me_a in "$@"; do
		_me_v=${_me_a#*=}
		case $_me_a in
		id=*) _me_id=$_me_v ;;
		type=*) _me_type=$_me_v ;;
		created=*) _me_created=$_me_v ;;
		livemode=*) _me_live=$_me_v ;;
		session=*) _me_session=$_me_v ;;
		sub=*) _me_sub=$_me_v ;;
		customer=*) _me_customer=$_me_v ;;
		mode=*) _me_mode=$_me_v ;;
		payment_status=*) _me_paid=$_me_v ;;
		plan=*) _me_plan=$_me_v ;;
		tier=*) _me_tier=$_me_v ;;
		ref=*) _me_ref=$_me_v ;;
		email=*) _me_email=$_me_v ;;
		name=*) _me_name=$_me_v ;;
		pad=*) _me_pad=$_me_v ;;
		*) echo "make_event: unknown argument $_me_a" >&2; return 1 ;;
		esac
	done
	_me_subjson=null
	[ "$_me_sub" = null ] || _me_subjson="\"$(_sed_esc "$_me_sub")\""
	_me_refjson=null
	[ -z "$_me_ref" ] || _me_refjson="\"$(_sed_esc "$_me_ref")\""
	_me_meta=
	[ -z "$_me_plan" ] || _me_meta="\"plan\": \"$(_sed_esc "$_me_plan")\""
	if [ -n "$_me_tier" ]; then
		_me_meta="${_me_meta:+$_me_meta, }\"tier\": \"$(_sed_esc "$_me_tier")\""
	fi
	{
		printf '{\n  "id": "%s",\n  "object": "event",\n' "$_me_id"
		printf '  "api_version": "2024-06-20",\n  "created": %s,\n' \
		    "$_me_created"
		printf '  "livemode": %s,\n  "pending_webhooks": 1,\n' "$_me_live"
		printf '  "type": "%s",\n  "data": ' "$_me_type"
		sed -e "s|\"id\": \"cs_test_[A-Za-z0-9]*\"|\"id\": \"$(_sed_esc "$_me_session")\"|" \
		    -e "s|\"subscription\": \"sub_[A-Za-z0-9]*\"|\"subscription\": $_me_subjson|" \
		    -e "s|\"customer\": \"cus_[A-Za-z0-9]*\"|\"customer\": \"$(_sed_esc "$_me_customer")\"|" \
		    -e "s|\"livemode\": false|\"livemode\": $_me_live|" \
		    -e "s|\"mode\": \"subscription\"|\"mode\": \"$(_sed_esc "$_me_mode")\"|" \
		    -e "s|\"payment_status\": \"paid\"|\"payment_status\": \"$(_sed_esc "$_me_paid")\"|" \
		    -e "s|\"client_reference_id\": null|\"client_reference_id\": $_me_refjson|" \
		    -e "s|\"metadata\": {\$|\"metadata\": {$_me_meta|" \
		    -e "s|\"email\": \"chris@gorails.com\"|\"email\": \"$(_sed_esc "$_me_email")\"|" \
		    -e "s|\"name\": \"Chris Oliver\"|\"name\": \"$(_sed_esc "$_me_name")\"|" \
		    "$LH_FIXTURES/pay-checkout.session.completed.json"
		printf '}\n'
	} >"$_me_out"
	[ -z "$_me_pad" ] || _pad_file "$_me_out" "$_me_pad"
}

# Escape a value for the replacement side of sed s|||, inside a JSON
# string (our values are ids, emails and names: no quotes expected).
_sed_esc() {
	printf '%s' "$1" | sed -e 's/[\\|&]/\\&/g' -e 's/"/\\\\"/g'
}

# _pad_file FILE N: add a "x_pad" field after the event's "object" line
# so that FILE is exactly N bytes.
_pad_file() {
	_pf_size=$(wc -c <"$1" | tr -d ' ')
	_pf_fixed=15	# length of '  "x_pad": "",' plus its newline
	_pf_need=$(($2 - _pf_size - _pf_fixed))
	if [ "$_pf_need" -lt 0 ]; then
		echo "_pad_file: $1 is already $_pf_size bytes" >&2
		return 1
	fi
	_pf_x=$(awk -v n="$_pf_need" 'BEGIN { while (n-- > 0) printf "x" }')
	awk -v pad="$_pf_x" '{ print }
	    !done && /^  "object": "event",$/ {
		printf "  \"x_pad\": \"%s\",\n", pad; done = 1 }' \
	    "$1" >"$1.tmp" && mv "$1.tmp" "$1" &&
	    [ "$(wc -c <"$1" | tr -d ' ')" -eq "$2" ]
}

# make_unhandled_event OUT [ID]: a whole Stripe event of a type
# licensehook does not act on (plan.created, from stripe/openapi).
make_unhandled_event() {
	sed "s|\"id\": \"evt_[A-Za-z0-9]*\"|\"id\": \"${2:-evt_test_$(uniq_id)}\"|" \
	    "$LH_FIXTURES/openapi-fixture-event.json" >"$1"
}

# ---- database -----------------------------------------------------------

# sql QUERY: run QUERY on $LH_DB, one row a line, columns joined by "|".
sql() {
	sqlite3 -batch -noheader -cmd '.timeout 5000' "$LH_DB" "$1"
}

# count TABLE [WHERE]: the number of rows.
count() {
	sql "SELECT count(*) FROM $1${2:+ WHERE $2};" 2>/dev/null || echo "?"
}

# usql QUERY / ucount TABLE [WHERE]: sql and count on the usage database,
# $LH_USAGE_DB, else the default next to $LH_DB (licensehook.conf(5)).
usql() {
	sqlite3 -batch -noheader -cmd '.timeout 5000' \
	    "${LH_USAGE_DB:-$LH_DB-usage}" "$1"
}
ucount() {
	usql "SELECT count(*) FROM $1${2:+ WHERE $2};" 2>/dev/null || echo "?"
}

# log_lines: request lines in the licensehook log so far.
log_lines() {
	_ll=$(grep -Ec 'outcome=|error=' "$LH_LOG" 2>/dev/null)
	echo "${_ll:-0}"
}

# The key shape for the [keys] settings write_config writes.
LH_KEY_ERE='^LH-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}(-[23456789ABCDEFGHJKLMNPQRSTUVWXYZ]{4}){3}$'

# ---- watchdog -----------------------------------------------------------------

# The EXIT trap above stops the servers however the script ends, except
# when the shell itself is killed (SIGKILL from a harness timeout) or loses
# its trap to a signal racing a fork.  A detached watchdog covers those:
# once this shell is gone it stops whatever the pid files name and removes
# the scratch directory.  It holds none of the script's output open, so the
# TAP driver never waits for it.
_lh_watchdog() {
	trap - EXIT
	trap '' INT HUP
	trap 'exit 0' TERM
	while ! _dead "$1"; do
		sleep 1
	done
	for _wd_pidfile in "$LH_NGINX_DIR/nginx.pid" "$LH_TMP/workers.pid"; do
		[ -s "$_wd_pidfile" ] || continue
		_wd_pid=$(cat "$_wd_pidfile" 2>/dev/null)
		[ -n "$_wd_pid" ] && _alive "$_wd_pid" && _stop_tree "$_wd_pid"
	done
	[ "${LH_KEEP:-0}" = 1 ] || rm -rf "$LH_TMP"
}
_lh_watchdog "$$" </dev/null >/dev/null 2>&1 &

# ---- Apache (apache.sh) -------------------------------------------------------

# Apache 2.4 with its own ServerRoot under $LH_TMP/apache, on 127.0.0.1 at
# a free port, with one of the shipped apache/ snippets included unchanged.
# Debian's layout: the apache2 binary and its modules in
# /usr/lib/apache2/modules (LH_APACHE_MODULES overrides).  Run as root,
# Apache's children (and the programs mod_fcgid and mod_cgi start) become
# $LH_APACHE_USER; the caller makes the files they need reachable to it.
LH_APACHE_DIR=$LH_TMP/apache
LH_APACHE_MODULES=${LH_APACHE_MODULES:-/usr/lib/apache2/modules}
LH_APACHE_USER=${LH_APACHE_USER:-www-data}
LH_APACHE_BIN=
# Extra directives before the snippet's Include (e.g. Define lines).
LH_APACHE_EXTRA=
_lh_apache_pid=
_lh_apache_trap=

# require_apache MODULE...: skip the whole script unless apache2 (or
# httpd) and the named modules (e.g. proxy_fcgi) are installed.
require_apache() {
	LH_APACHE_BIN=$(command -v apache2 2>/dev/null ||
	    command -v httpd 2>/dev/null) || skip_all "apache2 not installed"
	for _ra in mpm_event mpm_prefork authz_core alias "$@"; do
		[ -r "$LH_APACHE_MODULES/mod_$_ra.so" ] ||
		    skip_all "Apache module mod_$_ra not installed"
	done
	if [ "$(id -u)" -eq 0 ]; then
		id "$LH_APACHE_USER" >/dev/null 2>&1 ||
		    skip_all "no user $LH_APACHE_USER for Apache's children"
		require_cmd setpriv
	fi
}

# apache_has MODULE: the module is installed.
apache_has() {
	[ -r "$LH_APACHE_MODULES/mod_$1.so" ]
}

# as_apache_user CMD [ARG...]: run CMD as Apache's children would (as
# $LH_APACHE_USER when root, else as ourselves).
as_apache_user() {
	if [ "$(id -u)" -eq 0 ]; then
		setpriv --reuid="$LH_APACHE_USER" --regid="$LH_APACHE_USER" \
		    --init-groups -- "$@"
	else
		"$@"
	fi
}

_write_apache_conf() {
	# $1 port, $2 mode, $3 snippet
	_wa_mods="authz_core alias"
	case $2 in
	proxy_fcgi) _wa_mpm=event _wa_mods="$_wa_mods proxy proxy_fcgi" ;;
	fcgid) _wa_mpm=event _wa_mods="$_wa_mods fcgid" ;;
	cgi) _wa_mpm=prefork _wa_mods="$_wa_mods env cgi" ;;
	esac
	{
		echo "# written by tests/e2e/lib.sh"
		echo "ServerRoot \"$LH_APACHE_DIR\""
		echo "Listen 127.0.0.1:$1"
		echo "ServerName localhost"
		echo "PidFile \"$LH_APACHE_DIR/httpd.pid\""
		echo "DefaultRuntimeDir \"$LH_APACHE_DIR/run\""
		echo "ErrorLog \"$LH_APACHE_DIR/error.log\""
		echo "LogLevel info"
		echo "LogFormat \"%h %t \\\"%r\\\" %>s %b\" short"
		echo "CustomLog \"$LH_APACHE_DIR/access.log\" short"
		echo "DocumentRoot \"$LH_APACHE_DIR/htdocs\""
		if [ "$(id -u)" -eq 0 ]; then
			echo "User $LH_APACHE_USER"
			echo "Group $LH_APACHE_USER"
		fi
		echo "LoadModule mpm_${_wa_mpm}_module \"$LH_APACHE_MODULES/mod_mpm_$_wa_mpm.so\""
		if [ "$_wa_mpm" = prefork ]; then
			echo "StartServers 2"
			echo "MinSpareServers 1"
			echo "MaxSpareServers 4"
		else
			echo "StartServers 1"
		fi
		for _wa_m in $_wa_mods; do
			echo "LoadModule ${_wa_m}_module \"$LH_APACHE_MODULES/mod_$_wa_m.so\""
		done
		if [ "$2" = fcgid ]; then
			# Created by mod_fcgid for the children's user.
			echo "FcgidIPCDir \"$LH_APACHE_DIR/fcgid\""
			echo "FcgidProcessTableFile \"$LH_APACHE_DIR/fcgid_shm\""
		fi
		echo "<Directory />"
		echo "	Require all denied"
		echo "</Directory>"
		printf '%s\n' "$LH_APACHE_EXTRA"
		echo "# The shipped snippet, unchanged."
		echo "Include \"$3\""
	} >"$LH_APACHE_DIR/httpd.conf"
}

# start_apache MODE SNIPPET: Apache with SNIPPET included at server level;
# MODE (proxy_fcgi, fcgid or cgi) picks the MPM and modules (cgi:
# prefork and mod_cgi; the others: event).  Sets LH_PORT and LH_BASE, so
# http, post_raw and post_event go to Apache.
start_apache() {
	[ -z "$_lh_apache_pid" ] || stop_apache
	if [ -z "$_lh_apache_trap" ]; then
		# Stop Apache before lib.sh's own cleanup, whatever way the
		# script ends (the cleanup needs the exit status in $?).
		# shellcheck disable=SC2154
		trap '_lh_ax=$?; stop_apache; (exit "$_lh_ax"); _lh_cleanup' EXIT
		_lh_apache_trap=1
	fi
	rm -rf "$LH_APACHE_DIR"
	mkdir -p "$LH_APACHE_DIR/htdocs" "$LH_APACHE_DIR/run" || return 1
	chmod 0755 "$LH_APACHE_DIR"
	_sa_try=0
	while [ "$_sa_try" -lt 30 ]; do
		_sa_try=$((_sa_try + 1))
		_sa_port=$(_random_port)
		_port_in_use "$_sa_port" && continue
		_write_apache_conf "$_sa_port" "$1" "$2"
		rm -f "$LH_APACHE_DIR/httpd.pid"
		: >"$LH_APACHE_DIR/error.log"
		# -k start binds the port before it detaches, so a busy port
		# shows here as a failed start.
		if "$LH_APACHE_BIN" -d "$LH_APACHE_DIR" \
		    -f "$LH_APACHE_DIR/httpd.conf" -k start \
		    </dev/null >"$LH_APACHE_DIR/start.out" 2>&1; then
			wait_until 50 test -s "$LH_APACHE_DIR/httpd.pid" || {
				diag "apache wrote no pid file:" \
				    "$(cat "$LH_APACHE_DIR/start.out" \
				    "$LH_APACHE_DIR/error.log")"
				return 1
			}
			_lh_apache_pid=$(cat "$LH_APACHE_DIR/httpd.pid")
			_lh_apache_watchdog "$$" "$_lh_apache_pid" \
			    </dev/null >/dev/null 2>&1 &
			LH_PORT=$_sa_port
			LH_BASE=http://127.0.0.1:$LH_PORT
			wait_until 50 _nginx_answers || {
				diag "apache does not answer on $LH_BASE:" \
				    "$(cat "$LH_APACHE_DIR/error.log")"
				return 1
			}
			return 0
		fi
		grep -q 'in use' "$LH_APACHE_DIR/start.out" \
		    "$LH_APACHE_DIR/error.log" 2>/dev/null || break
	done
	diag "apache did not start:" "$(cat "$LH_APACHE_DIR/start.out" \
	    "$LH_APACHE_DIR/error.log" 2>/dev/null)"
	return 1
}

# The pids under a process, children first, then theirs (mod_fcgid's
# process manager and the workers it starts are grandchildren).
_descendants() {
	for _de in $(_children "$1"); do
		echo "$_de"
		_descendants "$_de"
	done
}

# stop_apache: stop the parent, which stops its children; KILL whatever
# of them is left after 10 s.
stop_apache() {
	[ -n "$_lh_apache_pid" ] || return 0
	_sp_all=$(_descendants "$_lh_apache_pid")
	_stop_tree "$_lh_apache_pid"
	for _p in $_sp_all; do
		wait_until 20 _dead "$_p" || kill -KILL "$_p" 2>/dev/null
	done
	rm -f "$LH_APACHE_DIR/httpd.pid"
	_lh_apache_pid=
}

# _lh_apache_watchdog SHELL-PID APACHE-PID: like _lh_watchdog, for
# Apache: once the script's shell is gone, stop that Apache if it still
# runs.
_lh_apache_watchdog() {
	trap - EXIT
	trap '' INT HUP
	trap 'exit 0' TERM
	while ! _dead "$1"; do
		sleep 1
	done
	_alive "$2" && _stop_tree "$2"
}

# ---- the build (install.sh, systemd.sh) -----------------------------------------

# make_var NAME: the value of a variable in $top_builddir/Makefile, as
# make expands it (e.g. sbindir, systemdsystemunitdir).
make_var() {
	_mv_mk=$LH_TMP/make_var.mk
	printf 'lh-make-var:\n\t@echo $(%s)\n' "$1" >"$_mv_mk"
	(cd "$top_builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
	    ${MAKE:-make} -s -f Makefile -f "$_mv_mk" lh-make-var) 2>/dev/null
}

# ---- known bugs -------------------------------------------------------------------

# todo_is GOT WANT DESC REASON: "is" for a known bug, a TAP TODO point: a
# mismatch shows as "not ok ... # TODO REASON" and does not fail the
# script; a match is an unexpected pass, which automake's TAP driver
# counts as a failure (XPASS), so that the TODO goes with the fix.
todo_is() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" = "$2" ]; then
		printf 'ok %d - %s # TODO %s\n' "$_tap_n" "$(_tap_desc "$3")" \
		    "$(_tap_desc "$4")"
	else
		printf 'not ok %d - %s # TODO %s\n' "$_tap_n" \
		    "$(_tap_desc "$3")" "$(_tap_desc "$4")"
		diag "got:  '$1'" "want: '$2'"
	fi
}
