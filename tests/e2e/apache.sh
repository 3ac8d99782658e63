#!/bin/sh
#
# apache.sh: Stripe webhooks through a real Apache 2.4, once per way of
# running licensehook under it, each with its shipped snippet included
# unchanged:
#
#   proxy_fcgi  apache/licensehook.conf: mod_proxy_fcgi to workers under
#               spawn-fcgi + multiwatch
#   fcgid       apache/licensehook-fcgid.conf: mod_fcgid starts the workers
#   cgi         apache/licensehook-cgi.conf: mod_cgi, one process a request
#
# Apache's children run as www-data, so each mode gets a database
# directory owned by www-data and a configuration file root:www-data 0640,
# as licensehook(8) says to set them up.  TAP.  Needs apache2 with
# mod_proxy_fcgi, mod_fcgid and mod_cgi (Debian: apache2,
# libapache2-mod-fcgid), spawn-fcgi, multiwatch, curl, openssl, sqlite3;
# a mode whose pieces are missing is skipped.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build
require_cmd curl openssl sqlite3
require_apache

AUSER=$LH_APACHE_USER
E=$LH_TMP/event
ROUTE=/api/v1/webhooks/stripe
LIMIT=1048576		# body_limit, LimitRequestBody, FcgidMaxRequestLen

# Apache's children must reach the scratch directory (traverse only), the
# configuration and the program.
if [ "$(id -u)" -eq 0 ]; then
	chgrp "$AUSER" "$LH_TMP" && chmod 0710 "$LH_TMP" ||
	    bail_out "cannot open $LH_TMP to $AUSER"
fi
BIN=$LH_BIN
if ! as_apache_user "$LH_BIN_REAL" -V >/dev/null 2>&1; then
	# The build tree is not reachable for www-data (a home directory):
	# run a copy (under LH_VALGRIND, through a wrapper of its own).
	mkdir -p "$LH_TMP/bin" &&
	    cp "$LH_BIN_REAL" "$LH_TMP/bin/licensehook" &&
	    chmod 0755 "$LH_TMP/bin" "$LH_TMP/bin/licensehook" ||
	    bail_out "cannot copy $LH_BIN_REAL"
	BIN=$(vg_wrap "$LH_TMP/bin/licensehook") ||
	    bail_out "cannot wrap $LH_TMP/bin/licensehook"
	as_apache_user "$BIN" -V >/dev/null 2>&1 ||
	    bail_out "$AUSER cannot run $BIN"
fi

error_is() {
	like "$HTTP_BODY" "^\\{\"error\":\"$1\",\"message\":\"[^\"]+\"\\}\$" \
	    "$2: JSON error $1"
}

# pad_event FILE N: pad FILE (an event from make_event) to exactly N
# bytes with an extra field, as make_event pad=N does for small N (its
# padding goes through awk's argument list, which cannot hold 1 MiB).
pad_event() {
	_pe_size=$(wc -c <"$1" | tr -d ' ')
	_pe_need=$(($2 - _pe_size - 15))	# '  "x_pad": "",' and newline
	head -c "$_pe_need" /dev/zero | tr '\0' x >"$1.pad"
	echo >>"$1.pad"
	awk -v padfile="$1.pad" '{ print }
	    !done && /^  "object": "event",$/ {
		getline pad <padfile
		printf "  \"x_pad\": \"%s\",\n", pad; done = 1 }' \
	    "$1" >"$1.tmp" && mv "$1.tmp" "$1" && rm -f "$1.pad"
	[ "$(wc -c <"$1" | tr -d ' ')" -eq "$2" ]
}

rows() {
	echo "$(count events) $(count licenses)"
}

# setup_mode MODE: a fresh database directory and configuration for MODE.
setup_mode() {
	_sm_dir=$LH_TMP/$1
	mkdir -p "$_sm_dir"
	if [ "$(id -u)" -eq 0 ]; then
		chown "$AUSER:$AUSER" "$_sm_dir"
	fi
	chmod 0750 "$_sm_dir"
	LH_DB=$_sm_dir/licensehook.db
	LH_LOG=$_sm_dir/licensehook.log
	LH_CONF=$LH_TMP/$1.conf
	LH_BODY_LIMIT=$LIMIT
	write_config "$LH_CONF"
	if [ "$(id -u)" -eq 0 ]; then
		chgrp "$AUSER" "$LH_CONF"
	fi
	chmod 0640 "$LH_CONF"
	LH_APACHE_EXTRA="Define LICENSEHOOK_BIN $BIN
Define LICENSEHOOK_CONF $LH_CONF"
}

