#!/bin/sh
#
# api.sh: the license API (POST .../api/v1/licenses/activate, validate,
# deactivate) through real nginx, with the shipped snippet unchanged, and
# two licensehook workers under spawn-fcgi + multiwatch.  TAP.  Needs
# what lib.sh's require_e2e needs, jq, and an openssl with Ed25519
# (pkeyutl -rawin: OpenSSL 3.0 or later).
#
# Licenses are made the way production makes them, by signed Stripe
# webhooks: make_event checkouts, and for the other states coherent
# stories built by lifecycle/gen.sh (old payload generation) with times
# around the start of the run.  No license fact is written with SQL; the
# only direct writes are clearing the usage database's rate_limits before
# each rate-limit burst, and making a seat's last_seen_at older (see
# there).
#
#   limits     activation up to max_activations (1, 3) and one past it;
#              an unlimited tier (0) takes 20; the same instance_name
#              twice is one seat; 10 concurrent activations for the last
#              seat, a few rounds: exactly one wins; 10 concurrent
#              activations of one name: one seat
#   states     validate when active, trialing, in grace, past grace,
#              paused, deleted, refunded, expired, and around a pending
#              downgrade (before and after its date, then
#              too_many_instances); unknown and malformed keys answer
#              byte for byte alike; lowercase keys work
#   seats      deactivate, activate elsewhere, unknown instances, an
#              instance of another key
#   encodings  form and JSON, Lemon Squeezy's field names, the answer's
#              members; malformed bodies (400, 413, 415, 405) store
#              nothing
#   signatures Licensehook-Signature over the exact body, checked with
#              openssl pkeyutl and contrib/verify-token.sh; tokens, their
#              payload, TTL and the cap at the key's expiry; key rotation
#   usage log  one validations row a request, in the usage database, with
#              the client address and Origin; no seats
#   usage db   made next to the database, mode 0640, WAL, its schema; the
#              database has no rate_limits or validations; validations
#              leave the database and its WAL byte for byte unchanged and
#              are answered while another process holds its write lock;
#              a seat's last_seen_at is written once it is an hour old
#   rate       rate_limit_address and rate_limit_key: 429 + Retry-After
#
# API_PENDING (default 20) is how many seconds after its story the
# pending downgrade takes effect; the script checks it before and after.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_e2e
require_build "$LH_BIN" "$LH_CTL"
require_cmd jq awk sed od cmp dd

API_DIR=$LH_TMP/api
KEYS=$LH_TMP/keys
CONF_MAIN=$LH_TMP/api.conf
CONF_RATE_ADDR=$LH_TMP/api-rate-address.conf
CONF_RATE_KEY=$LH_TMP/api-rate-key.conf
GEN_SH=$top_srcdir/tests/e2e/lifecycle/gen.sh
VERIFY_SH=$top_srcdir/contrib/verify-token.sh
API_PENDING=${API_PENDING:-20}
TTL=3600
D=86400
mkdir -p "$API_DIR" || bail_out "cannot create $API_DIR"

# Ed25519 through the openssl command line, as the checks below use it.
(
	cd "$API_DIR" &&
	    openssl genpkey -algorithm ed25519 -out probe.pem &&
	    openssl pkey -in probe.pem -pubout -out probe.pub &&
	    printf probe >probe.msg &&
	    openssl pkeyutl -sign -inkey probe.pem -rawin -in probe.msg \
		-out probe.sig &&
	    openssl pkeyutl -verify -pubin -inkey probe.pub -rawin \
		-in probe.msg -sigfile probe.sig
) >/dev/null 2>&1 ||
    skip_all "openssl lacks Ed25519 signatures (pkeyutl -rawin)"

PRICE_BASIC=price_API_BASIC_M
PRICE_PRO=price_API_PRO_M
PRICE_UNL=price_API_UNL_M
NOW=$(date +%s)

# ---- configuration, keys, servers ----------------------------------------

# api_config FILE RATE_ADDRESS RATE_KEY
api_config() {
	cat >"$1" <<EOF
# written by tests/e2e/api.sh
[licensehook]
database = $LH_DB
mode = test
log = $LH_LOG

[stripe]
webhook_secret = $LH_SECRET
tolerance = 300

[keys]
prefix = $LH_KEY_PREFIX
groups = 4
group_length = 4

[tiers]
default = basic

[lifecycle]
expiry_slack = 1d
grace_reminder = 3d
grace_suspend = 14d

[api]
keys_dir = $KEYS
token_ttl = $TTL
rate_limit_address = $2
rate_limit_key = $3

[tier basic]
prices = $PRICE_BASIC
max_activations = 1

[tier pro]
prices = $PRICE_PRO
max_activations = 3
features = export, sync

[tier unlimited]
prices = $PRICE_UNL
max_activations = 0
features = export, sync, teams
EOF
	chmod 600 "$1"
}

api_config "$CONF_MAIN" 1000000 1000000
api_config "$CONF_RATE_ADDR" 5 0
api_config "$CONF_RATE_KEY" 0 5

KID=$("$LH_CTL" -c "$CONF_MAIN" keys generate 2>"$API_DIR/ctl.err" |
    sed -n 's/^\(k[0-9a-f-]*\) active$/\1/p')
[ -n "$KID" ] || bail_out "licensectl keys generate: $(cat "$API_DIR/ctl.err")"
PUB=$API_DIR/$KID.pub.pem
"$LH_CTL" -c "$CONF_MAIN" keys public >"$PUB" 2>"$API_DIR/ctl.err" ||
    bail_out "licensectl keys public: $(cat "$API_DIR/ctl.err")"

start_workers "$CONF_MAIN" 2 || bail_out "cannot start licensehook"
start_nginx || bail_out "cannot start nginx"
diag "nginx on $LH_BASE, workers $(worker_pids | tr '\n' ' '), kid $KID"

# ---- helpers ---------------------------------------------------------------

# api OP BODY [CONTENT-TYPE]: POST BODY's exact bytes to the OP route
# (default as JSON).  The answer is in HTTP_STATUS, HTTP_BODY,
# $LH_TMP/http.body (byte for byte) and SIG (Licensehook-Signature).
api() {
	printf '%s' "$2" >"$API_DIR/req"
	http POST "/api/v1/licenses/$1" \
	    -H "Content-Type: ${3:-application/json}" \
	    --data-binary "@$API_DIR/req"
	SIG=$(header Licensehook-Signature)
}

# form OP BODY: api with an application/x-www-form-urlencoded body.
form() {
	api "$1" "$2" application/x-www-form-urlencoded
}

# jbody NAME=VALUE...: a JSON object; token=VALUE is written bare.
jbody() {
	_jb='' _js=''
	for _ja in "$@"; do
		_jn=${_ja%%=*}
		_jv=${_ja#*=}
		case $_jn in
		token) _jb="$_jb$_js\"$_jn\":$_jv" ;;
		*) _jb="$_jb$_js\"$_jn\":\"$_jv\"" ;;
		esac
		_js=,
	done
	printf '{%s}' "$_jb"
}

# j FILTER: jq -r FILTER on the last answer ("(not JSON)" if it is not).
j() {
	jq -r "$1" <"$LH_TMP/http.body" 2>/dev/null || echo "(not JSON)"
}

# got: the last answer in one line, for comparisons: status and code.
got() {
	printf '%s %s' "$HTTP_STATUS" "$(j '.code // .error')"
}

