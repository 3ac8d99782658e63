/*
 * Signed license API answers and offline tokens, with Ed25519 (RFC 8032)
 * through OpenSSL's EVP interface.  Pure: keys, messages and the clock
 * are passed in, and Ed25519 signing is deterministic, so nothing here
 * reads a file, the time or random bytes.
 *
 * Everything is encoded base64url (RFC 4648 §5) without padding.
 * Decoding is strict: only the 64 URL-safe symbols, no '=', no length
 * that leaves a lone 6-bit symbol (n % 4 == 1), and the unused low bits
 * of the last symbol must be zero (RFC 4648 §3.5), so each byte string
 * has exactly one encoding.
 *
 * Response signatures.  An answer of the license API carries the header
 *
 *	Licensehook-Signature: kid=<kid>, ed25519=<sig>
 *
 * where <kid> names the signing key (1 to LH_KID_MAX of A-Z a-z 0-9 . _
 * -) and <sig> is the 86-character base64url Ed25519 signature over the
 * exact bytes of the response body, nothing added (token_sign_b64()).
 * The header is written by the FastCGI edge; contrib/verify-token.c and
 * contrib/verify-token.sh check it with OpenSSL alone.
 *
 * Offline tokens.  A token is
 *
 *	base64url(payload) "." base64url(Ed25519 signature)
 *
 * where the signature covers the ASCII text of the first part, as in a
 * JWS compact serialization (RFC 7515 §7.1) whose protected header is
 * left out: the algorithm is fixed and the key id is in the payload, so
 * a JWT library cannot check it as is.  The payload is one compact JSON
 * object (cJSON_PrintUnformatted, no whitespace), its members always in
 * this order:
 *
 *	{"kid":"main","lic":"LH-XXXX-...","tier":"pro",
 *	 "features":["core","export"],"inst":"<instance id>",
 *	 "iat":1700000000,"exp":1700604800}
 *
 * "inst" is left out when the token is not bound to an instance.
 * "features" is the tier's comma-separated list split on ',', each item
 * trimmed of spaces and tabs, empty items dropped (the configuration
 * file writes "core, export").  Times are Unix seconds; a token is good
 * up to and including exp.  A token is at most LH_TOKEN_MAX - 1 bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cjson/cJSON.h>

#include "lh.h"

#define TOKEN_ED_KEY_LEN	32	/* bytes, an Ed25519 key */
#define TOKEN_ED_SIG_LEN	64	/* bytes, an Ed25519 signature */
#define TOKEN_SIG_B64_LEN	86	/* base64url symbols for 64 bytes */
/* Bytes a token's payload can decode to: 3 per 4 symbols, plus a NUL. */
#define TOKEN_PAYLOAD_MAX	(LH_TOKEN_MAX / 4 * 3 + 1)
/* 9999-12-31T23:59:59Z: past any license, and exact in a double. */
#define TOKEN_TIME_MAX		253402300799LL

/* What a token string field may hold. */
enum tok_class {
	TOK_KID,	/* A-Z a-z 0-9 . _ - : safe inside the header */
	TOK_ID,		/* printable ASCII but space: keys, instance ids */
	TOK_TEXT,	/* UTF-8 without control characters: tier, features */
	TOK_FEATURE	/* TOK_TEXT, no ',', no blank at either end */
};

/* The members of a payload, in the order token_fmt() writes them. */
enum tok_member {
	TM_KID = 0,
	TM_LIC,
	TM_TIER,
	TM_FEATURES,
	TM_INST,
	TM_IAT,
	TM_EXP,
	TM__COUNT
};

static const char *const tok_member_names[TM__COUNT] = {
	"kid", "lic", "tier", "features", "inst", "iat", "exp"
};

static const char b64u_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static size_t		 b64u_len(size_t);
static int		 b64u_val(unsigned char);
static int		 b64u_ok(const char *, size_t);
static enum lh_err	 b64u_enc(const uint8_t *, size_t, char *, size_t);
static enum lh_err	 b64u_dec(const char *, size_t, uint8_t *, size_t,
			    size_t *);
