/*
 * License keys: "PREFIX-XXXX-XXXX-XXXX-XXXX" drawn from LH_KEY_ALPHABET.
 * The alphabet has 32 symbols, so each symbol is exactly 5 bits of the
 * caller's random bytes read as a big-endian bit stream: no modulo bias
 * and no rejection loop.  Pure: randomness is passed in.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lh.h"

#define KEYGEN_SYM_BITS	5	/* bits per symbol: log2 of 32 */
#define KEYGEN_MASK_SHOW 4	/* characters of the last group kept by mask */

static int	keygen_dims_ok(const struct lh_keyfmt *);
static int	keygen_fmt_ok(const struct lh_keyfmt *);
static int	keygen_is_alnum(char);
static int	keygen_is_sym(char);
static char	keygen_upper(char);
static size_t	keygen_key_len(const struct lh_keyfmt *);
static int	keygen_mask_shape(const char *, size_t *, size_t *, size_t *);

static int
keygen_dims_ok(const struct lh_keyfmt *kf)
{
	return kf != NULL &&
	    kf->groups >= 1 && kf->groups <= LH_KEY_GROUPS_MAX &&
	    kf->group_len >= 1 && kf->group_len <= LH_KEY_GROUP_LEN_MAX;
}

/*
 * A usable format: dimensions in range, enough entropy, and a prefix of
 * ASCII letters and digits only, so that '-' always separates fields
 * and a key is safe in a URL, a mail and a log line.
 */
static int
keygen_fmt_ok(const struct lh_keyfmt *kf)
{
	size_t	 plen, i;

	if (!keygen_dims_ok(kf) || keygen_bits(kf) < LH_KEY_BITS_MIN)
		return 0;
	plen = strnlen(kf->prefix, sizeof(kf->prefix));
	if (plen > LH_KEY_PREFIX_MAX)
		return 0;
	for (i = 0; i < plen; i++)
		if (!keygen_is_alnum(kf->prefix[i]))
			return 0;
	return 1;
}

/* ASCII only: keys must not depend on the locale. */
static char
keygen_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
}

