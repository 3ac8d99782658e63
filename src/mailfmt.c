/*
 * Customer notices: which notices a license's state calls for, the
 * templates they are written from, and the whole message handed to
 * sendmail.  Pure: the clock, the templates' bytes and the message id
 * come in as arguments; mail.c reads the files, queues and delivers.
 *
 * Notices are decided from state, not from events (mailfmt_due()): what
 * is due at a moment follows from the stored facts and the clock, like
 * license_view(), and each notice carries the fact it is about (its
 * anchor), so that the caller can queue each (notice, license, anchor)
 * once however often it asks.
 *
 * Everything from a customer (name, email) or the provider reaches the
 * message only through put_text(), which drops control characters, so
 * that no value can start a header line or a new header.  The To address
 * must pass mailfmt_addr_valid().  The message is written for
 * "sendmail -t -i": -t takes the recipients from the header (no address
 * on the command line), and -i keeps a body line holding a single "."
 * from ending the message, so such a line needs no escaping here.  Lines
 * end in LF; sendmail writes CRLF on the wire (RFC 5321 §2.3.8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lh.h"

/* RFC 5322 §2.1.1: a line MUST be at most 998 bytes, excluding CRLF. */
#define MF_LINE_MAX	998
/* RFC 5322 §2.1.1: and SHOULD be at most 78; plain subjects fold there. */
#define MF_FOLD		78
/* RFC 2047 §2: a line holding an encoded-word is at most 76 bytes. */
#define MF_EW_LINE	76
#define MF_EW_PRE	"=?UTF-8?B?"
#define MF_EW_POST	"?="
#define MF_SUBJ_HDR	"Subject: "
#define MF_LOCAL_MAX	64	/* bytes, a local part (RFC 5321 §4.5.3.1.1) */
#define MF_LABEL_MAX	63	/* bytes, a DNS label (RFC 1035 §2.3.4) */
#define MF_MSGID_MAX	LH_ADDR_SPEC_MAX /* bytes, a message id without <> */
#define MF_ECHO_MAX	32	/* bytes of a bad placeholder quoted */
#define MF_DATE_LEN	64	/* "Sun, 22 Nov 2026 13:05:09 +0000" and NUL */
#define MF_DAY_LEN	16	/* "2026-12-01" and NUL */
#define MF_YEAR_MIN	1900	/* RFC 5322 §3.3: 4-digit years from 1900 */
#define MF_YEAR_MAX	9999
#define MF_BOM		"\xef\xbb\xbf"
#define MF_REPLACEMENT	"\xef\xbf\xbd"	/* U+FFFD, for a byte not UTF-8 */

/* put_text(): which control characters a piece of text keeps. */
#define TXT_TAB		0x01
#define TXT_LF		0x02

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

/* The placeholders, in the order of struct lh_mail_vars. */
enum ph {
	PH_KEY = 0,
	PH_TIER,
	PH_NAME,
	PH_EMAIL,
	PH_EXPIRES,
	PH_GRACE_DEADLINE,
	PH_VENDOR,
	PH_SUPPORT,
	PH_PORTAL_URL,
	PH__COUNT
};

/* How a piece of text stands with respect to placeholders. */
enum ph_scan {
	SCAN_OK = 0,
	SCAN_UNKNOWN,		/* "{{name}}" with a name not in ph_names */
	SCAN_OPEN		/* "{{" without "}}" on the same line */
};

/*
 * A message being written: one allocation of its cap, made up front.
 * Appending past the cap sets over, which the caller checks once at
 * the end, so that a chain of appends needs no check after each.
 */
struct mbuf {
	char		*p;
	size_t		 len;
	size_t		 cap;	/* bytes allocated, the NUL included */
	int		 over;
};

static const char *const notice_names[] = {
	[LH_NOTICE_KEY] = "key",
	[LH_NOTICE_PAYMENT_FAILED] = "payment_failed",
	[LH_NOTICE_GRACE_REMINDER] = "grace_reminder",
	[LH_NOTICE_GRACE_FREE_TIER] = "grace_free_tier",
	[LH_NOTICE_SUSPENDED] = "suspended",
	[LH_NOTICE_REINSTATED] = "reinstated",
	[LH_NOTICE_DOWNGRADED] = "downgraded",
	[LH_NOTICE_TRIAL_ENDING] = "trial_ending",
	[LH_NOTICE_EXPIRING] = "expiring",
	[LH_NOTICE_REVOKED] = "revoked"
};

static const char *const ph_names[] = {
	[PH_KEY] = "key",
	[PH_TIER] = "tier",
	[PH_NAME] = "name",
	[PH_EMAIL] = "email",
	[PH_EXPIRES] = "expires",
	[PH_GRACE_DEADLINE] = "grace_deadline",
	[PH_VENDOR] = "vendor",
	[PH_SUPPORT] = "support",
	[PH_PORTAL_URL] = "portal_url"
};

