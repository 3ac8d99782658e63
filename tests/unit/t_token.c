/*
 * token.c: Ed25519 signatures in base64url, and offline tokens.
 *
 * The key pairs, messages and signatures are RFC 8032 §7.1 TEST 1, 2
 * and 3.  Their base64url forms were computed with coreutils:
 *   printf %s SIG_HEX | xxd -r -p | basenc --base64url -w0 | tr -d =
 * GOLDEN is the token for TOK_GOLDEN under the TEST 1 key, made without
 * licensehook (OpenSSL 3 command line, in an empty directory):
 *   printf 302e020100300506032b657004220420%s SECRET_HEX_1 |
 *       xxd -r -p | openssl pkey -inform DER -out k.pem
 *   printf %s "$JSON" | basenc --base64url -w0 | tr -d = > msg
 *   openssl pkeyutl -sign -inkey k.pem -rawin -in msg -out sig
 *   echo "$(cat msg).$(basenc --base64url -w0 < sig | tr -d =)"
 * with JSON set to GOLDEN_JSON below.  tests/fuzz/token/valid is the
 * same token; the other seeds there were signed the same way over
 * payloads their names describe (dup-exp, not-json, ...), or are GOLDEN
 * cut or altered (bad-sig, no-dot, two-dots).  A fuzz target verifies
 * them with the TEST 1 public key.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "lh.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

#define SIG_LEN		86	/* base64url symbols in a signature */
#define TIME_MAX	253402300799LL	/* 9999-12-31T23:59:59Z */

static const struct {
	const char	*name;
	const char	*secret;
	const char	*public;
	const char	*msg;		/* hex */
	const char	*sig;		/* hex */
	const char	*sig_b64;
} rfc[] = {
	{ "RFC 8032 TEST 1",
	    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
	    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
	    "",
	    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155"
	    "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
	    "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr"
	    "0lv18FlbviRlUUFDjnoQCw" },
	{ "RFC 8032 TEST 2",
	    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
	    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
	    "72",
	    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
	    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
	    "kqAJqfDUyrhyDoILX2QlQKKye1QWUD-Ps3YiI-vbadoIWsHkPhWZbkWPNhPQ8R2M"
	    "OHsurrQwKu6wDSkWErsMAA" },
	{ "RFC 8032 TEST 3",
	    "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
	    "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
	    "af82",
	    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac"
	    "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
	    "YpHWV97sJAJIJ-acOr4BowzlSKKEdDpEXjaA19taw6wY_5tTjRbykK5n92CYTcZZ"
	    "SnwV6XFu0o3AJ77O6h7ECg" },
};

#define GOLDEN_JSON \
	"{\"kid\":\"k1\",\"lic\":\"LH-ABCD-EFGH-JKLM-NPQR\",\"tier\":\"pro\"," \
	"\"features\":[\"core\",\"export\",\"sync\"]," \
	"\"inst\":\"in_0123456789abcdef\",\"iat\":1700000000," \
	"\"exp\":1700604800}"
#define GOLDEN \
	"eyJraWQiOiJrMSIsImxpYyI6IkxILUFCQ0QtRUZHSC1KS0xNLU5QUVIiLCJ0aWVyIjoi" \
	"cHJvIiwiZmVhdHVyZXMiOlsiY29yZSIsImV4cG9ydCIsInN5bmMiXSwiaW5zdCI6Imlu" \
	"XzAxMjM0NTY3ODlhYmNkZWYiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDYwNDgw" \
	"MH0.xQFoeGglNDHyI4qgU-XSDTMp6sKkXwsl-rmKEkc0u94IpWAZwZTn5qjNscfa4HTX" \
	"4fC3vh2aGlPisqOH0mTeBQ"

static const struct lh_token TOK_GOLDEN = {
	"", "LH-ABCD-EFGH-JKLM-NPQR", "pro", " core, export,,sync , ",
	"in_0123456789abcdef", 1700000000LL, 1700604800LL
};

/* A payload's members after "kid" for the hand-made payloads below. */
#define P_REST \
	"\"lic\":\"LH-A\",\"tier\":\"pro\",\"features\":[\"core\"]," \
	"\"iat\":100,\"exp\":200"
#define P_OK	"{\"kid\":\"k1\"," P_REST "}"

/* A payload part ({"a":1}) and TEST 1's signature, for shape tests. */
#define P1	"eyJhIjoxfQ"
#define S1_85 \
	"5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc-bRr" \
	"0lv18FlbviRlUUFDjnoQC"
#define S1	S1_85 "w"

static struct lh_signkey	 K1, K2, K_BAD;

static void
unhex(const char *hex, uint8_t *out, size_t *outlen)
{
	size_t		 i, n = strlen(hex) / 2;
	unsigned int	 b;

	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			abort();
		out[i] = (uint8_t)b;
	}
	if (outlen != NULL)
		*outlen = n;
}

static void
mkkey(struct lh_signkey *k, const char *kid, const char *secret,
    const char *public)
{
	memset(k, 0, sizeof(*k));
	snprintf(k->kid, sizeof(k->kid), "%s", kid);
	unhex(secret, k->priv, NULL);
	unhex(public, k->pub, NULL);
}

/*
 * base64url the test's own way (OpenSSL's standard base64, then RFC 4648
 * §5's two symbols, padding dropped), so token.c's encoder is checked
 * against another one.  out must hold 4 * (n + 2) / 3 + 1 bytes.
 */
static void
b64u(const void *in, size_t n, char *out)
{
	size_t	 i;
	int	 len;

	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	for (i = 0; i < (size_t)len; i++) {
		if (out[i] == '+')
			out[i] = '-';
		else if (out[i] == '/')
			out[i] = '_';
		else if (out[i] == '=') {
			out[i] = '\0';
			break;
		}
	}
}

