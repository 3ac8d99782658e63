#!/bin/sh
#
# gen_db.sh CONF N [LICENSEHOOK]
#
# Make the database named by CONF's "database" hold exactly N licenses
# (1000, 100000, 1000000 for bench/run.sh), fast, with licensehook's own
# schema and real rows:
#
#   1. The file is removed, and licensehook (default ./licensehook of the
#      tree) runs once as a plain CGI program on one signed
#      checkout.session.completed event (a one-time purchase, mode
#      "payment", which never expires).  That creates the schema through
#      the real migrations and one real license, customer, audit and
#      event row: the template.
#   2. One sqlite3 transaction copies the template into licenses 2..N and
#      customers 2..N, column by column as PRAGMA table_info lists them,
#      so that a column added by a later migration is carried along.
#      Only the identifying columns change: id, key, customer, checkout
#      session (each unique), and the customer's id, email and name.
#
# Keys are a function of the license id, so that a load generator can
# pick any id in 1..N and know its key without a list (bench/validate.lua
# has the same function; keep the two equal):
#
#   x = (id * 2654435761) mod 2^40       (odd multiplier: one-to-one)
#   y = (id * 2246822519 + 3266489917) mod 2^40
#   key = "LH-" g(x,0) "-" g(x,1) "-" g(y,0) "-" g(y,1)
#   g(v,h) = 4 symbols, symbol k (0..3) = alphabet[(v >> 5(4h+k)) & 31]
#
# with licensehook's 32-symbol alphabet (LH_KEY_ALPHABET in src/lh.h,
# 23456789ABCDEFGHJKLMNPQRSTUVWXYZ), so every key has the shape
# "[keys] prefix = LH, groups = 4, group_length = 4" validates.  The
# arithmetic stays below 2^53, exact in Lua's doubles too.
#
# Needs sqlite3(1), openssl(1) (through tests/e2e/sign.sh).

set -eu

usage() {
	echo "usage: gen_db.sh CONF N [LICENSEHOOK]" >&2
	exit 2
}

[ $# -ge 2 ] && [ $# -le 3 ] || usage
CONF=$1
N=$2
BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
LH=${3:-$TOP/licensehook}
SIGN=$TOP/tests/e2e/sign.sh
FIXTURE=$TOP/tests/fixtures/stripe/pay-checkout.session.completed.json

case $N in
'' | *[!0-9]*) usage ;;
esac
[ "$N" -ge 1 ] || usage
[ -x "$LH" ] || { echo "gen_db.sh: $LH not built" >&2; exit 1; }

# conf_get KEY: the first "KEY = value" of CONF.
conf_get() {
	sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$CONF" |
	    head -1
}

DB=$(conf_get database)
SECRET=$(conf_get webhook_secret)
[ -n "$DB" ] && [ -n "$SECRET" ] ||
    { echo "gen_db.sh: no database or webhook_secret in $CONF" >&2; exit 1; }

# key_sql: the SQL expression of the key of the row of s(i, x, y) below.
# A symbol d (0..31) is char(d + 50 + 7*(d > 7) + (d > 15) + (d > 20)):
# "2".."9", then "A".."Z" without "I" and "O", the alphabet above; one
# char() per group costs a third less than one substr() per symbol.
key_sql() {
	_k="'LH'"
	for _v in x y; do
		for _h in 0 1; do
			_c=
			for _s in 0 1 2 3; do
				_d="((s.$_v >> $((5 * (4 * _h + _s)))) & 31)"
				_c="$_c${_c:+, }$_d + 50 + 7 * ($_d > 7) + ($_d > 15) + ($_d > 20)"
			done
			_k="$_k || '-' || char($_c)"
		done
	done
	printf '%s' "$_k"
}

# The rows 2..N with the two halves of their keys.
SEQ="WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n
    WHERE i < $N), s(i, x, y) AS (SELECT i, (i * 2654435761) % 1099511627776,
    (i * 2246822519 + 3266489917) % 1099511627776 FROM n)"

# ---- 1. the schema and the template, by licensehook itself ---------------

