#!/bin/sh
#
# keys.sh: licensectl keys, the Ed25519 keys that sign license API
# answers: generate, list, public, rotate and retire; the files, their
# modes and the "active" pointer; that a published public key verifies
# what its private key signs (with openssl alone, as the vendor's
# software would); the refusals (active key retired, unsafe permissions,
# a public file that does not match); and that no private key byte ever
# reaches the output.  No web server, no database.  TAP.  Needs openssl.

. "${top_srcdir:-$(dirname "$0")/../..}/tests/e2e/lib.sh"

require_build "$LH_CTL"
require_cmd openssl od

KEYS=$LH_TMP/keys
NOAPI=$LH_TMP/noapi.conf
CONF=$LH_CONF
MSG=$LH_TMP/msg
SECRETS=$LH_TMP/secrets		# private key material, never printed
ALL=$LH_TMP/all.out		# everything every command printed

write_config "$NOAPI"
write_config "$CONF"
printf '\n[api]\nkeys_dir = %s\n' "$KEYS" >>"$CONF"
: >"$SECRETS"
: >"$ALL"

# ctl ARG...: licensectl with $CTL_CONF (default $CONF); sets CTL_EXIT,
# CTL_OUT, CTL_ERR, and keeps both streams in $ALL.
ctl() {
	"$LH_CTL" -c "${CTL_CONF:-$CONF}" "$@" >"$LH_TMP/ctl.out" \
	    2>"$LH_TMP/ctl.err"
	CTL_EXIT=$?
	CTL_OUT=$(cat "$LH_TMP/ctl.out")
	CTL_ERR=$(cat "$LH_TMP/ctl.err")
	cat "$LH_TMP/ctl.out" "$LH_TMP/ctl.err" >>"$ALL"
}

# mode_of FILE: permission bits in octal (GNU stat, else BSD stat).
mode_of() {
	stat -c %a "$1" 2>/dev/null || stat -f %Lp "$1"
}

# remember_secret KID: note the private key's PEM body and raw bytes
# (hex and base64) to look for in the output at the end.
remember_secret() {
	openssl pkey -in "$KEYS/$1.pem" -outform DER 2>/dev/null |
	    tail -c 32 >"$LH_TMP/raw"
	{
		sed -e '/^-----/d' "$KEYS/$1.pem"
		od -An -tx1 "$LH_TMP/raw" | tr -d ' \n'
		echo
		openssl base64 -A -in "$LH_TMP/raw"
		echo
	} >>"$SECRETS"
	rm -f "$LH_TMP/raw"
}

# verifies PUBPEM SIGFILE MSGFILE: an Ed25519 signature checks out.
verifies() {
	openssl pkeyutl -verify -pubin -inkey "$1" -rawin -sigfile "$2" \
	    -in "$3" >"$LH_TMP/verify.out" 2>&1
}

# ---- without keys_dir --------------------------------------------------

CTL_CONF=$NOAPI ctl keys list
is "$CTL_EXIT" 1 "no keys_dir: keys list exits 1"
like "$CTL_ERR" 'keys_dir.*\[api\]' "no keys_dir: says [api] keys_dir is missing"
CTL_CONF=$NOAPI ctl keys generate
is "$CTL_EXIT" 1 "no keys_dir: keys generate exits 1"
check "no keys_dir: nothing created" test ! -e "$KEYS"

# ---- keys_dir set, nothing made yet -------------------------------------

ctl keys list
is "$CTL_EXIT" 1 "missing directory: keys list exits 1"
like "$CTL_ERR" "$KEYS: no such directory \\(licensectl keys generate makes it\\)" \
    "missing directory: says how to make it"
ctl keys public
is "$CTL_EXIT" 1 "missing directory: keys public exits 1"

# The parent of keys_dir is not made.
printf '\n[api]\nkeys_dir = %s/no/such/keys\n' "$LH_TMP" >"$LH_TMP/deep.conf"
cat "$NOAPI" "$LH_TMP/deep.conf" >"$LH_TMP/deep2.conf"
chmod 600 "$LH_TMP/deep2.conf"
CTL_CONF=$LH_TMP/deep2.conf ctl keys generate
is "$CTL_EXIT" 1 "missing parent: keys generate exits 1"
like "$CTL_ERR" "cannot create" "missing parent: says it cannot create the directory"

# ---- generate: the first key becomes active ------------------------------