# run_mode MODE: the same requests through whichever way MODE runs it.
run_mode() {
	_m=$1
	diag "$_m: Apache on $LH_BASE"

	sess=cs_test_$(uniq_id)
	evt=evt_test_$(uniq_id)
	make_event "$E.$_m" id="$evt" session="$sess"
	post_event "$E.$_m"
	is "$HTTP_STATUS $(json_compact "$HTTP_BODY")" '200 {"received":true}' \
	    "$_m: signed checkout event: 200 received"
	is "$(count licenses "checkout_session_id = '$sess'") $(count events \
	    "id = '$evt' AND outcome = 'created'")" "1 1" \
	    "$_m: one license and its event stored"
	like "$(header Content-Type)" '^application/json' \
	    "$_m: answer is licensehook's (application/json)"

	post_event "$E.$_m"
	is "$HTTP_STATUS $(json_compact "$HTTP_BODY")" \
	    '200 {"received":true,"duplicate":true}' \
	    "$_m: same event again: duplicate:true"

	before=$(rows)
	make_event "$E.$_m.bad"
	post_event "$E.$_m.bad" whsec_not_the_configured_one
	is "$HTTP_STATUS" 401 "$_m: bad signature: 401"
	error_is bad_signature "$_m: bad signature"
	# The header is what licensehook checks: without it the same body
	# is refused for lack of a signature, so HTTP_STRIPE_SIGNATURE got
	# through above.
	post_raw "$E.$_m.bad"
	is "$HTTP_STATUS" 401 "$_m: no Stripe-Signature header: 401"
	error_is missing_signature "$_m: no Stripe-Signature header"
	is "$(rows)" "$before" "$_m: refused requests stored nothing"

	http GET "$ROUTE"
	is "$HTTP_STATUS $(header Allow)" "405 POST" "$_m: GET: 405, Allow: POST"

	# The license API routes reach licensehook too: without [api] it
	# answers them itself, with its JSON 404 (Apache's would be HTML).
	http POST "${ROUTE%/webhooks/stripe}/licenses/validate" \
	    -H 'Content-Type: application/json' --data-binary '{}'
	error_is not_found "$_m: /api/v1/licenses/validate reaches licensehook"

	make_event "$E.$_m.query"
	_q_sig=$(signature "$E.$_m.query")
	http POST "$ROUTE?from=apache" -H 'Content-Type: application/json' \
	    -H "Stripe-Signature: $_q_sig" --data-binary "@$E.$_m.query"
	is "$HTTP_STATUS" 200 "$_m: with a query string: 200"

	make_event "$E.$_m.max" && pad_event "$E.$_m.max" $LIMIT ||
	    bail_out "cannot pad an event to $LIMIT bytes"
	post_event "$E.$_m.max"
	is "$HTTP_STATUS" 200 "$_m: body of exactly $LIMIT bytes: 200"

	before=$(rows)
	make_event "$E.$_m.over" && pad_event "$E.$_m.over" $((LIMIT + 1)) ||
	    bail_out "cannot pad an event to $((LIMIT + 1)) bytes"
	post_event "$E.$_m.over"
	is "$HTTP_STATUS" 413 "$_m: body of $((LIMIT + 1)) bytes: 413"
	is "$(rows)" "$before" "$_m: body over the limit stored nothing"

	is "$(sql 'PRAGMA integrity_check;')" ok "$_m: integrity_check ok"
	mode=$(stat -c %a "$LH_DB" 2>/dev/null)
	is "$(( 0$mode & 7 ))" 0 "$_m: database has no world permissions ($mode)"
}

# skip_mode MODE REASON: as many skipped points as the mode has (run_mode's
# 17 and the mode's own).
skip_mode() {
	_sk=0
	_sk_n=18
	[ "$1" != proxy_fcgi ] || _sk_n=19
	while [ "$_sk" -lt "$_sk_n" ]; do
		_sk=$((_sk + 1))
		skip "$1: test $_sk" "$2"
	done
}

# ---- mod_proxy_fcgi to spawn-fcgi + multiwatch -------------------------------

if ! apache_has proxy || ! apache_has proxy_fcgi; then
	skip_mode proxy_fcgi "mod_proxy_fcgi not installed"
elif ! command -v spawn-fcgi >/dev/null 2>&1 ||
    ! command -v multiwatch >/dev/null 2>&1; then
	skip_mode proxy_fcgi "spawn-fcgi or multiwatch not installed"
else
	setup_mode proxy_fcgi
	LH_APACHE_EXTRA="$LH_APACHE_EXTRA
Define LICENSEHOOK_SOCKET $LH_SOCK"
	start_workers "$LH_CONF" 2 ||
	    bail_out "cannot start licensehook under spawn-fcgi"
	# As spawn-fcgi -G www-data would: the web server's group may
	# connect.
	[ "$(id -u)" -ne 0 ] || chgrp "$AUSER" "$LH_SOCK"
	start_apache proxy_fcgi "$top_srcdir/apache/licensehook.conf" ||
	    bail_out "cannot start Apache (proxy_fcgi)"
	run_mode proxy_fcgi
	# Other paths below /api/v1/ reach licensehook too, which answers.
	http GET /api/v1/nope
	is "$HTTP_STATUS" 404 "proxy_fcgi: other path below /api/v1/: 404"
	error_is not_found "proxy_fcgi: other path below /api/v1/ (licensehook's)"
	stop_apache
	stop_workers
fi

# ---- mod_fcgid -------------------------------------------------------------

# owner_is MODE: the program ran as Apache's user, not root.
owner_is() {
	if [ "$(id -u)" -eq 0 ]; then
		is "$(stat -c %U "$LH_DB")" "$AUSER" \
		    "$1: Apache ran licensehook as $AUSER (database owner)"
	else
		skip "$1: database owner" "not run as root"
	fi
}

SNIP_FCGID=$top_builddir/apache/licensehook-fcgid.conf
if ! apache_has fcgid; then
	skip_mode fcgid "mod_fcgid not installed"
elif [ ! -r "$SNIP_FCGID" ]; then
	skip_mode fcgid "$SNIP_FCGID not built (run make first)"
else
	setup_mode fcgid
	start_apache fcgid "$SNIP_FCGID" ||
	    bail_out "cannot start Apache (fcgid)"
	run_mode fcgid
	owner_is fcgid
	stop_apache
fi

# ---- mod_cgi -------------------------------------------------------------------

SNIP_CGI=$top_builddir/apache/licensehook-cgi.conf
if ! apache_has cgi || ! apache_has env; then
	skip_mode cgi "mod_cgi or mod_env not installed"
elif [ ! -r "$SNIP_CGI" ]; then
	skip_mode cgi "$SNIP_CGI not built (run make first)"
else
	setup_mode cgi
	start_apache cgi "$SNIP_CGI" || bail_out "cannot start Apache (cgi)"
	run_mode cgi
	owner_is cgi
	stop_apache
fi

done_testing
