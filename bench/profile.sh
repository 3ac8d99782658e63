#!/bin/sh
#
# profile.sh [webhook|validate] [N]: where one licensehook worker spends
# its instructions, counted by callgrind (repeatable, unlike wall time on
# a shared machine).
#
# Starts one FastCGI worker of the tree's ./licensehook under
# valgrind --tool=callgrind on a unix socket, sends it N requests
# (default 500) with cgi-fcgi (libfcgi's bridge; no web server, so only
# licensehook's own work is counted), stops it, and prints the
# instructions per request and the costliest functions, inclusive.
#
#   webhook   N signed, unique checkout.session.completed events, each a
#             new license (the durable path: commit and WAL flush)
#   validate  one license, validated N times (the read path)
#
# Build without sanitizers first (./configure && make): ASan's
# instrumentation would be counted too.  Needs valgrind, spawn-fcgi,
# cgi-fcgi (Debian: libfcgi-bin), sqlite3, openssl.  Writes the raw
# profile to bench/work-profile/callgrind.out (BENCH_KEEP=1 keeps the
# directory) for callgrind_annotate or kcachegrind.

set -eu

BENCH=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$BENCH/.." && pwd)
WHAT=${1:-webhook}
N=${2:-500}
case $WHAT in webhook | validate) ;; *)
	echo "usage: bench/profile.sh [webhook|validate] [N]" >&2
	exit 2 ;;
esac
case $N in '' | *[!0-9]*) echo "profile.sh: N must be a number" >&2; exit 2 ;; esac

for c in valgrind callgrind_annotate spawn-fcgi cgi-fcgi sqlite3 openssl; do
	command -v "$c" >/dev/null 2>&1 || {
		echo "profile.sh: $c is missing" >&2
		exit 1
	}
done
LH=$TOP/licensehook
[ -x "$LH" ] || { echo "profile.sh: build ./licensehook first" >&2; exit 1; }
if nm "$LH" 2>/dev/null | grep -q __asan_init; then
	echo "profile.sh: ./licensehook is built with ASan; configure without it" >&2
	exit 1
fi

W=$BENCH/work-profile
rm -rf "$W"
mkdir -p "$W/keys"
chmod 700 "$W/keys"
SECRET=whsec_profile_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
cat >"$W/lh.conf" <<EOF
[licensehook]
database = $W/lh.db
mode = test
log = $W/lh.log

[stripe]
webhook_secret = $SECRET

[keys]
prefix = LH
groups = 4
group_length = 4

[tiers]
default = pro

[tier pro]
max_activations = 3

[api]
keys_dir = $W/keys
# Counted, as in bench/run.sh, but never reached.
rate_limit_address = 1000000
rate_limit_key = 1000000
EOF
chmod 600 "$W/lh.conf"
"$TOP/licensectl" -c "$W/lh.conf" keys generate >/dev/null

