/*
 * Fuzz target: offline tokens, token_verify() (token.c).
 *
 * The key pair is RFC 8032 §7.1 TEST 1; now is fixed an hour after the
 * iat of the seeds in tests/fuzz/token/ (tests/unit/t_token.c says how
 * they were signed), so the valid ones verify.
 *
 * Input, two kinds:
 *  - a token (anything not starting with '{'): verified as it is.
 *    Mutations almost never carry a good signature, so this explores
 *    the shape checks and the base64url and signature decoding.
 *  - a payload (starting with '{'): encoded and signed here with the
 *    TEST 1 private key (token_sign_b64()), then verified, so that the
 *    payload parser behind the signature check is fuzzed too.
 * Either way a failure must leave *out zeroed; a success must give
 * fields within their bounds and an unexpired token, and the token
 * token_fmt() makes from them must verify to the same fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lh.h"

#define FUZZ_NAME	token
#include "fuzz.h"

/* An hour after the seeds' iat. */
#define TOK_NOW		(1700000000 + 3600)
#define TOK_TIME_MAX	253402300799LL	/* token.c: 9999-12-31 */

static const uint8_t tok_priv[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
	0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
	0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
	0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};
static const uint8_t tok_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
	0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
	0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
	0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a
};

static void	tok_key(struct lh_signkey *, const char *);
static size_t	tok_b64u(const uint8_t *, size_t, char *);
static char	*tok_sign(const uint8_t *, size_t);
static void	tok_check_kid(const char *);
static void	tok_check(const char *);

static void
tok_key(struct lh_signkey *key, const char *kid)
{
	memset(key, 0, sizeof(*key));
	memcpy(key->kid, kid, strnlen(kid, sizeof(key->kid) - 1));
	memcpy(key->priv, tok_priv, sizeof(key->priv));
	memcpy(key->pub, tok_pub, sizeof(key->pub));
}

/* Unpadded base64url (RFC 4648 §5) of n bytes into out; its length. */
static size_t
tok_b64u(const uint8_t *in, size_t n, char *out)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t			 i, o = 0;
	uint32_t		 w;

	for (i = 0; i + 3 <= n; i += 3) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = a[w >> 18 & 0x3f];
		out[o++] = a[w >> 12 & 0x3f];
		out[o++] = a[w >> 6 & 0x3f];
		out[o++] = a[w & 0x3f];
	}
	if (n - i == 1) {
		w = (uint32_t)in[i] << 16;
		out[o++] = a[w >> 18 & 0x3f];
		out[o++] = a[w >> 12 & 0x3f];
	} else if (n - i == 2) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = a[w >> 18 & 0x3f];
		out[o++] = a[w >> 12 & 0x3f];
		out[o++] = a[w >> 6 & 0x3f];
	}
	out[o] = '\0';
	return o;
}

/* The token for a payload, signed with the TEST 1 key; NULL if no memory. */
static char *
tok_sign(const uint8_t *payload, size_t n)
{
	struct lh_signkey	 key;
	char			 sig[LH_SIG_B64_MAX];
	char			*t;
	size_t			 len;

	if ((t = malloc(n / 3 * 4 + 4 + 1 + sizeof(sig))) == NULL)
		return NULL;
	len = tok_b64u(payload, n, t);
	tok_key(&key, "k1");
	FUZZ_ASSERT(token_sign_b64(&key, t, len, sig) == LH_OK);
	t[len] = '.';
	memcpy(t + len + 1, sig, strlen(sig) + 1);
	return t;
}

/* lh.h: 1 to LH_KID_MAX of A-Z a-z 0-9 . _ - (token.c TOK_KID). */
static void
tok_check_kid(const char *kid)
{
	FUZZ_ASSERT(kid[0] != '\0');
	FUZZ_ASSERT(strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789._-") == strlen(kid));
}

static void
tok_check(const char *token)
{
	struct lh_signkey key;
	struct lh_token	 tok, again;
	char		*t;
	enum lh_err	 rc;

	memset(&tok, 0xa5, sizeof(tok));
	rc = token_verify(tok_pub, token, TOK_NOW, &tok);
	if (rc != LH_OK) {
		FUZZ_ASSERT(rc == LH_ERR_API_REQUEST ||
		    rc == LH_ERR_SIG_MISMATCH || rc == LH_ERR_SIG_STALE ||
		    rc == LH_ERR_NOMEM);
		FUZZ_ASSERT(fuzz_zero(&tok, sizeof(tok)));
		return;
	}
	FUZZ_ASSERT(fuzz_terminated(tok.kid, sizeof(tok.kid)));
	FUZZ_ASSERT(fuzz_terminated(tok.license, sizeof(tok.license)));
	FUZZ_ASSERT(fuzz_terminated(tok.tier, sizeof(tok.tier)));
	FUZZ_ASSERT(fuzz_terminated(tok.features, sizeof(tok.features)));
	FUZZ_ASSERT(fuzz_terminated(tok.instance, sizeof(tok.instance)));
	tok_check_kid(tok.kid);
	FUZZ_ASSERT(tok.license[0] != '\0' && tok.tier[0] != '\0');
	FUZZ_ASSERT(tok.iat >= 0 && tok.iat <= tok.exp);
	FUZZ_ASSERT(tok.exp >= TOK_NOW && tok.exp <= TOK_TIME_MAX);

	/*
	 * Made again by token_fmt(), the token says the same.  token_fmt()
	 * may refuse only because the new token is too long: the input may
	 * have written a time as 1e9, which prints as ten digits.
	 */
	if ((t = malloc(LH_TOKEN_MAX)) == NULL)
		return;
	tok_key(&key, tok.kid);
	rc = token_fmt(&key, &tok, t, LH_TOKEN_MAX);
	FUZZ_ASSERT(rc == LH_OK || rc == LH_ERR_INTERNAL ||
	    rc == LH_ERR_NOMEM);
	if (rc == LH_OK) {
		FUZZ_ASSERT(token_verify(tok_pub, t, TOK_NOW, &again) ==
		    LH_OK);
		FUZZ_ASSERT(strcmp(again.kid, tok.kid) == 0);
		FUZZ_ASSERT(strcmp(again.license, tok.license) == 0);
		FUZZ_ASSERT(strcmp(again.tier, tok.tier) == 0);
		FUZZ_ASSERT(strcmp(again.features, tok.features) == 0);
		FUZZ_ASSERT(strcmp(again.instance, tok.instance) == 0);
		FUZZ_ASSERT(again.iat == tok.iat && again.exp == tok.exp);
	}
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lh_token	 tok;
	char		*s;

	FUZZ_ASSERT(token_verify(tok_pub, NULL, TOK_NOW, &tok) ==
	    LH_ERR_API_REQUEST);
	if (size > 0 && data[0] == '{') {
		/* Larger payloads cannot make a token of LH_TOKEN_MAX. */
		if (size > LH_TOKEN_MAX)
			return 0;
		s = tok_sign(data, size);
	} else
		s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	tok_check(s);
	free(s);
	return 0;
}