# b64url_dec TEXT: decode base64url (RFC 4648 §5, unpadded) to stdout.
b64url_dec() {
	_bd=$(printf '%s' "$1" | tr '_-' '/+')
	case $((${#_bd} % 4)) in
	2) _bd="$_bd==" ;;
	3) _bd="$_bd=" ;;
	esac
	printf '%s\n' "$_bd" | openssl base64 -d -A
}

# ed_verify PUB FILE SIG64URL: an Ed25519 signature over FILE's bytes.
ed_verify() {
	b64url_dec "$3" >"$API_DIR/ed.sig" 2>/dev/null || return 1
	[ "$(wc -c <"$API_DIR/ed.sig" | tr -d ' ')" -eq 64 ] || return 1
	openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" \
	    -sigfile "$API_DIR/ed.sig" >/dev/null 2>&1
}

# sig_ok PUB FILE HEADER: HEADER (kid=..., ed25519=...) verifies FILE.
sig_ok() {
	_so=$(printf '%s' "$3" | sed -n 's/.*ed25519=\([A-Za-z0-9_-]*\).*/\1/p')
	[ -n "$_so" ] && ed_verify "$1" "$2" "$_so"
}

# sig_kid HEADER: the kid a signature header names.
sig_kid() {
	printf '%s' "$1" | sed -n 's/^kid=\([^,]*\),.*/\1/p'
}

# flip_byte IN OUT: OUT is IN with its middle byte changed.
flip_byte() {
	cp "$1" "$2"
	_fb_n=$(($(wc -c <"$1" | tr -d ' ') / 2))
	_fb_c=$(dd if="$1" bs=1 skip="$_fb_n" count=1 2>/dev/null)
	_fb_r=x
	[ "$_fb_c" != x ] || _fb_r=y
	printf '%s' "$_fb_r" |
	    dd of="$2" bs=1 seek="$_fb_n" count=1 conv=notrunc 2>/dev/null
}

# signed DESC: the last answer is signed by $KID with $PUB over its
# exact bytes, which end in "}" (no newline), and a body changed in one
# byte does not verify.
signed() {
	like "$SIG" "^kid=$KID, ed25519=[A-Za-z0-9_-]{86}\$" \
	    "$1: Licensehook-Signature names kid $KID"
	check "$1: the signature verifies over the exact body (openssl)" \
	    sig_ok "$PUB" "$LH_TMP/http.body" "$SIG"
	is "$(tail -c 1 "$LH_TMP/http.body")" "}" \
	    "$1: the signed body ends in } (no trailing newline)"
	flip_byte "$LH_TMP/http.body" "$API_DIR/altered"
	if sig_ok "$PUB" "$API_DIR/altered" "$SIG"; then
		fail "$1: a body altered by one byte does not verify"
	else
		pass "$1: a body altered by one byte does not verify"
	fi
}

# uniq_name: an instance name unique to this run.
uniq_name() {
	printf 'host-%s' "$(uniq_id)"
}

# activate KEY NAME: a JSON activation; INST is the instance id answered.
activate() {
	api activate "$(jbody license_key="$1" instance_name="$2")"
	INST=$(j '.instance.id // empty')
}

# lic_id KEY / seats KEY: the license's row id / its active instances.
lic_id() {
	sql "SELECT id FROM licenses WHERE key = '$1';"
}
seats() {
	sql "SELECT count(*) FROM instances i JOIN licenses l
	    ON l.id = i.license_id WHERE l.key = '$1'
	    AND i.deactivated_at IS NULL;"
}

# checkout PLAN [make_event ARG...]: a license from a signed
# checkout.session.completed; prints its key.
checkout() {
	_co_cs=cs_test_$(uniq_id)
	make_event "$API_DIR/co.json" plan="$1" session="$_co_cs" ||
	    return 1
	post_event "$API_DIR/co.json" >/dev/null
	[ "$HTTP_STATUS" = 200 ] || {
		echo "checkout $1: $HTTP_STATUS $HTTP_BODY" >&2
		return 1
	}
	sql "SELECT key FROM licenses WHERE checkout_session_id = '$_co_cs';"
}

# story NAME: the gen.sh story on standard input (old generation), its
# events signed and delivered in order; one test point, all answered 200.
story() {
	cat >"$API_DIR/$1.story"
	if ! sh "$GEN_SH" old "$API_DIR/$1.story" >"$API_DIR/$1.events" \
	    2>"$API_DIR/$1.err"; then
		fail "story $1: gen.sh builds the events" "$(cat "$API_DIR/$1.err")"
		return 1
	fi
	_st_n=0
	_st_bad=
	while IFS= read -r _st_ev; do
		_st_n=$((_st_n + 1))
		printf '%s\n' "$_st_ev" >"$API_DIR/$1.$_st_n.json"
		post_event "$API_DIR/$1.$_st_n.json" </dev/null
		[ "$HTTP_STATUS" = 200 ] ||
		    _st_bad="$_st_bad event $_st_n: $HTTP_STATUS $HTTP_BODY;"
	done <"$API_DIR/$1.events"
	is "${_st_bad:-$_st_n events answered 200}" "$_st_n events answered 200" \
	    "story $1: every event answered 200"
}

# purchase TAG PRICE PLAN T0 END: story lines for a checkout naming PLAN,
# the subscription on PRICE for [T0, END] and its first invoice paid
# (payment intent pi_TAG_a, charge ch_TAG_a).  Event ids evt_TAG_1..3.
purchase() {
	echo "set cus=cus_$1 sub=sub_$1 email=$1@example.com name=Buyer"
	echo "checkout.session.completed id=evt_$1_1 created=$4 cs=cs_$1 plan=$3"
	echo "customer.subscription.created id=evt_$1_2 created=$(($4 + 1))" \
	    "since=$4 status=active price=$2 pstart=$4 pend=$5 in=in_$1_a"
	echo "invoice.paid id=evt_$1_3 created=$(($4 + 2)) in=in_$1_a" \
	    "price=$2 pstart=$4 pend=$5 pi=pi_$1_a ch=ch_$1_a" \
	    "reason=subscription_create"
}

# sub_key TAG: the key of the license for subscription sub_TAG.
sub_key() {
	sql "SELECT key FROM licenses WHERE subscription_id = 'sub_$1';"
}

# validate KEY [NAME=VALUE...]: a JSON validation.
validate() {
	_v_key=$1
	shift
	api validate "$(jbody license_key="$_v_key" "$@")"
}

# ---- licenses --------------------------------------------------------------

K_BASIC=$(checkout basic)
K_PRO=$(checkout pro)
K_UNL=$(checkout unlimited)
K_ACT=$(checkout pro)		# tokens, usage log, signatures
K_SEAT=$(checkout basic)	# deactivate and re-activate
K_OTHER=$(checkout pro)		# another key's instance
K_MAL=$(checkout basic)		# malformed bodies
K_RATE=$(checkout pro)		# rate limits
K_RATE2=$(checkout basic)
for _k in "$K_BASIC" "$K_PRO" "$K_UNL" "$K_ACT" "$K_SEAT" "$K_OTHER" \
    "$K_MAL" "$K_RATE" "$K_RATE2"; do
	printf '%s\n' "$_k" | grep -Eq "$LH_KEY_ERE" ||
	    bail_out "a checkout made no license (got '$_k')"
done
pass "checkouts (basic, pro, unlimited) made licenses"

# The pending downgrade first: its date is API_PENDING seconds away.
DG_AT=$(($(date +%s) + API_PENDING))
{
	purchase dg "$PRICE_PRO" pro $((NOW - 10 * D)) "$DG_AT"
	echo "customer.subscription.updated id=evt_dg_4 created=$((NOW - 5 * D))" \
	    "since=$((NOW - 10 * D)) status=active price=$PRICE_BASIC" \
	    "pstart=$((NOW - 10 * D)) pend=$DG_AT in=in_dg_a"
} >"$API_DIR/downgrade.lines"
story downgrade <"$API_DIR/downgrade.lines"
K_DG=$(sub_key dg)

story trialing <<EOF
set cus=cus_tr sub=sub_tr email=tr@example.com name=Trial
checkout.session.completed id=evt_tr_1 created=$((NOW - D)) cs=cs_tr plan=pro
customer.subscription.created id=evt_tr_2 created=$((NOW - D + 1)) since=$((NOW - D)) status=trialing price=$PRICE_PRO pstart=$((NOW - D)) pend=$((NOW + 13 * D))
EOF
K_TRIAL=$(sub_key tr)

GRACE_FAIL=$((NOW - D))
{
	purchase gr "$PRICE_PRO" pro $((NOW - 10 * D)) $((NOW + 20 * D))
	echo "invoice.payment_failed id=evt_gr_4 created=$GRACE_FAIL" \
	    "in=in_gr_b price=$PRICE_PRO pstart=$((NOW - 10 * D))" \
	    "pend=$((NOW + 20 * D)) attempt=1 pi=pi_gr_b ch=ch_gr_b" \
	    "reason=subscription_cycle"
} >"$API_DIR/grace.lines"
story grace <"$API_DIR/grace.lines"
K_GRACE=$(sub_key gr)

{
	purchase pg "$PRICE_PRO" pro $((NOW - 40 * D)) $((NOW + 20 * D))
	echo "invoice.payment_failed id=evt_pg_4 created=$((NOW - 15 * D))" \
	    "in=in_pg_b price=$PRICE_PRO pstart=$((NOW - 40 * D))" \
	    "pend=$((NOW + 20 * D)) attempt=1 pi=pi_pg_b ch=ch_pg_b" \
	    "reason=subscription_cycle"
} >"$API_DIR/past-grace.lines"
story past-grace <"$API_DIR/past-grace.lines"
K_PASTGRACE=$(sub_key pg)

# Paused after one seat was taken: the seat can still be freed.
purchase pa "$PRICE_PRO" pro $((NOW - 10 * D)) $((NOW + 20 * D)) \
    >"$API_DIR/paused-before.lines"
story paused-before <"$API_DIR/paused-before.lines"
K_PAUSED=$(sub_key pa)
activate "$K_PAUSED" paused-host
PAUSED_INST=$INST
is "$(got)" "200 valid" "paused story: activated before the pause"
story paused <<EOF
set cus=cus_pa sub=sub_pa email=pa@example.com name=Buyer
customer.subscription.paused id=evt_pa_4 created=$((NOW - D)) since=$((NOW - 10 * D)) status=paused price=$PRICE_PRO pstart=$((NOW - 10 * D)) pend=$((NOW + 20 * D)) in=in_pa_a
EOF

{
	purchase de "$PRICE_PRO" pro $((NOW - 10 * D)) $((NOW + 20 * D))
	echo "customer.subscription.deleted id=evt_de_4 created=$((NOW - D))" \
	    "since=$((NOW - 10 * D)) status=canceled canceled=$((NOW - D))" \
	    "ended=$((NOW - D)) price=$PRICE_PRO pstart=$((NOW - 10 * D))" \
	    "pend=$((NOW + 20 * D)) in=in_de_a"
} >"$API_DIR/deleted.lines"
story deleted <"$API_DIR/deleted.lines"
K_DELETED=$(sub_key de)

{
	purchase rf "$PRICE_BASIC" basic $((NOW - 10 * D)) $((NOW + 355 * D))
	echo "charge.refunded id=evt_rf_4 created=$((NOW - D)) ch=ch_rf_a" \
	    "pi=pi_rf_a amount=2000 refunded=2000 charged=$((NOW - 10 * D + 2))" \
	    "re=re_rf_a"
} >"$API_DIR/refunded.lines"
story refunded <"$API_DIR/refunded.lines"
K_REFUNDED=$(sub_key rf)

# Paid through half an hour less than a day ago: with the day of slack
# the key is good for another half hour, less than token_ttl.
CAP_EXPIRES=$((NOW + 1800))
purchase cp "$PRICE_PRO" pro $((NOW - 30 * D)) $((CAP_EXPIRES - D)) \
    >"$API_DIR/capped.lines"
story capped <"$API_DIR/capped.lines"
K_CAPPED=$(sub_key cp)

EXP_END=$((NOW - 10 * D))
purchase ex "$PRICE_PRO" pro $((NOW - 40 * D)) "$EXP_END" \
    >"$API_DIR/expired.lines"
story expired <"$API_DIR/expired.lines"
K_EXPIRED=$(sub_key ex)

_bad=''
for _k in "$K_DG" "$K_TRIAL" "$K_GRACE" "$K_PASTGRACE" "$K_PAUSED" \
    "$K_DELETED" "$K_REFUNDED" "$K_CAPPED" "$K_EXPIRED"; do
	printf '%s\n' "$_k" | grep -Eq "$LH_KEY_ERE" || _bad="$_bad '$_k'"
done
is "${_bad:-none}" none "every story made a license with a key"

# ---- the pending downgrade, before its date ------------------------------

DG_INSTS=
for _n in 1 2 3; do
	activate "$K_DG" "dg-host-$_n"
	DG_INSTS="$DG_INSTS $INST"
	[ "$_n" -lt 3 ] || is "$(got) $(j .tier) $(j .license_key.activation_usage)" \
	    "200 valid pro 3" "pending downgrade: three seats on pro before its date"
done
validate "$K_DG"
if [ "$(date +%s)" -lt "$DG_AT" ]; then
	is "$(got) $(j .valid) $(j .tier) $(j '.features | join(",")')" \
	    "200 valid true pro export,sync" \
	    "pending downgrade, before its date: still pro, with pro's features"
else
	skip "pending downgrade, before its date" \
	    "its date passed already (raise API_PENDING)"
fi

# ---- the answer --------------------------------------------------------------

H1=$(uniq_name)
activate "$K_PRO" "$H1"
H1_ID=$INST
is "$(got)" "200 valid" "activate pro: 200, code valid"
is "$(jq -c 'keys_unsorted' "$LH_TMP/http.body")" \
    '["activated","error","license_key","instance","meta","code","tier","features","entitlement"]' \
    "activate: Lemon Squeezy's members first, then code, tier, features, entitlement"
is "$(jq -c '[.activated, .error]' "$LH_TMP/http.body")" '[true,null]' \
    "activate: activated true, error null"
is "$(jq -c '.license_key | keys_unsorted' "$LH_TMP/http.body")" \
    '["id","status","key","activation_limit","activation_usage","created_at","expires_at"]' \
    "activate: license_key has Lemon Squeezy's members"
is "$(jq -c '.license_key | [.id == '"$(lic_id "$K_PRO")"', .status, .key,
    .activation_limit, .activation_usage, (.created_at | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$")),
    .expires_at]' "$LH_TMP/http.body")" \
    "[true,\"active\",\"$K_PRO\",3,1,true,null]" \
    "activate: license_key id, status, key, limit 3, usage 1, ISO created_at, expires_at null (perpetual)"
like "$(jq -c '.instance | [keys_unsorted, .id, .name]' "$LH_TMP/http.body")" \
    "^\\[\\[\"id\",\"name\",\"created_at\"\\],\"ins_[0-9a-f]{24}\",\"$H1\"\\]\$" \
    "activate: instance id (ins_ + 24 hex), name, created_at"
is "$(jq -c '.meta' "$LH_TMP/http.body")" \
    '{"customer_name":"Chris Oliver","customer_email":"chris@gorails.com"}' \
    "activate: meta has the checkout's customer"
is "$(jq -c '[.tier, .features]' "$LH_TMP/http.body")" '["pro",["export","sync"]]' \
    "activate: tier pro and its features as an array"
is "$(jq -c '.entitlement | del(.checked_at)' "$LH_TMP/http.body")" \
    '{"valid":true,"paid":true,"status":"active","expires_at":null,"grace_deadline":null}' \
    "activate: entitlement valid, paid, active, no expiry, no grace"
_ca=$(jq '.entitlement.checked_at' "$LH_TMP/http.body")
now=$(date +%s)
check "activate: entitlement.checked_at is when the answer was made" \
    test "$_ca" -le "$now" -a "$_ca" -ge "$((now - 5))"
unlike "$HTTP_BODY" '"token"' "activate without token=true: no token member"
is "$(seats "$K_PRO")" 1 "activate: one instances row"

# ---- activation limits ------------------------------------------------------

activate "$K_PRO" "$H1"
is "$(got) $INST $(j .license_key.activation_usage)" "200 valid $H1_ID 1" \
    "activate the same instance_name again: same instance id, usage still 1"
is "$(seats "$K_PRO")" 1 "activate the same name again: still one row"
H2=$(uniq_name)
activate "$K_PRO" "$H2"
is "$(got) $(j .license_key.activation_usage)" "200 valid 2" "pro: second seat"
activate "$K_PRO" "$(uniq_name)"
is "$(got) $(j .license_key.activation_usage)" "200 valid 3" "pro: third seat (the limit)"
activate "$K_PRO" "$(uniq_name)"
is "$(got) $(j .activated) $(j .instance) $(j .license_key.activation_usage)" \
    "400 activation_limit_reached false null 3" \
    "pro: a fourth instance is refused, 400 activation_limit_reached"
is "$(j .error)" "this license key has reached its activation limit" \
    "pro: the limit error sentence"
signed "400 activation_limit_reached"
is "$(seats "$K_PRO")" 3 "pro: exactly three rows"
activate "$K_PRO" "$H2"
is "$(got)" "200 valid" "pro at its limit: an active instance_name still activates (idempotent)"

B1=$(uniq_name)
activate "$K_BASIC" "$B1"
is "$(got) $(j .license_key.activation_limit) $(j '.features | length')" \
    "200 valid 1 0" "basic: first seat; limit 1, no features"
activate "$K_BASIC" "$(uniq_name)"
is "$(got)" "400 activation_limit_reached" "basic: a second instance is refused"
is "$(seats "$K_BASIC")" 1 "basic: exactly one row"

_bad=
for _n in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
	activate "$K_UNL" "unl-$_n"
	[ "$(got)" = "200 valid" ] || _bad="$_bad $_n:$(got)"
done
is "${_bad:-none}" none "unlimited: 20 activations all answered 200"
is "$(j .license_key.activation_limit) $(j .license_key.activation_usage) $(j .tier)" \
    "null 20 unlimited" "unlimited: activation_limit null, usage 20"
is "$(seats "$K_UNL")" 20 "unlimited: 20 rows"

# ---- racing for the last seat ----------------------------------------------

# race_curls DIR KEY NAME...: one activation per NAME, all at once;
# DIR/N.code and DIR/N.body for the N-th.
race_curls() {
	_rd=$1
	_rk=$2
	shift 2
	mkdir -p "$_rd"
	_pids=''
	_i=0
	for _rn in "$@"; do
		_i=$((_i + 1))
		curl -sS --noproxy '*' --max-time 30 -H 'Expect:' \
		    -H 'Content-Type: application/json' \
		    --data-binary "{\"license_key\":\"$_rk\",\"instance_name\":\"$_rn\"}" \
		    -o "$_rd/$_i.body" -w '%{http_code}' \
		    "$LH_BASE/api/v1/licenses/activate" >"$_rd/$_i.code" 2>&1 &
		_pids="$_pids $!"
	done
	# Only these: the lib's watchdog is a child of this shell too.
	# shellcheck disable=SC2086
	wait $_pids
}

# race ROUND KEY LIMIT: 10 concurrent activations, each a new name, on a
# key with one seat left.
race() {
	race_curls "$API_DIR/race$1" "$2" "race$1-1" "race$1-2" "race$1-3" \
	    "race$1-4" "race$1-5" "race$1-6" "race$1-7" "race$1-8" "race$1-9" \
	    "race$1-10"
	_rd=$API_DIR/race$1
	_ok=0
	_limit=0
	_other=
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		_c="$(cat "$_rd/$_i.code") $(jq -r .code "$_rd/$_i.body" 2>/dev/null)"
		case $_c in
		"200 valid") _ok=$((_ok + 1)) ;;
		"400 activation_limit_reached") _limit=$((_limit + 1)) ;;
		*) _other="$_other [$_c]" ;;
		esac
	done
	is "$_ok $_limit${_other}" "1 9" \
	    "race $1: 10 concurrent activations for the last seat: one 200, nine 400 activation_limit_reached"
	is "$(seats "$2")" "$3" "race $1: exactly $3 active instances rows"
}

