/*
 * Stripe webhook signatures (Stripe docs, "Verify webhook signatures
 * manually"): the Stripe-Signature header carries t=<unix time> and one
 * or more v1=<hex HMAC-SHA256 of "<t>.<raw body>">.  The header is parsed
 * the way stripe-node, stripe-python and stripe-go parse it, with the
 * differences noted at sig_hdr_parse().  Pure: the clock is passed in.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "lh.h"

#define SIG_HEXLEN	 64	/* hex digits in a v1 signature (SHA-256) */
#define SIG_T_DIGITS_MAX 18	/* digits in t=; 10^18 - 1 fits a long long */
#define SIG_T_MAX	 999999999999999999LL

/*
 * The secrets, each keyed into its own HMAC-SHA256 context once.  A check
 * duplicates a context (EVP_MAC_CTX_dup()) and feeds it the message, so
 * it costs the MAC alone: no algorithm fetch, no EVP_PKEY, no key
 * schedule (the key's inner and outer pad hashed again), which together
 * cost as much as the MAC of a 2 KiB body.  The contexts are never fed
 * themselves, so one set serves any number of checks.
 */
struct lh_sig_keys {
	EVP_MAC_CTX	*mac[LH_SECRETS_MAX];
	size_t		 n;
};

struct sig_hdr {
	long long	 t;
	/* v1 values in header order; NULL where not 64 hex digits. */
	const char	*v1[LH_SIG_V1_MAX];
	size_t		 nv1;
};

static enum lh_err	sig_parse_t(const char *, size_t, long long *);
static int		sig_is_hex(const char *, size_t);
static enum lh_err	sig_hdr_parse(const char *, struct sig_hdr *);
static enum lh_err	sig_key(EVP_MAC *, const char *, EVP_MAC_CTX **);
static enum lh_err	sig_mac(const EVP_MAC_CTX *, const char *, size_t,
			    const void *, size_t, char[SIG_HEXLEN + 1]);

/*
 * Stripe's libraries use parseInt()/int(), which accept signs and
 * spaces; we take plain decimal digits only, since Stripe never sends
 * anything else.  Leading zeros are accepted and, as in those libraries,
 * the signed message uses the canonical number, not the header's text.
 */
static enum lh_err
sig_parse_t(const char *s, size_t len, long long *t)
{
	long long	 v = 0;
	size_t		 i;

	if (len == 0 || len > SIG_T_DIGITS_MAX)
		return LH_ERR_SIG_HEADER;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return LH_ERR_SIG_HEADER;
		v = v * 10 + (s[i] - '0');
	}
	*t = v;
	return LH_OK;
}

static int
sig_is_hex(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f') ||
		    (s[i] >= 'A' && s[i] <= 'F')))
			return 0;
	}
	return 1;
}

/*
 * Items are split on ',' and then on the first '=', with no trimming, as
 * in Stripe's libraries: " v1=..." has the unknown key " v1" and is
 * ignored.  An item without '=' has an empty value.  Unknown keys (v0,
 * empty items) are ignored.  The first t= wins and later ones are
 * ignored.  Every v1= item counts as present (so a header whose only v1
 * is truncated is a mismatch, not "no v1", as in Stripe's libraries), but
 * only the first LH_SIG_V1_MAX are kept, and of those only values of
 * exactly 64 hex digits can ever match.
 */
static enum lh_err
sig_hdr_parse(const char *h, struct sig_hdr *hdr)
{
	const char	*item, *end, *eq, *val, *hend;
	size_t		 len, klen, vlen;
	int		 have_t = 0;

	memset(hdr, 0, sizeof(*hdr));
	len = strnlen(h, LH_SIGHDR_MAX + 1);
	if (len == 0 || len > LH_SIGHDR_MAX)
		return LH_ERR_SIG_HEADER;
	hend = h + len;

	for (item = h;; item = end + 1) {
		if ((end = memchr(item, ',', (size_t)(hend - item))) == NULL)
			end = hend;
		eq = memchr(item, '=', (size_t)(end - item));
		klen = (size_t)((eq != NULL ? eq : end) - item);
		val = eq != NULL ? eq + 1 : end;
		vlen = (size_t)(end - val);

		if (klen == 1 && item[0] == 't') {
			if (!have_t) {
				if (sig_parse_t(val, vlen, &hdr->t) != LH_OK)
					return LH_ERR_SIG_HEADER;
				have_t = 1;
			}
		} else if (klen == 2 && item[0] == 'v' && item[1] == '1') {
			if (hdr->nv1 < LH_SIG_V1_MAX) {
				if (vlen == SIG_HEXLEN && sig_is_hex(val, vlen))
					hdr->v1[hdr->nv1] = val;
				hdr->nv1++;
			}
		}
		if (end == hend)
			break;
	}

	if (!have_t)
		return LH_ERR_SIG_HEADER;
	if (hdr->nv1 == 0)
		return LH_ERR_SIG_NO_V1;
	return LH_OK;
}

