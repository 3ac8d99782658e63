/*
 * Fuzz target: notice templates and the messages made from them,
 * mailfmt_tmpl_parse(), mailfmt_render() and mailfmt_addr_valid()
 * (mailfmt.c).
 *
 * Input: a whole template file.  A refused template must leave *out
 * NULL and give a one-line reason of printable ASCII (it goes to the
 * log), also into a buffer too small for it.  A parsed one must hold
 * what the parser promises: a subject of 1 to LH_SUBJECT_MAX bytes and a
 * body, both UTF-8 without control characters (but tab and LF in the
 * body), body lines of at most 998 bytes.
 *
 * A parsed template must then render with no values at all (every
 * placeholder shrinks, so nothing can outgrow a limit), and render or be
 * refused with hostile values taken from the input itself: the whole
 * input as the customer's name (CR, LF, "Bcc: ", NUL cut, "=?", bad
 * UTF-8), its first line as the key and as the To address when
 * mailfmt_addr_valid() takes it (and refused as To when it does not),
 * the rest as the vendor, dates from its first bytes, a From with CR LF
 * in it.  A message must keep every promise of lh.h and of
 * "sendmail -t": at most LH_MAIL_MAX bytes, no NUL, no CR, lines of at
 * most 998 bytes, UTF-8 throughout, exactly the nine headers in their
 * order (so no value started a header), To and Message-ID as given, a
 * Subject of printable ASCII or of RFC 2047 words whose text holds no
 * control character, no continuation line of white space only, and a
 * body without control characters but tab that ends in LF.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lh.h"

#define FUZZ_NAME	mailfmt
#include "fuzz.h"

#define MF_LINE_MAX	998	/* RFC 5322 §2.1.1 */
#define MF_EW_LINE	76	/* RFC 2047 §2 */
#define MF_EW_PRE	"=?UTF-8?B?"
#define MF_EW_POST	"?="
#define MF_NOW		1700000000
#define MF_FROM		"Example Vendor <billing@example.com>"
#define MF_FROM_BAD	"Vendor\r\nBcc: evil@example.org\r\n <billing@example.com>"
#define MF_TO		"customer@example.com"
#define MF_MSGID	"lh.0123456789abcdef@example.com"
#define MF_ERR_SMALL	12	/* bytes, a reason buffer too small */

/* The headers mailfmt_render() writes, in its order. */
static const char *const mf_headers[] = {
	"From: ", "To: ", "Subject: ", "Date: ", "Message-ID: ",
	"MIME-Version: ", "Content-Type: ", "Content-Transfer-Encoding: ",
	"Auto-Submitted: "
};
#define MF_NHEADERS	(sizeof(mf_headers) / sizeof(mf_headers[0]))
#define MF_SUBJECT	2	/* mf_headers[] index */

static size_t	mf_utf8_len(const unsigned char *, size_t);
static int	mf_utf8(const char *, size_t);
static int	mf_ctl(const char *, size_t, int);
static void	mf_check_reason(const char *, size_t);
static void	mf_check_tmpl(const struct lh_tmpl *);
static int	mf_b64(int);
static void	mf_check_word(const char *, size_t);
static void	mf_check_subject(const char *, const char *);
static void	mf_check_msg(const char *, size_t, const char *);
static void	mf_check_addr(const char *);
static void	mf_render(const struct lh_tmpl *, const uint8_t *, size_t);

/* Strict UTF-8 (Unicode table 3-7): the sequence's length, or 0. */
static size_t
mf_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 lo = 0x80, hi = 0xbf;
	size_t		 k, len;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

static int
mf_utf8(const char *s, size_t n)
{
	size_t		 i, k;

	for (i = 0; i < n; i += k)
		if ((k = mf_utf8_len((const unsigned char *)s + i, n - i)) == 0)
			return 0;
	return 1;
}

/*
 * 1 if UTF-8 s holds a control character other than those allowed: C0
 * but tab and LF when told, DEL, C1 (U+0080..U+009F).
 */
static int
mf_ctl(const char *s, size_t n, int tab_lf)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 && !(tab_lf && (p[i] == '\t' || p[i] == '\n')))
			return 1;
		if (p[i] == 0x7f ||
		    (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f))
			return 1;
	}
	return 0;
}