# The usage database (rate counters, usage log) at its default path,
# next to the database, starts empty too.
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-usage" "$DB-usage-wal" "$DB-usage-shm"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/gen_db.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
now=$(date +%s)
{
	printf '{"id":"evt_bench_template_%s","object":"event",' "$now"
	printf '"api_version":"2024-06-20","created":%s,' "$now"
	printf '"livemode":false,"pending_webhooks":1,'
	printf '"type":"checkout.session.completed","data":'
	sed -e 's|"id": "cs_test_[A-Za-z0-9]*"|"id": "cs_bench_template"|' \
	    -e 's|"subscription": "sub_[A-Za-z0-9]*"|"subscription": null|' \
	    -e 's|"customer": "cus_[A-Za-z0-9]*"|"customer": "cus_bench_1"|' \
	    -e 's|"mode": "subscription"|"mode": "payment"|' \
	    -e 's|"email": "chris@gorails.com"|"email": "buyer1@example.com"|' \
	    -e 's|"name": "Chris Oliver"|"name": "Buyer 1"|' \
	    "$FIXTURE"
	printf '}\n'
} >"$tmp/event.json"
sig=$("$SIGN" "$SECRET" "$tmp/event.json")
env -i PATH="$PATH" GATEWAY_INTERFACE=CGI/1.1 SERVER_PROTOCOL=HTTP/1.1 \
    REMOTE_ADDR=127.0.0.1 REQUEST_METHOD=POST \
    REQUEST_URI=/api/v1/webhooks/stripe SCRIPT_NAME=/api/v1/webhooks/stripe \
    CONTENT_TYPE=application/json \
    CONTENT_LENGTH="$(wc -c <"$tmp/event.json" | tr -d ' ')" \
    HTTP_STRIPE_SIGNATURE="$sig" LICENSEHOOK_CONF="$CONF" \
    "$LH" <"$tmp/event.json" >"$tmp/out" 2>"$tmp/err" || true
if ! grep -q '^Status: 200' "$tmp/out" ||
    [ "$(sqlite3 "$DB" 'SELECT count(*) FROM licenses')" != 1 ]; then
	echo "gen_db.sh: licensehook did not store the template license:" >&2
	cat "$tmp/out" "$tmp/err" >&2
	exit 1
fi

# ---- 2. N - 1 copies in one transaction ------------------------------------

# select_list TABLE OVERRIDES: "t.col" for each column of TABLE, or the
# override given as "col=EXPR;" in OVERRIDES.
select_list() {
	sqlite3 -batch -noheader "$DB" \
	    "SELECT name FROM pragma_table_info('$1') ORDER BY cid" |
	    awk -v ov="$2" '
	    BEGIN { n = split(ov, a, ";"); for (i = 1; i <= n; i++) {
		p = index(a[i], "="); if (p) o[substr(a[i], 1, p - 1)] = substr(a[i], p + 1) } }
	    { c = $1; cols = cols (NR > 1 ? ", " : "") c
	      sel = sel (NR > 1 ? ", " : "") ((c in o) ? o[c] : "t." c) }
	    END { print cols "\t" sel }'
}

cust=$(select_list customers "id=s.i;provider_customer_id='cus_bench_' || s.i;email='buyer' || s.i || '@example.com';name='Buyer ' || s.i")
lic=$(select_list licenses "id=s.i;key=$(key_sql);customer_id=s.i;checkout_session_id='cs_bench_' || s.i;subscription_id=NULL")
tab=$(printf '\t')

sqlite3 -batch "$DB" >/dev/null <<EOF
PRAGMA cache_size = -1048576;
PRAGMA synchronous = OFF;
PRAGMA temp_store = MEMORY;
.timeout 10000
BEGIN IMMEDIATE;
UPDATE customers SET provider_customer_id = 'cus_bench_1' WHERE id = 1;
UPDATE licenses SET key = (SELECT $(key_sql) FROM (SELECT 1 AS i,
    2654435761 % 1099511627776 AS x,
    (2246822519 + 3266489917) % 1099511627776 AS y) s),
    customer_id = 1, checkout_session_id = 'cs_bench_1' WHERE id = 1;
-- Copies of the templates: a SELECT from the very table being filled
-- would be materialised whole before the first row is inserted.
CREATE TEMP TABLE tc AS SELECT * FROM customers WHERE id = 1;
CREATE TEMP TABLE tl AS SELECT * FROM licenses WHERE id = 1;
INSERT INTO customers (${cust%%"$tab"*}) $SEQ
    SELECT ${cust#*"$tab"} FROM s, temp.tc t WHERE s.i <= $N;
INSERT INTO licenses (${lic%%"$tab"*}) $SEQ
    SELECT ${lic#*"$tab"} FROM s, temp.tl t WHERE s.i <= $N;
COMMIT;
PRAGMA wal_checkpoint(TRUNCATE);
EOF

got=$(sqlite3 "$DB" 'SELECT count(*) FROM licenses')
[ "$got" = "$N" ] || { echo "gen_db.sh: $got licenses, want $N" >&2; exit 1; }
printf '%s: %s licenses, %s bytes\n' "$DB" "$N" "$(wc -c <"$DB" | tr -d ' ')"
