#!/bin/sh
#
# supervise.sh: workers killed under load.  licensehook workers under
# spawn-fcgi + multiwatch behind nginx (the deployment licensehook(8)
# documents) take a stream of distinct signed purchases from several
# senders at once while a random worker is killed with KILL, a few
# times.  multiwatch must replace each one (back to N workers); every
# event answered 200 must be in the database with its license; an event
# that got no 2xx (its worker died under it) must go through when sent
# again, as Stripe would; and the database must pass integrity_check.
# TAP.
#
# multiwatch gives up on a child slot that dies 3 times within 10 s of
# being started (-r, -t), so each kill takes a different one of the
# workers started first: a supervisor that stops restarting a crashing
# program is doing its job.
#
# LH_SUP_WORKERS (4), LH_SUP_EVENTS (120), LH_SUP_SENDERS (4) and
# LH_SUP_KILLS (3, at most LH_SUP_WORKERS) tune it.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e

N=${LH_SUP_WORKERS:-4}
EVENTS=${LH_SUP_EVENTS:-120}
SENDERS=${LH_SUP_SENDERS:-4}
KILLS=${LH_SUP_KILLS:-3}
[ "$KILLS" -le "$N" ] || KILLS=$N

write_config "$LH_CONF"
start_workers "$LH_CONF" "$N" ||
    bail_out "cannot start licensehook under spawn-fcgi"
start_nginx || bail_out "cannot start nginx"
first=$(worker_pids | sort -n | tr '\n' ' ')
is "$(echo $first | wc -w | tr -d ' ')" "$N" "$N workers at start"
diag "nginx on $LH_BASE, workers: $first"

R=$LH_TMP/sup
mkdir -p "$R"

# The events: one purchase each, event evt_sup_<i>_<tag>, session
# cs_sup_<i>_<tag>, subscription sub_sup_<i>_<tag>; made from one
# make_event template, since 120 make_event runs take seconds.
tag=$(uniq_id)
make_event "$R/template" id=evt_sup_TEMPLATE session=cs_sup_TEMPLATE \
    sub=sub_sup_TEMPLATE || bail_out "cannot make an event"
i=0
while [ "$i" -lt "$EVENTS" ]; do
	i=$((i + 1))
	sed "s/_sup_TEMPLATE/_sup_${i}_$tag/" "$R/template" >"$R/event.$i"
done

# send I: POST event I, signed now; its status goes to $R/status.I.  The
# senders run in the background, so no lib.sh http (one shared body file).
send() {
	_s_sig=$(signature "$R/event.$1")
	curl -sS --noproxy '*' --max-time 30 -X POST -H 'Expect:' \
	    -H 'Content-Type: application/json' \
	    -H "Stripe-Signature: $_s_sig" --data-binary "@$R/event.$1" \
	    -o "$R/body.$1" -w '%{http_code}' "$LH_BASE$LH_PATH" \
	    >"$R/status.$1" 2>>"$R/curl.err" || :
}

# sender K: events K, K + SENDERS, K + 2 SENDERS, ...
sender() {
	_k=$1
	while [ "$_k" -le "$EVENTS" ]; do
		send "$_k"
		_k=$((_k + SENDERS))
	done
}

# ---- send everything while killing workers ---------------------------------

senders=
k=0
while [ "$k" -lt "$SENDERS" ]; do
	k=$((k + 1))
	sender "$k" </dev/null &
	senders="$senders $!"
done

# A worker waiting in accept() for its next request sleeps in the
# kernel there (Linux: the wait of unix_accept); any other state means
# it has a request in hand.
_busy() {
	_b_w=
	read -r _b_w <"/proc/$1/wchan" 2>/dev/null || :
	[ -n "$_b_w" ] && [ "$_b_w" != __skb_wait_for_more_packets ]
}