static int		 tok_str_ok(const char *, size_t, enum tok_class);
static int		 tok_field_ok(const char *, size_t, size_t, size_t,
			    enum tok_class, size_t *);
static int		 tok_blank(char);
static enum lh_err	 tok_features_add(cJSON *, const char *);
static int		 tok_payload_scan(const unsigned char *, size_t);
static enum lh_err	 tok_get_str(const cJSON *, enum tok_class, size_t,
			    char *, size_t);
static enum lh_err	 tok_get_time(const cJSON *, long long *);
static enum lh_err	 tok_get_features(const cJSON *, char *, size_t);
static enum lh_err	 tok_payload_parse(const char *, size_t,
			    struct lh_token *);
static enum lh_err	 token_pkey_new(const struct lh_signkey *,
			    EVP_PKEY **);

/* Symbols for n bytes without padding: 4 per 3 bytes, 2 or 3 for a tail. */
static size_t
b64u_len(size_t n)
{
	return n / 3 * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
}

/* The 6-bit value of a base64url symbol, or -1. */
static int
b64u_val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Whether s[0..len) is the canonical unpadded base64url of some bytes:
 * alphabet, length and zero trailing bits.  Returns 1 or 0.
 */
static int
b64u_ok(const char *s, size_t len)
{
	size_t	 i;
	int	 v = 0;

	if (len % 4 == 1)
		return 0;
	for (i = 0; i < len; i++)
		if ((v = b64u_val((unsigned char)s[i])) < 0)
			return 0;
	/* 2 symbols carry 1 byte + 4 spare bits, 3 carry 2 bytes + 2. */
	if (len % 4 == 2 && (v & 0x0f) != 0)
		return 0;
	if (len % 4 == 3 && (v & 0x03) != 0)
		return 0;
	return 1;
}

/* Encode n bytes and a NUL into out (outlen bytes); INTERNAL if short. */
static enum lh_err
b64u_enc(const uint8_t *in, size_t n, char *out, size_t outlen)
{
	size_t		 i, o = 0;
	uint32_t	 w;

	if (outlen == 0 || b64u_len(n) >= outlen)
		return LH_ERR_INTERNAL;
	for (i = 0; i + 3 <= n; i += 3) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 |
		    in[i + 2];
		out[o++] = b64u_alphabet[w >> 18 & 0x3f];
		out[o++] = b64u_alphabet[w >> 12 & 0x3f];
		out[o++] = b64u_alphabet[w >> 6 & 0x3f];
		out[o++] = b64u_alphabet[w & 0x3f];
	}
	if (n - i == 1) {
		w = (uint32_t)in[i] << 16;
		out[o++] = b64u_alphabet[w >> 18 & 0x3f];
		out[o++] = b64u_alphabet[w >> 12 & 0x3f];
	} else if (n - i == 2) {
		w = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64u_alphabet[w >> 18 & 0x3f];
		out[o++] = b64u_alphabet[w >> 12 & 0x3f];
		out[o++] = b64u_alphabet[w >> 6 & 0x3f];
	}
	out[o] = '\0';
	return LH_OK;
}

/*
 * Decode len symbols of canonical base64url into out (at most outmax
 * bytes); *outlen is the byte count.  LH_ERR_API_REQUEST if the text is
 * not canonical base64url or does not fit.
 */
static enum lh_err
b64u_dec(const char *s, size_t len, uint8_t *out, size_t outmax,
    size_t *outlen)
{
	size_t		 i, o = 0, n;
	uint32_t	 w = 0;
	int		 bits = 0;

	*outlen = 0;
	if (!b64u_ok(s, len))
		return LH_ERR_API_REQUEST;
	n = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	if (n > outmax)
		return LH_ERR_API_REQUEST;
	for (i = 0; i < len; i++) {
		w = (w << 6 | (uint32_t)b64u_val((unsigned char)s[i])) & 0xffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(w >> bits);
		}
	}
	*outlen = o;
	return LH_OK;
}

