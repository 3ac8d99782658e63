#!/bin/sh
#
# webhook.sh: Stripe webhooks through real nginx (the shipped snippet,
# unchanged) and licensehook workers under spawn-fcgi + multiwatch.
# TAP.  Needs nginx, spawn-fcgi, multiwatch, curl, openssl and sqlite3;
# skips itself when any is missing.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e

SECRET2=whsec_e2e_rotated_$(uniq_id)
UNKNOWN_SECRET=whsec_e2e_unknown_$(uniq_id)
LH_SECRETS="$LH_SECRET $SECRET2"
LH_BODY_LIMIT=4096
# A second mount of the same workers under a path prefix, as an admin
# would write it: licensehook routes on the end of REQUEST_URI.
LH_NGINX_SERVER_EXTRA='location /billing/api/v1/ {
			include fastcgi_params;
			fastcgi_pass licensehook;
		}'
write_config "$LH_CONF"
start_workers || bail_out "cannot start licensehook under spawn-fcgi"
start_nginx || bail_out "cannot start nginx"
diag "nginx on $LH_BASE, workers $(worker_pids | tr '\n' ' ')"

E=$LH_TMP/event

# Row counts, to show that a rejected request stored nothing.
snapshot() {
	_snap="$(count events) $(count licenses) $(count customers) $(count audit)"
}
nothing_stored() {
	is "$(count events) $(count licenses) $(count customers) $(count audit)" \
	    "$_snap" "$1: nothing stored"
}

# error_is CODE DESC: the last answer is a JSON error with that code.
error_is() {
	like "$HTTP_BODY" "^\\{\"error\":\"$1\",\"message\":\"[^\"]+\"\\}\$" \
	    "$2: JSON error $1"
}

hex_of() {
	od -An -v -tx1 "$1" | tr -d ' \n' | tr abcdef ABCDEF
}

# ---- a valid checkout.session.completed ------------------------------------

sess=cs_test_$(uniq_id)
sub=sub_$(uniq_id)
evt=evt_test_$(uniq_id)
make_event "$E.valid" id="$evt" session="$sess" sub="$sub"
post_event "$E.valid"
is "$HTTP_STATUS" 200 "valid checkout: 200"
is "$(json_compact "$HTTP_BODY")" '{"received":true}' \
    'valid checkout: {"received":true}'
like "$(header Content-Type)" '^application/json' \
    "valid checkout: Content-Type application/json"
is "$(count events)" 1 "valid checkout: one events row"
is "$(sql "SELECT provider, type, livemode, outcome FROM events
    WHERE id = '$evt';")" "stripe|checkout.session.completed|0|created" \
    "valid checkout: event recorded with outcome created"
is "$(sql "SELECT hex(body) FROM events WHERE id = '$evt';")" \
    "$(hex_of "$E.valid")" "valid checkout: raw body stored byte for byte"
is "$(count licenses)" 1 "valid checkout: one license"
key=$(sql "SELECT key FROM licenses WHERE checkout_session_id = '$sess';")
like "$key" "$LH_KEY_ERE" "valid checkout: key has the configured shape"
is "$(sql "SELECT provider, subscription_id, tier, status, livemode
    FROM licenses WHERE checkout_session_id = '$sess';")" \
    "stripe|$sub|basic|active|0" \
    "valid checkout: license for the subscription, default tier, active"
is "$(count customers)" 1 "valid checkout: one customer"
is "$(sql "SELECT provider, provider_customer_id, email, name
    FROM customers;")" \
    "stripe|cus_M5wW9RPFk9xNZ5|chris@gorails.com|Chris Oliver" \
    "valid checkout: customer from customer_details"
is "$(sql "SELECT count(*) FROM licenses l JOIN customers c
    ON l.customer_id = c.id JOIN events e ON e.license_id = l.id
    WHERE e.id = '$evt';")" 1 \
    "valid checkout: event -> license -> customer linked"
is "$(sql "SELECT count(*) FROM audit a JOIN licenses l
    ON a.license_id = l.id WHERE l.key = '$key'
    AND a.new_status = 'active' AND a.new_tier = 'basic';")" 1 \
    "valid checkout: creation audited"
lic1=$(sql "SELECT id FROM licenses WHERE key = '$key';")

# ---- replays ---------------------------------------------------------------

