#!/bin/sh
#
# mail.sh: customer notices through a fake sendmail, a script that keeps
# each message it is given (and its arguments) in a spool directory, and
# can be told to fail (exit 75) or to hang.  Through real nginx and
# licensehook workers, plain CGI, and licensectl with a fixed clock
# (--at):
#
#   - the key arrives after checkout, with the right headers and body,
#     sent by the worker after it answered
#   - the grace story: payment_failed at once, grace_reminder at 3 d,
#     grace_free_tier at 7 d and suspended at 14 d, each on its day and
#     exactly once, with tick run twice and twice at once
#   - two licensectl deliver at once send each message exactly once
#   - a failed delivery stays queued with its error, is retried with
#     backoff and sent once sendmail works, and is marked failed after
#     the last attempt
#   - header injection: a name with CR LF never starts a header; an email
#     with CR LF queues nothing, is logged, and the license is made
#   - a hanging sendmail: the webhook is still answered 200 at once, the
#     hang is killed at mail.timeout, the worker lives on
#   - licensectl resend queues the key again
#   - trial_will_end and a payment made good (reinstated), once each
#
# TAP.  Needs what lib.sh's require_e2e needs, and jq.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e
require_build "$LH_BIN" "$LH_CTL"
require_cmd jq awk sed date

D=86400
NOW=$(date +%s)
SPOOL=$LH_TMP/spool
FAKE=$LH_TMP/fake-sendmail
TEMPLATES=$top_srcdir/contrib/templates
INJ_TEMPLATES=$LH_TMP/templates-inj
CONF_INJ=$LH_TMP/inj.conf
GEN=$top_srcdir/tests/e2e/lifecycle/gen.sh
E=$LH_TMP/event
mkdir -p "$SPOOL" "$INJ_TEMPLATES" || bail_out "cannot create $SPOOL"

# ---- the fake sendmail ------------------------------------------------

# Each run appends its argv to $SPOOL/argv and keeps its standard input
# as $SPOOL/<n>.eml; with $LH_TMP/FAKE_FAIL it reads the message, says why
# and exits 75 (EX_TEMPFAIL); with FAKE_HANG it hangs in a child (whose
# pid goes to $LH_TMP/hang.pid), as a stuck mail system would; with
# FAKE_SLOW it takes 0.3 s, so that two deliveries overlap.
cat >"$FAKE" <<EOF
#!/bin/sh
dir=$LH_TMP
EOF
cat >>"$FAKE" <<'EOF'
if [ -e "$dir/FAKE_HANG" ]; then
	sleep 60 &
	echo $! >"$dir/hang.pid"
	wait
	exit 0
fi
tmp=$(mktemp "$dir/spool/in.XXXXXX") || exit 71
cat >"$tmp"
[ ! -e "$dir/FAKE_SLOW" ] || sleep 0.3
if [ -e "$dir/FAKE_FAIL" ]; then
	rm -f "$tmp"
	echo "fake sendmail told to fail" >&2
	exit 75
fi
mv "$tmp" "$tmp.eml"
printf '%s\n' "$*" >>"$dir/spool/argv"
exit 0
EOF
chmod 755 "$FAKE"

# ---- configuration -----------------------------------------------------

# mail_config FILE TEMPLATES: lib.sh's configuration, with a free tier for
# the grace schedule and mail through the fake sendmail.
mail_config() {
	write_config "$1"
	cat >>"$1" <<EOF

[lifecycle]
grace_reminder = 3d
grace_free_tier = 7d
grace_suspend = 14d
free_tier = basic

[mail]
from = Example Shop <shop@example.com>
vendor_name = Example Shop
support_email = help@example.com
portal_url = https://billing.example.com/portal
sendmail = $FAKE -t -i
templates_dir = $2
timeout = 3
deliver_after = 3
EOF
}
mail_config "$LH_CONF" "$TEMPLATES"