static int
tok_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether s[0..len) holds only what class allows.  Returns 1 or 0. */
static int
tok_str_ok(const char *s, size_t len, enum tok_class class)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i;

	for (i = 0; i < len; i++) {
		if (class == TOK_FEATURE && p[i] == ',')
			return 0;
		switch (class) {
		case TOK_KID:
			if (!((p[i] >= 'A' && p[i] <= 'Z') ||
			    (p[i] >= 'a' && p[i] <= 'z') ||
			    (p[i] >= '0' && p[i] <= '9') ||
			    p[i] == '.' || p[i] == '_' || p[i] == '-'))
				return 0;
			break;
		case TOK_ID:
			if (p[i] <= ' ' || p[i] >= 0x7f)
				return 0;
			break;
		case TOK_TEXT:
		case TOK_FEATURE:
			if (p[i] < ' ' || p[i] == 0x7f)
				return 0;
			break;
		}
	}
	if (class == TOK_FEATURE && len > 0 &&
	    (tok_blank(s[0]) || tok_blank(s[len - 1])))
		return 0;
	return json_utf8_valid(p, len);
}

/*
 * Whether the string s, held in an array of size bytes, is terminated
 * there and is min to max bytes of class.  *lenp (if not NULL) gets its
 * length.  Returns 1 or 0.
 */
static int
tok_field_ok(const char *s, size_t size, size_t min, size_t max,
    enum tok_class class, size_t *lenp)
{
	size_t	 len;

	if ((len = strnlen(s, size)) == size)
		return 0;
	if (lenp != NULL)
		*lenp = len;
	return len >= min && len <= max && tok_str_ok(s, len, class);
}

/*
 * Append the items of a comma-separated features list to the JSON array
 * arr, trimmed, skipping empty ones (see the top of this file).  Each
 * item must then be TOK_FEATURE.
 */
static enum lh_err
tok_features_add(cJSON *arr, const char *features)
{
	char		 item[LH_API_FIELD_MAX];
	const char	*p, *end, *stop;
	size_t		 n;
	cJSON		*s;

	stop = features + strlen(features);
	for (p = features; p < stop; p = end + 1) {
		if ((end = memchr(p, ',', (size_t)(stop - p))) == NULL)
			end = stop;
		n = (size_t)(end - p);
		while (n > 0 && tok_blank(p[0])) {
			p++;
			n--;
		}
		while (n > 0 && tok_blank(p[n - 1]))
			n--;
		if (n == 0)
			continue;
		/* The list fits in LH_API_FIELD_MAX, so an item does. */
		if (n >= sizeof(item) || !tok_str_ok(p, n, TOK_FEATURE))
			return LH_ERR_INTERNAL;
		memcpy(item, p, n);
		item[n] = '\0';
		if ((s = cJSON_CreateString(item)) == NULL)
			return LH_ERR_NOMEM;
		if (!cJSON_AddItemToArray(arr, s)) {
			cJSON_Delete(s);
			return LH_ERR_NOMEM;
		}
	}
	return LH_OK;
}

/*
 * A cheap pass over a decoded payload before cJSON sees it.  token_fmt()
 * writes compact JSON, so any byte below 0x20, even JSON whitespace, is
 * refused, as is invalid UTF-8.  cJSON decodes "\u0000" into a NUL that
 * silently cuts a C string ("lic":"A\u0000B" would read as "A"), so that
 * escape is refused too (json_scan() does the same for bodies).  Returns
 * 1 if the payload may be parsed, 0 to refuse it.
 */
static int
tok_payload_scan(const unsigned char *p, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20)
			return 0;
		if (p[i] == '\\') {
			if (len - i >= 6 && p[i + 1] == 'u' &&
			    memcmp(p + i + 2, "0000", 4) == 0)
				return 0;
			i++;	/* an escaped byte starts no escape */
		}
	}
	return json_utf8_valid(p, len);
}

