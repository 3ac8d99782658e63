#!/bin/sh
#
# concurrency.sh: the same webhook delivered many times at once, as Stripe
# does when it retries while a slow first delivery is still in flight,
# through nginx to several licensehook workers sharing one SQLite file.
# Every delivery must be answered 200, and each purchase must make exactly
# one license and each event exactly one events row.  TAP.
#
# LH_CONC_WORKERS (4), LH_CONC_PARALLEL (8) and LH_CONC_ROUNDS (20) tune it.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e
curl --help all 2>/dev/null | grep -q -- --parallel-immediate ||
    skip_all "curl has no --parallel-immediate (curl 7.68 or later)"
# Its point is timing: 8 requests at once to 4 new workers, which under
# memcheck can take longer than the 15 s the shipped nginx snippet
# gives a worker.  webhook.sh and hostile.sh run workers under memcheck.
vg_off "timing: 8 requests at once to 4 new workers outlast nginx's 15 s under memcheck"

WORKERS=${LH_CONC_WORKERS:-4}
PAR=${LH_CONC_PARALLEL:-8}
ROUNDS=${LH_CONC_ROUNDS:-20}

write_config "$LH_CONF"
start_workers "$LH_CONF" "$WORKERS" ||
    bail_out "cannot start licensehook under spawn-fcgi"
start_nginx || bail_out "cannot start nginx"
pids_before=$(worker_pids | sort | tr '\n' ' ')
diag "nginx on $LH_BASE, $WORKERS workers: $pids_before"

R=$LH_TMP/round
mkdir -p "$R"

# burst FILE...: POST each FILE (signed now) at once over separate
# connections from one curl process, so that the requests really overlap
# (one curl per request would serialise them on process start-up).  Then
# $R/status.N and $R/body.N hold the answer to the Nth file.
burst() {
	rm -f "$R"/status.* "$R"/body.*
	_b_i=0
	_b_n=$#
	_b_files=$(printf '%s\n' "$@")
	set -- -s --noproxy '*' --max-time 60 -Z --parallel-immediate \
	    --parallel-max "$_b_n"
	for _b_f in $_b_files; do
		_b_i=$((_b_i + 1))
		[ "$_b_i" -eq 1 ] || set -- "$@" --next
		set -- "$@" --noproxy '*' --max-time 60 -X POST \
		    -H 'Expect:' -H 'Content-Type: application/json' \
		    -H "Stripe-Signature: $(signature "$_b_f")" \
		    --data-binary "@$_b_f" -o "$R/body.$_b_i" \
		    -w "%{http_code} $_b_i\\n" "$LH_BASE$LH_PATH"
	done
	curl "$@" >"$R/statuses" 2>"$R/curl.err"
	while read -r _b_code _b_k; do
		echo "$_b_code" >"$R/status.$_b_k"
	done <"$R/statuses"
	LH_REQUESTS=$((LH_REQUESTS + _b_n))
}

# tally: "<answers 200> <plain received> <duplicate> <other>" over $PAR
# answers.
tally() {
	_t_ok=0 _t_plain=0 _t_dup=0 _t_other=0
	_t_i=0
	while [ "$_t_i" -lt "$PAR" ]; do
		_t_i=$((_t_i + 1))
		[ "$(cat "$R/status.$_t_i" 2>/dev/null)" = 200 ] &&
		    _t_ok=$((_t_ok + 1))
		case $(json_compact "$(cat "$R/body.$_t_i" 2>/dev/null)") in
		'{"received":true}') _t_plain=$((_t_plain + 1)) ;;
		'{"received":true,"duplicate":true}') _t_dup=$((_t_dup + 1)) ;;
		*) _t_other=$((_t_other + 1)) ;;
		esac
	done
	echo "$_t_ok $_t_plain $_t_dup $_t_other"
}

# ---- the same event, delivered $PAR times at once ----------------------