/* A refusal's reason: terminated, not empty, printable ASCII. */
static void
mf_check_reason(const char *errbuf, size_t errlen)
{
	const char	*p;

	FUZZ_ASSERT(fuzz_terminated(errbuf, errlen));
	FUZZ_ASSERT(errlen < 2 || errbuf[0] != '\0');
	for (p = errbuf; *p != '\0'; p++)
		FUZZ_ASSERT(*p >= 0x20 && *p <= 0x7e);
}

static void
mf_check_tmpl(const struct lh_tmpl *t)
{
	const char	*p, *nl;
	size_t		 n;

	FUZZ_ASSERT(fuzz_terminated(t->subject, sizeof(t->subject)));
	n = strlen(t->subject);
	FUZZ_ASSERT(n >= 1 && n <= LH_SUBJECT_MAX);
	FUZZ_ASSERT(mf_utf8(t->subject, n) && !mf_ctl(t->subject, n, 0));
	FUZZ_ASSERT(t->body != NULL);
	n = strlen(t->body);
	FUZZ_ASSERT(n <= LH_TMPL_MAX);
	FUZZ_ASSERT(mf_utf8(t->body, n) && !mf_ctl(t->body, n, 1));
	for (p = t->body; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL) {
			FUZZ_ASSERT(strlen(p) <= MF_LINE_MAX);
			break;
		}
		FUZZ_ASSERT((size_t)(nl - p) <= MF_LINE_MAX);
	}
}

static int
mf_b64(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/';
}

/*
 * One RFC 2047 "B" word, s[0..n) being "=?UTF-8?B?...?=": padded
 * base64 whose text is whole UTF-8 characters (§5: none split between
 * words) without a control character.
 */
static void
mf_check_word(const char *s, size_t n)
{
	const size_t	 pre = sizeof(MF_EW_PRE) - 1, post = sizeof(MF_EW_POST) - 1;
	unsigned char	 out[MF_EW_LINE];
	const char	*b;
	unsigned long	 v;
	size_t		 i, j, blen, len = 0, pad = 0;

	FUZZ_ASSERT(n > pre + post && memcmp(s, MF_EW_PRE, pre) == 0 &&
	    memcmp(s + n - post, MF_EW_POST, post) == 0);
	b = s + pre;
	blen = n - pre - post;
	FUZZ_ASSERT(blen > 0 && blen % 4 == 0);
	for (i = 0; i < blen; i += 4) {
		v = 0;
		for (j = 0; j < 4; j++) {
			v <<= 6;
			if (b[i + j] == '=') {
				FUZZ_ASSERT(i + 4 == blen && j >= 2);
				pad++;
				continue;
			}
			FUZZ_ASSERT(pad == 0 && mf_b64(b[i + j]));
			if (b[i + j] >= 'A' && b[i + j] <= 'Z')
				v |= (unsigned long)(b[i + j] - 'A');
			else if (b[i + j] >= 'a' && b[i + j] <= 'z')
				v |= (unsigned long)(b[i + j] - 'a' + 26);
			else if (b[i + j] >= '0' && b[i + j] <= '9')
				v |= (unsigned long)(b[i + j] - '0' + 52);
			else
				v |= b[i + j] == '+' ? 62 : 63;
		}
		FUZZ_ASSERT(len + 3 <= sizeof(out));
		out[len++] = (v >> 16) & 0xff;
		out[len++] = (v >> 8) & 0xff;
		out[len++] = v & 0xff;
	}
	len -= pad;
	FUZZ_ASSERT(len > 0);
	FUZZ_ASSERT(mf_utf8((const char *)out, len));
	FUZZ_ASSERT(!mf_ctl((const char *)out, len, 0));
}

/*
 * The Subject field, from "Subject: " to the end of its last line
 * (LF-separated, without the final LF): either plain, printable ASCII
 * with no "=?" a reader would decode, folded before spaces; or encoded,
 * one word per line.
 */