d0=$(date -u +%Y%m%d)
# Even with a careless umask the files get their own modes.
(umask 000 && ctl keys generate && echo "$CTL_EXIT|$CTL_OUT" >"$LH_TMP/gen1")
gen1=$(cat "$LH_TMP/gen1")
d1=$(date -u +%Y%m%d)
kid1=$(echo "$gen1" | sed -n 's/^0|\(k[0-9a-f-]*\) active$/\1/p')
like "$gen1" '^0\|k[0-9]{8}-[0-9a-f]{4} active$' \
    "generate: exit 0, prints the new kid (k + date + 4 hex) as active"
case $kid1 in
k$d0-*|k$d1-*) pass "generate: the kid carries today's UTC date" ;;
*) fail "generate: the kid carries today's UTC date" "kid '$kid1'" ;;
esac
is "$(mode_of "$KEYS")" 700 "generate: keys_dir made with mode 0700 (umask 000)"
is "$(mode_of "$KEYS/$kid1.pem")" 600 "generate: private key file mode 0600"
is "$(mode_of "$KEYS/$kid1.pub.pem")" 644 "generate: public key file mode 0644"
is "$(mode_of "$KEYS/active")" 644 "generate: active file mode 0644"
is "$(cat "$KEYS/active")" "$kid1" "generate: active names the new key"
is "$(wc -c <"$KEYS/active" | tr -d ' ')" "$((${#kid1} + 1))" \
    "generate: active is exactly one line"
is "$(head -1 "$KEYS/$kid1.pem")" "-----BEGIN PRIVATE KEY-----" \
    "generate: the private key is PKCS8 PEM"
is "$(head -1 "$KEYS/$kid1.pub.pem")" "-----BEGIN PUBLIC KEY-----" \
    "generate: the public key is SubjectPublicKeyInfo PEM"
like "$(openssl pkey -in "$KEYS/$kid1.pem" -noout -text_pub 2>&1)" \
    'ED25519 Public-Key' "generate: the key is Ed25519"
remember_secret "$kid1"
check "generate: no database opened or made" test ! -e "$LH_DB"

# ---- a second key waits on standby ---------------------------------------

ctl keys generate
kid2=$(echo "$CTL_OUT" | sed -n 's/^\(k[0-9a-f-]*\) standby$/\1/p')
is "$CTL_EXIT" 0 "second generate: exit 0"
like "$CTL_OUT" '^k[0-9]{8}-[0-9a-f]{4} standby$' \
    "second generate: the new key is on standby"
isnt "$kid2" "$kid1" "second generate: a new kid"
is "$(cat "$KEYS/active")" "$kid1" "second generate: the active key is unchanged"
remember_secret "$kid2"

# ---- list -----------------------------------------------------------------

ctl keys list
is "$CTL_EXIT" 0 "list: exit 0"
like "$(echo "$CTL_OUT" | head -1)" '^KID +STATE +CREATED$' "list: header row"
is "$(echo "$CTL_OUT" | sed 1d | wc -l | tr -d ' ')" 2 "list: one row per key"
like "$CTL_OUT" "^$kid1 +active +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z\$" \
    "list: the first key is active, with its creation time"
like "$CTL_OUT" "^$kid2 +standby +[0-9]{4}-" "list: the second is on standby"

ctl --json keys list
json=$(json_compact "$CTL_OUT")
is "$CTL_EXIT" 0 "--json list: exit 0"
like "$json" "\\{\"kid\":\"$kid1\",\"state\":\"active\",\"created_at\":[0-9]+\\}" \
    "--json list: kid, state and created_at of the active key"
like "$json" "\"kid\":\"$kid2\",\"state\":\"standby\"" \
    "--json list: the standby key"
like "$json" '^\[\{.*\},\{.*\}\]$' "--json list: an array of two objects"

# ---- public: what the vendor ships ------------------------------------------

ctl keys public
is "$CTL_EXIT" 0 "public: exit 0"
printf '%s\n' "$CTL_OUT" >"$LH_TMP/pub1.pem"
like "$(openssl pkey -pubin -noout -text <"$LH_TMP/pub1.pem" 2>&1)" \
    'ED25519 Public-Key' "public: openssl reads an Ed25519 public key"
check "public: the active key's .pub.pem" cmp -s "$LH_TMP/pub1.pem" \
    "$KEYS/$kid1.pub.pem"
unlike "$CTL_OUT" 'PRIVATE' "public: no private key in it"

