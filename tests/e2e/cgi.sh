#!/bin/sh
#
# cgi.sh: licensehook as a plain CGI program (RFC 3875), no web server:
# the request in the environment, the body on standard input, the answer
# with a Status: header on standard output.  TAP.  Needs openssl and
# sqlite3.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build
require_cmd openssl sqlite3

write_config "$LH_CONF"
E=$LH_TMP/event
URI=/api/v1/webhooks/stripe

# cgi_event FILE [SECRET] [TIMESTAMP] [VAR=VALUE...]: POST FILE, signed.
cgi_event() {
	_ce_file=$1
	_ce_sig=$(signature "$1" "${2:-}" "${3:-}")
	shift
	[ $# -eq 0 ] || shift
	[ $# -eq 0 ] || shift
	cgi_request POST "$URI" "$_ce_file" HTTP_STRIPE_SIGNATURE="$_ce_sig" "$@"
}

error_is() {
	like "$HTTP_BODY" "^\\{\"error\":\"$1\",\"message\":\"[^\"]+\"\\}\$" \
	    "$2: JSON error $1"
}

# ---- a purchase ------------------------------------------------------------

evt=evt_test_$(uniq_id)
sess=cs_test_$(uniq_id)
make_event "$E.valid" id="$evt" session="$sess" plan=pro
cgi_event "$E.valid"
is "$CGI_EXIT" 0 "valid event: exit status 0"
like "$(head -1 "$LH_TMP/http.headers")" '^Status: 200( |$)' \
    "valid event: Status: 200 is the first header"
like "$(header Content-Type)" '^application/json' \
    "valid event: Content-Type application/json"
is "$(json_compact "$HTTP_BODY")" '{"received":true}' \
    'valid event: {"received":true}'
is "$(sql "SELECT outcome FROM events WHERE id = '$evt';")" created \
    "valid event: recorded as created"
is "$(sql "SELECT tier FROM licenses WHERE checkout_session_id = '$sess';")" \
    pro "valid event: pro license"

cgi_event "$E.valid"
is "$HTTP_STATUS $(json_compact "$HTTP_BODY")" \
    '200 {"received":true,"duplicate":true}' "same event again: duplicate"
is "$(count licenses)" 1 "same event again: still one license"

# Apache's way: SCRIPT_NAME is the CGI program, PATH_INFO the rest.
make_event "$E.apache"
cgi_request POST /cgi-bin/licensehook.cgi/api/v1/webhooks/stripe "$E.apache" \
    HTTP_STRIPE_SIGNATURE="$(signature "$E.apache")" \
    SCRIPT_NAME=/cgi-bin/licensehook.cgi PATH_INFO=/api/v1/webhooks/stripe
is "$HTTP_STATUS" 200 "under /cgi-bin/licensehook.cgi with PATH_INFO: 200"

make_event "$E.noreq"
cgi_request POST "$URI" "$E.noreq" \
    HTTP_STRIPE_SIGNATURE="$(signature "$E.noreq")" \
    REQUEST_URI= SCRIPT_NAME=/cgi-bin/lh PATH_INFO=/api/v1/webhooks/stripe
is "$HTTP_STATUS" 200 "no REQUEST_URI, SCRIPT_NAME + PATH_INFO: 200"

make_unhandled_event "$E.unhandled"
cgi_event "$E.unhandled"
is "$HTTP_STATUS $(json_compact "$HTTP_BODY")" \
    '200 {"received":true,"ignored":"unhandled_type"}' \
    "unhandled type: 200 ignored"

# ---- refused ---------------------------------------------------------------

before=$(count events)

cgi_request GET "$URI"
is "$HTTP_STATUS" 405 "GET: Status: 405"
is "$(header Allow)" POST "GET: Allow: POST"
error_is method_not_allowed "GET"
is "$CGI_EXIT" 0 "GET: a refused request is not a failed run (exit 0)"

cgi_request POST /api/v1/webhooks/nope "$E.valid" \
    HTTP_STRIPE_SIGNATURE="$(signature "$E.valid")"
is "$HTTP_STATUS" 404 "unknown path: Status: 404"
error_is not_found "unknown path"

make_event "$E.nosig"
cgi_request POST "$URI" "$E.nosig"
is "$HTTP_STATUS" 401 "no HTTP_STRIPE_SIGNATURE: Status: 401"
error_is missing_signature "no HTTP_STRIPE_SIGNATURE"

cgi_event "$E.nosig" whsec_not_the_configured_one
is "$HTTP_STATUS" 401 "wrong secret: Status: 401"
error_is bad_signature "wrong secret"

cgi_event "$E.nosig" "" $(($(date +%s) - 301))
is "$HTTP_STATUS" 401 "stale timestamp: Status: 401"

cgi_event "$E.nosig" "" "" -CONTENT_LENGTH
is "$HTTP_STATUS" 411 "no CONTENT_LENGTH: Status: 411"
error_is length_required "no CONTENT_LENGTH"

cgi_event "$E.nosig" "" "" CONTENT_LENGTH=12x
is "$HTTP_STATUS" 400 "CONTENT_LENGTH 12x: Status: 400"
error_is bad_content_length "CONTENT_LENGTH 12x"

cgi_event "$E.nosig" "" "" CONTENT_LENGTH=-1
is "$HTTP_STATUS" 400 "CONTENT_LENGTH -1: Status: 400"

cgi_event "$E.nosig" "" "" CONTENT_LENGTH=1048577
is "$HTTP_STATUS" 413 "CONTENT_LENGTH over body_limit: Status: 413"
error_is body_too_large "CONTENT_LENGTH over body_limit"

len=$(wc -c <"$E.nosig" | tr -d ' ')
cgi_event "$E.nosig" "" "" CONTENT_LENGTH=$((len + 10))
is "$HTTP_STATUS" 400 "body shorter than CONTENT_LENGTH: Status: 400"

is "$(count events)" "$before" "refused requests stored nothing"

# ---- the log ---------------------------------------------------------------

is "$(log_lines)" "$LH_REQUESTS" "log: one line per request"
leaks=
grep -qF "$LH_SECRET" "$LH_LOG" "$LH_TMP/cgi.err" && leaks="secret"
for k in $(sql "SELECT key FROM licenses;"); do
	grep -qF "$k" "$LH_LOG" && leaks="$leaks key"
done
is "$leaks" "" "log: no secret and no whole license key"

done_testing