/* Copy a string member of min..dstsz-1 bytes of class into dst. */
static enum lh_err
tok_get_str(const cJSON *item, enum tok_class class, size_t min, char *dst,
    size_t dstsz)
{
	size_t	 len;

	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return LH_ERR_API_REQUEST;
	len = strnlen(item->valuestring, dstsz);
	if (len < min || len >= dstsz ||
	    !tok_str_ok(item->valuestring, len, class))
		return LH_ERR_API_REQUEST;
	memcpy(dst, item->valuestring, len + 1);
	return LH_OK;
}

/*
 * A time member: a JSON number holding a whole count of seconds from 0
 * to TOKEN_TIME_MAX.  cJSON keeps numbers as doubles, which hold every
 * integer in that range exactly.
 */
static enum lh_err
tok_get_time(const cJSON *item, long long *out)
{
	double	 d;

	if (!cJSON_IsNumber(item))
		return LH_ERR_API_REQUEST;
	d = item->valuedouble;
	/* NaN fails both comparisons; the range check makes the cast safe. */
	if (!(d >= 0 && d <= (double)TOKEN_TIME_MAX))
		return LH_ERR_API_REQUEST;
	if ((double)(long long)d != d)
		return LH_ERR_API_REQUEST;
	*out = (long long)d;
	return LH_OK;
}

/* Join a features array back into "a,b,c" (dstsz bytes with the NUL). */
static enum lh_err
tok_get_features(const cJSON *arr, char *dst, size_t dstsz)
{
	const cJSON	*c;
	size_t		 o = 0, len;

	dst[0] = '\0';
	if (!cJSON_IsArray(arr))
		return LH_ERR_API_REQUEST;
	for (c = arr->child; c != NULL; c = c->next) {
		if (!cJSON_IsString(c) || c->valuestring == NULL)
			return LH_ERR_API_REQUEST;
		len = strnlen(c->valuestring, dstsz);
		if (len == 0 || !tok_str_ok(c->valuestring, len, TOK_FEATURE))
			return LH_ERR_API_REQUEST;
		/* Room for a comma, the item and the NUL. */
		if (len + (o > 0) >= dstsz - o)
			return LH_ERR_API_REQUEST;
		if (o > 0)
			dst[o++] = ',';
		memcpy(dst + o, c->valuestring, len);
		o += len;
		dst[o] = '\0';
	}
	return LH_OK;
}

/*
 * Parse a payload (len bytes, NUL-terminated) into *tok.  It must be
 * exactly one JSON object, starting at its first byte and ending at its
 * last.  Members are matched case-sensitively and any key that appears
 * twice is refused: cJSON_GetObjectItem() ignores case and returns the
 * first of two, other parsers the last (RFC 8259 §4 leaves it open), so
 * a duplicate could mean different things to different verifiers.
 * Unknown members are ignored, so later versions can add claims.
 */
static enum lh_err
tok_payload_parse(const char *buf, size_t len, struct lh_token *tok)
{
	const cJSON	*m[TM__COUNT] = { NULL };
	const cJSON	*c, *d;
	const char	*end = NULL;
	cJSON		*root = NULL;
	size_t		 i;
	enum lh_err	 rc = LH_ERR_API_REQUEST;

	if (len == 0 || buf[0] != '{' ||
	    !tok_payload_scan((const unsigned char *)buf, len))
		goto out;
	if ((root = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) == NULL)
		goto out;
	if (!cJSON_IsObject(root) || end != buf + len)
		goto out;

	for (c = root->child; c != NULL; c = c->next) {
		if (c->string == NULL)
			goto out;
		for (d = c->next; d != NULL; d = d->next)
			if (d->string == NULL ||
			    strcmp(c->string, d->string) == 0)
				goto out;
		for (i = 0; i < TM__COUNT; i++)
			if (strcmp(c->string, tok_member_names[i]) == 0)
				m[i] = c;
	}

	if ((rc = tok_get_str(m[TM_KID], TOK_KID, 1, tok->kid,
	    sizeof(tok->kid))) != LH_OK)
		goto out;
	if ((rc = tok_get_str(m[TM_LIC], TOK_ID, 1, tok->license,
	    sizeof(tok->license))) != LH_OK)
		goto out;
	if ((rc = tok_get_str(m[TM_TIER], TOK_TEXT, 1, tok->tier,
	    sizeof(tok->tier))) != LH_OK)
		goto out;
	if ((rc = tok_get_features(m[TM_FEATURES], tok->features,
	    sizeof(tok->features))) != LH_OK)
		goto out;
	/* token_fmt() leaves "inst" out rather than write "". */
	if (m[TM_INST] != NULL && (rc = tok_get_str(m[TM_INST], TOK_ID, 1,
	    tok->instance, sizeof(tok->instance))) != LH_OK)
		goto out;
	if ((rc = tok_get_time(m[TM_IAT], &tok->iat)) != LH_OK)
		goto out;
	if ((rc = tok_get_time(m[TM_EXP], &tok->exp)) != LH_OK)
		goto out;
	rc = tok->iat <= tok->exp ? LH_OK : LH_ERR_API_REQUEST;
 out:
	cJSON_Delete(root);
	return rc;
}