K_R1=$(checkout basic)
race 1 "$K_R1" 1
for _round in 2 3 4; do
	_k=$(checkout pro)
	activate "$_k" "pre-$_round-a"
	activate "$_k" "pre-$_round-b"
	race "$_round" "$_k" 3
done

# The same instance_name ten times at once, on a key with two seats
# left: one seat, one instance id, ten 200s.
K_SAME=$(checkout pro)
activate "$K_SAME" same-pre
race_curls "$API_DIR/same" "$K_SAME" same same same same same same same \
    same same same
_same=$(for _i in 1 2 3 4 5 6 7 8 9 10; do
	printf '%s %s\n' "$(cat "$API_DIR/same/$_i.code")" \
	    "$(jq -r '.code + " " + .instance.id' "$API_DIR/same/$_i.body" 2>/dev/null)"
done | sort | uniq -c | awk '{ $1 = $1; print }')
like "$_same" '^10 200 valid ins_[0-9a-f]{24}$' \
    "10 concurrent activations of one instance_name: ten 200s, one instance id"
is "$(seats "$K_SAME")" 2 "10 concurrent activations of one instance_name: one new row"

# ---- validate in every state -------------------------------------------------

# state DESC KEY WANT: validate KEY; WANT is "status code valid
# license_key.status entitlement.paid".
state() {
	validate "$2"
	is "$(got) $(j .valid) $(j .license_key.status) $(j .entitlement.paid)" \
	    "$3" "validate, $1: $3"
}