# Stripe resends the same event (same id, same body) on any non-2xx or
# timeout; it is signed afresh each time.
post_event "$E.valid"
is "$HTTP_STATUS" 200 "same event again: 200"
is "$(json_compact "$HTTP_BODY")" '{"received":true,"duplicate":true}' \
    "same event again: duplicate:true"
is "$(count events) $(count licenses)" "1 1" \
    "same event again: still one event and one license"

evt2=evt_test_$(uniq_id)
make_event "$E.again" id="$evt2" session="$sess" sub="$sub"
post_event "$E.again"
is "$HTTP_STATUS" 200 "same session, new event id: 200"
is "$(json_compact "$HTTP_BODY")" '{"received":true}' \
    "same session, new event id: received"
is "$(count licenses)" 1 "same session, new event id: still one license"
is "$(sql "SELECT outcome, license_id FROM events WHERE id = '$evt2';")" \
    "exists|$lic1" \
    "same session, new event id: outcome exists, linked to the license"

make_event "$E.samesub" sub="$sub"
post_event "$E.samesub"
is "$HTTP_STATUS" 200 "same subscription, new session: 200"
is "$(count licenses)" 1 "same subscription, new session: still one license"

# ---- tiers -----------------------------------------------------------------

# tier_case DESC WANT-TIER MAKE_EVENT-ARGS...
tier_case() {
	_tc_desc=$1
	_tc_want=$2
	shift 2
	_tc_sess=cs_test_$(uniq_id)
	make_event "$E.tier" session="$_tc_sess" "$@"
	post_event "$E.tier"
	is "$HTTP_STATUS $(sql "SELECT tier FROM licenses
	    WHERE checkout_session_id = '$_tc_sess';")" "200 $_tc_want" \
	    "tier from $_tc_desc"
}
tier_case "metadata.plan (tier name)" pro plan=pro
tier_case "metadata.plan (tier name, other case)" pro plan=PRO
tier_case "metadata.plan (price id, other case)" pro plan=PRICE_pro_y
tier_case "metadata.tier" pro tier=pro
tier_case "client_reference_id" pro ref=price_PRO_M
tier_case "[tiers] default without any hint" basic

# ---- signatures ------------------------------------------------------------

make_event "$E.rot"
post_event "$E.rot" "$SECRET2"
is "$HTTP_STATUS" 200 "signed with the second (rotated) secret: 200"

snapshot
make_event "$E.sig"
post_event "$E.sig" "$UNKNOWN_SECRET"
is "$HTTP_STATUS" 401 "signed with an unknown secret: 401"
error_is bad_signature "signed with an unknown secret"
nothing_stored "signed with an unknown secret"

make_event "$E.other"
sig=$(signature "$E.sig")
post_raw "$E.other" -H "Stripe-Signature: $sig"
is "$HTTP_STATUS" 401 "signature of another body: 401"
nothing_stored "signature of another body"

post_raw "$E.sig"
is "$HTTP_STATUS" 401 "no Stripe-Signature header: 401"
error_is missing_signature "no Stripe-Signature header"

now=$(date +%s)
v1=$(signature "$E.sig" "" "$now" | sed 's/^.*v1=//')
post_raw "$E.sig" -H "Stripe-Signature: v1=$v1"
is "$HTTP_STATUS" 400 "header without t=: 400"
error_is malformed_signature_header "header without t="
post_raw "$E.sig" -H "Stripe-Signature: t=12ab,v1=$v1"
is "$HTTP_STATUS" 400 "header with a non-numeric t: 400"
post_raw "$E.sig" -H "Stripe-Signature: t=$now,v0=$v1"
is "$HTTP_STATUS" 401 "header without v1=: 401"
error_is no_v1_signature "header without v1="
post_raw "$E.sig" -H "Stripe-Signature: t=$now,v1=0000,v1=$v1"
is "$HTTP_STATUS" 200 "header with two v1, the second matching: 200"
snapshot

