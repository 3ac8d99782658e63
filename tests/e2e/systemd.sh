#!/bin/sh
#
# systemd.sh: the systemd units in contrib/systemd/, as make generated
# them (licensehook.service, licensehook-tick.service, with the configured
# paths) or ships them (licensehook.socket, licensehook-tick.timer):
#
#   - the paths make filled in are the configured ones;
#   - "systemd-analyze verify" is silent on a copy whose programs are the
#     built ones (verify wants every ExecStart program to exist) and whose
#     man: references resolve to man/;
#   - "systemd-analyze security --offline" rates the services OK (<= 2.0);
#   - the service's own ExecStartPre and ExecStart command lines, run with
#     a listening socket on standard input as StandardInput=socket gives
#     it (spawn-fcgi stands in for systemd), serve a signed purchase
#     through nginx, every worker sharing that socket as fd 0.
#
# No systemd needs to run (the tests run without it as PID 1).  TAP.
# Needs systemd-analyze (Debian: systemd); the last part nginx,
# spawn-fcgi, multiwatch, curl, openssl and sqlite3.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build "$LH_BIN" "$LH_CTL"
require_cmd systemd-analyze

SRC=$top_srcdir/contrib/systemd
GEN=$top_builddir/contrib/systemd
for f in "$GEN/licensehook.service" "$GEN/licensehook-tick.service"; do
	[ -r "$f" ] || skip_all "$f not built (run make first)"
done
UNITS="licensehook.socket licensehook.service licensehook-tick.service
licensehook-tick.timer"

SBINDIR=$(make_var sbindir)
SYSCONFDIR=$(make_var sysconfdir)
MULTIWATCH=$(make_var MULTIWATCH)
if [ -z "$SBINDIR" ] || [ -z "$SYSCONFDIR" ]; then
	bail_out "cannot read sbindir and sysconfdir from $top_builddir/Makefile"
fi

# unit_path UNIT: where the unit is, generated or shipped.
unit_path() {
	if [ -r "$GEN/$1" ] && [ -r "$SRC/$1.in" ]; then
		echo "$GEN/$1"
	else
		echo "$SRC/$1"
	fi
}

# value UNIT KEY: the unit's KEY= values, one a line.
value() {
	sed -n "s/^$2=//p" "$(unit_path "$1")"
}

# ---- what make filled in ----------------------------------------------------

left=$(grep -l '@[A-Za-z_]*@' "$GEN/licensehook.service" \
    "$GEN/licensehook-tick.service")
is "$left" "" "generated units: no @placeholder@ left"
is "$(value licensehook.service ExecStart)" \
    "$MULTIWATCH -f 4 -- $SBINDIR/licensehook -c $SYSCONFDIR/licensehook.conf" \
    "licensehook.service: ExecStart runs the configured programs"
is "$(value licensehook.service ExecStartPre)" \
    "$SBINDIR/licensehook -t -c $SYSCONFDIR/licensehook.conf" \
    "licensehook.service: ExecStartPre checks the configuration (-t)"
is "$(value licensehook-tick.service ExecStart)" \
    "$SBINDIR/licensectl -c $SYSCONFDIR/licensehook.conf tick" \
    "licensehook-tick.service: ExecStart is licensectl tick"

# ---- what the units say --------------------------------------------------------

SOCK=/run/licensehook/licensehook.sock
is "$(value licensehook.socket ListenStream) $(value licensehook.socket \
    SocketMode) $(value licensehook.socket SocketGroup) $(value \
    licensehook.socket Accept)" "$SOCK 0660 www-data no" \
    "licensehook.socket: $SOCK, 0660, group www-data, Accept=no"
like "$(cat "$top_srcdir/nginx/licensehook-upstream.conf")" \
    "server unix:$SOCK;" "nginx/licensehook-upstream.conf names that socket"
like "$(cat "$top_srcdir/apache/licensehook.conf")" \
    "Define LICENSEHOOK_SOCKET $SOCK\$" \
    "apache/licensehook.conf names that socket"
is "$(value licensehook.service StandardInput) $(value licensehook.service \
    StandardOutput) $(value licensehook.service StandardError)" \
    "socket journal journal" \
    "licensehook.service: socket on fd 0, output to the journal"
is "$(value licensehook.service User) $(value licensehook.service UMask) \
$(value licensehook.service StateDirectory) $(value licensehook.service \
    KillMode)" "licensehook 0027 licensehook mixed" \
    "licensehook.service: own user, umask 0027, state directory, KillMode=mixed"
is "$(value licensehook-tick.timer OnCalendar) $(value \
    licensehook-tick.service User)" "minutely licensehook" \
    "licensehook-tick.timer: every minute, as the same user"

# ---- systemd-analyze verify ------------------------------------------------------