round=0
while [ "$round" -lt "$ROUNDS" ]; do
	round=$((round + 1))
	evt=evt_test_$(uniq_id)
	sess=cs_test_$(uniq_id)
	make_event "$R/event" id="$evt" session="$sess"
	files=
	i=0
	while [ "$i" -lt "$PAR" ]; do
		i=$((i + 1))
		files="$files $R/event"
	done
	# shellcheck disable=SC2086
	burst $files
	got="$(tally) $(count events "id = '$evt'") \
$(count licenses "checkout_session_id = '$sess'")"
	# all 200, one created, the rest duplicates; one event, one license
	is "$got" "$PAR 1 $((PAR - 1)) 0 1 1" \
	    "same event x$PAR, round $round: one created, $((PAR - 1)) duplicates"
	[ "$got" = "$PAR 1 $((PAR - 1)) 0 1 1" ] ||
	    diag "$(cat "$R/statuses" "$R/curl.err")" \
	    "$(for f in "$R"/body.*; do cat "$f"; echo; done)"
done

# ---- one purchase, $PAR different events at once ------------------------
# (checkout.session.completed and a retry under a new event id, say).

round=0
while [ "$round" -lt "$((ROUNDS / 2))" ]; do
	round=$((round + 1))
	sess=cs_test_$(uniq_id)
	sub=sub_$(uniq_id)
	files=
	i=0
	while [ "$i" -lt "$PAR" ]; do
		i=$((i + 1))
		make_event "$R/event.$i" session="$sess" sub="$sub"
		files="$files $R/event.$i"
	done
	# shellcheck disable=SC2086
	burst $files
	# shellcheck disable=SC2046
	set -- $(tally)
	# all 200; one license; $PAR events rows, all linked to it
	is "$1 $(count licenses "checkout_session_id = '$sess'") \
$(sql "SELECT count(*) FROM events WHERE license_id IN (SELECT id
    FROM licenses WHERE checkout_session_id = '$sess');")" "$PAR 1 $PAR" \
	    "$PAR events for one session, round $round: one license"
	# every answer {"received":true}; outcomes: 1 created, the rest exists
	is "$2 $3 $4 $(sql "SELECT sum(outcome = 'created'),
    sum(outcome = 'exists') FROM events WHERE license_id IN (SELECT id
    FROM licenses WHERE checkout_session_id = '$sess');" | tr '|' ' ')" \
	    "$PAR 0 0 1 $((PAR - 1))" \
	    "$PAR events for one session, round $round: 1 created, $((PAR - 1)) exists"
done

# ---- $PAR different purchases at once ------------------------------------

before=$(count licenses)
files=
i=0
while [ "$i" -lt "$PAR" ]; do
	i=$((i + 1))
	make_event "$R/event.$i"
	files="$files $R/event.$i"
done
# shellcheck disable=SC2086
burst $files
is "$(tally) $(($(count licenses) - before))" "$PAR $PAR 0 0 $PAR" \
    "$PAR different purchases at once: $PAR licenses"

# ---- afterwards ------------------------------------------------------------

is "$(count licenses)" "$((ROUNDS + ROUNDS / 2 + PAR))" \
    "licenses in all: one per purchase"
is "$(count licenses)" "$(sql "SELECT count(DISTINCT key) FROM licenses;")" \
    "every key distinct"
is "$(count events)" "$((ROUNDS + (ROUNDS / 2) * PAR + PAR))" \
    "events in all: one row per event id"
is "$(sql "SELECT count(*) FROM licenses WHERE id NOT IN
    (SELECT license_id FROM events WHERE outcome = 'created');")" 0 \
    "every license has its creating event"
is "$(worker_pids | sort | tr '\n' ' ')" "$pids_before" \
    "no worker died (multiwatch restarted none)"
unlike "$(awk '$6 == "\"POST" { print $9 }' "$LH_NGINX_DIR/access.log" |
    sort -u)" '^[^2]' "nginx logged no POST answered other than 2xx"
wait_until 20 test "$(log_lines)" -ge "$LH_REQUESTS"
is "$(log_lines)" "$LH_REQUESTS" "log: one line per request"
used=$(sed -n 's/^[^ ]* licensehook\[\([0-9]*\)\].*/\1/p' "$LH_LOG" |
    sort -u | wc -l | tr -d ' ')
diag "requests were served by $used of $WORKERS workers"
check "requests were served by more than one worker" test "$used" -ge 2

done_testing