state active "$K_ACT" "200 valid true active true"
is "$(j .instance) $(j .error)" "null null" "validate active without instance_id: instance null, error null"
state trialing "$K_TRIAL" "200 valid true trialing true"
state "grace (payment failed a day ago)" "$K_GRACE" "200 grace true grace true"
is "$(j .entitlement.grace_deadline) $(j .entitlement.valid)" \
    "$((GRACE_FAIL + 14 * D)) true" \
    "validate, grace: grace_deadline is the failure + grace_suspend"
state "past grace (failed 15 days ago)" "$K_PASTGRACE" \
    "200 suspended false suspended false"
is "$(j .error) $(j .entitlement.valid)" "license_key is suspended false" \
    "validate, past grace: error sentence, entitlement not valid"
state "paused" "$K_PAUSED" "200 suspended false suspended false"
state "deleted (canceled)" "$K_DELETED" "200 revoked false revoked false"
is "$(j .error)" "license_key has been revoked" "validate, revoked: error sentence"
state "refunded" "$K_REFUNDED" "200 revoked false revoked false"
state "expired (period end + slack past)" "$K_EXPIRED" \
    "200 expired false expired false"
is "$(j .error) $(j .entitlement.expires_at)" \
    "license_key has expired $((EXP_END + D))" \
    "validate, expired: error sentence, expires_at = period end + 1d slack"
_iso=$(date -u -d "@$((EXP_END + D))" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null ||
    date -u -r "$((EXP_END + D))" +%Y-%m-%dT%H:%M:%SZ)
is "$(j .license_key.expires_at)" "$_iso" "validate, expired: license_key.expires_at in ISO 8601 UTC"

activate "$K_GRACE" "$(uniq_name)"
is "$(got) $(j .activated) $(j .entitlement.paid)" "200 grace true true" \
    "activate a key in grace: 200, code grace, paid"
activate "$K_PAUSED" "$(uniq_name)"
is "$(got) $(j .activated)" "400 suspended false" "activate a suspended key: 400 suspended"
activate "$K_REFUNDED" "$(uniq_name)"
is "$(got)" "400 revoked" "activate a revoked key: 400 revoked"
activate "$K_EXPIRED" "$(uniq_name)"
is "$(got)" "400 expired" "activate an expired key: 400 expired"
api deactivate "$(jbody license_key="$K_PAUSED" instance_id="$PAUSED_INST")"
is "$(got) $(j .deactivated)" "200 suspended true" \
    "deactivate on a suspended key: the seat is freed (200, code suspended)"
is "$(seats "$K_PAUSED")" 0 "deactivate on a suspended key: no active row left"

# validate TOKEN when the key is not valid: no token.
validate "$K_PASTGRACE" token=true
is "$(got) $(j 'has("token")')" "200 suspended false" \
    "validate a suspended key with token=true: no token"

# ---- unknown and malformed keys ------------------------------------------------

UNKNOWN=LH-2345-6789-ABCD-EFGH
is "$(sql "SELECT count(*) FROM licenses WHERE key = '$UNKNOWN';")" 0 \
    "precondition: $UNKNOWN is no license"
validate "$UNKNOWN"
is "$(got) $(j .valid) $(j .license_key) $(j .instance) $(j .tier)" \
    "404 not_found false null null null" "validate an unknown key: 404 not_found"