static void
mf_check_subject(const char *s, const char *end)
{
	const size_t	 hl = sizeof("Subject: ") - 1;
	const char	*p, *nl, *w;
	int		 encoded, line = 0;

	encoded = (size_t)(end - s) >= hl + sizeof(MF_EW_PRE) - 1 &&
	    memcmp(s + hl, MF_EW_PRE, sizeof(MF_EW_PRE) - 1) == 0;
	for (p = s; p < end; p = nl + 1, line++) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		w = line == 0 ? p + hl : p;
		if (line > 0) {
			/* A continuation: white space, then some text. */
			FUZZ_ASSERT(*w == ' ' || *w == '\t');
			while (w < nl && (*w == ' ' || *w == '\t'))
				w++;
			FUZZ_ASSERT(w < nl);
		}
		if (encoded) {
			FUZZ_ASSERT(nl - p <= MF_EW_LINE);
			if (line > 0)
				FUZZ_ASSERT(w == p + 1);
			mf_check_word(w, (size_t)(nl - w));
			continue;
		}
		for (; w < nl; w++) {
			FUZZ_ASSERT(*w >= 0x20 && *w <= 0x7e);
			FUZZ_ASSERT(!(w[0] == '=' && w + 1 < nl &&
			    w[1] == '?'));
		}
	}
}

/* A whole message for sendmail -t, to the address to. */
static void
mf_check_msg(const char *msg, size_t len, const char *to)
{
	const char	*p, *nl, *end = msg + len, *subj = NULL, *subj_end;
	size_t		 h = 0, hl;

	FUZZ_ASSERT(msg != NULL);
	FUZZ_ASSERT(len > 0 && len < LH_MAIL_MAX);
	FUZZ_ASSERT(strlen(msg) == len);
	FUZZ_ASSERT(memchr(msg, '\r', len) == NULL);
	FUZZ_ASSERT(mf_utf8(msg, len));
	FUZZ_ASSERT(msg[len - 1] == '\n');

	/* The header block, up to the empty line. */
	for (p = msg; ; p = nl + 1) {
		FUZZ_ASSERT(p < end);
		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_ASSERT(nl != NULL);
		FUZZ_ASSERT(nl - p <= MF_LINE_MAX);
		FUZZ_ASSERT(!mf_ctl(p, (size_t)(nl - p), 0));
		if (nl == p)
			break;
		if (*p == ' ' || *p == '\t') {
			/* Only the Subject is folded. */
			FUZZ_ASSERT(h == MF_SUBJECT + 1);
			continue;
		}
		FUZZ_ASSERT(h < MF_NHEADERS);
		hl = strlen(mf_headers[h]);
		FUZZ_ASSERT((size_t)(nl - p) >= hl &&
		    memcmp(p, mf_headers[h], hl) == 0);
		if (h == 0)
			FUZZ_ASSERT((size_t)(nl - p) > hl);
		if (h == 1)
			FUZZ_ASSERT((size_t)(nl - p) == hl + strlen(to) &&
			    memcmp(p + hl, to, strlen(to)) == 0);
		if (h == MF_SUBJECT)
			subj = p;
		if (h == MF_SUBJECT + 1) {
			subj_end = p - 1;
			mf_check_subject(subj, subj_end);
		}
		if (h == 4)
			FUZZ_ASSERT((size_t)(nl - p) == hl + strlen(MF_MSGID) +
			    2 && p[hl] == '<' && memcmp(p + hl + 1, MF_MSGID,
			    strlen(MF_MSGID)) == 0 && nl[-1] == '>');
		h++;
	}
	FUZZ_ASSERT(h == MF_NHEADERS);

	/* The body: lines of text and tabs. */
	for (p = nl + 1; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_ASSERT(nl != NULL);
		FUZZ_ASSERT(nl - p <= MF_LINE_MAX);
		FUZZ_ASSERT(!mf_ctl(p, (size_t)(nl - p), 1));
	}
}

/* What mailfmt_addr_valid() takes is a plain, short, safe addr-spec. */
static void
mf_check_addr(const char *a)
{
	const char	*p, *at;
	size_t		 n;

	if (!mailfmt_addr_valid(a))
		return;
	n = strlen(a);
	FUZZ_ASSERT(n >= 3 && n <= LH_ADDR_SPEC_MAX);
	FUZZ_ASSERT(a[0] != '-' && a[0] != '@');
	at = strchr(a, '@');
	FUZZ_ASSERT(at != NULL && strchr(at + 1, '@') == NULL);
	FUZZ_ASSERT(at - a <= 64 && at[1] != '\0');
	for (p = a; *p != '\0'; p++)
		FUZZ_ASSERT(*p > 0x20 && *p < 0x7f && *p != '"' &&
		    *p != '<' && *p != '>' && *p != ',' && *p != '\\');
}