# Tolerance 300.  The clock may tick between "now" here and licensehook's
# check, which moves a stale timestamp further out but a future one
# closer in: now-301 is always stale, now+301 might pass, so use now+305.
now=$(date +%s)
post_event "$E.other" "" $((now - 301))
is "$HTTP_STATUS" 401 "timestamp now-301 (tolerance 300): 401"
error_is stale_timestamp "timestamp now-301"
post_event "$E.other" "" $((now + 305))
is "$HTTP_STATUS" 401 "timestamp now+305: 401"
error_is future_timestamp "timestamp now+305"
nothing_stored "timestamps outside the tolerance"
post_event "$E.other" "" $((now - 290))
is "$HTTP_STATUS" 200 "timestamp now-290: 200"
make_event "$E.future"
post_event "$E.future" "" $((now + 290))
is "$HTTP_STATUS" 200 "timestamp now+290: 200"

# ---- body size -------------------------------------------------------------

make_event "$E.4096" pad=4096
post_event "$E.4096"
is "$HTTP_STATUS $(wc -c <"$E.4096" | tr -d ' ')" "200 4096" \
    "body of exactly body_limit (4096) bytes: 200"
snapshot
make_event "$E.4097" pad=4097
post_event "$E.4097"
is "$HTTP_STATUS" 413 "body of body_limit+1 bytes: 413 from licensehook"
error_is body_too_large "body of body_limit+1 bytes"
nothing_stored "body of body_limit+1 bytes"

# Over client_max_body_size (1m): nginx answers itself, in JSON.
awk 'BEGIN { printf "{\"pad\":\""; for (i = 0; i < 1100000; i++)
    printf "x"; printf "\"}" }' >"$E.huge"
post_event "$E.huge"
LH_REQUESTS=$((LH_REQUESTS - 1))	# never reached licensehook
is "$HTTP_STATUS" 413 "body over nginx's client_max_body_size: 413"
error_is body_too_large "body over client_max_body_size (nginx's own page)"

# nginx turns a chunked request into one with a CONTENT_LENGTH.
make_event "$E.chunked"
post_raw "$E.chunked" -H "Stripe-Signature: $(signature "$E.chunked")" \
    -H 'Transfer-Encoding: chunked'
is "$HTTP_STATUS" 200 "chunked request body: 200"

# ---- bad JSON and bad fields ---------------------------------------------------

snapshot
printf '{"id": "evt_test_broken", "object": "event", "type": ' >"$E.broken"
post_event "$E.broken"
is "$HTTP_STATUS" 400 "truncated JSON, valid signature: 400"
error_is invalid_json "truncated JSON"
make_event "$E.trail"
printf 'x' >>"$E.trail"
post_event "$E.trail"
is "$HTTP_STATUS" 400 "event followed by garbage: 400"
error_is invalid_json "event followed by garbage"
printf '[1, 2, 3]\n' >"$E.array"
post_event "$E.array"
is "$HTTP_STATUS" 400 "a JSON array: 400"
make_event "$E.type" livemode='"false"'
post_event "$E.type"
is "$HTTP_STATUS" 400 "livemode as a string: 400"
error_is invalid_event "livemode as a string"
make_event "$E.type2" created='"yesterday"'
post_event "$E.type2"
is "$HTTP_STATUS" 400 "created as a string: 400"
nothing_stored "bad JSON and bad fields"

# ---- events recorded and ignored -------------------------------------------

uevt=evt_test_$(uniq_id)
make_unhandled_event "$E.unhandled" "$uevt"
post_event "$E.unhandled"
is "$HTTP_STATUS" 200 "unhandled type (plan.created): 200"
is "$(json_compact "$HTTP_BODY")" \
    '{"received":true,"ignored":"unhandled_type"}' \
    "unhandled type: ignored unhandled_type"
is "$(sql "SELECT type, outcome, coalesce(license_id, 0) FROM events
    WHERE id = '$uevt';")" "plan.created|ignored:unhandled_type|0" \
    "unhandled type: events row ignored:unhandled_type, no license"

# ignored_case REASON DESC MAKE_EVENT-ARGS...
ignored_case() {
	_ic_reason=$1
	_ic_desc=$2
	shift 2
	_ic_evt=evt_test_$(uniq_id)
	_ic_licenses=$(count licenses)
	make_event "$E.ignored" id="$_ic_evt" "$@"
	post_event "$E.ignored"
	is "$HTTP_STATUS $(json_compact "$HTTP_BODY")" \
	    "200 {\"received\":true,\"ignored\":\"$_ic_reason\"}" \
	    "$_ic_desc: 200 ignored $_ic_reason"
	is "$(sql "SELECT outcome FROM events WHERE id = '$_ic_evt';") \
$(count licenses)" "ignored:$_ic_reason $_ic_licenses" \
	    "$_ic_desc: recorded as ignored, no license"
}
ignored_case livemode_mismatch "live event, test mode" livemode=true
ignored_case not_paid "unpaid checkout" payment_status=unpaid
ignored_case not_a_purchase "setup-mode checkout" mode=setup sub=null \
    payment_status=no_payment_required