/* The reverse, for canonical input; returns the byte count. */
static size_t
unb64u(const char *in, size_t n, uint8_t *out)
{
	char	 buf[LH_TOKEN_MAX + 4];
	size_t	 i, pad = (4 - n % 4) % 4;
	int	 len;

	if (n + pad >= sizeof(buf))
		abort();
	for (i = 0; i < n; i++)
		buf[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	for (; i < n + pad; i++)
		buf[i] = '=';
	buf[i] = '\0';
	if ((len = EVP_DecodeBlock(out, (unsigned char *)buf, (int)i)) < 0)
		abort();
	return (size_t)len - pad;
}

/* A token over payload as given, validly signed by key. */
static void
mktok(const struct lh_signkey *key, const char *payload, size_t len,
    char *out, size_t outlen)
{
	char	 p1[LH_TOKEN_MAX * 2], sig[LH_SIG_B64_MAX];

	if (4 * (len + 2) / 3 + 1 > sizeof(p1))
		abort();
	b64u(payload, len, p1);
	if (token_sign_b64(key, p1, strlen(p1), sig) != LH_OK)
		abort();
	if ((size_t)snprintf(out, outlen, "%s.%s", p1, sig) >= outlen)
		abort();
}

static enum lh_err
verify_payload(const char *payload, time_t now, struct lh_token *out)
{
	char	 t[LH_TOKEN_MAX * 2];

	mktok(&K1, payload, strlen(payload), t, sizeof(t));
	return token_verify(K1.pub, t, now, out);
}

static void
test_rfc8032(void)
{
	uint8_t		 msg[8], sig[64];
	char		 b64[LH_SIG_B64_MAX], bad[LH_SIG_B64_MAX];
	size_t		 i, n, bit, rejected;
	struct lh_signkey k;

	for (i = 0; i < NELEM(rfc); i++) {
		mkkey(&k, "rfc", rfc[i].secret, rfc[i].public);
		unhex(rfc[i].msg, msg, &n);
		unhex(rfc[i].sig, sig, NULL);

		is_int(token_sign_b64(&k, msg, n, b64), LH_OK,
		    "%s: sign", rfc[i].name);
		is_str(b64, rfc[i].sig_b64, "%s: signature", rfc[i].name);
		b64u(sig, sizeof(sig), bad);
		is_str(bad, rfc[i].sig_b64, "%s: test encoder agrees",
		    rfc[i].name);
		is_int(token_verify_b64(k.pub, msg, n, rfc[i].sig_b64), LH_OK,
		    "%s: verify", rfc[i].name);
		is_int(token_verify_b64(k.pub, "x", 1, rfc[i].sig_b64),
		    LH_ERR_SIG_MISMATCH, "%s: other message", rfc[i].name);
		if (n > 0) {
			is_int(token_verify_b64(k.pub, msg, n - 1,
			    rfc[i].sig_b64), LH_ERR_SIG_MISMATCH,
			    "%s: message cut short", rfc[i].name);
			rejected = 0;
			for (bit = 0; bit < n * 8; bit++) {
				msg[bit / 8] ^= 1u << bit % 8;
				rejected += token_verify_b64(k.pub, msg, n,
				    rfc[i].sig_b64) == LH_ERR_SIG_MISMATCH;
				msg[bit / 8] ^= 1u << bit % 8;
			}
			is_int(rejected, n * 8, "%s: every 1-bit change of "
			    "the message fails", rfc[i].name);
		}
		rejected = 0;
		for (bit = 0; bit < sizeof(sig) * 8; bit++) {
			sig[bit / 8] ^= 1u << bit % 8;
			b64u(sig, sizeof(sig), bad);
			rejected += token_verify_b64(k.pub, msg, n, bad) ==
			    LH_ERR_SIG_MISMATCH;
			sig[bit / 8] ^= 1u << bit % 8;
		}
		is_int(rejected, sizeof(sig) * 8, "%s: every 1-bit change of "
		    "the signature fails", rfc[i].name);
		is_int(token_verify_b64(K2.pub, msg, n, rfc[i].sig_b64),
		    i == 1 ? LH_OK : LH_ERR_SIG_MISMATCH,
		    "%s: with TEST 2's public key", rfc[i].name);
	}

	/* A private key with someone else's public key is refused. */
	is_int(token_sign_b64(&K_BAD, "x", 1, b64), LH_ERR_SIGNING,
	    "sign: public key not derived from the private key");
	is_str(b64, "", "sign: nothing written on failure");
	is_int(token_sign_b64(&K1, NULL, 0, b64), LH_OK,
	    "sign: NULL empty message");
	is_str(b64, rfc[0].sig_b64, "sign: NULL empty message is TEST 1");
	is_int(token_verify_b64(K1.pub, NULL, 0, rfc[0].sig_b64), LH_OK,
	    "verify: NULL empty message");
	is_int(token_sign_b64(&K1, NULL, 1, b64), LH_ERR_INTERNAL,
	    "sign: NULL message with a length");
	is_int(token_verify_b64(NULL, "", 0, rfc[0].sig_b64),
	    LH_ERR_INTERNAL, "verify: NULL key");
}

/* Signature strings that are not canonical base64url of 64 bytes. */
static void
test_b64_edges(void)
{
	const char	*s2 = rfc[1].sig_b64;	/* has '-' */
	const char	*s3 = rfc[2].sig_b64;	/* has '_' */
	char		 buf[256];
	const uint8_t	 m2[] = { 0x72 }, m3[] = { 0xaf, 0x82 };
	uint8_t		 pub3[32];
	char		*p;

	is_int(token_verify_b64(K2.pub, m2, 1, s2), LH_OK, "b64: TEST 2 '-'");
	is_int(token_verify_b64(K1.pub, "", 0, NULL), LH_ERR_SIG_MISMATCH,
	    "b64: NULL signature");
	is_int(token_verify_b64(K1.pub, "", 0, ""), LH_ERR_SIG_MISMATCH,
	    "b64: empty signature");

	snprintf(buf, sizeof(buf), "%s==", s2);
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: padding refused");
	snprintf(buf, sizeof(buf), "%s=", s2);
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: one '=' refused");
	snprintf(buf, sizeof(buf), "%.85s", s2);
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: 85 symbols");
	snprintf(buf, sizeof(buf), "%sA", s2);
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: 87 symbols");
	snprintf(buf, sizeof(buf), "%s\n", s2);
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: trailing newline");
	snprintf(buf, sizeof(buf), " %.85s", s2);
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: leading space");

	/* RFC 4648 §4 symbols for the same bytes. */
	snprintf(buf, sizeof(buf), "%s", s2);
	if ((p = strchr(buf, '-')) == NULL)
		abort();
	*p = '+';
	is_int(token_verify_b64(K2.pub, m2, 1, buf), LH_ERR_SIG_MISMATCH,
	    "b64: '+' for '-' refused");
	snprintf(buf, sizeof(buf), "%s", s3);
	if ((p = strchr(buf, '_')) == NULL)
		abort();
	*p = '/';
	unhex(rfc[2].public, pub3, NULL);
	is_int(token_verify_b64(pub3, m3, 2, s3), LH_OK, "b64: TEST 3 '_'");
	is_int(token_verify_b64(pub3, m3, 2, buf), LH_ERR_SIG_MISMATCH,
	    "b64: '/' for '_' refused");

	/*
	 * 86 symbols carry 516 bits; the last 4 must be zero.  TEST 1 ends
	 * in 'w' (110000); 'x' (110001) decodes to the same 64 bytes in a
	 * lenient decoder.
	 */
	snprintf(buf, sizeof(buf), "%s", rfc[0].sig_b64);
	if (buf[SIG_LEN - 1] != 'w')
		abort();
	buf[SIG_LEN - 1] = 'x';
	is_int(token_verify_b64(K1.pub, "", 0, buf), LH_ERR_SIG_MISMATCH,
	    "b64: non-zero trailing bits refused");
	buf[SIG_LEN - 1] = 'z';
	is_int(token_verify_b64(K1.pub, "", 0, buf), LH_ERR_SIG_MISMATCH,
	    "b64: non-zero trailing bits refused (2)");
	buf[SIG_LEN - 1] = '.';
	is_int(token_verify_b64(K1.pub, "", 0, buf), LH_ERR_SIG_MISMATCH,
	    "b64: '.' refused");
	buf[SIG_LEN - 1] = '\x80';
	is_int(token_verify_b64(K1.pub, "", 0, buf), LH_ERR_SIG_MISMATCH,
	    "b64: byte 0x80 refused");
}

/* Payloads of every length mod 3 encode and decode. */
static void
test_b64_lengths(void)
{
	struct lh_token	 t = { "", "A", "pro", "", "", 0, 0 }, v;
	char		 tok[LH_TOKEN_MAX], want[LH_TOKEN_MAX];
	char		 json[512];
	uint8_t		 raw[LH_TOKEN_MAX];
	size_t		 i, n, good = 0, p1len;
	const char	*dot;

	for (i = 1; i <= 12; i++) {
		memset(t.license, 'A', i);
		t.license[i] = '\0';
		if (token_fmt(&K1, &t, tok, sizeof(tok)) != LH_OK ||
		    token_verify(K1.pub, tok, 0, &v) != LH_OK ||
		    strcmp(v.license, t.license) != 0)
			continue;
		/* Compare the payload with the test's own encoding. */
		snprintf(json, sizeof(json), "{\"kid\":\"k1\",\"lic\":\"%s\","
		    "\"tier\":\"pro\",\"features\":[],\"iat\":0,\"exp\":0}",
		    t.license);
		b64u(json, strlen(json), want);
		dot = strchr(tok, '.');
		p1len = (size_t)(dot - tok);
		n = unb64u(tok, p1len, raw);
		if (strlen(want) == p1len && memcmp(tok, want, p1len) == 0 &&
		    n == strlen(json) && memcmp(raw, json, n) == 0)
			good++;
	}
	is_int(good, 12, "b64: payloads of 12 lengths (all n mod 3) "
	    "round-trip and match OpenSSL's base64");
}

static void
test_fmt(void)
{
	struct lh_token	 t, v;
	char		 tok[LH_TOKEN_MAX], json[LH_TOKEN_MAX];
	uint8_t		 raw[LH_TOKEN_MAX];
	const char	*dot;
	size_t		 n, len;

	/* Byte for byte what the OpenSSL command line made. */
	is_int(token_fmt(&K1, &TOK_GOLDEN, tok, sizeof(tok)), LH_OK,
	    "fmt: golden");
	is_str(tok, GOLDEN, "fmt: golden token");
	n = unb64u(tok, (size_t)(strchr(tok, '.') - tok), raw);
	raw[n] = '\0';
	is_str((char *)raw, GOLDEN_JSON, "fmt: golden payload");

	is_int(token_verify(K1.pub, GOLDEN, 1700000000, &v), LH_OK,
	    "verify: golden");
	is_str(v.kid, "k1", "verify: kid");
	is_str(v.license, "LH-ABCD-EFGH-JKLM-NPQR", "verify: lic");
	is_str(v.tier, "pro", "verify: tier");
	is_str(v.features, "core,export,sync", "verify: features normalised");
	is_str(v.instance, "in_0123456789abcdef", "verify: inst");
	is_int(v.iat, 1700000000, "verify: iat");
	is_int(v.exp, 1700604800, "verify: exp");

	/* Expiry: exp itself is valid, one second later is not. */
	is_int(token_verify(K1.pub, GOLDEN, 1700604800, &v), LH_OK,
	    "verify: now == exp is valid");
	is_int(token_verify(K1.pub, GOLDEN, 1700604801, &v), LH_ERR_SIG_STALE,
	    "verify: now == exp + 1 is stale");
	is_str(v.license, "", "verify: nothing returned when stale");
	is_int(token_verify(K1.pub, GOLDEN, 0, &v), LH_OK,
	    "verify: before iat is valid (clocks drift)");
	is_int(token_verify(K2.pub, GOLDEN, 1700000000, &v),
	    LH_ERR_SIG_MISMATCH, "verify: wrong public key");

	/* No instance: "inst" left out; no features: []. */
	t = TOK_GOLDEN;
	snprintf(t.kid, sizeof(t.kid), "k1");
	t.instance[0] = '\0';
	t.features[0] = '\0';
	t.iat = t.exp = 5;
	is_int(token_fmt(&K1, &t, tok, sizeof(tok)), LH_OK,
	    "fmt: no instance, no features, iat == exp, tok->kid == kid");
	n = unb64u(tok, (size_t)(strchr(tok, '.') - tok), raw);
	raw[n] = '\0';
	is_str((char *)raw,
	    "{\"kid\":\"k1\",\"lic\":\"LH-ABCD-EFGH-JKLM-NPQR\","
	    "\"tier\":\"pro\",\"features\":[],\"iat\":5,\"exp\":5}",
	    "fmt: payload without inst");
	is_int(token_verify(K1.pub, tok, 5, &v), LH_OK, "verify: no inst");
	is_str(v.instance, "", "verify: instance empty");
	is_str(v.features, "", "verify: features empty");
	is_int(token_verify(K1.pub, tok, 6, &v), LH_ERR_SIG_STALE,
	    "verify: iat == exp, one second later");

	/* Non-ASCII features and tier survive. */
	t = TOK_GOLDEN;
	snprintf(t.features, sizeof(t.features), "expo\xcc\x81rt,\xe2\x82\xac");
	snprintf(t.tier, sizeof(t.tier), "t\xc3\xa9");
	is_int(token_fmt(&K1, &t, tok, sizeof(tok)), LH_OK, "fmt: UTF-8");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_OK, "verify: UTF-8");
	is_str(v.features, "expo\xcc\x81rt,\xe2\x82\xac", "verify: UTF-8 "
	    "features");
	is_str(v.tier, "t\xc3\xa9", "verify: UTF-8 tier");

	/* Output bounds: exactly big enough, one byte short. */
	len = strlen(GOLDEN);
	is_int(token_fmt(&K1, &TOK_GOLDEN, tok, len + 1), LH_OK,
	    "fmt: outlen == length + 1");
	is_int(token_fmt(&K1, &TOK_GOLDEN, tok, len), LH_ERR_INTERNAL,
	    "fmt: outlen == length");
	is_str(tok, "", "fmt: nothing written on failure");
	is_int(token_fmt(&K1, &TOK_GOLDEN, tok, 1), LH_ERR_INTERNAL,
	    "fmt: outlen 1");
	is_int(token_fmt(&K1, &TOK_GOLDEN, tok, 0), LH_ERR_INTERNAL,
	    "fmt: outlen 0");
	is_int(token_fmt(&K_BAD, &TOK_GOLDEN, tok, sizeof(tok)),
	    LH_ERR_SIGNING, "fmt: mismatched key pair");

	/* Tampering after signing. */
	snprintf(tok, sizeof(tok), "%s", GOLDEN);
	n = unb64u(tok, (size_t)(strchr(tok, '.') - tok), raw);
	raw[n] = '\0';
	memcpy(strstr((char *)raw, "\"pro\""), "\"max\"", 5);
	b64u(raw, n, json);
	dot = strchr(GOLDEN, '.');
	if ((size_t)snprintf(tok, sizeof(tok), "%s%s", json, dot) >=
	    sizeof(tok))
		abort();
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_SIG_MISMATCH,
	    "verify: payload edited and re-encoded");
	snprintf(tok, sizeof(tok), "%s", GOLDEN);
	tok[0] = 'f';
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_SIG_MISMATCH,
	    "verify: one payload symbol changed");
	snprintf(tok, sizeof(tok), "%s", GOLDEN);
	tok[strlen(tok) - 2] = tok[strlen(tok) - 2] == 'A' ? 'B' : 'A';
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_SIG_MISMATCH,
	    "verify: one signature symbol changed");
	/* A signature from another token (same key). */
	t = TOK_GOLDEN;
	t.exp++;
	if (token_fmt(&K1, &t, json, sizeof(json)) != LH_OK)
		abort();
	snprintf(tok, sizeof(tok), "%.*s%s", (int)(dot - GOLDEN), GOLDEN,
	    strchr(json, '.'));
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_SIG_MISMATCH,
	    "verify: signature of another token");
}