/* RFC 5322 §3.3: day-name and month-name, never the locale's. */
static const char *const day_names[] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char *const month_names[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
};

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void		 due_add(struct lh_notice_due *, size_t *,
			    enum lh_notice, long long);
static size_t		 utf8_len(const unsigned char *, size_t);
static int		 utf8_check(const char *, size_t, size_t *);
static int		 text_ctl(const char *, size_t, int, size_t *);
static int		 ph_lookup(const char *, size_t);
static enum ph_scan	 ph_next(const char *, size_t, size_t *, size_t *,
			    size_t *, int *);
static enum ph_scan	 ph_check(const char *, size_t, const char **,
			    size_t *);
static enum lh_err	 tmpl_err(char *, size_t, size_t, const char *, ...)
			    __attribute__((format(printf, 4, 5)));
static enum lh_err	 tmpl_ph_err(char *, size_t, size_t, enum ph_scan,
			    const char *, size_t);
static enum lh_err	 tmpl_subject(struct lh_tmpl *, const char *, size_t,
			    char *, size_t);
static enum lh_err	 tmpl_body(struct lh_tmpl *, const char *, size_t,
			    size_t, char *, size_t);
static int		 is_atext(int);
static int		 dot_atom_ok(const char *, size_t);
static int		 domain_ok(const char *, size_t);
static int		 msgid_ok(const char *);
static int		 mbuf_init(struct mbuf *, size_t);
static void		 mbuf_put(struct mbuf *, const void *, size_t);
static void		 mbuf_puts(struct mbuf *, const char *);
static void		 put_text(struct mbuf *, const char *, size_t, int);
static int		 fmt_date(long long, char *, size_t);
static int		 fmt_day(long long, const char *, char *, size_t);
static int		 ph_value(enum ph, const struct lh_mail_vars *, char *,
			    size_t, const char **);
static int		 subst(struct mbuf *, const char *, size_t,
			    const struct lh_mail_vars *, int, int);
static int		 lines_ok(const char *, size_t);
static int		 subj_plain(const char *, size_t);
static void		 subj_fold(struct mbuf *, const char *, size_t);
static void		 b64_put(struct mbuf *, const unsigned char *, size_t);
static void		 subj_encode(struct mbuf *, const char *, size_t);
static void		 hdr_subject(struct mbuf *, const char *, size_t);

const char *
mailfmt_notice_name(enum lh_notice n)
{
	if ((size_t)n >= nitems(notice_names) || notice_names[n] == NULL)
		return "unknown";
	return notice_names[n];
}

/* ---- which notices are due ------------------------------------------ */

static void
due_add(struct lh_notice_due *out, size_t *n, enum lh_notice notice,
    long long anchor)
{
	if (*n >= LH_NOTICES_MAX)
		return;
	out[*n].notice = notice;
	out[*n].anchor = anchor;
	(*n)++;
}

/*
 * One notice for the license's status (revoked, suspended, or the grace
 * step it is on now), then a downgrade in force, then an expiry coming
 * without a renewal: at most three, always in this order.
 *
 * Each is anchored on the fact that caused it, so that asking again
 * finds the same (notice, anchor) and a new cause (another failed
 * payment, a second dispute) a new one.  Only the current grace step is
 * due: a step nobody asked about in time is not sent late, since its
 * news is out of date.  A revocation is final and says all there is to
 * say, so nothing else goes with it.
 *
 * A downgrade is only news while a renewal is coming: when the
 * subscription ends at the period end (cancel_at_period_end, canceled)
 * or the license has expired, the customer gets the expiry notice
 * instead of being told about a lower tier they will never use.
 */
size_t
mailfmt_due(const struct lh_conf *conf, const struct lh_lic_facts *f,
    const struct lh_lic_view *v, time_t now,
    struct lh_notice_due out[LH_NOTICES_MAX])
{
	long long	 t = (long long)now, anchor;
	size_t		 n = 0;
	int		 ending;

	if (out != NULL)
		memset(out, 0, LH_NOTICES_MAX * sizeof(out[0]));
	if (conf == NULL || f == NULL || v == NULL || out == NULL)
		return 0;

	if (f->revoked[0] != '\0' || v->status == LH_LIC_REVOKED) {
		due_add(out, &n, LH_NOTICE_REVOKED, f->revoked_at);
		return n;
	}
	/* The same precedence as license_view(). */
	if (v->status == LH_LIC_SUSPENDED) {
		if (v->grace == LH_GRACE_SUSPENDED)
			anchor = f->grace_since;
		else if (f->disputed)
			anchor = f->dispute_at;
		else
			anchor = f->sub_event_at;	/* paused, incomplete,
							   unpaid */
		due_add(out, &n, LH_NOTICE_SUSPENDED, anchor);
	} else if (v->status == LH_LIC_GRACE) {
		if (v->grace == LH_GRACE_WARNED)
			due_add(out, &n, LH_NOTICE_PAYMENT_FAILED,
			    f->grace_since);
		else if (v->grace == LH_GRACE_REMINDED)
			due_add(out, &n, LH_NOTICE_GRACE_REMINDER,
			    f->grace_since);
		else if (v->grace == LH_GRACE_FREE_TIER)
			due_add(out, &n, LH_NOTICE_GRACE_FREE_TIER,
			    f->grace_since);
	}

