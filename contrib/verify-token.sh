#!/bin/sh
#
# verify-token.sh: check a licensehook offline token, or a signed license
# API answer, with the vendor's Ed25519 public key and the openssl
# command line only (OpenSSL 3.0 or later, for pkeyutl -rawin).  The same
# checks as verify-token.c.
#
#	sh verify-token.sh token PUB.pem TOKEN
#	sh verify-token.sh response PUB.pem BODY-FILE HEADER-VALUE
#
# Exit status: 0 valid, 1 not valid (bad signature, malformed, expired),
# 2 usage or I/O error.  A valid token's payload is printed on stdout.
#
# Formats.  base64url is RFC 4648 §5 without '=' padding, and canonical
# (unused low bits zero).  An offline token is
#
#	base64url(payload) "." base64url(64-byte Ed25519 signature)
#
# signed over the ASCII text of the first part.  The payload is compact
# JSON ending in the expiry, ,"exp":<Unix seconds>} (good up to and
# including that second):
#
#	{"kid":"k1","lic":"LH-...","tier":"pro","features":["core"],
#	 "inst":"...","iat":1700000000,"exp":1700604800}
#
# ("inst" only when the token is bound to an instance).  Every license
# API answer carries the header
#
#	Licensehook-Signature: kid=<kid>, ed25519=<86 base64url symbols>
#
# signed over the exact bytes of the body; HEADER-VALUE is the text after
# "Licensehook-Signature: ".  The kid is not signed; it only names the
# key to try.  Save the body byte for byte:
#
#	curl -sS -D headers -o body -d license_key=... \
#	    https://vendor.example/api/v1/licenses/validate
#	sh verify-token.sh response pub.pem body "$(awk '
#	    tolower($0) ~ /^licensehook-signature:/ {
#		sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print }' headers)"
#
# How this was tested (tests/e2e reuses the procedure), in an empty
# directory:
#
#   1. A key pair, and its raw 32-byte halves (RFC 8410: the private key
#      is the last 32 bytes of its PKCS#8 DER, the public key the last 32
#      of its SubjectPublicKeyInfo DER):
#	openssl genpkey -algorithm ed25519 -out k.pem
#	openssl pkey -in k.pem -pubout -out pub.pem
#	openssl pkey -in k.pem -outform DER | tail -c 32 > priv.raw
#	openssl pkey -pubin -in pub.pem -outform DER | tail -c 32 > pub.raw
#   2. A driver linked with src/token.c reads priv.raw and pub.raw into a
#      struct lh_signkey (kid "k1"), prints token_fmt() of a struct
#      lh_token given on its command line, and for a file prints
#      "kid=k1, ed25519=" followed by token_sign_b64() of its bytes:
#	cc -Isrc -o mktoken mktoken.c src/token.c -lcjson -lcrypto
#	./mktoken priv.raw pub.raw token LIC TIER FEATURES INST IAT EXP > token
#	./mktoken priv.raw pub.raw body body.json > header
#   3. Both examples accept them, and refuse them after any change:
#	sh contrib/verify-token.sh token pub.pem "$(cat token)"
#	sh contrib/verify-token.sh response pub.pem body.json "$(cat header)"
#	cc -o verify-token contrib/verify-token.c -lcrypto
#	./verify-token token pub.pem "$(cat token)"
#	./verify-token response pub.pem body.json "$(cat header)"
#      Cases: an exp in the past (exit 1, "expired"), exp = now (valid),
#      one byte of body.json changed, one symbol of either token part
#      changed, another key's pub.pem (all exit 1).

set -u

SIG_B64_LEN=86

usage() {
	echo "usage: verify-token.sh token PUB.pem TOKEN" >&2
	echo "       verify-token.sh response PUB.pem BODY-FILE" \
	    "HEADER-VALUE" >&2
	exit 2
}

# Whether $1 is canonical unpadded base64url: the alphabet, a length
# that is not 4n+1, and zero unused bits in the last symbol.
b64url_ok() {
	case $1 in
	'' | *[!A-Za-z0-9_-]*) return 1 ;;
	esac
	last=${1#"${1%?}"}
	case $((${#1} % 4)) in
	1) return 1 ;;
	2) case $last in [AQgw]) ;; *) return 1 ;; esac ;;
	3) case $last in [AEIMQUYcgkosw048]) ;; *) return 1 ;; esac ;;
	esac
	return 0
}