/* token_fmt() refuses fields it could not write or verify would refuse. */
static void
test_fmt_fields(void)
{
	struct lh_token	 t;
	struct lh_signkey k;
	char		 tok[LH_TOKEN_MAX], big[LH_TOKEN_MAX * 2];
	struct lh_token	 v;
	size_t		 i;

#define FMT(want, what) \
	is_int(token_fmt(&k, &t, tok, sizeof(tok)), want, "fmt: " what)

	k = K1;
	t = TOK_GOLDEN;
	memset(k.kid, 'k', sizeof(k.kid) - 1);
	FMT(LH_OK, "kid of LH_KID_MAX");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_OK,
	    "verify: kid of LH_KID_MAX");
	memset(k.kid, 'k', sizeof(k.kid));
	FMT(LH_ERR_INTERNAL, "kid not terminated");
	k = K1;
	k.kid[0] = '\0';
	FMT(LH_ERR_INTERNAL, "empty kid");
	snprintf(k.kid, sizeof(k.kid), "k 1");
	FMT(LH_ERR_INTERNAL, "kid with a space");
	snprintf(k.kid, sizeof(k.kid), "k,1");
	FMT(LH_ERR_INTERNAL, "kid with a comma");
	snprintf(k.kid, sizeof(k.kid), "2026-01_a.B");
	FMT(LH_OK, "kid of every allowed kind of symbol");
	k = K1;
	snprintf(t.kid, sizeof(t.kid), "k2");
	FMT(LH_ERR_INTERNAL, "tok->kid not the key's");

	t = TOK_GOLDEN;
	memset(t.license, 'L', sizeof(t.license) - 1);
	FMT(LH_OK, "license of LH_KEY_MAX - 1");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_OK,
	    "verify: license of LH_KEY_MAX - 1");
	memset(t.license, 'L', sizeof(t.license));
	FMT(LH_ERR_INTERNAL, "license not terminated");
	snprintf(t.license, sizeof(t.license), "LH-A B");
	FMT(LH_ERR_INTERNAL, "license with a space");
	t.license[0] = '\0';
	FMT(LH_ERR_INTERNAL, "empty license");

	t = TOK_GOLDEN;
	memset(t.tier, 't', sizeof(t.tier) - 1);
	FMT(LH_OK, "tier of LH_NAME_MAX");
	memset(t.tier, 't', sizeof(t.tier));
	FMT(LH_ERR_INTERNAL, "tier not terminated");
	t.tier[0] = '\0';
	FMT(LH_ERR_INTERNAL, "empty tier");
	snprintf(t.tier, sizeof(t.tier), "p\tro");
	FMT(LH_ERR_INTERNAL, "tier with a tab");
	snprintf(t.tier, sizeof(t.tier), "p\xc3");
	FMT(LH_ERR_INTERNAL, "tier not UTF-8");

	t = TOK_GOLDEN;
	memset(t.instance, 'i', sizeof(t.instance) - 1);
	FMT(LH_OK, "instance of LH_INSTANCE_ID_MAX");
	memset(t.instance, 'i', sizeof(t.instance));
	FMT(LH_ERR_INTERNAL, "instance not terminated");
	snprintf(t.instance, sizeof(t.instance), "in 1");
	FMT(LH_ERR_INTERNAL, "instance with a space");

	t = TOK_GOLDEN;
	for (i = 0; i + 1 < sizeof(t.features); i++)
		t.features[i] = i % 2 ? ',' : 'f';
	t.features[i] = '\0';
	FMT(LH_OK, "features of LH_API_FIELD_MAX - 1 (512 items)");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_OK,
	    "verify: 512 features");
	is_int(strlen(v.features), sizeof(t.features) - 1,
	    "verify: 512 features come back");
	memset(t.features, 'f', sizeof(t.features));
	FMT(LH_ERR_INTERNAL, "features not terminated");
	snprintf(t.features, sizeof(t.features), "core,ex\nport");
	FMT(LH_ERR_INTERNAL, "feature with a newline");
	snprintf(t.features, sizeof(t.features), "core,\texport\t,sync");
	FMT(LH_OK, "tabs around features");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_OK,
	    "verify: tabs around features");
	is_str(v.features, "core,export,sync", "verify: tabs trimmed");
	snprintf(t.features, sizeof(t.features), "core,ex\tport");
	FMT(LH_ERR_INTERNAL, "feature with a tab inside");
	snprintf(t.features, sizeof(t.features), "core,\xff");
	FMT(LH_ERR_INTERNAL, "feature not UTF-8");
	snprintf(t.features, sizeof(t.features), " , ,");
	FMT(LH_OK, "features of blanks and commas only");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_OK,
	    "verify: features of blanks and commas only");
	is_str(v.features, "", "verify: no features left");

	/*
	 * Valid fields that escape to more than LH_TOKEN_MAX: every '"'
	 * becomes \" and 512 one-quote features with 4 bytes of JSON each.
	 */
	t = TOK_GOLDEN;
	for (i = 0; i + 1 < sizeof(t.features); i++)
		t.features[i] = i % 2 ? ',' : '"';
	t.features[i] = '\0';
	memset(t.license, '"', sizeof(t.license) - 1);
	memset(t.tier, '"', sizeof(t.tier) - 1);
	memset(t.instance, '\\', sizeof(t.instance) - 1);
	is_int(token_fmt(&K1, &t, big, sizeof(big)), LH_ERR_INTERNAL,
	    "fmt: over LH_TOKEN_MAX even with a larger buffer");

	t = TOK_GOLDEN;
	t.exp = TIME_MAX;
	FMT(LH_OK, "exp 9999-12-31T23:59:59Z");
	is_int(token_verify(K1.pub, tok, TIME_MAX, &v), LH_OK,
	    "verify: exp 9999-12-31T23:59:59Z");
	is_int(v.exp, TIME_MAX, "verify: large exp exact");
	t.exp = TIME_MAX + 1;
	FMT(LH_ERR_INTERNAL, "exp past 9999");
	t = TOK_GOLDEN;
	t.iat = t.exp + 1;
	FMT(LH_ERR_INTERNAL, "iat after exp");
	t.iat = -1;
	FMT(LH_ERR_INTERNAL, "negative iat");
	t.iat = 0;
	FMT(LH_OK, "iat 0");
	is_int(token_fmt(NULL, &t, tok, sizeof(tok)), LH_ERR_INTERNAL,
	    "fmt: NULL key");
	is_int(token_fmt(&K1, NULL, tok, sizeof(tok)), LH_ERR_INTERNAL,
	    "fmt: NULL token");