	ending = f->cancel_at_period_end || f->sub_status == LH_SUB_CANCELED;
	if (f->pending_tier[0] != '\0' && t >= f->pending_at && !ending &&
	    v->status != LH_LIC_EXPIRED)
		due_add(out, &n, LH_NOTICE_DOWNGRADED, f->pending_at);
	/* expires_at > t: the difference of two times is positive. */
	if (v->valid && ending && v->expires_at > t &&
	    v->expires_at - t <= conf->mail.expiry_notice)
		due_add(out, &n, LH_NOTICE_EXPIRING, v->expires_at);
	return n;
}

/* ---- text checks ---------------------------------------------------- */

/*
 * The length of the UTF-8 sequence at p (at most n bytes), or 0 if it
 * is not one.  Strict (Unicode 15, table 3-7): no overlong forms, no
 * UTF-16 surrogates, nothing above U+10FFFF; the same rule as event.c
 * and api.c apply.
 */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned char	 c, lo = 0x80, hi = 0xbf;
	size_t		 k, len;

	if (n == 0)
		return 0;
	c = p[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c == 0xe0) {
		len = 3;
		lo = 0xa0;
	} else if (c == 0xed) {
		len = 3;
		hi = 0x9f;
	} else if (c >= 0xe1 && c <= 0xef)
		len = 3;
	else if (c == 0xf0) {
		len = 4;
		lo = 0x90;
	} else if (c >= 0xf1 && c <= 0xf3)
		len = 4;
	else if (c == 0xf4) {
		len = 4;
		hi = 0x8f;
	} else
		return 0;
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (k = 2; k < len; k++)
		if ((p[k] & 0xc0) != 0x80)
			return 0;
	return len;
}

/* 1 if s is UTF-8; else 0 and the offset of the first bad byte. */
static int
utf8_check(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 i, k;

	for (i = 0; i < n; i += k) {
		if ((k = utf8_len(p + i, n - i)) == 0) {
			*bad = i;
			return 0;
		}
	}
	return 1;
}

/*
 * 1 if valid UTF-8 s holds a control character: C0 (tab too unless
 * TXT_TAB is in keep), DEL, or C1 (U+0080..U+009F, UTF-8 C2 80..C2 9F).
 * *at is its offset.
 */
static int
text_ctl(const char *s, size_t n, int keep, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 i;

	for (i = 0; i < n; i++) {
		if ((p[i] < 0x20 && !(p[i] == '\t' && (keep & TXT_TAB))) ||
		    p[i] == 0x7f ||
		    (p[i] == 0xc2 && i + 1 < n && p[i + 1] <= 0x9f)) {
			*at = i;
			return 1;
		}
	}
	return 0;
}

/* ---- placeholders --------------------------------------------------- */

static int
ph_lookup(const char *name, size_t len)
{
	size_t		 i;

	for (i = 0; i < nitems(ph_names); i++)
		if (strlen(ph_names[i]) == len &&
		    memcmp(ph_names[i], name, len) == 0)
			return (int)i;
	return -1;
}

/*
 * The next placeholder in s[0..n) from *pos: its "{{" at *start, its
 * name at *start + 2 for *namelen bytes, and the scan goes on at *pos.
 * *which is its index in ph_names, or -1 when there is none left.  A
 * placeholder never spans lines, and there is no escape for a literal
 * "{{" (none of the shipped templates needs one).
 */
static enum ph_scan
ph_next(const char *s, size_t n, size_t *pos, size_t *start,
    size_t *namelen, int *which)
{
	size_t		 i = *pos, open, close, eol;

	*which = -1;
	for (; i + 1 < n; i++)
		if (s[i] == '{' && s[i + 1] == '{')
			break;
	if (i + 1 >= n) {
		*pos = n;
		return SCAN_OK;
	}
	*start = i;
	open = i + 2;
	for (eol = open; eol < n && s[eol] != '\n'; eol++)
		continue;
	for (close = open; close + 1 < eol; close++)
		if (s[close] == '}' && s[close + 1] == '}')
			break;
	if (close + 1 >= eol) {
		*namelen = eol - open;
		return SCAN_OPEN;
	}
	*namelen = close - open;
	*pos = close + 2;
	if ((*which = ph_lookup(s + open, *namelen)) < 0)
		return SCAN_UNKNOWN;
	return SCAN_OK;
}

