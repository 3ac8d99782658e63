#!/bin/sh
# sign.sh SECRET FILE [TIMESTAMP]
#
# Print a Stripe-Signature header value, "t=<TIMESTAMP>,v1=<hex>", for the
# raw bytes of FILE ("-" reads standard input) under SECRET, as Stripe
# signs webhooks (Stripe docs, "Verify webhook signatures manually"):
# HMAC-SHA256 keyed with the whole secret string, "whsec_" included, over
# "<timestamp>.<raw body>".  TIMESTAMP defaults to now (Unix seconds).
#
# Used by tests/e2e/lib.sh and contrib/demo.sh.  Needs only openssl(1).
# Note: the secret is passed to openssl on its command line, so other
# local users can see it in ps(1) while it runs.  Fine for tests and the
# demo; do not sign production traffic this way on a shared host.

set -eu

usage() {
	echo "usage: sign.sh SECRET FILE [TIMESTAMP]" >&2
	exit 2
}

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
	usage
fi
secret=$1
file=$2
ts=${3:-$(date +%s)}

case $ts in
'' | *[!0-9]*) echo "sign.sh: timestamp must be a number: $ts" >&2; exit 2 ;;
esac
if [ "$file" != - ] && [ ! -r "$file" ]; then
	echo "sign.sh: cannot read $file" >&2
	exit 1
fi

# "openssl dgst" prints "HMAC-SHA2-256(stdin)= <hex>" (wording varies by
# version); the hex digest is always the last field.
mac=$({ printf '%s.' "$ts"; cat -- "$file"; } |
    openssl dgst -sha256 -hmac "$secret" | sed 's/^.* //')

case $mac in
????????????????????????????????????????????????????????????????) ;;
*) echo "sign.sh: openssl gave no HMAC-SHA256" >&2; exit 1 ;;
esac
printf 't=%s,v1=%s\n' "$ts" "$mac"