# The copy: the built programs instead of the installed ones (verify
# wants them to exist), this run's configuration file, and man pages
# where man(1) finds them.
T=$LH_TMP/units
mkdir -p "$T" "$LH_TMP/man/man5" "$LH_TMP/man/man8"
cp "$top_srcdir"/man/*.5 "$LH_TMP/man/man5/" &&
    cp "$top_srcdir"/man/*.8 "$LH_TMP/man/man8/" ||
    bail_out "cannot copy the man pages"
MW=$MULTIWATCH
[ -x "$MW" ] || MW=$(command -v multiwatch 2>/dev/null)
for u in $UNITS; do
	sed -e "s|$SBINDIR/licensehook |$LH_BIN |g" \
	    -e "s|$SBINDIR/licensectl |$LH_CTL |g" \
	    -e "s|$SYSCONFDIR/licensehook.conf|$LH_CONF|g" \
	    -e "s|^ExecStart=$MULTIWATCH |ExecStart=${MW:-$MULTIWATCH} |" \
	    "$(unit_path "$u")" >"$T/$u"
done

man_opt=
command -v man >/dev/null 2>&1 || man_opt=--man=no
# verify T/UNIT...: systemd-analyze verify in the copy; sets VOUT.
verify() {
	VOUT=$(cd "$T" && MANPATH=$LH_TMP/man SYSTEMD_LOG_COLOR=0 \
	    systemd-analyze verify $man_opt "$@" 2>&1)
}

if [ -z "$MW" ]; then
	skip "systemd-analyze verify: all four units" "multiwatch not installed"
else
	verify $UNITS
	is "$?:$VOUT" "0:" "systemd-analyze verify: all four units, silent"
fi
for u in licensehook.socket licensehook-tick.service licensehook-tick.timer; do
	verify "$u"
	is "$?:$VOUT" "0:" "systemd-analyze verify $u: silent"
done

# The check has teeth: a misspelt key and a missing program are reported.
sed 's/^ProtectHome=/ProtecHome=/' "$T/licensehook-tick.service" \
    >"$T/lh-bad.service"
verify lh-bad.service
like "$VOUT" "ProtecHome" "verify reports a misspelt key"
sed "s|^ExecStart=[^ ]*|ExecStart=$LH_TMP/no-such-program|" \
    "$T/licensehook-tick.service" >"$T/lh-bad.service"
verify lh-bad.service
like "$VOUT" "no-such-program" "verify reports a missing program"
rm -f "$T/lh-bad.service"

if systemd-analyze security --help 2>/dev/null | grep -q -- '--offline'; then
	for u in licensehook.service licensehook-tick.service; do
		(cd "$T" && systemd-analyze security --offline=yes \
		    --threshold=20 "$u" >"$LH_TMP/security.out" 2>&1)
		check "systemd-analyze security $u: exposure 2.0 or lower" \
		    test $? -eq 0
		diag "$(grep 'Overall exposure' "$LH_TMP/security.out" |
		    LC_ALL=C tr -cd '\11\12\40-\176')"
	done
else
	skip "systemd-analyze security licensehook.service" \
	    "no --offline (systemd older than 250)"
	skip "systemd-analyze security licensehook-tick.service" \
	    "no --offline (systemd older than 250)"
fi

# ---- the service's command lines, on a socket as fd 0 -----------------------------

if ! command -v nginx >/dev/null 2>&1 ||
    ! command -v spawn-fcgi >/dev/null 2>&1 || [ -z "$MW" ] ||
    ! command -v curl >/dev/null 2>&1 || ! command -v sqlite3 >/dev/null 2>&1 ||
    ! [ -r /etc/nginx/fastcgi_params ]; then
	n=0
	while [ "$n" -lt 6 ]; do
		n=$((n + 1))
		skip "ExecStart on a socket as fd 0: test $n" \
		    "nginx, spawn-fcgi, multiwatch, curl or sqlite3 missing"
	done
	done_testing
fi

write_config "$LH_CONF"
pre=$(value licensehook.service ExecStartPre | sed \
    -e "s|$SBINDIR/licensehook |$LH_BIN |" \
    -e "s|$SYSCONFDIR/licensehook.conf|$LH_CONF|")
# shellcheck disable=SC2086
$pre >"$LH_TMP/pre.out" 2>&1
is "$?" 0 "ExecStartPre (licensehook -t) passes on a good configuration"

start=$(sed -n 's/^ExecStart=//p' "$T/licensehook.service")
# What StandardInput=socket does: the listening socket as fd 0.  spawn-fcgi
# binds it, puts it on fd 0 and execs the ExecStart command line; its pid
# file lets lib.sh stop it like start_workers' multiwatch.
rm -f "$LH_TMP/workers.pid"
# shellcheck disable=SC2086
spawn-fcgi -s "$LH_SOCK" -M 0660 -P "$LH_TMP/workers.pid" -- $start \
    </dev/null >"$LH_TMP/workers.out" 2>&1
_lh_workers_pid=$(cat "$LH_TMP/workers.pid" 2>/dev/null)
[ -n "$_lh_workers_pid" ] ||
    bail_out "ExecStart did not start: $(cat "$LH_TMP/workers.out")"
wait_until 30 _workers_up 4
is "$(worker_pids | wc -l | tr -d ' ')" 4 "ExecStart: multiwatch -f 4 runs 4 workers"
sock0=$(readlink "/proc/$_lh_workers_pid/fd/0")
same=0
for p in $(worker_pids); do
	[ "$(readlink "/proc/$p/fd/0")" = "$sock0" ] && same=$((same + 1))
done
like "$sock0" '^socket:' "multiwatch has the listening socket on fd 0"
is "$same" 4 "every worker has that same socket on fd 0"

start_nginx || bail_out "cannot start nginx"
make_event "$LH_TMP/event"
post_event "$LH_TMP/event"
is "$HTTP_STATUS $(json_compact "$HTTP_BODY")" '200 {"received":true}' \
    "a signed purchase through nginx to the service's workers: 200"
is "$(count licenses)" 1 "and its license is stored"

done_testing