/*
 * Import key->priv into a new EVP_PKEY and check that the public half
 * OpenSSL derives from it is key->pub, or answers would be signed with
 * a key the vendor's software does not hold (LH_ERR_SIGNING).  The
 * import runs a scalar multiplication as costly as a signature, hence
 * token_key_init().
 */
static enum lh_err
token_pkey_new(const struct lh_signkey *key, EVP_PKEY **out)
{
	EVP_PKEY	*pkey = NULL;
	uint8_t		 pub[TOKEN_ED_KEY_LEN];
	size_t		 publen = sizeof(pub);
	enum lh_err	 rc = LH_ERR_INTERNAL;

	*out = NULL;
	if ((pkey = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL,
	    key->priv, sizeof(key->priv))) == NULL)
		goto out;
	if (EVP_PKEY_get_raw_public_key(pkey, pub, &publen) != 1 ||
	    publen != sizeof(pub))
		goto out;
	if (CRYPTO_memcmp(pub, key->pub, sizeof(pub)) != 0) {
		rc = LH_ERR_SIGNING;
		goto out;
	}
	*out = pkey;
	pkey = NULL;	/* transferred */
	rc = LH_OK;
 out:
	/* EVP_PKEY_free() wipes OpenSSL's copy of the private key. */
	EVP_PKEY_free(pkey);
	return rc;
}

enum lh_err
token_key_init(struct lh_signkey *key)
{
	EVP_PKEY	*pkey;
	enum lh_err	 rc;

	/* A second init would leak the first key's EVP_PKEY. */
	if (key == NULL || key->pkey != NULL)
		return LH_ERR_INTERNAL;
	if ((rc = token_pkey_new(key, &pkey)) != LH_OK)
		return rc;
	key->pkey = pkey;
	return LH_OK;
}

void
token_key_free(struct lh_signkey *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->pkey);
	OPENSSL_cleanse(key, sizeof(*key));
}

/*
 * Ed25519 is PureEdDSA: it hashes the message itself, so it takes no
 * digest and only the one-shot EVP_DigestSign() (OpenSSL EVP_PKEY-ED25519
 * manual page).  A key that token_key_init() did not prepare (tests,
 * fuzz targets) is imported and checked here, for this signature only.
 */
enum lh_err
token_sign_b64(const struct lh_signkey *key, const void *msg, size_t len,
    char out[LH_SIG_B64_MAX])
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY	*tmp = NULL, *pkey;
	uint8_t		 sig[TOKEN_ED_SIG_LEN];
	size_t		 siglen = sizeof(sig);
	enum lh_err	 rc = LH_ERR_INTERNAL;

	if (out != NULL)
		out[0] = '\0';
	if (key == NULL || out == NULL || (msg == NULL && len > 0))
		goto out;
	if (msg == NULL)
		msg = "";

	if ((pkey = key->pkey) == NULL) {
		if ((rc = token_pkey_new(key, &tmp)) != LH_OK)
			goto out;
		pkey = tmp;
	}
	rc = LH_ERR_INTERNAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		rc = LH_ERR_NOMEM;
		goto out;
	}
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) != 1)
		goto out;
	if (EVP_DigestSign(ctx, sig, &siglen, msg, len) != 1 ||
	    siglen != sizeof(sig))
		goto out;
	if ((rc = b64u_enc(sig, siglen, out, LH_SIG_B64_MAX)) != LH_OK)
		goto out;
	rc = LH_OK;
 out:
	EVP_PKEY_free(tmp);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * Anything that is not 86 canonical base64url symbols decoding to 64
 * bytes cannot be a signature over msg, so it is a mismatch like a
 * wrong signature.  OpenSSL's Ed25519 verification also refuses a
 * non-canonical S (RFC 8032 §5.1.7, step 1).
 */
