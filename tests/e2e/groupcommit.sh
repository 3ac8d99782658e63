#!/bin/sh
#
# groupcommit.sh: events that arrive together are made durable together,
# and none is answered before it is.  Several licensehook workers behind
# nginx, strace attached to all of them with every fdatasync slowed down
# (as on a slow disk), a burst of events at once:
#
#   ordering   every 2xx that followed a commit was written after a flush
#              of the WAL (by any worker) that began after that commit's
#              frames were written, read off the traced syscalls;
#   grouping   fewer WAL flushes than events;
#   duplicate  a duplicate of an event whose flush is still running is
#              answered only when that flush is over;
#   queue      the workers wait for the write lock in the writers' queue
#              (a blocking lock on <database>-sync), not by polling
#              SQLite's lock: a burst costs next to no busy-handler naps;
#   fallback   when <database>-sync cannot be used, each commit flushes by
#              itself (synchronous=FULL) and still comes first.  TAP.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e
require_cmd strace
curl --help all 2>/dev/null | grep -q -- --parallel-immediate ||
    skip_all "curl has no --parallel-immediate (curl 7.68 or later)"

WORKERS=4
BURST=12
DELAY_US=300000		# each traced fdatasync waits this long first
S=$LH_TMP/gc
mkdir -p "$S"

# Our background processes (strace, curl), ended before lib.sh cleans up.
OURS=
_gc_cleanup() {
	for _gc in $OURS; do
		kill -TERM "$_gc" 2>/dev/null
	done
	stop_nginx
	stop_workers
}
# shellcheck disable=SC2154
trap '_gx=$?; _gc_cleanup; (exit "$_gx"); _lh_cleanup' EXIT
forget() {
	_fg=
	for _p in $OURS; do
		[ "$_p" = "$1" ] || _fg="$_fg $_p"
	done
	OURS=$_fg
}

# event_id FILE: the "id" of an event file made by make_event.
event_id() {
	sed -n 's/^  "id": "\(evt_[^"]*\)",$/\1/p' "$1" | head -1
}

write_config "$LH_CONF"
start_workers "$LH_CONF" "$WORKERS" || bail_out "cannot start licensehook"
start_nginx || bail_out "cannot start nginx"

make_event "$S/first"
post_event "$S/first"
is "$HTTP_STATUS" 200 "an event is stored"
check "the shared counters file $LH_DB-sync exists" test -f "$LH_DB-sync"
is "$(stat -c %a "$LH_DB-sync")" 640 "it is owner and group only (0640)"

# ---- tracing ----------------------------------------------------------------

TRACER=
_all_traced() {
	for _p in $(worker_pids); do
		grep -q '^TracerPid:[[:space:]]*0$' "/proc/$_p/status" &&
		    return 1
	done
	return 0
}
_none_traced() {
	for _p in $(worker_pids); do
		grep -q '^TracerPid:[[:space:]]*0$' "/proc/$_p/status" ||
		    return 1
	done
	return 0
}
# trace_on DIR [DELAY_US [CALLS]]: strace every worker into DIR/tr.<pid>,
# with wall-clock times (-ttt), durations (-T) and file names for fds
# (-y); fdatasync delayed by DELAY_US microseconds when given; CALLS the
# syscalls traced (by default the writes and flushes).
trace_on() {
	rm -rf "$1"
	mkdir -p "$1"
	set -- "$1" "${2:-}" -ff -ttt -T -y -qq \
	    -e trace="${3:-fdatasync,fsync,pwrite64,write,writev}"
	[ -z "$2" ] || set -- "$@" -e inject=fdatasync:delay_enter="$2"
	_to_dir=$1
	shift 2
	for _p in $(worker_pids); do
		set -- "$@" -p "$_p"
	done
	strace "$@" -o "$_to_dir/tr" 2>"$_to_dir/strace.err" &
	TRACER=$!
	OURS="$OURS $TRACER"
	wait_until 50 _all_traced
}
trace_off() {
	kill -TERM "$TRACER" 2>/dev/null
	wait "$TRACER" 2>/dev/null
	forget "$TRACER"
	TRACER=
	wait_until 50 _none_traced
}