is "$(j .error)" "license_key not found" "unknown key: error sentence"
signed "404 not_found"
cp "$LH_TMP/http.body" "$API_DIR/unknown.body"
for _m in LH-2345-6789 LH-2345-6789-ABCD-EFGH-JKLM LH-0O1I-2345-ABCD-EFGH \
    LX-2345-6789-ABCD-EFGH 'LH-2345-6789-ABCD-EF+H' LH23456789ABCDEFGH; do
	validate "$_m"
	# The same answer but for the second it was made in (checked_at).
	if [ "$HTTP_STATUS" = 404 ] &&
	    [ "$(sed 's/"checked_at":[0-9]*//' "$LH_TMP/http.body")" = \
	    "$(sed 's/"checked_at":[0-9]*//' "$API_DIR/unknown.body")" ]; then
		pass "malformed key '$_m': byte for byte the unknown key's answer"
	else
		fail "malformed key '$_m': byte for byte the unknown key's answer" \
		    "$HTTP_STATUS $HTTP_BODY" "unknown: $(cat "$API_DIR/unknown.body")"
	fi
done
activate "$UNKNOWN" "$(uniq_name)"
is "$(got)" "404 not_found" "activate an unknown key: 404 not_found"
api deactivate "$(jbody license_key="$UNKNOWN" instance_id=ins_000000000000000000000000)"
is "$(got)" "404 not_found" "deactivate on an unknown key: 404 not_found"

_lower=$(printf '%s' "$K_ACT" | tr '[:upper:]' '[:lower:]')
validate "$_lower"
is "$(got) $(j .license_key.key)" "200 valid $K_ACT" \
    "a valid key in lowercase is accepted; the answer shows it upper-case"

# ---- instances -------------------------------------------------------------------

OTHER_H=$(uniq_name)
activate "$K_OTHER" "$OTHER_H"
OTHER_INST=$INST
validate "$K_PRO" instance_id="$OTHER_INST"
is "$(got) $(j .valid) $(j .instance)" "200 no_such_instance false null" \
    "validate with another key's instance_id: no_such_instance"
api deactivate "$(jbody license_key="$K_PRO" instance_id="$OTHER_INST")"
is "$(got)" "404 no_such_instance" "deactivate another key's instance: 404 no_such_instance"
is "$(seats "$K_OTHER")" 1 "that instance is still active on its own key"
validate "$K_OTHER" instance_id="$OTHER_INST"
is "$(got) $(j .instance.id) $(j .instance.name)" "200 valid $OTHER_INST $OTHER_H" \
    "validate with the key's own instance_id: valid, the instance shown"

S1=$(uniq_name)
activate "$K_SEAT" "$S1"
S1_ID=$INST
S2=$(uniq_name)
activate "$K_SEAT" "$S2"
is "$(got)" "400 activation_limit_reached" "seat: basic key full"
api deactivate "$(jbody license_key="$K_SEAT" instance_id="$S1_ID")"
is "$(got) $(j .deactivated) $(j .license_key.activation_usage) $(j .instance.id)" \
    "200 valid true 0 $S1_ID" "deactivate: 200 deactivated, usage 0, the instance shown"
signed "200 deactivated"
activate "$K_SEAT" "$S2"
S2_ID=$INST
is "$(got) $(j .license_key.activation_usage)" "200 valid 1" \
    "re-activate elsewhere: the freed seat is taken"
isnt "$INST" "$S1_ID" "re-activate elsewhere: a new instance id"
api deactivate "$(jbody license_key="$K_SEAT" instance_id="$S1_ID")"
is "$(got) $(j .deactivated)" "404 no_such_instance false" \
    "deactivate the same instance again: 404 no_such_instance"
signed "404 no_such_instance"
api deactivate "$(jbody license_key="$K_SEAT" instance_id=ins_ffffffffffffffffffffffff)"
is "$(got)" "404 no_such_instance" "deactivate an unknown instance: 404"
activate "$K_SEAT" "$S1"
is "$(got)" "400 activation_limit_reached" \
    "the first machine cannot come back while the seat is taken"
is "$(sql "SELECT count(*) FROM instances i JOIN licenses l ON l.id = i.license_id
    WHERE l.key = '$K_SEAT';") $(seats "$K_SEAT")" "2 1" \
    "seat: the deactivated row is kept, one active"
api deactivate "$(jbody license_key="$K_SEAT" instance_id="$S2_ID")"
activate "$K_SEAT" "$S1"
is "$(got) $(j .instance.name)" "200 valid $S1" \
    "the first machine comes back once the seat is free"
if [ "$INST" != "$S1_ID" ] && [ -n "$INST" ]; then
	pass "the first machine comes back with a new instance id"
else
	fail "the first machine comes back with a new instance id" "$INST"
fi

# ---- form and JSON ----------------------------------------------------------------

FH_NAME='my laptop/α'
form activate "license_key=$K_UNL&instance_name=my+laptop%2F%CE%B1"
FH_ID=$(j .instance.id)
is "$(got) $(j .instance.name)" "200 valid $FH_NAME" \
    "form activate: + and percent-encoded UTF-8 decoded"
form validate "license_key=$K_UNL&instance_id=$FH_ID"
cp "$LH_TMP/http.body" "$API_DIR/form.body"
is "$(got) $(j .instance.name)" "200 valid $FH_NAME" "form validate with instance_id"
validate "$K_UNL" instance_id="$FH_ID"
# Identical but for the second each was made in (checked_at).
if [ "$(sed 's/"checked_at":[0-9]*//' "$LH_TMP/http.body")" = \
    "$(sed 's/"checked_at":[0-9]*//' "$API_DIR/form.body")" ]; then
	pass "the same validation as JSON and as a form: identical answers"
else
	fail "the same validation as JSON and as a form: identical answers" \
	    "json: $HTTP_BODY" "form: $(cat "$API_DIR/form.body")"
fi
api validate "license_key=$K_UNL" 'application/x-www-form-urlencoded; charset=UTF-8'
is "$(got)" "200 valid" "form with charset=UTF-8"
api validate "$(jbody license_key="$K_UNL")" 'Application/JSON ; charset="utf-8"'
is "$(got)" "200 valid" "JSON with a mixed-case media type and a quoted charset"
form deactivate "license_key=$K_UNL&instance_id=$FH_ID"
is "$(got) $(j .deactivated)" "200 valid true" "form deactivate"
form validate "License_Key=$K_UNL"
is "$(got) $(j .error)" "400 missing_field license_key is required" \
    "field names match exactly: License_Key is not license_key"
api activate "$(jbody license_key="$K_UNL")"
is "$(got) $(j .error) $(j .activated)" \
    "400 missing_field instance_name is required false" \
    "activate without instance_name: 400 missing_field"
form deactivate "license_key=$K_UNL"
is "$(got) $(j .error) $(j .deactivated)" \
    "400 missing_field instance_id is required false" \
    "deactivate without instance_id: 400 missing_field"
api validate "{\"license_key\":\"$K_UNL\",\"instance_id\":null,\"extra\":{\"a\":[1,2]}}"
is "$(got)" "200 valid" "JSON: null counts as absent, unknown members are ignored"

# ---- signatures -------------------------------------------------------------------

validate "$K_ACT"
signed "200 valid"
sig_hdr=$SIG
if out=$(sh "$VERIFY_SH" response "$PUB" "$LH_TMP/http.body" "$sig_hdr" 2>&1); then
	is "$out" "valid, kid $KID" "contrib/verify-token.sh response: valid, kid $KID"
else
	fail "contrib/verify-token.sh response: valid, kid $KID" "$out"
fi
flip_byte "$LH_TMP/http.body" "$API_DIR/altered"
sh "$VERIFY_SH" response "$PUB" "$API_DIR/altered" "$sig_hdr" >/dev/null 2>&1
is "$?" 1 "contrib/verify-token.sh response: an altered body exits 1"
printf '%s\n' "$(cat "$LH_TMP/http.body")" >"$API_DIR/nl.body"
sh "$VERIFY_SH" response "$PUB" "$API_DIR/nl.body" "$sig_hdr" >/dev/null 2>&1
is "$?" 1 "contrib/verify-token.sh response: the body plus a newline exits 1"
openssl genpkey -algorithm ed25519 -out "$API_DIR/stranger.pem" 2>/dev/null
openssl pkey -in "$API_DIR/stranger.pem" -pubout -out "$API_DIR/stranger.pub" 2>/dev/null
sh "$VERIFY_SH" response "$API_DIR/stranger.pub" "$LH_TMP/http.body" "$sig_hdr" \
    >/dev/null 2>&1