# ---- routing ---------------------------------------------------------------

http GET "$LH_PATH"
is "$HTTP_STATUS" 405 "GET: 405"
is "$(header Allow)" POST "GET: Allow: POST"
error_is method_not_allowed "GET"
http PUT "$LH_PATH" --data-binary "@$E.valid"
is "$HTTP_STATUS" 405 "PUT: 405"
http POST /api/v1/webhooks/paddle --data-binary "@$E.valid"
is "$HTTP_STATUS" 404 "unknown path under /api/v1/: 404"
error_is not_found "unknown path under /api/v1/"
http GET /api/v1/
is "$HTTP_STATUS" 404 "GET /api/v1/: 404"

make_event "$E.query"
LH_PATH="/api/v1/webhooks/stripe?source=stripe"
post_event "$E.query"
is "$HTTP_STATUS" 200 "path with a query string: 200"

psess=cs_test_$(uniq_id)
make_event "$E.prefix" session="$psess"
LH_PATH=/billing/api/v1/webhooks/stripe
post_event "$E.prefix"
is "$HTTP_STATUS" 200 "mounted under /billing: 200"
is "$(count licenses "checkout_session_id = '$psess'")" 1 \
    "mounted under /billing: license created"
LH_PATH=/api/v1/webhooks/stripe

# ---- no default tier ---------------------------------------------------------

LH_DEFAULT_TIER=
write_config "$LH_TMP/nodefault.conf"
stop_workers

# With no worker listening nginx answers 502 itself, in JSON.
snapshot
make_event "$E.down"
post_event "$E.down"
LH_REQUESTS=$((LH_REQUESTS - 1))
is "$HTTP_STATUS" 502 "no worker listening: 502 from nginx"
error_is bad_gateway "no worker listening"

start_workers "$LH_TMP/nodefault.conf" ||
    bail_out "cannot restart licensehook with nodefault.conf"
make_event "$E.gold" plan=gold
post_event "$E.gold"
is "$HTTP_STATUS" 500 "unknown tier, no default: 500"
error_is unknown_tier "unknown tier, no default"
make_event "$E.nohint"
post_event "$E.nohint"
is "$HTTP_STATUS" 500 "no tier hint, no default: 500"
nothing_stored "unknown tier"
make_event "$E.pro" plan=pro
post_event "$E.pro"
is "$HTTP_STATUS" 200 "known tier, no default: 200"

# ---- the log -----------------------------------------------------------------

wait_until 20 test "$(log_lines)" -ge "$LH_REQUESTS"
is "$(log_lines)" "$LH_REQUESTS" "log: one line per request"
like "$(grep -F "event=$evt " "$LH_LOG" | head -1)" \
    " 200 .*outcome=created" "log: the first event's line has status and outcome"
like "$(grep -F "event=$evt " "$LH_LOG" | sed -n 2p)" \
    " 200 .*outcome=duplicate" "log: the replay is logged as a duplicate"
like "$(cat "$LH_LOG")" ' 401 .*error=bad_signature' \
    "log: a rejected request logs its error code"
leaks=
for s in $LH_SECRETS $UNKNOWN_SECRET; do
	grep -qF "$s" "$LH_LOG" "$LH_TMP/workers.out" \
	    "$LH_NGINX_DIR/error.log" && leaks="$leaks secret"
done
for k in $(sql "SELECT key FROM licenses;"); do
	grep -qF "$k" "$LH_LOG" "$LH_TMP/workers.out" \
	    "$LH_NGINX_DIR/error.log" && leaks="$leaks key:$k"
done
is "$leaks" "" "log: no secret and no whole license key"
is "$(count licenses)" "$(sql "SELECT count(DISTINCT key) FROM licenses;")" \
    "all keys distinct"

done_testing