static int
keygen_is_alnum(char c)
{
	c = keygen_upper(c);
	return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/*
 * Case-insensitive alphabet membership.  The loop never exits early, so
 * checking a key does not time which of its symbols are where.
 */
static int
keygen_is_sym(char c)
{
	static const char	 alpha[] = LH_KEY_ALPHABET;
	size_t			 i;
	int			 hit = 0;

	c = keygen_upper(c);
	for (i = 0; i < sizeof(alpha) - 1; i++)
		hit |= alpha[i] == c;
	return hit;
}

/* Characters in a key of this format, without the NUL. */
static size_t
keygen_key_len(const struct lh_keyfmt *kf)
{
	size_t	 plen = strlen(kf->prefix);

	return (plen > 0 ? plen + 1 : 0) +
	    (size_t)kf->groups * (size_t)kf->group_len +
	    (size_t)kf->groups - 1;
}

size_t
keygen_random_len(const struct lh_keyfmt *kf)
{
	if (!keygen_dims_ok(kf))
		return 0;
	return ((size_t)keygen_bits(kf) + 7) / 8;
}

int
keygen_bits(const struct lh_keyfmt *kf)
{
	if (!keygen_dims_ok(kf))
		return 0;
	return kf->groups * kf->group_len * KEYGEN_SYM_BITS;
}

enum lh_err
keygen_fmt(const struct lh_keyfmt *kf, const uint8_t *rnd, size_t rndlen,
    char *out, size_t outlen)
{
	static const char	 alpha[] = LH_KEY_ALPHABET;
	size_t			 o = 0, plen, nsym, s, bit, byte;
	unsigned int		 window;
	int			 g, c;
	enum lh_err		 rc = LH_ERR_INTERNAL;

	if (out != NULL && outlen > 0)
		out[0] = '\0';
	if (!keygen_fmt_ok(kf) || rnd == NULL || out == NULL ||
	    rndlen < keygen_random_len(kf) || keygen_key_len(kf) >= outlen)
		goto out;

	plen = strlen(kf->prefix);
	if (plen > 0) {
		memcpy(out, kf->prefix, plen);
		o = plen;
		out[o++] = '-';
	}
	nsym = 0;
	for (g = 0; g < kf->groups; g++) {
		if (g > 0)
			out[o++] = '-';
		for (c = 0; c < kf->group_len; c++) {
			/* Symbol s is bits [5s, 5s + 5) of rnd, MSB first. */
			s = nsym++;
			bit = s * KEYGEN_SYM_BITS;
			byte = bit / 8;
			window = (unsigned int)rnd[byte] << 8;
			/* A symbol inside one byte needs no second byte. */
			if (bit % 8 + KEYGEN_SYM_BITS > 8)
				window |= rnd[byte + 1];
			out[o++] = alpha[(window >> (16 - KEYGEN_SYM_BITS -
			    bit % 8)) & 0x1f];
		}
	}
	out[o] = '\0';
	rc = LH_OK;
 out:
	return rc;
}

int
keygen_valid(const struct lh_keyfmt *kf, const char *key)
{
	size_t	 want, plen, i;
	int	 g, c;

	if (!keygen_fmt_ok(kf) || key == NULL)
		return 0;
	want = keygen_key_len(kf);
	if (strnlen(key, want + 1) != want)
		return 0;

	plen = strlen(kf->prefix);
	for (i = 0; i < plen; i++)
		if (keygen_upper(key[i]) != keygen_upper(kf->prefix[i]))
			return 0;
	if (plen > 0 && key[plen++] != '-')
		return 0;
	key += plen;

	for (g = 0; g < kf->groups; g++) {
		if (g > 0 && *key++ != '-')
			return 0;
		for (c = 0; c < kf->group_len; c++)
			if (!keygen_is_sym(*key++))
				return 0;
	}
	return 1;
}

/*
 * Decide whether key looks like a key of some valid format, without
 * knowing the format: '-'-separated fields, all but the first made of
 * alphabet symbols and of one length, at least LH_KEY_BITS_MIN bits in
 * them.  The first field is a group if it has the shape of one, else a
 * prefix of letters and digits; so a prefix that looks like a group is
 * hidden too, and a real group is never shown.  Returns 1 and the prefix
 * length, group length and group count, or 0.
 */
static int
keygen_mask_shape(const char *key, size_t *plen, size_t *glen,
    size_t *ngroups)
{
	size_t	 off[LH_KEY_GROUPS_MAX + 1], len[LH_KEY_GROUPS_MAX + 1];
	size_t	 n = 0, klen, i, j, start, first;
	int	 sym;

	klen = strnlen(key, LH_KEY_MAX);
	if (klen == LH_KEY_MAX)
		return 0;
	for (start = 0, i = 0; i <= klen; i++) {
		if (key[i] != '-' && key[i] != '\0')
			continue;
		if (n == LH_KEY_GROUPS_MAX + 1 || i == start)
			return 0;
		off[n] = start;
		len[n++] = i - start;
		start = i + 1;
	}
	if (n < 2)
		return 0;

	*glen = len[n - 1];
	if (*glen > LH_KEY_GROUP_LEN_MAX)
		return 0;
	for (i = 1; i < n; i++) {
		if (len[i] != *glen)
			return 0;
		for (j = 0; j < len[i]; j++)
			if (!keygen_is_sym(key[off[i] + j]))
				return 0;
	}

	sym = len[0] == *glen;
	for (j = 0; j < len[0]; j++) {
		if (!keygen_is_alnum(key[j]))
			return 0;
		if (!keygen_is_sym(key[j]))
			sym = 0;
	}
	first = sym ? 0 : 1;
	if (first == 1 && len[0] > LH_KEY_PREFIX_MAX)
		return 0;

	*ngroups = n - first;
	*plen = first ? len[0] : 0;
	return *ngroups <= LH_KEY_GROUPS_MAX &&
	    *ngroups * *glen * KEYGEN_SYM_BITS >= LH_KEY_BITS_MIN;
}

void
keygen_mask(const char *key, char *out, size_t outlen)
{
	size_t	 plen, glen, ngroups, klen, show, i;

	if (out == NULL || outlen == 0)
		return;
	/* Anything that is not clearly a key is hidden whole. */
	if (key == NULL || !keygen_mask_shape(key, &plen, &glen, &ngroups) ||
	    strlen(key) >= outlen) {
		(void)snprintf(out, outlen, "%s", "***");
		return;
	}
	klen = strlen(key);

	/* Keep the prefix and at most the last KEYGEN_MASK_SHOW symbols. */
	show = glen < KEYGEN_MASK_SHOW ? glen : KEYGEN_MASK_SHOW;
	for (i = 0; i < klen; i++) {
		if (i < plen || key[i] == '-' || i >= klen - show)
			out[i] = key[i];
		else
			out[i] = '*';
	}
	out[klen] = '\0';
}
