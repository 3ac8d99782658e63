#!/bin/sh
#
# cli.sh: licensectl against a store filled through the real responder
# (plain CGI, no web server): list, show, events, tick, --json, --at and
# the exit statuses.  TAP.  Needs openssl and sqlite3.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build
require_cmd openssl sqlite3

write_config "$LH_CONF"
E=$LH_TMP/event
URI=/api/v1/webhooks/stripe

ctl() {
	"$LH_CTL" -c "$LH_CONF" "$@" >"$LH_TMP/ctl.out" 2>"$LH_TMP/ctl.err"
	CTL_EXIT=$?
	CTL_OUT=$(cat "$LH_TMP/ctl.out")
	CTL_ERR=$(cat "$LH_TMP/ctl.err")
}

post() {
	cgi_request POST "$URI" "$1" HTTP_STRIPE_SIGNATURE="$(signature "$1")"
}

# ---- an empty store ----------------------------------------------------

ctl list
is "$CTL_EXIT" 1 "list before any request: no database yet, exit 1"
like "$CTL_ERR" "database" "list before any request: says why"

# ---- two purchases -------------------------------------------------------

make_event "$E.1" id=evt_cli_1 session=cs_cli_1 sub=sub_cli_1 \
    customer=cus_cli_1 email=ada@example.com name="Ada Lovelace" plan=pro
post "$E.1"
is "$HTTP_STATUS" 200 "first purchase answered 200"
make_event "$E.2" id=evt_cli_2 session=cs_cli_2 sub=sub_cli_2 \
    customer=cus_cli_2 email=alan@example.com name="Alan Turing"
post "$E.2"
is "$HTTP_STATUS" 200 "second purchase answered 200"
key1=$(sql "SELECT key FROM licenses WHERE subscription_id = 'sub_cli_1'")
key2=$(sql "SELECT key FROM licenses WHERE subscription_id = 'sub_cli_2'")

ctl list
is "$CTL_EXIT" 0 "list: exit 0"
like "$(echo "$CTL_OUT" | head -1)" '^KEY +TIER +STATUS +CREATED +EXPIRES +EMAIL' \
    "list: header row"
is "$(echo "$CTL_OUT" | sed 1d | wc -l | tr -d ' ')" 2 "list: one row per license"
like "$(echo "$CTL_OUT" | sed -n 2p)" "^$key2 +basic +active .*alan@example.com\$" \
    "list: newest first, with tier, status and email"
like "$(echo "$CTL_OUT" | sed -n 3p)" "^$key1 +pro +active " \
    "list: the pro purchase"

ctl -n 1 list
is "$(echo "$CTL_OUT" | sed 1d | wc -l | tr -d ' ')" 1 "-n 1 list: one row"

for q in "$key1" "$(echo "$key1" | tr 'A-Z' 'a-z')" ada@example.com \
    ADA@EXAMPLE.COM cus_cli_1 sub_cli_1; do
	ctl show "$q"
	is "$CTL_EXIT" 0 "show $q: exit 0"
	like "$CTL_OUT" "key: +$key1" "show $q: finds the license"
done
ctl show ada@example.com
like "$CTL_OUT" "name: +Ada Lovelace" "show: customer name"
like "$CTL_OUT" "tier: +pro" "show: tier"
like "$CTL_OUT" "status: +active \\(valid\\)" "show: status and validity"
unlike "$CTL_OUT" "$key2" "show: only the matching license"

ctl show nobody@example.com
is "$CTL_EXIT" 1 "show with no match: exit 1"
like "$CTL_ERR" "no license matches" "show with no match: says so"

ctl --json show "$key1"
is "$CTL_EXIT" 0 "--json show: exit 0"
json=$(json_compact "$CTL_OUT")
like "$json" "\"key\":\"$key1\"" "--json show: key"
like "$json" '"status":"active"' "--json show: status"
like "$json" '"valid":true' "--json show: valid"
like "$json" '"tier":"pro"' "--json show: tier"
like "$json" '"email":"ada@example.com"' "--json show: email"
like "$json" '"subscription_id":"sub_cli_1"' "--json show: subscription"

ctl --json list
like "$(json_compact "$CTL_OUT")" '^\[\{.*\},\{.*\}\]$' \
    "--json list: an array of two objects"

ctl events
is "$CTL_EXIT" 0 "events: exit 0"
like "$(echo "$CTL_OUT" | head -1)" '^RECEIVED +EVENT +TYPE +OUTCOME +LICENSE' \
    "events: header row"
like "$CTL_OUT" "evt_cli_1 +checkout.session.completed +created +$key1" \
    "events: the purchase, its outcome and license"

ctl --json events
like "$(json_compact "$CTL_OUT")" '"id":"evt_cli_2","type":"checkout.session.completed","outcome":"created"' \
    "--json events: id, type, outcome"

# ---- tick and --at -------------------------------------------------------

ctl tick
is "$CTL_EXIT" 0 "tick: exit 0"
is "$CTL_OUT" "0 licenses changed" "tick: nothing moved on by itself"
audit=$(count audit)

# A subscription-mode checkout has no period end until its invoice comes;
# give license 1 one in the past to see time move it on.
sql "UPDATE licenses SET period_end = 1000000000 WHERE key = '$key1'"
ctl --at 1000000000 show "$key1"
like "$CTL_OUT" "status: +active" "--at the period end: still active"
ctl --at 1000086401 show "$key1"
like "$CTL_OUT" "status: +expired" "--at a day (the slack) and a second later: expired"
ctl tick
is "$CTL_OUT" "1 license changed" "tick: records the expiry"
is "$(count audit)" "$((audit + 1))" "tick: one audit row more"
is "$(sql "SELECT cause || ' ' || old_status || ' ' || new_status FROM audit ORDER BY id DESC LIMIT 1")" \
    "tick active expired" "tick: the audit row says what changed and why"
ctl tick
is "$CTL_OUT" "0 licenses changed" "tick again: idempotent"

# ---- usage ----------------------------------------------------------------

ctl frobnicate
is "$CTL_EXIT" 2 "unknown command: exit 2"
like "$CTL_ERR" "usage:" "unknown command: usage"
ctl -n x list
is "$CTL_EXIT" 2 "-n x: exit 2"
ctl --at yesterday show "$key1"
is "$CTL_EXIT" 2 "--at yesterday: exit 2"
"$LH_CTL" --help >"$LH_TMP/ctl.out" 2>&1
is "$?" 0 "--help: exit 0"
like "$(cat "$LH_TMP/ctl.out")" "tick" "--help: lists tick"

done_testing