/*
 * A new HMAC-SHA256 context of mac keyed with the whole secret string,
 * "whsec_" included, as Stripe's libraries key it.  conf.c refuses empty
 * and over-long secrets, so one here is a caller's bug.
 */
static enum lh_err
sig_key(EVP_MAC *mac, const char *secret, EVP_MAC_CTX **out)
{
	OSSL_PARAM	 params[2];
	EVP_MAC_CTX	*ctx = NULL;
	char		 digest[] = "SHA256";
	size_t		 keylen;
	enum lh_err	 rc = LH_ERR_INTERNAL;

	*out = NULL;
	if (secret == NULL)
		goto out;
	keylen = strnlen(secret, LH_SECRET_MAX + 1);
	if (keylen == 0 || keylen > LH_SECRET_MAX)
		goto out;
	if ((ctx = EVP_MAC_CTX_new(mac)) == NULL) {
		rc = LH_ERR_NOMEM;
		goto out;
	}
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	    digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (EVP_MAC_init(ctx, (const unsigned char *)secret, keylen,
	    params) != 1)
		goto out;
	*out = ctx;
	ctx = NULL;	/* transferred */
	rc = LH_OK;
 out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

/*
 * Lowercase hex HMAC-SHA256 under keyed (left as it is) of pre ("<t>.")
 * followed by the body, fed in pieces so the body is never copied.
 */
static enum lh_err
sig_mac(const EVP_MAC_CTX *keyed, const char *pre, size_t prelen,
    const void *body, size_t bodylen, char hex[SIG_HEXLEN + 1])
{
	static const char	 digits[] = "0123456789abcdef";
	EVP_MAC_CTX		*ctx = NULL;
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	size_t			 maclen = 0, i;
	enum lh_err		 rc = LH_ERR_INTERNAL;

	hex[0] = '\0';
	if ((ctx = EVP_MAC_CTX_dup(keyed)) == NULL) {
		rc = LH_ERR_NOMEM;
		goto out;
	}
	if (EVP_MAC_update(ctx, (const unsigned char *)pre, prelen) != 1)
		goto out;
	if (bodylen > 0 && EVP_MAC_update(ctx, body, bodylen) != 1)
		goto out;
	if (EVP_MAC_final(ctx, mac, &maclen, sizeof(mac)) != 1 ||
	    maclen * 2 != SIG_HEXLEN)
		goto out;

	for (i = 0; i < maclen; i++) {
		hex[i * 2] = digits[mac[i] >> 4];
		hex[i * 2 + 1] = digits[mac[i] & 0x0f];
	}
	hex[SIG_HEXLEN] = '\0';
	rc = LH_OK;
 out:
	OPENSSL_cleanse(mac, sizeof(mac));
	EVP_MAC_CTX_free(ctx);
	return rc;
}

enum lh_err
sig_keys_new(char *const *secrets, size_t nsecrets,
    struct lh_sig_keys **out)
{
	struct lh_sig_keys	*k = NULL;
	EVP_MAC			*mac = NULL;
	size_t			 i;
	enum lh_err		 rc = LH_ERR_INTERNAL;

	if (out == NULL)
		return LH_ERR_INTERNAL;
	*out = NULL;
	if (secrets == NULL || nsecrets == 0 || nsecrets > LH_SECRETS_MAX)
		goto out;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	if ((k = calloc(1, sizeof(*k))) == NULL) {
		rc = LH_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < nsecrets; i++) {
		if ((rc = sig_key(mac, secrets[i], &k->mac[i])) != LH_OK)
			goto out;
		k->n++;
	}
	*out = k;
	k = NULL;	/* transferred */
	rc = LH_OK;
 out:
	sig_keys_free(k);
	/* Each context holds its own reference. */
	EVP_MAC_free(mac);
	return rc;
}

void
sig_keys_free(struct lh_sig_keys *k)
{
	size_t	 i;

	if (k == NULL)
		return;
	/* OpenSSL wipes its copy of the key and the hash states. */
	for (i = 0; i < k->n; i++)
		EVP_MAC_CTX_free(k->mac[i]);
	free(k);
}

enum lh_err
sig_keys_verify(const struct lh_sig_keys *keys, const char *header,
    const void *body, size_t bodylen, time_t now, long tolerance,
    size_t *matched)
{
	struct sig_hdr		 hdr;
	char			 pre[SIG_T_DIGITS_MAX + 2];
	char			 hex[SIG_HEXLEN + 1];
	unsigned long long	 skew;
	long long		 tnow;
	size_t			 i, j, which = 0;
	int			 n, found = 0;
	enum lh_err		 rc = LH_ERR_INTERNAL;

	if (matched != NULL)
		*matched = 0;
	hex[0] = '\0';

	/* Caller bugs, not request errors. */
	if (keys == NULL || keys->n == 0 || keys->n > LH_SECRETS_MAX ||
	    (body == NULL && bodylen > 0) ||
	    tolerance < 0 || tolerance > LH_TOLERANCE_MAX)
		goto out;

	if (header == NULL) {
		rc = LH_ERR_SIG_MISSING;
		goto out;
	}
	if ((rc = sig_hdr_parse(header, &hdr)) != LH_OK)
		goto out;

	rc = LH_ERR_INTERNAL;
	n = snprintf(pre, sizeof(pre), "%lld.", hdr.t);
	if (n < 0 || (size_t)n >= sizeof(pre))
		goto out;

	/*
	 * Try every v1 against every secret with a constant-time compare.
	 * Stopping after a full match only reveals which secret signed a
	 * request that was already valid.
	 */
	for (i = 0; i < keys->n && !found; i++) {
		if ((rc = sig_mac(keys->mac[i], pre, (size_t)n, body, bodylen,
		    hex)) != LH_OK)
			goto out;
		for (j = 0; j < hdr.nv1; j++) {
			if (hdr.v1[j] != NULL &&
			    CRYPTO_memcmp(hdr.v1[j], hex, SIG_HEXLEN) == 0) {
				found = 1;
				which = i;
			}
		}
	}
	if (!found) {
		rc = LH_ERR_SIG_MISMATCH;
		goto out;
	}

	/*
	 * Signature before timestamp, as in Stripe's libraries.  Exactly
	 * tolerance seconds off passes.  The differences are taken in
	 * unsigned arithmetic: t is at most 10^18 and the true distance to
	 * any time_t fits in 64 bits, so nothing overflows.
	 */
	tnow = (long long)now;
	if (tnow > hdr.t) {
		skew = (unsigned long long)tnow - (unsigned long long)hdr.t;
		if (skew > (unsigned long long)tolerance) {
			rc = LH_ERR_SIG_STALE;
			goto out;
		}
	} else {
		skew = (unsigned long long)hdr.t - (unsigned long long)tnow;
		if (skew > (unsigned long long)tolerance) {
			rc = LH_ERR_SIG_FUTURE;
			goto out;
		}
	}

	if (matched != NULL)
		*matched = which;
	rc = LH_OK;
 out:
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

/* The secrets are keyed for this one check (tests, fuzz targets). */
enum lh_err
sig_stripe_verify(const char *header, const void *body, size_t bodylen,
    char *const *secrets, size_t nsecrets, time_t now, long tolerance,
    size_t *matched)
{
	struct lh_sig_keys	*keys = NULL;
	enum lh_err		 rc;

	if (matched != NULL)
		*matched = 0;
	if ((rc = sig_keys_new(secrets, nsecrets, &keys)) != LH_OK)
		return rc;
	rc = sig_keys_verify(keys, header, body, bodylen, now, tolerance,
	    matched);
	sig_keys_free(keys);
	return rc;
}

enum lh_err
sig_stripe_fmt(const char *secret, long long t, const void *body,
    size_t bodylen, char hex[65])
{
	char		 pre[SIG_T_DIGITS_MAX + 2];
	EVP_MAC		*mac = NULL;
	EVP_MAC_CTX	*ctx = NULL;
	int		 n;
	enum lh_err	 rc = LH_ERR_INTERNAL;

	if (hex == NULL)
		return LH_ERR_INTERNAL;
	hex[0] = '\0';
	/* Only timestamps sig_stripe_verify() would accept. */
	if (secret == NULL || (body == NULL && bodylen > 0) ||
	    t < 0 || t > SIG_T_MAX)
		goto out;
	n = snprintf(pre, sizeof(pre), "%lld.", t);
	if (n < 0 || (size_t)n >= sizeof(pre))
		goto out;
	if ((mac = EVP_MAC_fetch(NULL, "HMAC", NULL)) == NULL)
		goto out;
	if ((rc = sig_key(mac, secret, &ctx)) != LH_OK)
		goto out;
	rc = sig_mac(ctx, pre, (size_t)n, body, bodylen, hex);
 out:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}