/* Every placeholder in s known?  Else where the bad one's name is. */
static enum ph_scan
ph_check(const char *s, size_t n, const char **name, size_t *namelen)
{
	enum ph_scan	 sc;
	size_t		 pos = 0, start = 0;
	int		 which;

	*name = NULL;
	*namelen = 0;
	while (pos < n) {
		sc = ph_next(s, n, &pos, &start, namelen, &which);
		if (sc != SCAN_OK) {
			*name = s + start + 2;
			return sc;
		}
		if (which < 0)
			break;
	}
	return SCAN_OK;
}

/* ---- templates ------------------------------------------------------ */

/* "line N: reason" (N of 0: no line) to errbuf.  Returns LH_ERR_CONF. */
static enum lh_err
tmpl_err(char *errbuf, size_t errlen, size_t lineno, const char *fmt, ...)
{
	va_list		 ap;
	size_t		 off = 0;
	int		 n;

	if (errbuf == NULL || errlen == 0)
		return LH_ERR_CONF;
	errbuf[0] = '\0';
	if (lineno > 0) {
		n = snprintf(errbuf, errlen, "line %zu: ", lineno);
		if (n < 0 || (size_t)n >= errlen)
			return LH_ERR_CONF;
		off = (size_t)n;
	}
	va_start(ap, fmt);
	(void)vsnprintf(errbuf + off, errlen - off, fmt, ap);
	va_end(ap);
	return LH_ERR_CONF;
}

/*
 * A bad placeholder, named in the message: its first MF_ECHO_MAX bytes,
 * anything but printable ASCII shown as '?', so that the reason stays
 * one log-safe line.
 */
static enum lh_err
tmpl_ph_err(char *errbuf, size_t errlen, size_t lineno, enum ph_scan sc,
    const char *name, size_t namelen)
{
	char		 echo[MF_ECHO_MAX + 1];
	size_t		 i, n = namelen < MF_ECHO_MAX ? namelen : MF_ECHO_MAX;

	for (i = 0; i < n; i++)
		echo[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
	echo[n] = '\0';
	if (sc == SCAN_OPEN)
		return tmpl_err(errbuf, errlen, lineno,
		    "\"{{\" without \"}}\"");
	return tmpl_err(errbuf, errlen, lineno,
	    "unknown placeholder {{%s}}%s", echo,
	    namelen > MF_ECHO_MAX ? " (cut)" : "");
}

/* Line 1, without its line end: "Subject: " and the subject. */
static enum lh_err
tmpl_subject(struct lh_tmpl *t, const char *line, size_t n, char *errbuf,
    size_t errlen)
{
	const size_t	 hl = sizeof(MF_SUBJ_HDR) - 1;
	const char	*name;
	size_t		 at, namelen;
	enum ph_scan	 sc;

	if (n < hl || memcmp(line, MF_SUBJ_HDR, hl) != 0)
		return tmpl_err(errbuf, errlen, 1,
		    "a template starts with \"Subject: \"");
	line += hl;
	n -= hl;
	if (n == 0)
		return tmpl_err(errbuf, errlen, 1, "empty subject");
	if (n > LH_SUBJECT_MAX)
		return tmpl_err(errbuf, errlen, 1,
		    "subject longer than %d bytes", LH_SUBJECT_MAX);
	if (text_ctl(line, n, 0, &at))
		return tmpl_err(errbuf, errlen, 1,
		    "control character in the subject at byte %zu",
		    at + hl + 1);
	if ((sc = ph_check(line, n, &name, &namelen)) != SCAN_OK)
		return tmpl_ph_err(errbuf, errlen, 1, sc, name, namelen);
	memcpy(t->subject, line, n);
	t->subject[n] = '\0';
	return LH_OK;
}

/*
 * The body, from line 3 on: each line checked, its line end made LF.
 * text holds the rest of the template.
 */
static enum lh_err
tmpl_body(struct lh_tmpl *t, const char *text, size_t len, size_t lineno,
    char *errbuf, size_t errlen)
{
	const char	*p = text, *end = text + len, *nl, *name;
	size_t		 n, at, namelen, off = 0;
	enum ph_scan	 sc;

	if (len == 0)
		return tmpl_err(errbuf, errlen, lineno, "no body");
	/* The body only shrinks: CRLF becomes LF. */
	if ((t->body = malloc(len + 1)) == NULL) {
		(void)tmpl_err(errbuf, errlen, 0, "out of memory");
		return LH_ERR_NOMEM;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > MF_LINE_MAX)
			return tmpl_err(errbuf, errlen, lineno,
			    "longer than %d bytes", MF_LINE_MAX);
		if (text_ctl(p, n, TXT_TAB, &at))
			return tmpl_err(errbuf, errlen, lineno,
			    "control character at byte %zu", at + 1);
		if ((sc = ph_check(p, n, &name, &namelen)) != SCAN_OK)
			return tmpl_ph_err(errbuf, errlen, lineno, sc, name,
			    namelen);
		memcpy(t->body + off, p, n);
		off += n;
		if (nl != NULL)
			t->body[off++] = '\n';
		p = nl != NULL ? nl + 1 : end;
		lineno++;
	}
	t->body[off] = '\0';
	return LH_OK;
}