# A signature made with the private key file verifies with what public
# printed: the same check the vendor's software makes.
printf '{"valid":true,"license_key":"LH-TEST"}' >"$MSG"
openssl pkeyutl -sign -rawin -inkey "$KEYS/$kid1.pem" -in "$MSG" \
    -out "$LH_TMP/sig1" 2>"$LH_TMP/sign.err"
is "$(wc -c <"$LH_TMP/sig1" | tr -d ' ')" 64 "openssl signs with the key file: 64 bytes"
check "the signature verifies with the published key" \
    verifies "$LH_TMP/pub1.pem" "$LH_TMP/sig1" "$MSG"
printf '{"valid":true,"license_key":"LH-TESU"}' >"$MSG.bad"
if verifies "$LH_TMP/pub1.pem" "$LH_TMP/sig1" "$MSG.bad"; then
	fail "a changed message does not verify"
else
	pass "a changed message does not verify"
fi

ctl keys public "$kid2"
is "$CTL_EXIT" 0 "public KID: exit 0"
printf '%s\n' "$CTL_OUT" >"$LH_TMP/pub2.pem"
check "public KID: that key's .pub.pem" cmp -s "$LH_TMP/pub2.pem" \
    "$KEYS/$kid2.pub.pem"
openssl pkeyutl -sign -rawin -inkey "$KEYS/$kid2.pem" -in "$MSG" \
    -out "$LH_TMP/sig2" 2>>"$LH_TMP/sign.err"
check "public KID: verifies that key's signature" \
    verifies "$LH_TMP/pub2.pem" "$LH_TMP/sig2" "$MSG"
if verifies "$LH_TMP/pub1.pem" "$LH_TMP/sig2" "$MSG"; then
	fail "another key's signature does not verify"
else
	pass "another key's signature does not verify"
fi

ctl keys public k20000101-0000
is "$CTL_EXIT" 1 "public of an unknown kid: exit 1"
like "$CTL_ERR" "no public key k20000101-0000" "public of an unknown kid: says so"
ctl keys public ../noapi
is "$CTL_EXIT" 1 "public of a path: exit 1"
like "$CTL_ERR" "not a key id" "public of a path: not a key id"

# ---- rotate ----------------------------------------------------------------

ctl keys rotate
kid3=$(echo "$CTL_OUT" | sed -n 's/^\(k[0-9a-f-]*\) active$/\1/p')
is "$CTL_EXIT" 0 "rotate: exit 0"
like "$(echo "$CTL_OUT" | head -1)" '^k[0-9]{8}-[0-9a-f]{4} active$' \
    "rotate: the new key is active"
is "$(echo "$CTL_OUT" | sed -n 2p)" "$kid1 standby" \
    "rotate: the old one is on standby"
is "$(cat "$KEYS/active")" "$kid3" "rotate: active names the new key"
is "$(mode_of "$KEYS/$kid3.pem")" 600 "rotate: private key file mode 0600"
remember_secret "$kid3"
ctl keys list
like "$CTL_OUT" "^$kid3 +active " "list after rotate: new key active"
like "$CTL_OUT" "^$kid1 +standby " "list after rotate: old key standby"
ctl keys public
printf '%s\n' "$CTL_OUT" >"$LH_TMP/pub3.pem"
check "public after rotate: the new key" cmp -s "$LH_TMP/pub3.pem" \
    "$KEYS/$kid3.pub.pem"

# ---- retire ----------------------------------------------------------------

ctl keys retire "$kid3"
is "$CTL_EXIT" 1 "retire the active key: refused, exit 1"
like "$CTL_ERR" "$kid3 is the active key" "retire the active key: says why"
check "retire the active key: its private key stays" test -f "$KEYS/$kid3.pem"

ctl keys retire "$kid1"
is "$CTL_EXIT" 0 "retire a standby key: exit 0"
is "$CTL_OUT" "$kid1 retired" "retire a standby key: says so"
check "retire: the private key is gone" test ! -e "$KEYS/$kid1.pem"
check "retire: the public key stays" test -f "$KEYS/$kid1.pub.pem"
check "retire: the marker is there" test -f "$KEYS/$kid1.retired"
ctl keys list
like "$CTL_OUT" "^$kid1 +retired " "list: the retired key"
is "$CTL_EXIT" 0 "list with a retired key: exit 0"
ctl keys public "$kid1"
printf '%s\n' "$CTL_OUT" >"$LH_TMP/pub1r.pem"
check "public of a retired key: still verifies what it signed" \
    verifies "$LH_TMP/pub1r.pem" "$LH_TMP/sig1" "$MSG"