#undef FMT
}

/* Tokens whose shape is wrong, before any signature is checked. */
static void
test_shape(void)
{
	const char	*sig = rfc[0].sig_b64;
	struct lh_token	 v;
	char		 tok[LH_TOKEN_MAX + 16];
	size_t		 i;
	const struct {
		const char	*token;
		const char	*what;
	} bad[] = {
		{ P1 S1, "no dot" },
		{ P1 "." S1 ".", "two dots, trailing" },
		{ P1 ".." S1, "two dots together" },
		{ "." P1 "." S1, "leading dot" },
		{ "." S1, "empty payload part" },
		{ P1 ".", "empty signature part" },
		{ P1 "." S1_85, "signature of 85 symbols" },
		{ P1 "." S1 "A", "signature of 87 symbols" },
		{ P1 "." S1 "==", "signature padded" },
		{ P1 "=." S1, "payload padded" },
		{ P1 "+." S1, "payload with '+'" },
		{ P1 "/." S1, "payload with '/'" },
		{ " " P1 "." S1, "leading space" },
		{ P1 "." S1 "\n", "trailing newline" },
		{ P1 "." S1 " ", "trailing space" },
		{ P1 "AAA." S1, "payload of 4n+1 symbols" },
		{ "eyJhIjoxfR." S1, "payload with non-zero trailing bits" },
		{ P1 "." S1_85 "x", "signature with non-zero trailing bits" },
	};

	for (i = 0; i < NELEM(bad); i++)
		is_int(token_verify(K1.pub, bad[i].token, 0, &v),
		    LH_ERR_API_REQUEST, "shape: %s", bad[i].what);
	is_int(token_verify(K1.pub, "", 0, &v), LH_ERR_API_REQUEST,
	    "shape: empty");
	is_int(token_verify(K1.pub, ".", 0, &v), LH_ERR_API_REQUEST,
	    "shape: only a dot");
	is_int(token_verify(K1.pub, NULL, 0, &v), LH_ERR_API_REQUEST,
	    "shape: NULL");
	is_int(token_verify(NULL, GOLDEN, 0, &v), LH_ERR_INTERNAL,
	    "shape: NULL key");
	is_int(token_verify(K1.pub, GOLDEN, 0, NULL), LH_ERR_INTERNAL,
	    "shape: NULL out");

	/* Length: LH_TOKEN_MAX - 1 is looked at, LH_TOKEN_MAX is not. */
	memset(tok, 'A', LH_TOKEN_MAX - 1 - 1 - SIG_LEN);
	snprintf(tok + LH_TOKEN_MAX - 1 - 1 - SIG_LEN, SIG_LEN + 2, ".%s", sig);
	is_int(strlen(tok), LH_TOKEN_MAX - 1, "shape: built 4095 bytes");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_SIG_MISMATCH,
	    "shape: 4095 bytes reach the signature check");
	memset(tok, 'A', LH_TOKEN_MAX - 1 - SIG_LEN);
	snprintf(tok + LH_TOKEN_MAX - 1 - SIG_LEN, SIG_LEN + 2, ".%s", sig);
	is_int(strlen(tok), LH_TOKEN_MAX, "shape: built 4096 bytes");
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_API_REQUEST,
	    "shape: 4096 bytes refused");
}