/*
 * The first line is "Subject: " and the subject, the second is empty,
 * the body follows.  Lines end in LF or CRLF; a CR anywhere else is a
 * control character.  A UTF-8 byte order mark at the start is skipped,
 * as conf.c does.  The subject must fit on a header line once its
 * placeholders are filled in, so it may not hold even a tab; body lines
 * may hold tabs and are at most MF_LINE_MAX bytes, so that a template
 * line never has to be refused when a message is written.
 */
enum lh_err
mailfmt_tmpl_parse(const char *text, size_t len, struct lh_tmpl **out,
    char *errbuf, size_t errlen)
{
	struct lh_tmpl	*t = NULL;
	const char	*p, *end, *nl, *q;
	size_t		 n, bad, lineno;
	enum lh_err	 r = LH_ERR_INTERNAL;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (out != NULL)
		*out = NULL;
	if (out == NULL || (text == NULL && len > 0)) {
		(void)tmpl_err(errbuf, errlen, 0,
		    "mailfmt_tmpl_parse: bad arguments");
		goto out;
	}
	if (text == NULL)
		text = "";
	if (len > LH_TMPL_MAX) {
		r = tmpl_err(errbuf, errlen, 0,
		    "template is %zu bytes, more than %d", len, LH_TMPL_MAX);
		goto out;
	}
	p = text;
	end = text + len;
	if (len >= sizeof(MF_BOM) - 1 &&
	    memcmp(p, MF_BOM, sizeof(MF_BOM) - 1) == 0)
		p += sizeof(MF_BOM) - 1;
	if (!utf8_check(p, (size_t)(end - p), &bad)) {
		lineno = 1;
		for (q = p; q < p + bad; q++)
			if (*q == '\n')
				lineno++;
		r = tmpl_err(errbuf, errlen, lineno, "not UTF-8");
		goto out;
	}

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		(void)tmpl_err(errbuf, errlen, 0, "out of memory");
		r = LH_ERR_NOMEM;
		goto out;
	}

	nl = memchr(p, '\n', (size_t)(end - p));
	n = (size_t)((nl != NULL ? nl : end) - p);
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if ((r = tmpl_subject(t, p, n, errbuf, errlen)) != LH_OK)
		goto out;
	if (nl == NULL) {
		r = tmpl_err(errbuf, errlen, 2,
		    "no empty line after the subject");
		goto out;
	}
	p = nl + 1;
	if (p < end && *p == '\r')
		p++;
	if (p >= end || *p != '\n') {
		r = tmpl_err(errbuf, errlen, 2,
		    "no empty line after the subject");
		goto out;
	}
	p++;
	if ((r = tmpl_body(t, p, (size_t)(end - p), 3, errbuf, errlen)) !=
	    LH_OK)
		goto out;

	*out = t;
	t = NULL;	/* transferred */
	r = LH_OK;
 out:
	mailfmt_tmpl_free(t);
	return r;
}

void
mailfmt_tmpl_free(struct lh_tmpl *t)
{
	if (t == NULL)
		return;
	free(t->body);
	free(t);
}

/* ---- addresses ------------------------------------------------------ */