is "$?" 1 "contrib/verify-token.sh response: another public key exits 1"
api validate "license_key=$K_ACT" text/plain
is "$(got)" "415 unsupported_media_type" "an unknown media type: 415"
signed "415"

# ---- tokens -------------------------------------------------------------------------

T_H=$(uniq_name)
activate "$K_ACT" "$T_H"
T_INST=$INST
t0=$(date +%s)
validate "$K_ACT" instance_id="$T_INST" token=true
t1=$(date +%s)
TOKEN=$(j '.token // empty')
is "$(got) $(jq -r 'keys_unsorted | last' "$LH_TMP/http.body")" "200 valid token" \
    "validate with token=true: a token, the answer's last member"
like "$TOKEN" '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{86}$' \
    "token: base64url payload . base64url 64-byte signature"
signed "200 with a token"
T_P1=${TOKEN%%.*}
T_P2=${TOKEN#*.}
printf '%s' "$T_P1" >"$API_DIR/token.msg"
check "token: the signature over the first part verifies (openssl)" \
    ed_verify "$PUB" "$API_DIR/token.msg" "$T_P2"
b64url_dec "$T_P1" >"$API_DIR/token.json" 2>/dev/null
is "$(jq -c 'keys_unsorted' "$API_DIR/token.json" 2>&1)" \
    '["kid","lic","tier","features","inst","iat","exp"]' \
    "token payload: kid, lic, tier, features, inst, iat, exp"
is "$(jq -c '[.kid, .lic, .tier, .features, .inst]' "$API_DIR/token.json" 2>&1)" \
    "[\"$KID\",\"$K_ACT\",\"pro\",[\"export\",\"sync\"],\"$T_INST\"]" \
    "token payload: the kid, key, tier, features and instance"
T_IAT=$(jq -r .iat "$API_DIR/token.json" 2>/dev/null)
T_EXP=$(jq -r .exp "$API_DIR/token.json" 2>/dev/null)
is "$((T_EXP - T_IAT))" "$TTL" "token: exp - iat = token_ttl ($TTL)"
if [ "$T_IAT" -ge "$t0" ] && [ "$T_IAT" -le "$t1" ]; then
	pass "token: iat is the time of the request"
else
	fail "token: iat is the time of the request" "iat $T_IAT, asked $t0..$t1"
fi
if out=$(sh "$VERIFY_SH" token "$PUB" "$TOKEN" 2>&1); then
	is "$out" "$(cat "$API_DIR/token.json")" \
	    "contrib/verify-token.sh token: valid, prints the payload"
else
	fail "contrib/verify-token.sh token: valid, prints the payload" "$out"
fi
# tamper TEXT POS: TEXT with the symbol at POS (1-based) replaced.
tamper() {
	printf '%s\n' "$1" | awk -v p="$2" '{ c = substr($0, p, 1)
	    r = (c == "A") ? "B" : "A"
	    print substr($0, 1, p - 1) r substr($0, p + 1) }'
}
BAD=$(tamper "$TOKEN" 10)
sh "$VERIFY_SH" token "$PUB" "$BAD" >/dev/null 2>&1
is "$?" 1 "a token with its payload changed: verify-token.sh exits 1"
printf '%s' "${BAD%%.*}" >"$API_DIR/bad.msg"
if ed_verify "$PUB" "$API_DIR/bad.msg" "$T_P2"; then
	fail "a token with its payload changed: openssl refuses it"
else
	pass "a token with its payload changed: openssl refuses it"