/* Validly signed payloads that are not what token_fmt() writes. */
static void
test_payload(void)
{
	struct lh_token	 v;
	char		 p[LH_TOKEN_MAX], tok[LH_TOKEN_MAX * 2];
	char		 fill[LH_API_FIELD_MAX + 8];
	size_t		 i;
	const struct {
		const char	*payload;
		enum lh_err	 want;
		const char	*what;
	} cases[] = {
		{ P_OK, LH_OK, "the reference payload" },
		{ "{\"kid\":\"k1\"," P_REST ",\"inst\":\"in_1\"}", LH_OK,
		    "inst last" },
		{ "{\"kid\":\"k1\"," P_REST ",\"x\":[1,{}],\"v\":2}", LH_OK,
		    "unknown members ignored" },
		{ "{\"kid\":\"k1\"," P_REST ",\"EXP\":9999}", LH_OK,
		    "\"EXP\" is not \"exp\"" },
		{ "{\"kid\":\"k1\"," P_REST ",\"exp\":300}", LH_ERR_API_REQUEST,
		    "duplicate exp, later one larger" },
		{ "{\"exp\":300,\"kid\":\"k1\"," P_REST "}", LH_ERR_API_REQUEST,
		    "duplicate exp, first one larger" },
		{ "{\"kid\":\"k1\"," P_REST ",\"exp\":200}", LH_ERR_API_REQUEST,
		    "duplicate exp, same value" },
		{ "{\"kid\":\"k1\",\"kid\":\"k1\"," P_REST "}",
		    LH_ERR_API_REQUEST, "duplicate kid" },
		{ "{\"kid\":\"k1\"," P_REST ",\"x\":1,\"x\":2}",
		    LH_ERR_API_REQUEST, "duplicate unknown member" },
		{ "not json", LH_ERR_API_REQUEST, "not JSON" },
		{ "", LH_ERR_API_REQUEST, "empty" },
		{ "{}", LH_ERR_API_REQUEST, "empty object" },
		{ "[" P_OK "]", LH_ERR_API_REQUEST, "array" },
		{ "\"x\"", LH_ERR_API_REQUEST, "string" },
		{ "null", LH_ERR_API_REQUEST, "null" },
		{ P_OK P_OK, LH_ERR_API_REQUEST, "two objects" },
		{ P_OK "x", LH_ERR_API_REQUEST, "trailing byte" },
		{ P_OK " ", LH_ERR_API_REQUEST, "trailing space" },
		{ " " P_OK, LH_ERR_API_REQUEST, "leading space" },
		{ "{\"kid\":\"k1\",\n" P_REST "}", LH_ERR_API_REQUEST,
		    "newline inside" },
		{ "{\"kid\":\"k1\"," P_REST, LH_ERR_API_REQUEST, "unclosed" },
		{ "\xef\xbb\xbf" P_OK, LH_ERR_API_REQUEST, "byte order mark" },
		/* Missing members. */
		{ "{" P_REST "}", LH_ERR_API_REQUEST, "no kid" },
		{ "{\"kid\":\"k1\",\"tier\":\"pro\",\"features\":[],"
		    "\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST, "no lic" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"features\":[],"
		    "\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST, "no tier" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST, "no features" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"exp\":2}", LH_ERR_API_REQUEST,
		    "no iat" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1}", LH_ERR_API_REQUEST,
		    "no exp" },
		{ "{\"KID\":\"k1\"," P_REST "}", LH_ERR_API_REQUEST,
		    "\"KID\" is not \"kid\"" },
		/* Wrong types. */
		{ "{\"kid\":1," P_REST "}", LH_ERR_API_REQUEST, "kid number" },
		{ "{\"kid\":null," P_REST "}", LH_ERR_API_REQUEST, "kid null" },
		{ "{\"kid\":\"k1\",\"lic\":[\"A\"],\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "lic array" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":{},"
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "tier object" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":\"core\",\"iat\":1,\"exp\":2}",
		    LH_ERR_API_REQUEST, "features string" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[1],\"iat\":1,\"exp\":2}",
		    LH_ERR_API_REQUEST, "features of numbers" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[\"\"],\"iat\":1,\"exp\":2}",
		    LH_ERR_API_REQUEST, "empty feature" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[\"a,b\"],\"iat\":1,\"exp\":2}",
		    LH_ERR_API_REQUEST, "feature with a comma" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[\" a\"],\"iat\":1,\"exp\":2}",
		    LH_ERR_API_REQUEST, "feature with a leading space" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":\"1\",\"exp\":2}",
		    LH_ERR_API_REQUEST, "iat string" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":true,\"exp\":2}",
		    LH_ERR_API_REQUEST, "iat boolean" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":2.5}",
		    LH_ERR_API_REQUEST, "exp fractional" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":-1,\"exp\":2}",
		    LH_ERR_API_REQUEST, "iat negative" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":1e300}",
		    LH_ERR_API_REQUEST, "exp 1e300" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":1e999}",
		    LH_ERR_API_REQUEST, "exp infinite" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":253402300800}",
		    LH_ERR_API_REQUEST, "exp past 9999" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":253402300799}",
		    LH_OK, "exp 9999-12-31T23:59:59Z" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":3,\"exp\":2}",
		    LH_ERR_API_REQUEST, "iat after exp" },
		{ "{\"kid\":\"k1\"," P_REST ",\"inst\":\"\"}",
		    LH_ERR_API_REQUEST, "empty inst" },
		{ "{\"kid\":\"k1\"," P_REST ",\"inst\":7}",
		    LH_ERR_API_REQUEST, "inst number" },
		/* Content. */
		{ "{\"kid\":\"k 1\"," P_REST "}", LH_ERR_API_REQUEST,
		    "kid with a space" },
		{ "{\"kid\":\"\"," P_REST "}", LH_ERR_API_REQUEST,
		    "empty kid" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\\u0000B\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "\\u0000 in lic" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\\\\u0000B\",\"tier\":\"p\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_OK,
		    "\\\\u0000 (a backslash, then text) in lic" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\\u0001\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "\\u0001 in tier" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\x01\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "raw 0x01 in tier" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\xc3\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "tier not UTF-8" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"p\\ud800\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_ERR_API_REQUEST,
		    "lone surrogate in tier" },
		{ "{\"kid\":\"k1\",\"lic\":\"A\",\"tier\":\"t\\u00e9\","
		    "\"features\":[],\"iat\":1,\"exp\":2}", LH_OK,
		    "escaped UTF-8 in tier" },
	};

	/* now = 1: before every exp above. */
	for (i = 0; i < NELEM(cases); i++)
		is_int(verify_payload(cases[i].payload, 1, &v),
		    cases[i].want, "payload: %s", cases[i].what);
	is_int(verify_payload(P_OK, 150, &v), LH_OK, "payload: reference");
	is_str(v.features, "core", "payload: reference features");
	is_int(verify_payload(P_OK, 201, &v), LH_ERR_SIG_STALE,
	    "payload: reference, stale");
	/* A case-insensitive lookup would find "Exp" first. */
	is_int(verify_payload("{\"Exp\":99999999,\"kid\":\"k1\"," P_REST "}",
	    300, &v), LH_ERR_SIG_STALE, "payload: \"Exp\" first does not "
	    "hide \"exp\"");

	/* "\u0000" makes cJSON stop a string: caught before it parses. */
	mktok(&K1, "{\"kid\":\"k1\"," P_REST ",\"x\":\"\0\"}",
	    sizeof("{\"kid\":\"k1\"," P_REST ",\"x\":\"\0\"}") - 1, tok,
	    sizeof(tok));
	is_int(token_verify(K1.pub, tok, 0, &v), LH_ERR_API_REQUEST,
	    "payload: raw NUL");

	/* Field lengths: the limit and one past it. */
#define LEN_CASE(key, n, want, what) do {				\
	memset(fill, 'a', (n));						\
	fill[(n)] = '\0';						\
	snprintf(p, sizeof(p), "{\"kid\":\"%s\",\"lic\":\"%s\","	\
	    "\"tier\":\"%s\",\"features\":[\"%s\"],\"inst\":\"%s\","	\
	    "\"iat\":1,\"exp\":2}",					\
	    strcmp(key, "kid") == 0 ? fill : "k",			\
	    strcmp(key, "lic") == 0 ? fill : "L",			\
	    strcmp(key, "tier") == 0 ? fill : "t",			\
	    strcmp(key, "features") == 0 ? fill : "f",			\
	    strcmp(key, "inst") == 0 ? fill : "i");			\
	is_int(verify_payload(p, 0, &v), want, "payload: %s", what);	\
} while (0)
	LEN_CASE("kid", LH_KID_MAX, LH_OK, "kid of LH_KID_MAX");
	LEN_CASE("kid", LH_KID_MAX + 1, LH_ERR_API_REQUEST,
	    "kid of LH_KID_MAX + 1");
	LEN_CASE("lic", LH_KEY_MAX - 1, LH_OK, "lic of LH_KEY_MAX - 1");
	LEN_CASE("lic", LH_KEY_MAX, LH_ERR_API_REQUEST, "lic of LH_KEY_MAX");
	LEN_CASE("tier", LH_NAME_MAX, LH_OK, "tier of LH_NAME_MAX");
	LEN_CASE("tier", LH_NAME_MAX + 1, LH_ERR_API_REQUEST,
	    "tier of LH_NAME_MAX + 1");
	LEN_CASE("inst", LH_INSTANCE_ID_MAX, LH_OK,
	    "inst of LH_INSTANCE_ID_MAX");
	LEN_CASE("inst", LH_INSTANCE_ID_MAX + 1, LH_ERR_API_REQUEST,
	    "inst of LH_INSTANCE_ID_MAX + 1");
	LEN_CASE("features", LH_API_FIELD_MAX - 1, LH_OK,
	    "one feature of LH_API_FIELD_MAX - 1");
	is_int(strlen(v.features), LH_API_FIELD_MAX - 1,
	    "payload: the long feature comes back whole");
	LEN_CASE("features", LH_API_FIELD_MAX, LH_ERR_API_REQUEST,
	    "one feature of LH_API_FIELD_MAX");
#undef LEN_CASE

	/* Two features joined: "a…a,f" of LH_API_FIELD_MAX - 1 and + 1. */
	memset(fill, 'a', LH_API_FIELD_MAX - 3);
	fill[LH_API_FIELD_MAX - 3] = '\0';
	snprintf(p, sizeof(p), "{\"kid\":\"k\",\"lic\":\"L\",\"tier\":\"t\","
	    "\"features\":[\"%s\",\"f\"],\"iat\":1,\"exp\":2}", fill);
	is_int(verify_payload(p, 0, &v), LH_OK,
	    "payload: features joining to LH_API_FIELD_MAX - 1");
	fill[LH_API_FIELD_MAX - 3] = 'a';
	fill[LH_API_FIELD_MAX - 2] = '\0';
	snprintf(p, sizeof(p), "{\"kid\":\"k\",\"lic\":\"L\",\"tier\":\"t\","
	    "\"features\":[\"%s\",\"f\"],\"iat\":1,\"exp\":2}", fill);
	is_int(verify_payload(p, 0, &v), LH_ERR_API_REQUEST,
	    "payload: features joining to LH_API_FIELD_MAX");
}

/* 1 if the n bytes at p are all zero. */
static int
all_zero(const void *p, size_t n)
{
	const uint8_t	*b = p;
	size_t		 i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/*
 * token_key_init(): a key imported once signs exactly as one imported
 * for each signature (the RFC 8032 vectors, many messages, the golden
 * token), is refused at init when its halves disagree, and
 * token_key_free() leaves nothing behind.
 */
static void
test_key_init(void)
{
	struct lh_signkey k, per;
	char		 b64[LH_SIG_B64_MAX], want[LH_SIG_B64_MAX];
	char		 tok[LH_TOKEN_MAX], m[200];
	uint8_t		 msg[8];
	size_t		 i, n, same, good;

	for (i = 0; i < NELEM(rfc); i++) {
		mkkey(&k, "rfc", rfc[i].secret, rfc[i].public);
		unhex(rfc[i].msg, msg, &n);
		is_int(token_key_init(&k), LH_OK, "key init: %s", rfc[i].name);
		ok(k.pkey != NULL, "key init: %s: pkey set", rfc[i].name);
		is_int(token_sign_b64(&k, msg, n, b64), LH_OK,
		    "key init: %s: sign", rfc[i].name);
		is_str(b64, rfc[i].sig_b64, "key init: %s: signature",
		    rfc[i].name);
		token_key_free(&k);
	}

	/* One key, many messages: each the per-call path's signature. */
	mkkey(&k, "k1", rfc[0].secret, rfc[0].public);
	mkkey(&per, "k1", rfc[0].secret, rfc[0].public);
	is_int(token_key_init(&k), LH_OK, "key init: TEST 1");
	same = good = 0;
	for (i = 0; i < sizeof(m); i++) {
		m[i] = (char)('a' + i % 26);
		if (token_sign_b64(&k, m, i + 1, b64) != LH_OK ||
		    token_sign_b64(&per, m, i + 1, want) != LH_OK)
			break;
		same += strcmp(b64, want) == 0;
		good += token_verify_b64(K1.pub, m, i + 1, b64) == LH_OK;
	}
	is_int(same, sizeof(m), "key init: %zu signatures as the per-call "
	    "path makes them", sizeof(m));
	is_int(good, sizeof(m), "key init: %zu signatures verify",
	    sizeof(m));
	is_int(token_fmt(&k, &TOK_GOLDEN, tok, sizeof(tok)), LH_OK,
	    "key init: fmt golden");
	is_str(tok, GOLDEN, "key init: golden token");

	/* Twice would leak the first EVP_PKEY; the key still signs. */
	is_int(token_key_init(&k), LH_ERR_INTERNAL, "key init: twice");
	is_int(token_sign_b64(&k, NULL, 0, b64), LH_OK,
	    "key init: signs after a refused second init");
	is_str(b64, rfc[0].sig_b64, "key init: still TEST 1");

	token_key_free(&k);
	ok(all_zero(&k, sizeof(k)), "key free: the whole struct is wiped");
	is_int(token_sign_b64(&k, "x", 1, b64), LH_ERR_SIGNING,
	    "key free: a freed key does not sign");
	token_key_free(&k);
	ok(all_zero(&k, sizeof(k)), "key free: twice is harmless");
	token_key_free(&per);
	token_key_free(NULL);

	/* The mismatch is caught at load time, not at the first answer. */
	mkkey(&k, "bad", rfc[0].secret, rfc[1].public);
	is_int(token_key_init(&k), LH_ERR_SIGNING,
	    "key init: public half of another key");
	ok(k.pkey == NULL, "key init: no pkey after a refusal");
	token_key_free(&k);
	is_int(token_key_init(NULL), LH_ERR_INTERNAL, "key init: NULL");
}

int
main(void)
{
	mkkey(&K1, "k1", rfc[0].secret, rfc[0].public);
	mkkey(&K2, "k2", rfc[1].secret, rfc[1].public);
	mkkey(&K_BAD, "bad", rfc[0].secret, rfc[1].public);

	test_rfc8032();
	test_b64_edges();
	test_b64_lengths();
	test_fmt();
	test_fmt_fields();
	test_shape();
	test_payload();
	test_key_init();
	return done_testing();
}