# order DIR: read the traces and print "<answers after a commit> <of them
# with no covering flush> <WAL flushes>".  An answer is a worker's first
# write to a socket after its own writes to the -wal file (its commit); it
# is covered by an fdatasync of the -wal, by any worker, that began after
# the commit's last write ended and ended before the answer began.
order() {
	for _f in "$1"/tr.*; do
		awk -v pid="${_f##*.}" '
		    { t = $1; d = 0
		      if (match($0, /<[0-9.]+>$/))
			d = substr($0, RSTART + 1, RLENGTH - 2)
		      # Microseconds: awk would print t + d as %.6g.
		      if ($2 ~ /^pwrite64\(/ && $2 ~ /-wal>/)
			k = "walwrite"
		      else if ($2 ~ /^fdatasync\(/ && $2 ~ /-wal>/)
			k = "flush"
		      else if ($2 ~ /^writev?\([0-9]+<(socket|UNIX)/)
			k = "answer"
		      else
			next
		      printf "%.6f %.6f %s %s\n", t, t + d, pid, k }' "$_f"
	done | sort -n -k1,1 | awk '
	    $4 == "walwrite" { committed[$3] = $2; next }
	    $4 == "flush" { nf++; fs[nf] = $1; fe[nf] = $2; next }
	    $4 == "answer" && ($3 in committed) {
		n++; ok = 0
		for (i = 1; i <= nf; i++)
			if (fs[i] >= committed[$3] && fe[i] <= $1) { ok = 1; break }
		if (!ok) bad++
		delete committed[$3] }
	    END { printf "%d %d %d\n", n, bad, nf }'
}

# burst FILE...: POST each (signed now) at once; $S/statuses has one
# "<status> <index>" line each.
burst() {
	_b_n=$#
	_b_files=$(printf '%s\n' "$@")
	set -- -s --noproxy '*' --max-time 60 -Z --parallel-immediate \
	    --parallel-max "$_b_n"
	_b_i=0
	for _b_f in $_b_files; do
		_b_i=$((_b_i + 1))
		[ "$_b_i" -eq 1 ] || set -- "$@" --next
		set -- "$@" --noproxy '*' --max-time 60 -X POST \
		    -H 'Expect:' -H 'Content-Type: application/json' \
		    -H "Stripe-Signature: $(signature "$_b_f")" \
		    --data-binary "@$_b_f" -o /dev/null \
		    -w "%{http_code} $_b_i\\n" "$LH_BASE$LH_PATH"
	done
	curl "$@" >"$S/statuses" 2>"$S/curl.err"
	LH_REQUESTS=$((LH_REQUESTS + _b_n))
}

# make_burst NAME [N]: N (BURST) new events, $S/NAME.1 and on; $files
# lists them.
make_burst() {
	files=
	_mb_i=0
	while [ "$_mb_i" -lt "${2:-$BURST}" ]; do
		_mb_i=$((_mb_i + 1))
		make_event "$S/$1.$_mb_i"
		files="$files $S/$1.$_mb_i"
	done
}

# ---- a burst through slow flushes ------------------------------------------

# Every worker's first request first (slow under valgrind), untraced.
make_burst warm
# shellcheck disable=SC2086
burst $files
make_burst ev
if ! trace_on "$S/burst" "$DELAY_US"; then
	trace_off
	skip_all "cannot attach strace: $(head -1 "$S/burst/strace.err")"
fi
before=$(count events)
t0=$(date +%s%N)
# shellcheck disable=SC2086
burst $files
t1=$(date +%s%N)
trace_off
is "$(grep -c '^200 ' "$S/statuses")" "$BURST" "burst: $BURST events at once, all answered 200"
is "$(count events)" "$((before + BURST))" "burst: all $BURST stored"
# shellcheck disable=SC2046
set -- $(order "$S/burst")
diag "burst: $BURST events in $(( (t1 - t0) / 1000000 )) ms, $3 WAL flushes of $((DELAY_US / 1000)) ms each, $1 answers after a commit traced"
is "$1" "$BURST" "ordering: every answer after a commit was traced"
is "$2" 0 "ordering: each came after a WAL flush begun after its commit"
check "grouping: $BURST events made durable by fewer flushes ($3)" \
    test "$3" -ge 1 -a "$3" -lt "$BURST"

# ---- the writers' queue ---------------------------------------------------------

# The same burst, traced for locks and naps: SQLite's busy handler naps
# (nanosleep) between tries of its lock; the queue's waiters block in
# fcntl(F_OFD_SETLKW) instead.  Without the queue, each of the workers
# that find the lock taken naps every 50 us until it is free.
make_burst q
trace_on "$S/queue" "" fcntl,nanosleep,clock_nanosleep ||
    bail_out "cannot attach strace again"
# shellcheck disable=SC2086
burst $files
trace_off
is "$(grep -c '^200 ' "$S/statuses")" "$BURST" "queue: $BURST events at once, all answered 200"
queued=$(cat "$S"/queue/tr.* | grep -c 'F_OFD_SETLKW.*F_WRLCK')
naps=$(cat "$S"/queue/tr.* | grep -c 'nanosleep(')
diag "queue: $queued turns taken, $naps busy-handler naps"
check "queue: every event took its turn in the queue ($queued)" \
    test "$queued" -ge "$BURST"
check "queue: next to no naps for the write lock ($naps, fewer than $((BURST / 4)))" \
    test "$naps" -lt "$((BURST / 4))"

# ---- a duplicate waits for the first delivery's flush ---------------------------

_stored() {
	[ "$(count events "id = '$1'")" = 1 ]
}
trace_on "$S/dup" 2000000 || bail_out "cannot attach strace again"
make_event "$S/dup.event"
dup_id=$(event_id "$S/dup.event")
sig=$(signature "$S/dup.event")
curl -s --noproxy '*' --max-time 60 -X POST -H 'Expect:' \
    -H 'Content-Type: application/json' -H "Stripe-Signature: $sig" \
    --data-binary "@$S/dup.event" -o "$S/dup.body1" \
    -w '%{http_code}' "$LH_BASE$LH_PATH" >"$S/dup.status1" &
first=$!
OURS="$OURS $first"
# Committed (the row is visible) and now in its 2 s flush.
wait_until 100 _stored "$dup_id"
still_running=$(_alive "$first" && echo yes || echo no)
td0=$(date +%s%N)
post_raw "$S/dup.event" -H "Stripe-Signature: $sig"
td1=$(date +%s%N)
wait "$first"
forget "$first"
tf=$(date +%s%N)
trace_off
is "$still_running $HTTP_STATUS $(json_compact "$HTTP_BODY")" \
    'yes 200 {"received":true,"duplicate":true}' \
    "duplicate: sent while the first delivery was in its flush, answered duplicate"
is "$(cat "$S/dup.status1")" 200 "duplicate: the first delivery is answered 200"
dup_ms=$(( (td1 - td0) / 1000000 ))
diag "duplicate: answered in $dup_ms ms; the first delivery ended $(( (tf - td1) / 1000000 )) ms after it"
check "duplicate: it waited for the first delivery's flush (${dup_ms} ms >= 500)" \
    test "$dup_ms" -ge 500

# ---- without the shared file: FULL -------------------------------------------

stop_workers
rm -f "$LH_DB-sync"
mkdir "$LH_DB-sync"
start_workers "$LH_CONF" 2 || bail_out "cannot restart licensehook"
trace_on "$S/full" "$DELAY_US" || bail_out "cannot attach strace again"
make_burst full 4
before=$(count events)
# shellcheck disable=SC2086
burst $files
trace_off
is "$(grep -c '^200 ' "$S/statuses") $(count events)" "4 $((before + 4))" \
    "fallback: $LH_DB-sync is a directory, events still answered 200 and stored"
# shellcheck disable=SC2046
set -- $(order "$S/full")
is "$1 $2" "4 0" "fallback: each answer came after a WAL flush begun after its commit"
check "fallback: one flush per event at least ($3 for 4)" test "$3" -ge 4
rmdir "$LH_DB-sync"

done_testing