/* RFC 5322 §3.2.3: atext. */
static int
is_atext(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* RFC 5322 §3.2.3: dot-atom-text, atext runs joined by single dots. */
static int
dot_atom_ok(const char *s, size_t n)
{
	size_t		 i;

	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return 0;
		} else if (!is_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

/*
 * A host name (RFC 1123 §2.1, RFC 5321 §4.1.2 Domain): at least two
 * labels of letters, digits and hyphens, 1 to 63 bytes each, neither
 * starting nor ending with a hyphen.  The last label must not be all
 * digits (RFC 3696 §2), so that an address literal without its brackets
 * (user@192.0.2.1) is refused like the bracketed form.
 */
static int
domain_ok(const char *s, size_t n)
{
	size_t		 i, start = 0, labels = 0;
	int		 alpha = 0;

	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!((s[i] >= 'a' && s[i] <= 'z') ||
			    (s[i] >= 'A' && s[i] <= 'Z') ||
			    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
				return 0;
			if (s[i] < '0' || s[i] > '9')
				alpha = 1;
			continue;
		}
		if (i == start || i - start > MF_LABEL_MAX ||
		    s[start] == '-' || s[i - 1] == '-')
			return 0;
		labels++;
		if (i < n)
			alpha = 0;
		start = i + 1;
	}
	return labels >= 2 && alpha;
}

/*
 * Beyond RFC 5322, a local part may not start with '-': the address then
 * can never be taken for an option should it reach a command line.
 */
int
mailfmt_addr_valid(const char *addr)
{
	const char	*at;
	size_t		 n, ln;

	if (addr == NULL)
		return 0;
	if ((n = strnlen(addr, LH_ADDR_SPEC_MAX + 1)) > LH_ADDR_SPEC_MAX)
		return 0;
	if ((at = memchr(addr, '@', n)) == NULL)
		return 0;
	ln = (size_t)(at - addr);
	if (ln == 0 || ln > MF_LOCAL_MAX || addr[0] == '-')
		return 0;
	return dot_atom_ok(addr, ln) && domain_ok(at + 1, n - ln - 1);
}

/*
 * RFC 5322 §3.6.4 msg-id without its brackets: dot-atom-text "@"
 * dot-atom-text.  The caller makes it; a bad one is a bug.
 */
static int
msgid_ok(const char *id)
{
	const char	*at;
	size_t		 n;

	if (id == NULL ||
	    (n = strnlen(id, MF_MSGID_MAX + 1)) > MF_MSGID_MAX ||
	    (at = memchr(id, '@', n)) == NULL)
		return 0;
	return dot_atom_ok(id, (size_t)(at - id)) &&
	    dot_atom_ok(at + 1, n - (size_t)(at - id) - 1);
}

/* ---- the message ---------------------------------------------------- */

static int
mbuf_init(struct mbuf *m, size_t cap)
{
	memset(m, 0, sizeof(*m));
	if ((m->p = malloc(cap)) == NULL)
		return -1;
	m->cap = cap;
	m->p[0] = '\0';
	return 0;
}

static void
mbuf_put(struct mbuf *m, const void *s, size_t n)
{
	if (m->over || n >= m->cap - m->len) {
		m->over = 1;
		return;
	}
	memcpy(m->p + m->len, s, n);
	m->len += n;
	m->p[m->len] = '\0';
}

static void
mbuf_puts(struct mbuf *m, const char *s)
{
	mbuf_put(m, s, strlen(s));
}

/*
 * Append text with the control characters keep does not name dropped:
 * C0 (tab and LF only if kept; CR never), DEL and C1.  A byte that is
 * not UTF-8 becomes U+FFFD, so that the message is the UTF-8 its
 * Content-Type says, and the subject can be cut between characters.
 */
static void
put_text(struct mbuf *m, const char *s, size_t n, int keep)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 i = 0, k;

	while (i < n) {
		if (p[i] < 0x80) {
			if ((p[i] >= 0x20 && p[i] != 0x7f) ||
			    (p[i] == '\t' && (keep & TXT_TAB)) ||
			    (p[i] == '\n' && (keep & TXT_LF)))
				mbuf_put(m, p + i, 1);
			i++;
			continue;
		}
		if ((k = utf8_len(p + i, n - i)) == 0) {
			mbuf_puts(m, MF_REPLACEMENT);
			i++;
			continue;
		}
		if (!(k == 2 && p[i] == 0xc2 && p[i + 1] <= 0x9f))
			mbuf_put(m, p + i, k);
		i += k;
	}
}