fi
BAD=$(tamper "$TOKEN" $((${#T_P1} + 10)))
sh "$VERIFY_SH" token "$PUB" "$BAD" >/dev/null 2>&1
is "$?" 1 "a token with its signature changed: verify-token.sh exits 1"

form activate "license_key=$K_ACT&instance_name=$(uniq_name)&token=true"
F_INST=$(j .instance.id)
TOKEN2=$(j '.token // empty')
b64url_dec "${TOKEN2%%.*}" >"$API_DIR/token2.json" 2>/dev/null
is "$(got) $(jq -r .inst "$API_DIR/token2.json" 2>&1)" "200 valid $F_INST" \
    "form activate with token=true: a token bound to the new instance"
validate "$K_ACT" token=true
b64url_dec "$(j '.token // empty' | cut -d. -f1)" >"$API_DIR/token3.json" 2>/dev/null
is "$(jq -c 'keys_unsorted' "$API_DIR/token3.json" 2>&1)" \
    '["kid","lic","tier","features","iat","exp"]' \
    "validate without instance_id, token=true: the token has no inst"
validate "$K_ACT" token=false
is "$(got) $(j 'has("token")')" "200 valid false" "token=false: no token"
form validate "license_key=$K_ACT&token=1"
is "$(got) $(j '.token | split(".") | length')" "200 valid 2" "form token=1: a token"
api deactivate "$(jbody license_key="$K_ACT" instance_id="$F_INST" token=true)"
is "$(got) $(j .deactivated) $(j 'has("token")')" "200 valid true false" \
    "deactivate with token=true: no token"
validate "$K_CAPPED" token=true
b64url_dec "$(j '.token // empty' | cut -d. -f1)" >"$API_DIR/token5.json" 2>/dev/null
is "$(got) $(j .entitlement.expires_at) $(jq -r .exp "$API_DIR/token5.json" 2>&1)" \
    "200 valid $CAP_EXPIRES $CAP_EXPIRES" \
    "a key that expires within token_ttl: the token's exp is the key's expiry"

# ---- the usage log ---------------------------------------------------------------

U_ID=$(lic_id "$K_ACT")
u_rows=$(ucount validations "license_id = $U_ID AND op = 1")
u_seats=$(count instances "license_id = $U_ID")
validate "$K_ACT"
validate "$K_ACT" instance_id="$T_INST"
form validate "license_key=$K_ACT"
is "$(ucount validations "license_id = $U_ID AND op = 1")" "$((u_rows + 3))" \
    "usage log: three validations, three validations rows"
is "$(usql "SELECT addr || ' ' || code FROM validations WHERE license_id = $U_ID
    AND op = 1 ORDER BY id DESC LIMIT 3;" | sort -u)" "127.0.0.1 0" \
    "usage log: each row has the client address (127.0.0.1) and code valid"
is "$(usql "SELECT count(*) FROM validations WHERE license_id = $U_ID AND op = 1
    AND instance_id = '$T_INST';")" 2 \
    "usage log: the validation with instance_id names the instance"
is "$(count instances "license_id = $U_ID")" "$u_seats" \
    "usage log: validations create no seats"
http POST /api/v1/licenses/validate -H 'Content-Type: application/json' \
    -H 'Origin: https://app.example.com' \
    --data-binary "$(jbody license_key="$K_ACT")"
is "$(got) $(usql "SELECT origin FROM validations WHERE license_id = $U_ID
    ORDER BY id DESC LIMIT 1;")" "200 valid https://app.example.com" \
    "usage log: the Origin header is recorded"
is "$(usql "SELECT op || ' ' || code FROM validations WHERE license_id = $U_ID
    AND instance_id = '$T_INST' ORDER BY id LIMIT 1;")" "0 0" \
    "usage log: activations are logged too (op 0, code valid)"

# ---- the usage database ------------------------------------------------------

USAGE_DB=$LH_DB-usage
USAGE_VERSION=$(sed -n 's/^#define[ 	]*LH_USAGE_SCHEMA_VERSION[ 	]*\([0-9][0-9]*\).*/\1/p' \
    "$top_srcdir/src/io.h")
is "$(stat -c %a "$USAGE_DB" 2>&1)" 640 \
    "usage database: made next to the database, mode 0640"
_modes=
for _f in "$USAGE_DB-wal" "$USAGE_DB-shm"; do
	_modes="$_modes $(stat -c %a "$_f" 2>&1)"
done
is "$_modes" " 640 640" "usage database: its -wal and -shm files, mode 0640"
is "$(usql 'PRAGMA user_version;') $(usql 'PRAGMA journal_mode;')" \
    "$USAGE_VERSION wal" "usage database: schema $USAGE_VERSION, in WAL mode"
is "$(usql "SELECT name FROM sqlite_master WHERE type = 'table'
    ORDER BY name;" | tr '\n' ' ')" "rate_limits validations " \
    "usage database: tables rate_limits and validations"
is "$(sql "SELECT count(*) FROM sqlite_master
    WHERE name IN ('rate_limits', 'validations');")" 0 \
    "the database has no rate_limits or validations table"

# main_state: size and checksum of the database file and of its WAL,
# which any commit (or a checkpoint) on the database would change.
main_state() {
	for _ms in "$LH_DB" "$LH_DB-wal"; do
		if [ -e "$_ms" ]; then
			printf '%s:%s ' "$(stat -c %s "$_ms")" \
			    "$(cksum <"$_ms" | cut -d' ' -f1)"
		else
			printf 'none '
		fi
	done
}
# seen INST: the seat's last_seen_at.
seen() {
	sql "SELECT last_seen_at FROM instances WHERE id = '$1';"
}

V_NAME=$(uniq_name)
activate "$K_ACT" "$V_NAME"
V_INST=$INST
_before=$(main_state)
_urows=$(ucount validations)
_bad=
for _i in 1 2 3 4 5; do
	validate "$K_ACT" instance_id="$V_INST"
	[ "$(got)" = "200 valid" ] || _bad="$_bad seat:$(got)"
	validate "$K_ACT" token=true
	[ "$(got)" = "200 valid" ] || _bad="$_bad token:$(got)"
	form validate "license_key=$UNKNOWN"
	[ "$(got)" = "404 not_found" ] || _bad="$_bad unknown:$(got)"
	validate LH-2345-6789
	[ "$(got)" = "404 not_found" ] || _bad="$_bad malformed:$(got)"
done
is "${_bad:-none}" none \
    "20 validations (a seat, a token, unknown and malformed keys) answered"
is "$(main_state)" "$_before" \
    "20 validations: the database and its WAL byte for byte unchanged"
is "$(ucount validations)" "$((_urows + 20))" \
    "20 validations: 20 usage log rows, in the usage database"

# A process holding the database's write lock (as a webhook does while
# it runs) must not hold up a validation, which takes no write lock.
rm -f "$API_DIR/lock.out"
{
	printf 'BEGIN IMMEDIATE;\n.print locked\n'
	sleep 3
	printf 'COMMIT;\n'
} | sqlite3 -batch "$LH_DB" >"$API_DIR/lock.out" 2>&1 &
_holder=$!
if wait_until 50 grep -q locked "$API_DIR/lock.out" 2>/dev/null; then
	_t0=$(date +%s%N)
	validate "$K_ACT" instance_id="$V_INST"
	_took=$((($(date +%s%N) - _t0) / 1000000))
	is "$(got)" "200 valid" \
	    "validate while another process holds the database's write lock: 200"
	check "validate under the write lock: answered at once ($_took ms, the lock is held 3000)" \
	    test "$_took" -lt 2000
else
	fail "sqlite3 holds BEGIN IMMEDIATE on the database" \
	    "$(cat "$API_DIR/lock.out")"
fi
wait "$_holder"

# last_seen_at: written by a validation only once it is LH_SEEN_INTERVAL
# (an hour) old.  The seat is aged directly.
_old=$(($(date +%s) - 3500))
sql "UPDATE instances SET last_seen_at = $_old WHERE id = '$V_INST';"
_before=$(main_state)
validate "$K_ACT" instance_id="$V_INST"
is "$(got) $(seen "$V_INST")" "200 valid $_old" \
    "a seat last seen 3500 s ago: validated, last_seen_at left as it is"
is "$(main_state)" "$_before" "a seat last seen 3500 s ago: the database unchanged"
_old=$(($(date +%s) - 3700))
sql "UPDATE instances SET last_seen_at = $_old WHERE id = '$V_INST';"
_before=$(main_state)
_t0=$(date +%s)
validate "$K_ACT" instance_id="$V_INST"
_t1=$(date +%s)
_seen=$(seen "$V_INST")
is "$(got)" "200 valid" "a seat last seen 3700 s ago: validated"
isnt "$(main_state)" "$_before" \
    "a seat last seen 3700 s ago: the database changed (main_state sees a write)"
check "a seat last seen 3700 s ago: last_seen_at written ($_seen, asked $_t0..$_t1)" \
    test "$_seen" -ge "$_t0" -a "$_seen" -le "$_t1"
_before=$(main_state)
validate "$K_ACT" instance_id="$V_INST"
is "$(seen "$V_INST")" "$_seen" "just written: the next validation leaves last_seen_at"
is "$(main_state)" "$_before" "just written: the next validation leaves the database unchanged"

# ---- malformed bodies -----------------------------------------------------------

M_ID=$(lic_id "$K_MAL")
# bad WANT DESC: the last answer is WANT ("status error") and K_MAL has
# no instances row.
bad() {
	is "$HTTP_STATUS $(j .error) $(count instances "license_id = $M_ID")" \
	    "$1 0" "malformed body, $2: $1, nothing stored"
}
api activate "{\"license_key\":\"$K_MAL\",\"instance_name\":\"m1\""
bad "400 bad_request" "JSON cut short"
api activate "{\"license_key\":\"$K_MAL\",\"instance_name\":\"m1\"} x"
bad "400 bad_request" "trailing garbage after the object"
api activate "{\"license_key\":\"$K_MAL\",\"instance_name\":\"m1\"}{}"
bad "400 bad_request" "two objects"
api activate "[\"$K_MAL\",\"m1\"]"
bad "400 bad_request" "an array"
api activate "{\"license_key\":\"$K_MAL\",\"license_key\":\"$K_MAL\",\"instance_name\":\"m1\"}"
bad "400 bad_request" "JSON with license_key twice"
form activate "license_key=$K_MAL&instance_name=m1&license_key=$K_MAL"
bad "400 bad_request" "form with license_key twice"
api activate "{\"license_key\":\"$K_MAL\",\"instance_name\":1}"
bad "400 bad_request" "instance_name a number"
api activate "{\"license_key\":\"$K_MAL\",\"instance_name\":\"m1\",\"token\":\"yes\"}"
bad "400 bad_request" "token a string"
form activate "license_key=$K_MAL&instance_name=m%2"
bad "400 bad_request" "form, a cut-short percent escape"
form activate "license_key=$K_MAL&instance_name=m%G1"
bad "400 bad_request" "form, a percent escape with a non-hex digit"
form activate "license_key=$K_MAL&instance_name=m%0A1"
bad "400 bad_request" "form, a control character in instance_name"
form activate "license_key=$K_MAL&instance_name=m%FF"
bad "400 bad_request" "form, invalid UTF-8"
api activate "license_key=$K_MAL&instance_name=m1" text/plain
bad "415 unsupported_media_type" "text/plain"
api activate "license_key=$K_MAL&instance_name=m1" \
    'application/x-www-form-urlencoded; charset=latin1'
bad "415 unsupported_media_type" "a form in charset latin1"
http POST /api/v1/licenses/activate -H 'Content-Type:' \
    --data-binary "license_key=$K_MAL&instance_name=m1"
bad "415 unsupported_media_type" "no Content-Type"

# Field bounds: instance_name 255 bytes, instance_id 64.
N255=$(awk 'BEGIN { while (n++ < 255) printf "n" }')
api activate "$(jbody license_key="$K_MAL" instance_name="${N255}n")"
bad "400 bad_request" "instance_name of 256 bytes"
api activate "$(jbody license_key="$K_UNL" instance_name="$N255")"
is "$(got) $(j '.instance.name | length')" "200 valid 255" \
    "instance_name of 255 bytes: accepted"
I65=ins_$(awk 'BEGIN { while (n++ < 61) printf "0" }')
api deactivate "$(jbody license_key="$K_UNL" instance_id="$I65")"
is "$(got)" "400 bad_request" "instance_id of 65 bytes: 400"
api activate "{\"license_key\":\"$K_MAL\\u0000x\",\"instance_name\":\"m1\"}"
bad "400 bad_request" "a NUL escape in license_key"
printf '\357\273\277{"license_key":"%s","instance_name":"m1"}' "$K_MAL" \
    >"$API_DIR/bom"
http POST /api/v1/licenses/activate -H 'Content-Type: application/json' \
    --data-binary "@$API_DIR/bom"
bad "400 bad_request" "a byte order mark"

# A body of exactly 16 KiB is read; one byte more is refused.
# pad_json N: {"license_key":K_MAL,"pad":"xx..."} of exactly N bytes.
pad_json() {
	_pj_head="{\"license_key\":\"$K_MAL\",\"instance_name\":\"m1\",\"pad\":\""
	_pj_n=$(($1 - ${#_pj_head} - 2))
	printf '%s' "$_pj_head"
	awk -v n="$_pj_n" 'BEGIN { while (n-- > 0) printf "x" }'
	printf '"}'
}
pad_json 16385 >"$API_DIR/big"
http POST /api/v1/licenses/activate -H 'Content-Type: application/json' \
    --data-binary "@$API_DIR/big"
bad "413 body_too_large" "16 KiB + 1 byte"
http POST /api/v1/licenses/validate -H 'Content-Type: application/json' \
    --data-binary "@$API_DIR/big"
is "$(got)" "413 body_too_large" "validate, 16 KiB + 1 byte: 413"
pad_json 16384 >"$API_DIR/big"
http POST /api/v1/licenses/validate -H 'Content-Type: application/json' \
    --data-binary "@$API_DIR/big"
is "$(got) $(wc -c <"$API_DIR/big" | tr -d ' ')" "200 valid 16384" \
    "validate, exactly 16 KiB: read and answered"
http GET "/api/v1/licenses/validate?license_key=$K_MAL"
is "$HTTP_STATUS $(j .error) $(header Allow)" "405 method_not_allowed POST" \
    "GET: 405 with Allow: POST"
http PUT /api/v1/licenses/activate -H 'Content-Type: application/json' \
    --data-binary "$(jbody license_key="$K_MAL" instance_name=m1)"
bad "405 method_not_allowed" "PUT"
activate "$K_MAL" m1
is "$(got) $(seats "$K_MAL")" "200 valid 1" \
    "after all that, a well-formed activation of the same key works"

# ---- the pending downgrade, after its date ----------------------------------

while [ "$(date +%s)" -lt "$DG_AT" ]; do
	sleep 1
done
validate "$K_DG"
is "$(got) $(j .valid) $(j .tier) $(j .license_key.activation_limit) $(j .license_key.activation_usage)" \
    "200 too_many_instances false basic 1 3" \
    "pending downgrade, after its date: basic, three seats on one: too_many_instances"
is "$(j .error) $(j '.features | length')" \
    "this license key has more active instances than its activation limit 0" \
    "too_many_instances: error sentence, basic has no features"
activate "$K_DG" "$(uniq_name)"
is "$(got)" "400 activation_limit_reached" "after the downgrade: no new seat"
activate "$K_DG" dg-host-1
is "$(got) $(j .license_key.activation_usage)" "200 valid 3" \
    "after the downgrade: an active instance_name still activates (idempotent)"
for _i in $DG_INSTS; do
	[ "$_i" = "${DG_INSTS##* }" ] && break
	api deactivate "$(jbody license_key="$K_DG" instance_id="$_i")"
done
validate "$K_DG"
is "$(got) $(j .valid) $(j .license_key.activation_usage)" "200 valid true 1" \
    "after freeing two seats: valid again"

# ---- key rotation ------------------------------------------------------------

OLD_KID=$KID
OLD_PUB=$PUB
OLD_TOKEN=$TOKEN
rot=$("$LH_CTL" -c "$CONF_MAIN" keys rotate 2>&1)
NEW_KID=$(printf '%s\n' "$rot" | sed -n 's/^\(k[0-9a-f-]*\) active$/\1/p')
like "$rot" "$OLD_KID standby" "keys rotate: the old key goes on standby"
if [ -z "$NEW_KID" ] || [ "$NEW_KID" = "$OLD_KID" ]; then
	fail "keys rotate: a new active kid" "$rot"
else
	pass "keys rotate: a new active kid"
fi
KID=$NEW_KID
PUB=$API_DIR/$KID.pub.pem
"$LH_CTL" -c "$CONF_MAIN" keys public >"$PUB" 2>/dev/null
stop_workers
start_workers "$CONF_MAIN" 2 || bail_out "cannot restart licensehook"
validate "$K_ACT" instance_id="$T_INST" token=true
is "$(got) $(sig_kid "$SIG")" "200 valid $KID" "after rotation: answers carry the new kid"
signed "after rotation"
if sig_ok "$OLD_PUB" "$LH_TMP/http.body" "$SIG"; then
	fail "after rotation: the old public key does not verify new answers"
else
	pass "after rotation: the old public key does not verify new answers"
fi
NEW_TOKEN=$(j '.token // empty')
b64url_dec "${NEW_TOKEN%%.*}" >"$API_DIR/token4.json" 2>/dev/null
is "$(jq -r .kid "$API_DIR/token4.json" 2>&1)" "$KID" "after rotation: tokens carry the new kid"
sh "$VERIFY_SH" token "$PUB" "$NEW_TOKEN" >/dev/null 2>&1
is "$?" 0 "after rotation: the new public key verifies a new token"
sh "$VERIFY_SH" token "$OLD_PUB" "$OLD_TOKEN" >/dev/null 2>&1
is "$?" 0 "after rotation: the old public key still verifies a token issued before"
"$LH_CTL" -c "$CONF_MAIN" keys public "$OLD_KID" >"$API_DIR/old-again.pem" 2>/dev/null
check "after rotation: keys public OLD_KID is the old public key" \
    cmp -s "$OLD_PUB" "$API_DIR/old-again.pem"

# ---- rate limits ----------------------------------------------------------------

# fresh_window: a burst must fit in one one-minute window, so from
# second 50 on wait for the next minute.  The counts of this minute's
# earlier requests (made under limits of 1000000) are then cleared from
# the usage database's rate_limits, in place of waiting up to a minute
# for the next window.
fresh_window() {
	_fw=$(date +%S)
	_fw=${_fw#0}
	[ "$_fw" -lt 50 ] || sleep $((61 - _fw))
	usql "DELETE FROM rate_limits;"
}

# limited DESC: the last answer is a 429 with a Retry-After of 1..60.
limited() {
	_rt=$(header Retry-After)
	is "$(got) $(j .message)" "429 rate_limited too many requests" "$1: 429 rate_limited"
	if [ -n "$_rt" ] && [ "$_rt" -ge 1 ] 2>/dev/null && [ "$_rt" -le 60 ]; then
		pass "$1: Retry-After $_rt (1..60)"
	else
		fail "$1: Retry-After 1..60" "got '$_rt'"
	fi
}

stop_workers
start_workers "$CONF_RATE_ADDR" 2 || bail_out "cannot restart licensehook"
fresh_window
v_rows=$(ucount validations)
_bad=
for _k in "$K_RATE" "$K_RATE2" "$UNKNOWN" LH-2345 "$K_ACT"; do
	validate "$_k"
	case $HTTP_STATUS in 200|404) ;; *) _bad="$_bad $_k:$(got)" ;; esac
done
is "${_bad:-none}" none "rate_limit_address = 5: five requests (five keys) answered"
validate "$K_TRIAL"
limited "rate_limit_address = 5: the sixth request in the minute"
signed "429"
is "$(ucount validations)" "$((v_rows + 5))" "a rate-limited request adds no usage-log row"
activate "$K_UNL" "$(uniq_name)"
is "$(got)" "429 rate_limited" "rate_limit_address: another route and key, same address: 429"

stop_workers
start_workers "$CONF_RATE_KEY" 2 || bail_out "cannot restart licensehook"
fresh_window
_lrate=$(printf '%s' "$K_RATE" | tr '[:upper:]' '[:lower:]')
_bad=
for _k in "$K_RATE" "$_lrate" "$K_RATE" "$_lrate" "$K_RATE"; do
	validate "$_k"
	[ "$(got)" = "200 valid" ] || _bad="$_bad $(got)"
done
is "${_bad:-none}" none "rate_limit_key = 5: five validations of one key (either case) answered"
validate "$_lrate"
limited "rate_limit_key = 5: the sixth request for the key"
signed "429 (per key)"
activate "$K_RATE" "$(uniq_name)"
is "$(got)" "429 rate_limited" "rate_limit_key: activate on the same key: 429"
validate "$K_RATE2"
is "$(got)" "200 valid" "rate_limit_key: another key from the same address: 200"

done_testing