# Decode canonical base64url $1 into the file $2.
b64url_decode() {
	b64url_ok "$1" || return 1
	s=$(printf '%s' "$1" | tr '_-' '/+')
	case $((${#s} % 4)) in
	2) s="$s==" ;;
	3) s="$s=" ;;
	esac
	printf '%s\n' "$s" | openssl base64 -d -A > "$2"
}

# Ed25519 over the file $2 with the signature file $3, key $1.
ed25519_verify() {
	openssl pkeyutl -verify -pubin -inkey "$1" -rawin -in "$2" \
	    -sigfile "$3" > /dev/null 2>&1
}

verify_token() {
	pub=$1 token=$2
	case $token in
	*.*.*) echo "token: malformed" >&2; return 1 ;;
	?*.?*) ;;
	*) echo "token: malformed" >&2; return 1 ;;
	esac
	p1=${token%%.*} p2=${token#*.}
	if [ ${#p2} -ne $SIG_B64_LEN ] || ! b64url_ok "$p1" ||
	    ! b64url_decode "$p2" "$tmp/sig" ||
	    [ "$(wc -c < "$tmp/sig")" -ne 64 ]; then
		echo "token: malformed" >&2
		return 1
	fi
	# The signature covers the base64url text, not the JSON.
	printf '%s' "$p1" > "$tmp/msg"
	if ! ed25519_verify "$pub" "$tmp/msg" "$tmp/sig"; then
		echo "token: signature does not match" >&2
		return 1
	fi
	b64url_decode "$p1" "$tmp/payload" || return 1
	payload=$(cat "$tmp/payload")
	exp=$(printf '%s\n' "$payload" |
	    sed -n 's/.*,"exp":\([0-9]\{1,12\}\)}$/\1/p')
	if [ -z "$exp" ]; then
		echo "token: malformed payload" >&2
		return 1
	fi
	if [ "$(date +%s)" -gt "$exp" ]; then
		echo "token: expired at $exp" >&2
		return 1
	fi
	printf '%s\n' "$payload"
}

verify_response() {
	pub=$1 body=$2 header=$3
	[ -r "$body" ] || { echo "$body: not readable" >&2; return 2; }
	kid='' sig='' nsig=0
	# Parameters separated by ',' and spaces; unknown ones skipped.
	rest=$header
	while [ -n "$rest" ]; do
		item=${rest%%,*}
		case $rest in *,*) rest=${rest#*,} ;; *) rest= ;; esac
		item=$(printf '%s' "$item" |
		    sed 's/^[[:blank:]]*//;s/[[:blank:]]*$//')
		case $item in
		kid=*) kid=${item#kid=} ;;
		ed25519=*) sig=${item#ed25519=} nsig=$((nsig + 1)) ;;
		esac
	done
	if [ "$nsig" -ne 1 ] || [ ${#sig} -ne $SIG_B64_LEN ] ||
	    ! b64url_decode "$sig" "$tmp/sig" ||
	    [ "$(wc -c < "$tmp/sig")" -ne 64 ]; then
		echo "response: malformed Licensehook-Signature" >&2
		return 1
	fi
	if ! ed25519_verify "$pub" "$body" "$tmp/sig"; then
		echo "response: signature does not match (kid $kid)" >&2
		return 1
	fi
	echo "valid, kid $kid"
}

[ $# -ge 3 ] || usage
mode=$1 pub=$2
[ -r "$pub" ] || { echo "$pub: not readable" >&2; exit 2; }
openssl pkey -pubin -in "$pub" -noout -text 2>/dev/null |
    grep -q '^ED25519 Public-Key' ||
    { echo "$pub: not an Ed25519 public key" >&2; exit 2; }

tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 2' HUP INT TERM

case $mode in
token)
	[ $# -eq 3 ] || usage
	verify_token "$pub" "$3"
	;;
response)
	[ $# -eq 4 ] || usage
	verify_response "$pub" "$3" "$4"
	;;
*)
	usage
	;;
esac