# The shipped templates, with the customer's name in the key notice's
# subject and body, for the header injection case.
cp "$TEMPLATES"/*.txt "$INJ_TEMPLATES"/ || bail_out "no templates"
{
	echo "Subject: Your {{vendor}} license key, {{name}}"
	echo
	echo "Dear {{name}},"
	echo
	echo "your key: {{key}}"
} >"$INJ_TEMPLATES/key.txt"
mail_config "$CONF_INJ" "$INJ_TEMPLATES"

# ctl ARG...: licensectl on $LH_CONF.  Under valgrind each distinct
# command line (its --at value aside) runs under memcheck the first time
# only, and its repeats without it (some 40 runs of tick and deliver at
# 1 to 2 s each under memcheck); the workers, which deliver too, stay
# under it.  CTL_NATIVE counts the repeats.
CTL_SEEN=
CTL_NATIVE=0
ctl() {
	_ctl_bin=$LH_CTL
	if [ -n "$LH_VG" ]; then
		_ctl_key=$(printf '%s\n' "$@" | awk 'skip { skip = 0; next }
		    $0 == "--at" { skip = 1; next } { printf "%s/", $0 }')
		case $CTL_SEEN in
		*"|$_ctl_key|"*)
			_ctl_bin=$LH_CTL_REAL
			CTL_NATIVE=$((CTL_NATIVE + 1)) ;;
		*)
			CTL_SEEN="$CTL_SEEN|$_ctl_key|" ;;
		esac
	fi
	"$_ctl_bin" -c "$LH_CONF" "$@" >"$LH_TMP/ctl.out" 2>"$LH_TMP/ctl.err"
	CTL_EXIT=$?
	CTL_OUT=$(cat "$LH_TMP/ctl.out")
	CTL_ERR=$(cat "$LH_TMP/ctl.err")
}

# spooled: how many messages the fake sendmail kept.
spooled() {
	ls "$SPOOL" | grep -c '\.eml$'
}

# spool_with ERE: how many kept messages have a line matching ERE.
spool_with() {
	_sw=0
	for _f in "$SPOOL"/*.eml; do
		[ -e "$_f" ] || continue
		grep -Eq -- "$1" "$_f" && _sw=$((_sw + 1))
	done
	echo "$_sw"
}

# spool_file ERE: the (first) kept message with a line matching ERE.
spool_file() {
	for _f in "$SPOOL"/*.eml; do
		[ -e "$_f" ] || continue
		if grep -Eq -- "$1" "$_f"; then
			echo "$_f"
			return 0
		fi
	done
	return 1
}

# headers FILE: the header block of a message.
headers() {
	awk '$0 == "" { exit } { print }' "$1"
}

# notices LICENSE_ID NOTICE: outbox rows of a notice for a license.
notices() {
	count outbox "license_id = $1 AND notice = '$2'"
}

spool_has() {
	[ "$(spooled)" -ge "$1" ]
}

# ---- the key, after checkout, through nginx -----------------------------

start_workers "$LH_CONF" 2 || bail_out "cannot start licensehook workers"
start_nginx || bail_out "cannot start nginx"
pids_before=$(worker_pids | sort | tr '\n' ' ')

SUB=sub_mail_$(uniq_id)
CUS=cus_mail_$(uniq_id)
make_event "$E.co" session="cs_mail_$(uniq_id)" sub="$SUB" customer="$CUS" \
    email=ada@example.com name="Ada Lovelace" plan=pro
post_event "$E.co"
is "$HTTP_STATUS" 200 "checkout answered 200"
KEY=$(sql "SELECT key FROM licenses WHERE subscription_id = '$SUB'")
LID=$(sql "SELECT id FROM licenses WHERE subscription_id = '$SUB'")
like "$KEY" "$LH_KEY_ERE" "checkout made a license"
is "$(notices "$LID" key)" 1 "the key notice was queued with it"
wait_until 50 spool_has 1
is "$(spooled)" 1 "the worker sent it after answering"
MSG=$(spool_file "^To: ada@example.com\$")
H=$(headers "$MSG")
like "$H" '^From: Example Shop <shop@example.com>$' "key mail: From"
like "$H" '^To: ada@example.com$' "key mail: To"
like "$H" '^Subject: Your Example Shop license key$' "key mail: Subject"
like "$H" '^Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} \+0000$' \
    "key mail: Date, RFC 5322"
like "$H" '^Message-ID: <lh\.[0-9a-f]{32}@example\.com>$' \
    "key mail: Message-ID at the From domain"
like "$H" '^MIME-Version: 1\.0$' "key mail: MIME-Version"
like "$H" '^Content-Type: text/plain; charset=UTF-8$' \
    "key mail: Content-Type with charset"
like "$H" '^Content-Transfer-Encoding: 8bit$' "key mail: 8bit"
unlike "$H" '^Bcc:' "key mail: no Bcc"
like "$(sed '1,/^$/d' "$MSG")" "^    $KEY\$" "key mail: the key in the body"
like "$(sed '1,/^$/d' "$MSG")" "https://billing.example.com/portal" \
    "key mail: the portal link in the body"
like "$(sed '1,/^$/d' "$MSG")" "help@example.com" \
    "key mail: the support address in the body"
is "$(head -1 "$SPOOL/argv")" "-t -i" "sendmail ran with -t -i, no address"
# The spool file is there just before sendmail exits and the worker
# marks the message sent.
key_sent() {
	[ "$(sql "SELECT state FROM outbox WHERE license_id = $LID
	    AND notice = 'key'")" = sent ]
}
wait_until 50 key_sent
is "$(sql "SELECT state || ' ' || attempts || ' ' || (sent_at IS NOT NULL)
    FROM outbox WHERE license_id = $LID AND notice = 'key'")" "sent 1 1" \
    "outbox: sent at the first attempt"
unlike "$(cat "$LH_LOG")" "mail .* failed" "no delivery failed"

# ---- the grace story, with a fixed clock ----------------------------------

# The payment fails now: the worker sends payment_failed at once.
T0=$NOW
sh "$GEN" old >"$E.fail.json" <<EOF || bail_out "gen.sh failed"
invoice.payment_failed id=evt_mail_fail_$(uniq_id) created=$T0 cus=$CUS in=in_mail_$(uniq_id) sub=$SUB price=price_PRO_M pstart=$T0 pend=$((T0 + 30 * D)) attempt=1 reason=subscription_cycle
EOF
post_event "$E.fail.json"
is "$HTTP_STATUS" 200 "invoice.payment_failed answered 200"
is "$(notices "$LID" payment_failed)" 1 "payment_failed queued with the event"
wait_until 50 spool_has 2
is "$(spool_with '^Subject: Example Shop: your payment did not go through$')" 1 \
    "payment_failed sent by the worker"

# step_at TIME NOTICE STEP-DESCRIPTION: tick (twice) and deliver at TIME.
step() {
	ctl --at "$1" tick
	is "$CTL_EXIT" 0 "$3: tick exit 0"
	ctl --at "$1" tick
	like "$CTL_OUT" "^0 notices queued\$" "$3: a second tick queues nothing"
	ctl --at "$1" deliver
	is "$CTL_EXIT" 0 "$3: deliver exit 0"
}

ctl --at $((T0 + 3 * D - 1)) tick
is "$(notices "$LID" grace_reminder)" 0 "a second before 3 d: no reminder"
like "$CTL_OUT" "^0 notices queued\$" "a second before 3 d: tick says none"
# Two ticks at once: one reminder.
"$LH_CTL" -c "$LH_CONF" --at $((T0 + 3 * D)) tick >"$LH_TMP/tick1" 2>&1 &
p1=$!
"$LH_CTL" -c "$LH_CONF" --at $((T0 + 3 * D)) tick >"$LH_TMP/tick2" 2>&1 &
p2=$!
wait "$p1"
s1=$?
wait "$p2"
s2=$?
is "$s1 $s2" "0 0" "two ticks at once: both exit 0"
is "$(cat "$LH_TMP/tick1" "$LH_TMP/tick2" | grep -c '^1 notice queued$')" 1 \
    "two ticks at once: one of them queued the reminder"
step $((T0 + 3 * D)) grace_reminder "at 3 d"
is "$(notices "$LID" grace_reminder)" 1 "at 3 d: one grace_reminder"
is "$(spool_with '^Subject: Reminder: Example Shop payment still outstanding$')" 1 \
    "at 3 d: the reminder sent once"
like "$(cat "$(spool_file '^Subject: Reminder: Example Shop')")" \
    "working until $(date -u -d "@$((T0 + 14 * D))" +%Y-%m-%d)" \
    "at 3 d: the reminder names the grace deadline"

ctl --at $((T0 + 7 * D - 1)) tick
is "$(notices "$LID" grace_free_tier)" 0 "a second before 7 d: no free tier notice"
step $((T0 + 7 * D)) grace_free_tier "at 7 d"
is "$(notices "$LID" grace_free_tier)" 1 "at 7 d: one grace_free_tier"
is "$(spool_with '^Subject: Example Shop: your license is on the basic plan for now$')" 1 \
    "at 7 d: the free tier notice sent once, naming the free tier"

ctl --at $((T0 + 14 * D - 1)) tick
is "$(notices "$LID" suspended)" 0 "a second before 14 d: no suspension notice"
step $((T0 + 14 * D)) suspended "at 14 d"
is "$(notices "$LID" suspended)" 1 "at 14 d: one suspended"
is "$(spool_with '^Subject: Example Shop: your license is suspended$')" 1 \
    "at 14 d: the suspension notice sent once"
ctl --at $((T0 + 15 * D)) tick
is "$(count outbox "license_id = $LID")" 5 \
    "a day later: nothing more (key, payment_failed and three steps)"
is "$(spooled)" 5 "five messages in all, each sent once"

# ---- two deliveries at once ------------------------------------------------

T1=$((NOW + 20 * D))
i=1
while [ "$i" -le 6 ]; do
	ctl --at $((T1 + i)) resend "$KEY"
	i=$((i + 1))
done
is "$(count outbox "state = 'pending'")" 6 "six key notices queued by resend"
touch "$LH_TMP/FAKE_SLOW"
"$LH_CTL" -c "$LH_CONF" --at $((T1 + 60)) deliver >"$LH_TMP/del1" 2>&1 &
p1=$!
"$LH_CTL" -c "$LH_CONF" --at $((T1 + 60)) deliver >"$LH_TMP/del2" 2>&1 &
p2=$!
wait "$p1"
s1=$?
wait "$p2"
s2=$?
rm -f "$LH_TMP/FAKE_SLOW"
is "$s1 $s2" "0 0" "two delivers at once: both exit 0"
diag "deliver 1: $(cat "$LH_TMP/del1")" "deliver 2: $(cat "$LH_TMP/del2")"
is "$(cat "$LH_TMP/del1" "$LH_TMP/del2" | awk '{ n += $1 } END { print n }')" 6 \
    "two delivers at once: six sent between them"
is "$(spooled)" 11 "two delivers at once: six messages more in the spool"
is "$(grep -h '^Message-ID:' "$SPOOL"/*.eml | sort | uniq -d | wc -l | tr -d ' ')" 0 \
    "no Message-ID twice in the spool"
is "$(count outbox "state = 'sent' AND attempts = 1")" 11 \
    "outbox: every message sent, each at its first attempt"

# ---- a failure, visible, retried with backoff -------------------------------

T2=$((NOW + 30 * D))
ctl --at "$T2" resend "$KEY"
RID=$CTL_OUT
like "$RID" '^[0-9]+$' "resend prints the outbox id"
touch "$LH_TMP/FAKE_FAIL"
ctl --at "$T2" deliver
is "$CTL_EXIT" 1 "deliver with a failing sendmail: exit 1"
is "$CTL_OUT" "0 sent, 1 failed" "deliver says one failed"
like "$(cat "$LH_TMP/ctl.err")" "mail $RID key: attempt 1 failed: exit 75: fake sendmail told to fail" \
    "deliver logs the failure and sendmail's words"
ctl --json outbox
row=$(printf '%s' "$CTL_OUT" | jq -c ".[] | select(.id == $RID)
    | [.state, .attempts, .last_error, .next_at, .license, .notice, .rcpt]")
is "$row" "[\"pending\",1,\"exit 75: fake sendmail told to fail\",$((T2 + 60)),\"$KEY\",\"key\",\"ada@example.com\"]" \
    "outbox --json: pending, attempt 1, the error, next try a minute later"
ctl outbox
like "$CTL_OUT" '^ID +NOTICE +RCPT +STATE +ATTEMPTS +NEXT_TRY +LAST_ERROR$' \
    "outbox: header row"
like "$CTL_OUT" "^$RID +key +ada@example.com +pending +1 +[0-9TZ:-]+ +exit 75: fake sendmail told to fail\$" \
    "outbox: the failed message and why"
rm -f "$LH_TMP/FAKE_FAIL"
ctl --at $((T2 + 59)) deliver
is "$CTL_OUT" "0 sent, 0 failed" "not retried before its backoff"
ctl --at $((T2 + 60)) deliver
is "$CTL_OUT" "1 sent, 0 failed" "retried once the backoff is over"
is "$(sql "SELECT state || ' ' || attempts || ' ' || coalesce(last_error, '')
    FROM outbox WHERE id = $RID")" "sent 2 " "outbox: sent at attempt 2"
is "$(spooled)" 12 "the retried message in the spool once"

# Ten attempts, then failed: kept, and shown.
T3=$((NOW + 40 * D))
ctl --at "$T3" resend "$KEY"
FID=$CTL_OUT
touch "$LH_TMP/FAKE_FAIL"
t=$T3
n=0
waits=
while [ "$n" -lt 10 ]; do
	ctl --at "$t" deliver
	n=$((n + 1))
	nx=$(sql "SELECT next_at FROM outbox WHERE id = $FID")
	waits="$waits $((nx - t))"
	t=$nx
done
rm -f "$LH_TMP/FAKE_FAIL"
is "$waits" " 60 300 1800 7200 21600 86400 86400 86400 86400 86400" \
    "backoff: 1 min, 5 min, 30 min, 2 h, 6 h, then daily"
is "$(sql "SELECT state || ' ' || attempts FROM outbox WHERE id = $FID")" \
    "failed 10" "after ten attempts: failed, not dropped"
ctl --at $((t + 30 * D)) deliver
is "$CTL_OUT" "0 sent, 0 failed" "a failed message is not sent again"
ctl outbox
like "$CTL_OUT" "^$FID +key +ada@example.com +failed +10 +- +exit 75" \
    "outbox shows it failed, with the error"

# ---- header injection and hostile addresses (CGI) ---------------------------

post_cgi() {
	cgi_request POST "$LH_PATH" "$1" \
	    HTTP_STRIPE_SIGNATURE="$(signature "$1")"
}
before=$(spooled)
SUB_EVE=sub_eve_$(uniq_id)
LH_CONF_SAVED=$LH_CONF
LH_CONF=$CONF_INJ
make_event "$E.eve" sub="$SUB_EVE" customer="cus_eve_$(uniq_id)" \
    email=eve@example.com 'name=Eve\r\nBcc: evil@example.com'
post_cgi "$E.eve"
is "$HTTP_STATUS" 200 "name with CR LF: answered 200"
EVE=$(sql "SELECT id FROM licenses WHERE subscription_id = '$SUB_EVE'")
is "$(notices "$EVE" key)" 1 "name with CR LF: the key is queued"
is "$(spooled)" "$before" "under CGI nothing is sent by the responder"
"$LH_CTL" -c "$CONF_INJ" deliver >"$LH_TMP/ctl.out" 2>&1
is "$(spooled)" $((before + 1)) "licensectl deliver sent it"
MSG=$(spool_file '^To: eve@example.com$')
H=$(headers "$MSG")
unlike "$H" '^Bcc:' "name with CR LF: no Bcc header"
like "$H" '^Subject: Your Example Shop license key, EveBcc: evil@example.com$' \
    "name with CR LF: CR and LF dropped in the subject"
like "$(sed '1,/^$/d' "$MSG")" '^Dear EveBcc: evil@example.com,$' \
    "name with CR LF: CR and LF dropped in the body"
is "$(grep -c '^Bcc' "$SPOOL"/*.eml | awk -F: '{ n += $2 } END { print n }')" 0 \
    "no message in the spool has a Bcc line"

SUB_BAD=sub_bad_$(uniq_id)
make_event "$E.bad" sub="$SUB_BAD" customer="cus_bad_$(uniq_id)" \
    'email=mallory@example.com\r\nBcc: evil@example.com' name=Mallory
post_cgi "$E.bad"
is "$HTTP_STATUS" 200 "email with CR LF: answered 200"
BAD=$(sql "SELECT id FROM licenses WHERE subscription_id = '$SUB_BAD'")
BADKEY=$(sql "SELECT key FROM licenses WHERE id = '$BAD'")
like "$BADKEY" "$LH_KEY_ERE" "email with CR LF: the license is made"
is "$(count outbox "license_id = $BAD")" 0 "email with CR LF: nothing queued"
like "$(cat "$LH_LOG")" "notice key for LH-[*]{4}-[*]{4}-[*]{4}-${BADKEY##*-} not queued: invalid address" \
    "email with CR LF: logged, with the masked key"
unlike "$(cat "$LH_LOG")" "$BADKEY" "the log never has the whole key"
for addr in 'not-an-address' '-o@example.com' 'a@localhost'; do
	sub=sub_addr_$(uniq_id)
	make_event "$E.addr" sub="$sub" customer="cus_addr_$(uniq_id)" \
	    email="$addr" name=Someone
	post_cgi "$E.addr"
	id=$(sql "SELECT id FROM licenses WHERE subscription_id = '$sub'")
	is "$HTTP_STATUS $(count outbox "license_id = ${id:-0}")" "200 0" \
	    "email '$addr': license made, nothing queued"
done
LH_CONF=$LH_CONF_SAVED

# ---- a hanging sendmail ---------------------------------------------------------

ctl outbox
touch "$LH_TMP/FAKE_HANG"
rm -f "$LH_TMP/hang.pid"
SUB_H=sub_hang_$(uniq_id)
make_event "$E.hang" sub="$SUB_H" customer="cus_hang_$(uniq_id)" \
    email=hang@example.com name=Hang
t_start=$(date +%s%N)
post_event "$E.hang"
t_ms=$((($(date +%s%N) - t_start) / 1000000))
is "$HTTP_STATUS" 200 "sendmail hangs: webhook answered 200"
# No clock in the assertion (machines are noisy): when the answer is in,
# the message is still queued or being sent, never timed out, which a
# delivery before the answer would have waited for.
HL=$(sql "SELECT id FROM licenses WHERE subscription_id = '$SUB_H'")
st=$(sql "SELECT state || ' ' || attempts FROM outbox WHERE license_id = $HL")
check "sendmail hangs: answered while its message was still '$st'" \
    test "$st" = "pending 0" -o "$st" = "sending 1"
diag "sendmail hangs: answered in $t_ms ms (sendmail timeout 3 s)"
wait_until 50 test -s "$LH_TMP/hang.pid"
hang_pid=$(cat "$LH_TMP/hang.pid" 2>/dev/null)
isnt "$hang_pid" "" "sendmail hangs: the worker ran it after answering"
make_unhandled_event "$E.other"
post_event "$E.other"
is "$HTTP_STATUS" 200 "sendmail hangs: the other worker answers meanwhile"
wait_until 60 _dead "${hang_pid:-1}"
check "sendmail hangs: killed with what it started at the timeout" \
    _dead "${hang_pid:-1}"
is_pending() {
	[ "$(sql "SELECT state FROM outbox WHERE license_id = $HL")" = pending ]
}
wait_until 30 is_pending
like "$(sql "SELECT state || ' ' || attempts || ' ' || last_error
    FROM outbox WHERE license_id = $HL")" '^pending 1 timeout after 3 s$' \
    "sendmail hangs: pending again, attempt 1, timed out"
is "$(worker_pids | sort | tr '\n' ' ')" "$pids_before" \
    "sendmail hangs: the workers live on"
rm -f "$LH_TMP/FAKE_HANG"
make_unhandled_event "$E.other2"
post_event "$E.other2"
is "$HTTP_STATUS" 200 "after the hang: answered 200"
ctl --at $(($(date +%s) + 61)) deliver
is "$CTL_OUT" "1 sent, 0 failed" "after the hang: the message goes on retry"
is "$(spool_with '^To: hang@example.com$')" 1 "after the hang: sent once"

# ---- resend ------------------------------------------------------------------

ctl resend "$(echo "$KEY" | tr 'A-Z' 'a-z')"
is "$CTL_EXIT" 0 "resend KEY (any case): exit 0"
like "$CTL_OUT" '^[0-9]+$' "resend KEY: prints the outbox id"
keys=$(spool_with "^    $KEY\$")
ctl deliver
is "$CTL_OUT" "1 sent, 0 failed" "resend KEY: deliver sends it"
is "$(spool_with "^    $KEY\$")" $((keys + 1)) "resend KEY: one key message more"
ctl resend LH-NOPE-NOPE-NOPE-NOPE
is "$CTL_EXIT" 1 "resend an unknown key: exit 1"
like "$CTL_ERR" "no license has this key" "resend an unknown key: says so"
ctl resend "$BADKEY"
is "$CTL_EXIT" 1 "resend to an invalid address: exit 1"
like "$CTL_ERR" "not queued: invalid address" "resend to an invalid address: says why"

# ---- notices only an event brings: trial ending, reinstatement ---------------------

# Stripe's reminder three days before the trial ends, twice (two event
# ids, one trial end): one notice.
TEND=$((NOW + 3 * D))
for n in 1 2; do
	jq --arg id "evt_mail_trial_$(uniq_id)" --arg sub "$SUB" \
	    --arg cus "$CUS" --argjson now "$NOW" --argjson tend "$TEND" \
	    '.id = $id | .created = $now | .data.object.id = $sub
	    | .data.object.customer = $cus | .data.object.trial_end = $tend' \
	    "$top_srcdir/tests/fixtures/customer.subscription.trial_will_end.json" \
	    >"$E.trial$n" || bail_out "jq failed"
	post_event "$E.trial$n"
	is "$HTTP_STATUS" 200 "trial_will_end $n: answered 200"
done
is "$(sql "SELECT count(*) || ' ' || max(anchor) FROM outbox
    WHERE license_id = $LID AND notice = 'trial_ending'")" "1 $TEND" \
    "trial_will_end twice: one trial_ending notice, about the trial end"
trial_sent() {
	[ "$(spool_with '^Subject: Your Example Shop trial ends soon$')" -eq 1 ]
}
wait_until 50 trial_sent
is "$(spool_with '^Subject: Your Example Shop trial ends soon$')" 1 \
    "trial_ending sent by the worker"

# The failed payment made good: grace ends, the customer hears so once.
echo "invoice.paid id=evt_mail_paid_$(uniq_id) created=$((NOW + 1))" \
    "cus=$CUS in=in_mail_$(uniq_id) sub=$SUB price=price_PRO_M" \
    "pstart=$NOW pend=$((NOW + 30 * D)) reason=subscription_cycle" |
    sh "$GEN" old >"$E.paid.json" || bail_out "gen.sh failed"
post_event "$E.paid.json"
is "$HTTP_STATUS" 200 "invoice.paid after the failure: answered 200"
is "$(notices "$LID" reinstated)" 1 \
    "invoice.paid after the failure: reinstated queued"
reinstated_sent() {
	[ "$(spool_with '^Subject: Example Shop: your license works again$')" -eq 1 ]
}
wait_until 50 reinstated_sent
is "$(spool_with '^Subject: Example Shop: your license works again$')" 1 \
    "reinstated sent by the worker"
post_event "$E.paid.json"
is "$(notices "$LID" reinstated)" 1 "invoice.paid again (duplicate): nothing more"

# ---- a downgrade put in force ----------------------------------------------

# A plan change to a lower tier after the paid period ended (the key
# still works for the day of slack) takes effect at once: the customer
# hears of it once, whoever notices first, webhook or tick.
DG_CONF=$LH_TMP/downgrade.conf
sed 's/^\[tier basic\]$/[tier basic]\
prices = price_BASIC_M/' "$LH_CONF" >"$DG_CONF"
chmod 600 "$DG_CONF"
SUB_DG=sub_dg_$(uniq_id)
CUS_DG=cus_dg_$(uniq_id)
make_event "$E.dg0" session="cs_dg_$(uniq_id)" sub="$SUB_DG" \
    customer="$CUS_DG" email=dg@example.com name=Dee plan=pro
sh "$GEN" old >"$E.dg" <<EOF || bail_out "gen.sh failed"
set cus=$CUS_DG sub=$SUB_DG
customer.subscription.created id=evt_dg1_$(uniq_id) created=$((NOW - 60)) status=active price=price_PRO_M pstart=$((NOW - 30 * D)) pend=$((NOW - 100))
customer.subscription.updated id=evt_dg2_$(uniq_id) created=$((NOW - 50)) status=active price=price_BASIC_M pstart=$((NOW - 30 * D)) pend=$((NOW - 100))
EOF
LH_CONF_SAVED=$LH_CONF
LH_CONF=$DG_CONF
sed -n 1p "$E.dg" >"$E.dg1"
sed -n 2p "$E.dg" >"$E.dg2"
post_cgi "$E.dg0"
is "$HTTP_STATUS" 200 "downgrade: the pro checkout answered 200"
post_cgi "$E.dg1"
is "$HTTP_STATUS" 200 "downgrade: the pro subscription answered 200"
DG=$(sql "SELECT id FROM licenses WHERE subscription_id = '$SUB_DG'")
post_cgi "$E.dg2"
is "$HTTP_STATUS" 200 "downgrade: the change to basic answered 200"
is "$(sql "SELECT eff_tier FROM licenses WHERE id = $DG")" basic \
    "downgrade: in force at once (the period had ended)"
is "$(notices "$DG" downgraded)" 1 "downgrade: one downgraded notice queued"
post_cgi "$E.dg2"
ctl tick
is "$(notices "$DG" downgraded)" 1 \
    "downgrade: a duplicate event and a tick queue nothing more"
LH_CONF=$LH_CONF_SAVED

# ---- mail off --------------------------------------------------------------------

write_config "$LH_TMP/nomail.conf"
"$LH_CTL" -c "$LH_TMP/nomail.conf" deliver >"$LH_TMP/ctl.out" 2>&1
is "$?" 1 "deliver with mail off: exit 1"
like "$(cat "$LH_TMP/ctl.out")" "mail is off" "deliver with mail off: says so"
outbox_rows=$(count outbox)
"$LH_CTL" -c "$LH_TMP/nomail.conf" tick >"$LH_TMP/ctl.out" 2>&1
like "$(cat "$LH_TMP/ctl.out")" '^[0-9]+ licenses? changed$' \
    "tick with mail off: says what changed"
unlike "$(cat "$LH_TMP/ctl.out")" "notice" "tick with mail off: no notice line"
is "$(count outbox)" "$outbox_rows" "tick with mail off: queues nothing"

if [ -n "$LH_VG" ]; then
	skip "valgrind: memcheck on repeated licensectl runs" \
	    "$CTL_NATIVE repeats ran without it; each distinct command line ran under it once"
fi
done_testing