static void
mf_render(const struct lh_tmpl *t, const uint8_t *data, size_t size)
{
	struct lh_mail_vars	 v;
	char			*all, *first, *vendor, *msg;
	const char		*to;
	size_t			 len, firstlen, restlen;
	const uint8_t		*rest;
	long long		 d[2] = { 0, 0 };
	enum lh_err		 rc;

	/* No values: every placeholder shrinks, so it must render. */
	rc = mailfmt_render(t, NULL, MF_FROM, MF_TO, MF_MSGID,
	    (time_t)MF_NOW, &msg, &len);
	FUZZ_ASSERT(rc == LH_OK || rc == LH_ERR_NOMEM);
	if (rc == LH_OK) {
		mf_check_msg(msg, len, MF_TO);
		free(msg);
	} else
		FUZZ_ASSERT(msg == NULL && len == 0);

	/* Values from the input. */
	fuzz_split(data, size, &firstlen, &rest, &restlen);
	all = fuzz_cstr(data, size);
	first = fuzz_cstr(data, firstlen);
	vendor = fuzz_cstr(rest, restlen);
	if (all == NULL || first == NULL || vendor == NULL)
		goto out;
	mf_check_addr(first);
	memcpy(d, data, size < sizeof(d) ? size : sizeof(d));
	memset(&v, 0, sizeof(v));
	v.key = first;
	v.tier = "pro\r\nBcc: evil@example.org";
	v.name = all;
	v.email = first;
	v.expires_at = d[0];
	v.grace_deadline = d[1];
	v.vendor = vendor;
	v.support = "support@example.com";
	v.portal_url = all + strlen(all) / 2;
	to = mailfmt_addr_valid(first) ? first : MF_TO;
	rc = mailfmt_render(t, &v, MF_FROM_BAD, to, MF_MSGID,
	    (time_t)MF_NOW, &msg, &len);
	FUZZ_ASSERT(rc == LH_OK || rc == LH_ERR_INTERNAL ||
	    rc == LH_ERR_NOMEM);
	if (rc == LH_OK) {
		mf_check_msg(msg, len, to);
		free(msg);
	} else
		FUZZ_ASSERT(msg == NULL && len == 0);

	/* An address mailfmt_addr_valid() refuses is refused as To. */
	if (!mailfmt_addr_valid(first)) {
		rc = mailfmt_render(t, &v, MF_FROM, first, MF_MSGID,
		    (time_t)MF_NOW, &msg, &len);
		FUZZ_ASSERT(rc == LH_ERR_API_REQUEST && msg == NULL);
	}
 out:
	free(vendor);
	free(first);
	free(all);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lh_tmpl sentinel;	/* mailfmt_tmpl_parse() clears it */
	struct lh_tmpl	*t = &sentinel;
	char		 errbuf[256], *small;
	enum lh_err	 rc, rc2;

	memset(errbuf, 'x', sizeof(errbuf));
	rc = mailfmt_tmpl_parse((const char *)data, size, &t, errbuf,
	    sizeof(errbuf));
	if (rc != LH_OK) {
		FUZZ_ASSERT(rc == LH_ERR_CONF || rc == LH_ERR_NOMEM);
		FUZZ_ASSERT(t == NULL);
		mf_check_reason(errbuf, sizeof(errbuf));
		FUZZ_ASSERT(strchr(errbuf, '\n') == NULL);
		/* The same reason, cut to a buffer of its exact size. */
		if ((small = malloc(MF_ERR_SMALL)) == NULL)
			return 0;
		t = &sentinel;
		rc2 = mailfmt_tmpl_parse((const char *)data, size, &t, small,
		    MF_ERR_SMALL);
		FUZZ_ASSERT(rc2 == rc && t == NULL);
		mf_check_reason(small, MF_ERR_SMALL);
		FUZZ_ASSERT(strncmp(small, errbuf, MF_ERR_SMALL - 1) == 0);
		free(small);
		return 0;
	}
	FUZZ_ASSERT(t != NULL && t != &sentinel);
	FUZZ_ASSERT(fuzz_terminated(errbuf, sizeof(errbuf)));
	mf_check_tmpl(t);
	mf_render(t, data, size);
	mailfmt_tmpl_free(t);
	return 0;
}