enum lh_err
token_verify_b64(const uint8_t pub[32], const void *msg, size_t len,
    const char *sig_b64)
{
	EVP_MD_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;
	uint8_t		 sig[TOKEN_ED_SIG_LEN];
	size_t		 siglen, b64len;
	enum lh_err	 rc = LH_ERR_INTERNAL;

	if (pub == NULL || (msg == NULL && len > 0))
		goto out;
	if (msg == NULL)
		msg = "";
	rc = LH_ERR_SIG_MISMATCH;
	if (sig_b64 == NULL)
		goto out;
	b64len = strnlen(sig_b64, TOKEN_SIG_B64_LEN + 1);
	if (b64len != TOKEN_SIG_B64_LEN ||
	    b64u_dec(sig_b64, b64len, sig, sizeof(sig), &siglen) != LH_OK ||
	    siglen != sizeof(sig))
		goto out;

	rc = LH_ERR_INTERNAL;
	if ((ctx = EVP_MD_CTX_new()) == NULL) {
		rc = LH_ERR_NOMEM;
		goto out;
	}
	if ((pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
	    pub, TOKEN_ED_KEY_LEN)) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) != 1)
		goto out;
	/* 1 is a match; 0 a mismatch; below 0 also a failure to verify. */
	if (EVP_DigestVerify(ctx, sig, siglen, msg, len) != 1) {
		rc = LH_ERR_SIG_MISMATCH;
		goto out;
	}
	rc = LH_OK;
 out:
	EVP_PKEY_free(pkey);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/*
 * The fields are data licensehook holds (its key id, a key it issued,
 * a configured tier), so one that breaks the payload rules is a bug:
 * LH_ERR_INTERNAL, as is a token that would not fit in outlen or in
 * LH_TOKEN_MAX.  tok->kid is ignored when empty and must name key
 * otherwise.
 */
