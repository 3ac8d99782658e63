/*
 * Strict JSON for hostile bodies, shared by event.c (Stripe events),
 * api.c (license API requests) and token.c (token payloads).  cJSON is
 * lenient where RFC 8259 is not: it takes any byte up to 0x20 as
 * whitespace, copies raw control bytes into strings, decodes "\u0000"
 * into a NUL that cuts a C string short and recurses up to 1000 levels.
 * The checks here run over the raw bytes before cJSON sees them.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lh.h"

/*
 * Strict UTF-8 (Unicode 15, table 3-7): no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF.  Returns 1 or 0.
 */
int
json_utf8_valid(const unsigned char *p, size_t len)
{
	size_t		 i, k, n;
	unsigned char	 c, lo, hi;

	for (i = 0; i < len; i += n + 1) {
		c = p[i];
		n = 0;
		if (c < 0x80)
			continue;
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c == 0xe0) {
			n = 2;
			lo = 0xa0;
		} else if (c == 0xed) {
			n = 2;
			hi = 0x9f;
		} else if (c >= 0xe1 && c <= 0xef)
			n = 2;
		else if (c == 0xf0) {
			n = 3;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			n = 3;
		else if (c == 0xf4) {
			n = 3;
			hi = 0x8f;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/*
 * One cheap pass over the raw body before cJSON sees it.  Returns 1 if
 * the body may be handed to the parser, 0 to reject it.
 *
 * - Nesting: cJSON recurses once per level and allows 1000 levels; we
 *   allow LH_JSON_DEPTH_MAX, counting [ and { outside strings.
 * - Control bytes: RFC 8259 §7 requires them escaped inside strings, and
 *   only space, tab, LF and CR are whitespace (§2).  cJSON skips any byte
 *   up to 0x20 as whitespace and copies raw control bytes into strings,
 *   so it would accept both.  A raw NUL is rejected here too.
 * - Bytes above 0x7e outside strings are never valid JSON; this also
 *   refuses a byte order mark, which cJSON would skip (RFC 8259 §8.1).
 * - "\u0000": cJSON decodes it into a NUL inside a C string, silently
 *   cutting the value (or a key: "id\u0000x" would read as "id").  No
 *   field licensehook reads needs a NUL, so a body holding that escape in
 *   any string is refused.  Tracking escapes keeps "\\u0000" (a backslash
 *   followed by the text u0000) legal.
 */
int
json_scan(const unsigned char *p, size_t len)
{
	size_t	 i, depth = 0;
	int	 instr = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (p[i] < 0x20)
				return 0;
			if (p[i] == '"')
				instr = 0;
			else if (p[i] == '\\') {
				if (len - i < 2)
					return 0;
				if (p[i + 1] == 'u' && len - i >= 6 &&
				    memcmp(p + i + 2, "0000", 4) == 0)
					return 0;
				i++;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > LH_JSON_DEPTH_MAX)
				return 0;
			break;
		case ']':
		case '}':
			if (depth == 0)
				return 0;
			depth--;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (p[i] < 0x20 || p[i] > 0x7e)
				return 0;
			break;
		}
	}
	return 1;
}

/* Only JSON whitespace (RFC 8259 §2) in [p, end).  Returns 1 or 0. */
int
json_tail_blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

enum lh_err
json_parse_object(const char *body, size_t len, enum lh_err bad,
    cJSON **out)
{
	cJSON		*root = NULL;
	char		*buf = NULL;
	const char	*end = NULL;
	enum lh_err	 r = LH_ERR_INTERNAL;

	if (out == NULL)
		return LH_ERR_INTERNAL;
	*out = NULL;
	if (body == NULL && len != 0)
		goto out;

	r = bad;
	if (len == 0)
		goto out;
	if (!json_utf8_valid((const unsigned char *)body, len))
		goto out;
	if (!json_scan((const unsigned char *)body, len))
		goto out;

	/*
	 * Reads past buffer_length have been reported against cJSON's
	 * length-bounded parser (cJSON issues #804 and #778; not reproduced
	 * with 1.7.15 here).  The body need not be NUL-terminated, so cJSON
	 * parses a terminated copy of exactly len bytes: a stray read then
	 * meets the NUL instead of leaving the buffer.
	 */
	if ((buf = malloc(len + 1)) == NULL) {
		r = LH_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, body, len);
	buf[len] = '\0';

	/* cJSON gives no reason on failure; a malformed body is likelier. */
	if ((root = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) == NULL)
		goto out;
	if (!cJSON_IsObject(root) || end == NULL || end < buf ||
	    end > buf + len || !json_tail_blank(end, buf + len))
		goto out;

	*out = root;
	root = NULL;	/* transferred */
	r = LH_OK;
 out:
	cJSON_Delete(root);
	free(buf);
	return r;
}