/* RFC 5322 §3.3 date-time in UTC: "Sun, 22 Nov 2026 13:05:09 +0000". */
static int
fmt_date(long long t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	int		 n;

	if ((long long)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    tm.tm_year + 1900 < MF_YEAR_MIN ||
	    tm.tm_year + 1900 > MF_YEAR_MAX ||
	    tm.tm_wday < 0 || tm.tm_wday >= (int)nitems(day_names) ||
	    tm.tm_mon < 0 || tm.tm_mon >= (int)nitems(month_names))
		return -1;
	n = snprintf(buf, len, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    day_names[tm.tm_wday], tm.tm_mday, month_names[tm.tm_mon],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* A UTC date, "2026-12-01"; a time of 0 prints as zero. */
static int
fmt_day(long long t, const char *zero, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	int		 n;

	if (t == 0)
		n = snprintf(buf, len, "%s", zero);
	else if ((long long)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > MF_YEAR_MAX)
		return -1;
	else
		n = snprintf(buf, len, "%04d-%02d-%02d", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday);
	return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

/* What a placeholder stands for; NULL strings are "".  0 or -1. */
static int
ph_value(enum ph which, const struct lh_mail_vars *v, char *day,
    size_t daylen, const char **out)
{
	const char	*s = NULL;

	switch (which) {
	case PH_KEY:
		s = v->key;
		break;
	case PH_TIER:
		s = v->tier;
		break;
	case PH_NAME:
		s = v->name;
		break;
	case PH_EMAIL:
		s = v->email;
		break;
	case PH_EXPIRES:
		if (fmt_day(v->expires_at, "never", day, daylen) == -1)
			return -1;
		s = day;
		break;
	case PH_GRACE_DEADLINE:
		if (fmt_day(v->grace_deadline, "", day, daylen) == -1)
			return -1;
		s = day;
		break;
	case PH_VENDOR:
		s = v->vendor;
		break;
	case PH_SUPPORT:
		s = v->support;
		break;
	case PH_PORTAL_URL:
		s = v->portal_url;
		break;
	default:
		return -1;
	}
	*out = s != NULL ? s : "";
	return 0;
}

/*
 * Write text s[0..n) with its placeholders filled in.  The template's
 * own text keeps keep_text, values keep keep_value (put_text()): the
 * template may have been built by hand rather than parsed.  A
 * placeholder mailfmt_tmpl_parse() would refuse is a bug: -1.
 */
static int
subst(struct mbuf *m, const char *s, size_t n,
    const struct lh_mail_vars *v, int keep_text, int keep_value)
{
	char		 day[MF_DAY_LEN];
	const char	*val;
	size_t		 pos = 0, from, start = 0, namelen;
	enum ph_scan	 sc;
	int		 which;

	while (pos < n) {
		from = pos;
		sc = ph_next(s, n, &pos, &start, &namelen, &which);
		if (sc != SCAN_OK)
			return -1;
		if (which < 0) {
			put_text(m, s + from, n - from, keep_text);
			break;
		}
		put_text(m, s + from, start - from, keep_text);
		if (ph_value((enum ph)which, v, day, sizeof(day), &val) == -1)
			return -1;
		put_text(m, val, strnlen(val, LH_MAIL_MAX), keep_value);
	}
	return 0;
}

/* Every line in s[0..n) at most MF_LINE_MAX bytes?  1 or 0. */
static int
lines_ok(const char *s, size_t n)
{
	const char	*p = s, *end = s + n, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if ((size_t)((nl != NULL ? nl : end) - p) > MF_LINE_MAX)
			return 0;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 1;
}

/*
 * A subject that can go out as it is: printable ASCII, and nothing that
 * looks like the start of an encoded-word ("=?"), which readers would
 * decode (RFC 2047 §6.2): a customer named "=?UTF-8?B?...?=" must read
 * as what they typed.
 */
static int
subj_plain(const char *s, size_t n)
{
	size_t		 i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return 0;
		if (s[i] == '=' && i + 1 < n && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

/*
 * Fold a plain subject at spaces so that lines stay within MF_FOLD
 * where a space allows (RFC 5322 §2.2.3: a fold is a line break before
 * white space).  A fold goes only before the last space ahead of a
 * word, and only after a word on the same line, so that no line is
 * made of white space only (RFC 5322 §3.2.2).  A word longer than a
 * line stays whole; lines_ok() then decides.
 */
static void
subj_fold(struct mbuf *m, const char *s, size_t n)
{
	size_t		 i, start = 0, brk = 0, word = 0;
	size_t		 width = sizeof(MF_SUBJ_HDR) - 1;
	int		 seen = 0;	/* a non-space at word */

	mbuf_puts(m, MF_SUBJ_HDR);
	for (i = 0; i < n; i++) {
		if (s[i] != ' ') {
			word = i;
			seen = 1;
		} else if (seen && word >= start && i + 1 < n &&
		    s[i + 1] != ' ')
			brk = i;
		if (width + (i + 1 - start) > MF_FOLD && brk > start) {
			mbuf_put(m, s + start, brk - start);
			mbuf_puts(m, "\n");
			start = brk;
			width = 0;
		}
	}
	mbuf_put(m, s + start, n - start);
	mbuf_puts(m, "\n");
}

/* RFC 4648 §4 base64, padded, as RFC 2047 §4.1's "B" encoding uses. */
static void
b64_put(struct mbuf *m, const unsigned char *p, size_t n)
{
	char		 q[4];
	unsigned long	 v;
	size_t		 i;

	for (i = 0; i < n; i += 3) {
		v = (unsigned long)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned long)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64_alphabet[(v >> 18) & 0x3f];
		q[1] = b64_alphabet[(v >> 12) & 0x3f];
		q[2] = i + 1 < n ? b64_alphabet[(v >> 6) & 0x3f] : '=';
		q[3] = i + 2 < n ? b64_alphabet[v & 0x3f] : '=';
		mbuf_put(m, q, sizeof(q));
	}
}

/*
 * The subject as RFC 2047 "B" encoded-words, one per line.  RFC 2047 §2
 * caps a word at 75 bytes and a line holding one at 76, and §5 forbids
 * splitting a character between words.  The first line carries
 * "Subject: " (9 bytes), the rest one space, so a word holds at most
 * (76 - 9 - 12) / 4 * 3 = 39 bytes on the first line and
 * (76 - 1 - 12) / 4 * 3 = 45 on the others, cut back to a character
 * boundary.  Readers drop the folding white space between adjacent
 * encoded-words (§6.2).  s is UTF-8 (put_text() made it so).
 */
static void
subj_encode(struct mbuf *m, const char *s, size_t n)
{
	const size_t	 fixed = sizeof(MF_EW_PRE) - 1 + sizeof(MF_EW_POST) - 1;
	size_t		 pos = 0, take, room;

	mbuf_puts(m, MF_SUBJ_HDR);
	room = MF_EW_LINE - (sizeof(MF_SUBJ_HDR) - 1);
	while (pos < n) {
		take = (room - fixed) / 4 * 3;
		if (take > n - pos)
			take = n - pos;
		while (pos + take < n && take > 0 &&
		    ((unsigned char)s[pos + take] & 0xc0) == 0x80)
			take--;
		if (take == 0) {	/* impossible for UTF-8 */
			m->over = 1;
			return;
		}
		if (pos > 0)
			mbuf_puts(m, "\n ");
		mbuf_puts(m, MF_EW_PRE);
		b64_put(m, (const unsigned char *)s + pos, take);
		mbuf_puts(m, MF_EW_POST);
		pos += take;
		room = MF_EW_LINE - 1;
	}
	mbuf_puts(m, "\n");
}

/*
 * The Subject field from the filled-in subject s, without trailing
 * spaces: as it is and folded when plain, else encoded.  A plain subject whose folded lines would
 * break MF_LINE_MAX (one very long word) is encoded instead, which can
 * cut anywhere.
 */
static void
hdr_subject(struct mbuf *m, const char *s, size_t n)
{
	size_t		 mark = m->len;

	/* An empty placeholder at the end leaves a space: drop it. */
	while (n > 0 && s[n - 1] == ' ')
		n--;

	if (subj_plain(s, n)) {
		subj_fold(m, s, n);
		if (!m->over && lines_ok(m->p + mark, m->len - mark))
			return;
		if (m->over)
			return;
		m->len = mark;
		m->p[mark] = '\0';
	}
	subj_encode(m, s, n);
}

/*
 * The header block in a fixed order, an empty line, the body.  From is
 * the operator's, checked when the configuration was read; only its
 * control characters are dropped here.  Values in the subject lose every
 * control character (tabs too), values in the body all but tabs, so a
 * value can never start a line: a name "Eve\r\nBcc: x@example.org"
 * reads "EveBcc: x@example.org" inside the Subject or a body line.  A
 * line over MF_LINE_MAX or a message over LH_MAIL_MAX is refused rather
 * than wrapped: it is a template or a configuration to fix.
 */
enum lh_err
mailfmt_render(const struct lh_tmpl *tmpl, const struct lh_mail_vars *vars,
    const char *from, const char *to, const char *msgid, time_t now,
    char **out, size_t *len)
{
	struct lh_mail_vars none;
	struct mbuf	 m, subj;
	char		 date[MF_DATE_LEN];
	size_t		 mark;
	enum lh_err	 r = LH_ERR_INTERNAL;

	memset(&m, 0, sizeof(m));
	memset(&subj, 0, sizeof(subj));
	if (out != NULL)
		*out = NULL;
	if (len != NULL)
		*len = 0;
	if (tmpl == NULL || tmpl->body == NULL || from == NULL ||
	    out == NULL || len == NULL)
		goto out;
	if (vars == NULL) {
		memset(&none, 0, sizeof(none));
		vars = &none;
	}
	if (!mailfmt_addr_valid(to)) {
		r = LH_ERR_API_REQUEST;
		goto out;
	}
	if (!msgid_ok(msgid) || fmt_date((long long)now, date,
	    sizeof(date)) == -1)
		goto out;

	r = LH_ERR_NOMEM;
	if (mbuf_init(&m, LH_MAIL_MAX) == -1 ||
	    mbuf_init(&subj, LH_MAIL_MAX) == -1)
		goto out;

	r = LH_ERR_INTERNAL;
	mbuf_puts(&m, "From: ");
	mark = m.len;
	put_text(&m, from, strnlen(from, LH_MAIL_MAX), 0);
	if (m.len == mark)
		goto out;
	mbuf_puts(&m, "\nTo: ");
	mbuf_puts(&m, to);
	mbuf_puts(&m, "\n");
	if (subst(&subj, tmpl->subject, strnlen(tmpl->subject,
	    sizeof(tmpl->subject)), vars, 0, 0) == -1 || subj.over)
		goto out;
	hdr_subject(&m, subj.p, subj.len);
	mbuf_puts(&m, "Date: ");
	mbuf_puts(&m, date);
	mbuf_puts(&m, "\nMessage-ID: <");
	mbuf_puts(&m, msgid);
	mbuf_puts(&m, ">\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    /* RFC 3834 §5: no auto-replies to us. */
	    "Auto-Submitted: auto-generated\n"
	    "\n");
	mark = m.len;
	if (subst(&m, tmpl->body, strnlen(tmpl->body, LH_MAIL_MAX), vars,
	    TXT_TAB | TXT_LF, TXT_TAB) == -1)
		goto out;
	if (m.len > mark && m.p[m.len - 1] != '\n')
		mbuf_puts(&m, "\n");
	if (m.over || !lines_ok(m.p, m.len))
		goto out;

	*out = m.p;
	m.p = NULL;	/* transferred */
	*len = m.len;
	r = LH_OK;
 out:
	free(m.p);
	free(subj.p);
	return r;
}