enum lh_err
token_fmt(const struct lh_signkey *key, const struct lh_token *tok,
    char *out, size_t outlen)
{
	cJSON		*root = NULL, *arr = NULL;
	char		*json = NULL;
	char		 sig[LH_SIG_B64_MAX];
	size_t		 jlen, p1len, kidlen, instlen, cap;
	enum lh_err	 rc = LH_ERR_INTERNAL;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (key == NULL || tok == NULL || out == NULL || outlen == 0)
		goto out;
	if (!tok_field_ok(key->kid, sizeof(key->kid), 1, LH_KID_MAX,
	    TOK_KID, &kidlen))
		goto out;
	if (tok->kid[0] != '\0' && (strnlen(tok->kid, sizeof(tok->kid)) !=
	    kidlen || memcmp(tok->kid, key->kid, kidlen) != 0))
		goto out;
	if (!tok_field_ok(tok->license, sizeof(tok->license), 1,
	    LH_KEY_MAX - 1, TOK_ID, NULL) ||
	    !tok_field_ok(tok->tier, sizeof(tok->tier), 1, LH_NAME_MAX,
	    TOK_TEXT, NULL) ||
	    strnlen(tok->features, sizeof(tok->features)) ==
	    sizeof(tok->features) ||
	    !tok_field_ok(tok->instance, sizeof(tok->instance), 0,
	    LH_INSTANCE_ID_MAX, TOK_ID, &instlen))
		goto out;
	if (tok->iat < 0 || tok->iat > tok->exp || tok->exp > TOKEN_TIME_MAX)
		goto out;

	rc = LH_ERR_NOMEM;
	if ((root = cJSON_CreateObject()) == NULL)
		goto out;
	if (cJSON_AddStringToObject(root, "kid", key->kid) == NULL ||
	    cJSON_AddStringToObject(root, "lic", tok->license) == NULL ||
	    cJSON_AddStringToObject(root, "tier", tok->tier) == NULL ||
	    (arr = cJSON_AddArrayToObject(root, "features")) == NULL)
		goto out;
	if ((rc = tok_features_add(arr, tok->features)) != LH_OK)
		goto out;
	rc = LH_ERR_NOMEM;
	if (instlen > 0 &&
	    cJSON_AddStringToObject(root, "inst", tok->instance) == NULL)
		goto out;
	if (cJSON_AddNumberToObject(root, "iat", (double)tok->iat) == NULL ||
	    cJSON_AddNumberToObject(root, "exp", (double)tok->exp) == NULL)
		goto out;
	if ((json = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	jlen = strlen(json);

	/* payload "." signature NUL, within outlen and LH_TOKEN_MAX. */
	rc = LH_ERR_INTERNAL;
	cap = outlen < LH_TOKEN_MAX ? outlen : LH_TOKEN_MAX;
	p1len = b64u_len(jlen);
	if (p1len + 1 + TOKEN_SIG_B64_LEN >= cap)
		goto out;
	if ((rc = b64u_enc((const uint8_t *)json, jlen, out, cap)) != LH_OK)
		goto out;
	if ((rc = token_sign_b64(key, out, p1len, sig)) != LH_OK)
		goto out;
	out[p1len] = '.';
	memcpy(out + p1len + 1, sig, TOKEN_SIG_B64_LEN + 1);
	rc = LH_OK;
 out:
	if (rc != LH_OK && out != NULL && outlen > 0)
		out[0] = '\0';
	cJSON_free(json);
	cJSON_Delete(root);
	return rc;
}

/*
 * The signature is checked before the payload is decoded or parsed, so
 * cJSON only ever sees bytes licensehook signed.  Only the token's shape
 * (one '.', two non-empty base64url parts, an 86-symbol signature) is
 * looked at first; a shape error is LH_ERR_API_REQUEST.
 */
enum lh_err
token_verify(const uint8_t pub[32], const char *token, time_t now,
    struct lh_token *out)
{
	struct lh_token	 tok;
	char		 buf[TOKEN_PAYLOAD_MAX];
	const char	*dot;
	size_t		 len, p1len, n;
	enum lh_err	 rc = LH_ERR_INTERNAL;

	memset(&tok, 0, sizeof(tok));
	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (pub == NULL || out == NULL)
		goto out;

	rc = LH_ERR_API_REQUEST;
	if (token == NULL)
		goto out;
	if ((len = strnlen(token, LH_TOKEN_MAX)) == LH_TOKEN_MAX)
		goto out;
	if ((dot = memchr(token, '.', len)) == NULL)
		goto out;
	p1len = (size_t)(dot - token);
	if (p1len == 0 || len - p1len - 1 != TOKEN_SIG_B64_LEN ||
	    !b64u_ok(token, p1len) ||
	    !b64u_ok(dot + 1, TOKEN_SIG_B64_LEN))
		goto out;

	if ((rc = token_verify_b64(pub, token, p1len, dot + 1)) != LH_OK)
		goto out;

	if ((rc = b64u_dec(token, p1len, (uint8_t *)buf, sizeof(buf) - 1,
	    &n)) != LH_OK)
		goto out;
	buf[n] = '\0';
	if ((rc = tok_payload_parse(buf, n, &tok)) != LH_OK)
		goto out;
	/* Good up to and including exp. */
	if ((long long)now > tok.exp) {
		rc = LH_ERR_SIG_STALE;
		goto out;
	}

	*out = tok;	/* transferred */
	rc = LH_OK;
 out:
	return rc;
}