worker=
cleanup() {
	[ -z "$worker" ] || kill -TERM "$worker" 2>/dev/null || :
	[ "${BENCH_KEEP:-0}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

# event N: a signed, unique one-time purchase; prints its file name.
event() {
	_f=$W/ev.$1
	_t=$(date +%s)
	cat >"$_f" <<EOF
{"id":"evt_prof_$1_$_t","object":"event","api_version":"2024-06-20","created":$_t,"livemode":false,"type":"checkout.session.completed","data":{"object":{"id":"cs_test_prof_$1_$_t","object":"checkout.session","mode":"payment","payment_status":"paid","status":"complete","customer":"cus_prof_$1","customer_details":{"email":"buyer$1@example.com","name":"Buyer $1"},"payment_intent":"pi_prof_$1_$_t","amount_total":4900,"currency":"usd","created":$_t}}}
EOF
	echo "$_f"
}

# send METHOD URI FILE [VAR=VALUE...]: one FastCGI request, nginx's way.
send() {
	_m=$1 _u=$2 _f=$3
	shift 3
	env -i REQUEST_METHOD="$_m" REQUEST_URI="$_u" SCRIPT_NAME="$_u" \
	    DOCUMENT_URI="$_u" SERVER_PROTOCOL=HTTP/1.1 \
	    GATEWAY_INTERFACE=CGI/1.1 REMOTE_ADDR=127.0.0.1 \
	    CONTENT_LENGTH="$(wc -c <"$_f" | tr -d ' ')" "$@" \
	    cgi-fcgi -bind -connect "$W/sock" <"$_f" >>"$W/answers" 2>&1
}

# The license to validate: made through the webhook path before the
# profiled worker starts.
if [ "$WHAT" = validate ]; then
	f=$(event 0)
	env -i REQUEST_METHOD=POST REQUEST_URI=/api/v1/webhooks/stripe \
	    SCRIPT_NAME=/api/v1/webhooks/stripe SERVER_PROTOCOL=HTTP/1.1 \
	    GATEWAY_INTERFACE=CGI/1.1 CONTENT_TYPE=application/json \
	    CONTENT_LENGTH="$(wc -c <"$f" | tr -d ' ')" \
	    HTTP_STRIPE_SIGNATURE="$("$TOP/tests/e2e/sign.sh" "$SECRET" "$f")" \
	    LICENSEHOOK_CONF="$W/lh.conf" "$LH" <"$f" >/dev/null
	KEY=$(sqlite3 "$W/lh.db" 'SELECT key FROM licenses LIMIT 1;')
	printf '{"license_key":"%s"}' "$KEY" >"$W/validate.json"
fi

# Events are made and signed before the worker starts, so that only the
# requests fall inside the profile.
i=0
if [ "$WHAT" = webhook ]; then
	while [ "$i" -lt "$N" ]; do
		i=$((i + 1))
		f=$(event "$i")
		"$TOP/tests/e2e/sign.sh" "$SECRET" "$f" >"$f.sig"
	done
fi

spawn-fcgi -s "$W/sock" -P "$W/worker.pid" -- \
    "$(command -v valgrind)" --tool=callgrind \
    --callgrind-out-file="$W/callgrind.out" \
    "$LH" -c "$W/lh.conf" >/dev/null
worker=$(cat "$W/worker.pid")
i=0
while [ ! -S "$W/sock" ] && [ "$i" -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

# One request to warm up (prepared statements, page cache, templates)
# is not counted apart: over N requests it is noise.
i=0
while [ "$i" -lt "$N" ]; do
	i=$((i + 1))
	if [ "$WHAT" = webhook ]; then
		send POST /api/v1/webhooks/stripe "$W/ev.$i" \
		    CONTENT_TYPE=application/json \
		    HTTP_STRIPE_SIGNATURE="$(cat "$W/ev.$i.sig")"
	else
		send POST /api/v1/licenses/validate "$W/validate.json" \
		    CONTENT_TYPE=application/json
	fi
done
ok=$(grep -o 'Status: 200' "$W/answers" | wc -l)
kill -TERM "$worker"
i=0
while kill -0 "$worker" 2>/dev/null && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
worker=

total=$(callgrind_annotate "$W/callgrind.out" 2>/dev/null |
    awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1; exit }')
echo "$WHAT: $N requests, $ok answered 200"
echo "instructions: $total in all, $((total / N)) per request (start-up included)"
echo
echo "costliest functions, inclusive, share of all instructions:"
callgrind_annotate --inclusive=yes "$W/callgrind.out" 2>/dev/null |
    awk -v t="$total" '/^ *[0-9,]+ .* \[/ && n < 30 {
	v = $1; gsub(",", "", v)
	if (v + 0 < t / 100 || /below main|libc-start|ld-linux/) next
	sub(/^ *[0-9,]+ +(\([^)]*\) +)?/, "")
	sub(/^[^ ]*\//, "")
	printf "  %5.1f%%  %s\n", 100 * v / t, $0; n++ }'