ctl keys retire "$kid1"
is "$CTL_EXIT" 1 "retire twice: exit 1"
like "$CTL_ERR" "already retired" "retire twice: says so"
ctl keys retire k20000101-0000
is "$CTL_EXIT" 1 "retire an unknown kid: exit 1"
like "$CTL_ERR" "no key k20000101-0000" "retire an unknown kid: says so"
ctl keys retire ../noapi.conf
is "$CTL_EXIT" 1 "retire a path: exit 1"
like "$CTL_ERR" "not a key id" "retire a path: not a key id"
check "retire a path: nothing outside keys_dir touched" test -f "$NOAPI"

# ---- what licensehook would refuse, found by list ---------------------------

chmod 640 "$KEYS/$kid3.pem"
ctl keys list
is "$CTL_EXIT" 1 "group-readable private key: list exits 1"
like "$CTL_ERR" "$kid3.pem: permissions 0640 are too open" \
    "group-readable private key: says the permissions are too open"
like "$CTL_OUT" '^KID ' "group-readable private key: the table is still shown"
chmod 604 "$KEYS/$kid3.pem"
ctl keys list
like "$CTL_ERR" "permissions 0604 are too open" "world-readable private key: refused"
chmod 600 "$KEYS/$kid3.pem"
ctl keys list
is "$CTL_EXIT" 0 "mode 0600 again: list exits 0"

if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$KEYS/$kid3.pem"
	ctl keys list
	is "$CTL_EXIT" 1 "private key owned by another user: list exits 1"
	like "$CTL_ERR" "owned by uid 65534, not by uid 0" \
	    "private key owned by another user: says whose it is"
	chown 0 "$KEYS/$kid3.pem"
else
	skip "private key owned by another user: list exits 1" "needs root"
	skip "private key owned by another user: says whose it is" "needs root"
fi

chmod 770 "$KEYS"
ctl keys list
is "$CTL_EXIT" 1 "group-writable keys_dir: refused"
like "$CTL_ERR" "writable by group or others" "group-writable keys_dir: says why"
chmod 700 "$KEYS"

cp "$KEYS/$kid3.pub.pem" "$LH_TMP/save.pub.pem"
cp "$KEYS/$kid2.pub.pem" "$KEYS/$kid3.pub.pem"
ctl keys list
is "$CTL_EXIT" 1 "public file of another key: list exits 1"
like "$CTL_ERR" "$kid3.pub.pem does not match" \
    "public file of another key: says it does not match"
cp "$LH_TMP/save.pub.pem" "$KEYS/$kid3.pub.pem"

printf 'k../../etc\n' >"$KEYS/active.new" && mv "$KEYS/active.new" "$KEYS/active"
ctl keys public
is "$CTL_EXIT" 1 "a corrupt active file: refused"
like "$CTL_ERR" "does not hold one key id" "a corrupt active file: says why"
printf '%s\n' "$kid3" >"$KEYS/active.new" && mv "$KEYS/active.new" "$KEYS/active"
ctl keys list
is "$CTL_EXIT" 0 "active repaired: list exits 0"

# ---- usage -----------------------------------------------------------------

for args in "keys" "keys frob" "keys retire" "keys list x" "keys public a b" \
    "keys generate x"; do
	# shellcheck disable=SC2086
	ctl $args
	is "$CTL_EXIT" 2 "$args: usage error, exit 2"
done
"$LH_CTL" --help >"$LH_TMP/help.out" 2>&1
like "$(cat "$LH_TMP/help.out")" "keys generate" "--help: lists keys generate"
like "$(cat "$LH_TMP/help.out")" "keys retire KID" "--help: lists keys retire"

# ---- nothing secret was ever printed -------------------------------------------

check "keys never made a database" test ! -e "$LH_DB"
is "$(grep -c . "$SECRETS")" 9 "three private keys' material noted"
leaks=0
while IFS= read -r s; do
	[ -n "$s" ] || continue
	grep -qF -- "$s" "$ALL" && leaks=$((leaks + 1))
done <"$SECRETS"
is "$leaks" 0 "no private key bytes (PEM, hex or base64) in any output"
unlike "$(cat "$ALL")" 'PRIVATE KEY' "no private key PEM in any output"

done_testing