# kill_one K: KILL a worker of the first generation that is still there,
# one with a request in hand if one shows up within a second, else any;
# then wait for multiwatch to bring the count back to N.
killed=
hits=0
_gone_and_replaced() {
	_g_now=$(worker_pids)
	[ "$(echo $_g_now | wc -w | tr -d ' ')" -eq "$N" ] || return 1
	for _g in $_g_now; do
		[ "$_g" != "$1" ] || return 1
	done
}
kill_one() {
	_k_alive=
	for _p in $first; do
		case " $killed " in *" $_p "*) continue ;; esac
		_alive "$_p" && _k_alive="$_k_alive $_p"
	done
	if [ -z "$_k_alive" ]; then
		fail "kill $1: a first-generation worker left to kill"
		return
	fi
	_k_victim=
	_k_try=0
	while [ -z "$_k_victim" ] && [ "$_k_try" -lt 2000 ]; do
		_k_try=$((_k_try + 1))
		for _p in $_k_alive; do
			if _busy "$_p"; then
				_k_victim=$_p
				break
			fi
		done
	done
	if [ -n "$_k_victim" ]; then
		hits=$((hits + 1))
	else
		_k_n=$(echo $_k_alive | wc -w | tr -d ' ')
		_k_pick=$(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % _k_n + 1))
		_k_victim=$(echo $_k_alive | cut -d' ' -f"$_k_pick")
	fi
	kill -KILL "$_k_victim"
	killed="$killed $_k_victim"
	if wait_until 50 _gone_and_replaced "$_k_victim"; then
		pass "kill -9 worker $_k_victim: multiwatch restored $N workers"
	else
		fail "kill -9 worker $_k_victim: multiwatch restored $N workers" \
		    "workers now: $(worker_pids | tr '\n' ' ')"
	fi
}

k=0
while [ "$k" -lt "$KILLS" ]; do
	k=$((k + 1))
	sleep 0.2 2>/dev/null || sleep 1
	kill_one "$k"
done
for p in $senders; do
	wait "$p"
done

# ---- what the senders saw ----------------------------------------------------------

ok=0
retry=
i=0
while [ "$i" -lt "$EVENTS" ]; do
	i=$((i + 1))
	st=$(cat "$R/status.$i" 2>/dev/null)
	case $st in
	200) ok=$((ok + 1)) ;;
	*) retry="$retry $i" ;;
	esac
done
diag "$hits of $KILLS workers were killed with a request in hand;" \
    "$ok of $EVENTS answered 200 meanwhile;" \
    "not 2xx:$(for i in $retry; do printf ' %s' "$(cat "$R/status.$i")"; done)"
check "most deliveries went through during the kills" \
    test "$ok" -ge $((EVENTS / 2))

# stored_ok I...: the I among them that are not recorded as created and
# linked to the license of their own session (one query for them all).
stored_ok() {
	_so_want=
	for _i in "$@"; do
		_so_want="$_so_want${_so_want:+, }($_i)"
	done
	[ -n "$_so_want" ] || return 0
	sql "WITH want(n) AS (VALUES $_so_want)
	    SELECT n FROM want WHERE (SELECT count(*) FROM events e
		JOIN licenses l ON l.id = e.license_id
		WHERE e.id = 'evt_sup_' || n || '_$tag'
		AND e.outcome = 'created'
		AND l.checkout_session_id = 'cs_sup_' || n || '_$tag'
		AND l.subscription_id = 'sub_sup_' || n || '_$tag') != 1
	    ORDER BY n;" | tr '\n' ' ' | sed 's/ $//'
}

answered=
i=0
while [ "$i" -lt "$EVENTS" ]; do
	i=$((i + 1))
	case " $retry " in *" $i "*) ;; *) answered="$answered $i" ;; esac
done
# shellcheck disable=SC2086
lost=$(stored_ok $answered)
is "$lost" "" "every event answered 200 is stored with its license"
# shellcheck disable=SC2086
diag "$KILLS kills; acknowledged (200) during them: $ok; of those found" \
    "stored with their license: $((ok - $(echo $lost | wc -w)))"

# ---- Stripe retries what got no 2xx ----------------------------------------

round=0
while [ -n "$retry" ] && [ "$round" -lt 5 ]; do
	round=$((round + 1))
	again=
	for i in $retry; do
		send "$i"
		[ "$(cat "$R/status.$i")" = 200 ] || again="$again $i"
	done
	retry=$again
done
is "$retry" "" "every event not answered 2xx went through when sent again"

all=
i=0
while [ "$i" -lt "$EVENTS" ]; do
	i=$((i + 1))
	all="$all $i"
done
# shellcheck disable=SC2086
is "$(stored_ok $all)" "" "all $EVENTS events stored, each with its license"
is "$(count licenses) $(count events)" "$EVENTS $EVENTS" \
    "exactly one license and one event row per purchase"
is "$(sql "SELECT count(DISTINCT key) FROM licenses;")" "$EVENTS" \
    "every key distinct"
is "$(sql 'PRAGMA integrity_check;')" ok "PRAGMA integrity_check: ok"
is "$(sql 'PRAGMA foreign_key_check;')" "" "PRAGMA foreign_key_check: clean"
is "$(worker_pids | wc -l | tr -d ' ')" "$N" "still $N workers at the end"

done_testing
