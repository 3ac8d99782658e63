/*
 * t_mailfmt: customer notices (mailfmt.c).
 *
 *  1. Notice names, which are also the template file names.
 *  2. mailfmt_due() over license states, with views from license_view()
 *     and configurations from conf_parse(): every grace step at its
 *     boundary seconds, revoked, disputed, paused, incomplete, unpaid,
 *     a downgrade before and after it comes due, an expiry inside and
 *     outside the window with and without a renewal coming.
 *  3. mailfmt_tmpl_parse(): good templates and every refusal, with the
 *     line the reason names; size limits at the limit and one past.
 *  4. mailfmt_addr_valid() over a table, lengths at the limit and one
 *     past.
 *  5. mailfmt_render(): the exact message for an ASCII subject, RFC 2047
 *     words decoded back for a UTF-8 one, header injection through every
 *     value, dates, folding, substitution, size limits.
 *  6. Every shipped template (contrib/templates/, found through
 *     $top_srcdir, default ".") parses and renders.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define CONF_HEAD \
	"[licensehook]\n" \
	"database = /var/lib/licensehook/t_mailfmt.db\n" \
	"[stripe]\n" \
	"webhook_secret = whsec_t_mailfmt\n" \
	"[tier free]\n" \
	"[tier basic]\n" \
	"[tier pro]\n" \
	"prices = price_PRO\n"
/* Default schedule: remind at 3 d, free tier at 7 d, suspend at 14 d. */
#define CONF_FREE	CONF_HEAD "[lifecycle]\nfree_tier = free\n"
#define CONF_NOFREE	CONF_HEAD

#define T0		1700000000LL	/* 2023-11-14 */
#define DAY		86400LL
#define SLACK		DAY		/* expiry_slack's default */
#define NOTICE		(7 * DAY)	/* expiry_notice used here */
#define PEND		(T0 + 40 * DAY)	/* a period end */
#define EXP		(PEND + SLACK)	/* its expires_at */

/* "Sun, 22 Nov 2026 13:05:09 +0000" */
#define NOW_DOC		1795352709LL
#define DEC_1_2026	1796083200LL

static struct lh_conf	*c_free, *c_nofree;

/* ---- helpers -------------------------------------------------------- */

static struct lh_conf *
conf_make(const char *text, long expiry_notice)
{
	struct lh_conf	*c = NULL;
	char		 err[256];

	if (conf_parse(text, strlen(text), &c, err, sizeof(err)) != LH_OK) {
		printf("Bail out! conf_parse: %s\n", err);
		exit(2);
	}
	/* Set here whether or not conf.c knows [mail] yet. */
	c->mail.expiry_notice = expiry_notice;
	return c;
}

static char *
xstrdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
}

static char *
xmalloc(size_t n)
{
	char	*p;

	if ((p = malloc(n)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
}

/* A template made by hand: render must not assume it was parsed. */
static struct lh_tmpl *
tmpl_make(const char *subject, const char *body)
{
	struct lh_tmpl	*t;

	if ((t = calloc(1, sizeof(*t))) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	(void)snprintf(t->subject, sizeof(t->subject), "%s", subject);
	t->body = xstrdup(body);
	return t;
}

static struct lh_tmpl *
tmpl_parse(const char *text)
{
	struct lh_tmpl	*t = NULL;
	char		 err[256];

	if (mailfmt_tmpl_parse(text, strlen(text), &t, err, sizeof(err)) !=
	    LH_OK) {
		printf("Bail out! mailfmt_tmpl_parse: %s\n", err);
		exit(2);
	}
	return t;
}

/* Bytes up to the empty line that ends the header block, and after. */
static size_t
hdr_len(const char *msg)
{
	const char	*p;

	if ((p = strstr(msg, "\n\n")) == NULL)
		return strlen(msg);
	return (size_t)(p - msg) + 1;
}

/* Header lines (not continuation lines) starting with name. */
static int
hdr_count(const char *msg, const char *name)
{
	size_t		 n = hdr_len(msg), nl = strlen(name);
	const char	*p = msg;
	int		 count = 0;

	while (p < msg + n) {
		if (strncmp(p, name, nl) == 0)
			count++;
		if ((p = memchr(p, '\n', (size_t)(msg + n - p))) == NULL)
			break;
		p++;
	}
	return count;
}

/* Longest line in msg[0..n), without its LF. */
static size_t
max_line(const char *msg, size_t n)
{
	const char	*p = msg, *end = msg + n, *nl;
	size_t		 l, max = 0;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl != NULL ? nl : end) - p);
		if (l > max)
			max = l;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return max;
}

/* Header fields: lines of the header block not starting with a space. */
static int
hdr_fields(const char *msg)
{
	size_t		 n = hdr_len(msg);
	const char	*p = msg;
	int		 count = 0;

	while (p < msg + n) {
		if (*p != ' ' && *p != '\n')
			count++;
		if ((p = memchr(p, '\n', (size_t)(msg + n - p))) == NULL)
			break;
		p++;
	}
	return count;
}

/* The Subject field's value with its folds undone, into buf. */
static int
subject_of(const char *msg, char *buf, size_t len, size_t *lines)
{
	size_t		 n = hdr_len(msg), o = 0;
	const char	*p, *end = msg + n;

	*lines = 0;
	if ((p = strstr(msg, "\nSubject: ")) == NULL || p >= end)
		return -1;
	p += sizeof("\nSubject: ") - 1;
	(*lines)++;
	while (p < end) {
		if (*p == '\n') {
			if (p + 1 < end && p[1] == ' ') {
				(*lines)++;
				p++;
				continue;
			}
			break;
		}
		if (o + 1 >= len)
			return -1;
		buf[o++] = *p++;
	}
	buf[o] = '\0';
	return 0;
}

static int
b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* 1 if s[0..n) is UTF-8 (loosely: lead and continuation bytes). */
static int
utf8_whole(const unsigned char *s, size_t n)
{
	size_t		 i = 0, k, j;

	while (i < n) {
		if (s[i] < 0x80)
			k = 1;
		else if ((s[i] & 0xe0) == 0xc0)
			k = 2;
		else if ((s[i] & 0xf0) == 0xe0)
			k = 3;
		else if ((s[i] & 0xf8) == 0xf0)
			k = 4;
		else
			return 0;
		if (i + k > n)
			return 0;
		for (j = 1; j < k; j++)
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
		i += k;
	}
	return 1;
}

/*
 * Decode an unfolded Subject made of "=?UTF-8?B?...?=" words separated
 * by single spaces (RFC 2047 §6.2 drops that white space).  Each word
 * must be at most 75 bytes and hold whole characters.  -1 on anything
 * else.
 */
static int
ew_decode(const char *s, char *out, size_t len)
{
	const char	*p = s, *q, *e;
	size_t		 o = 0, start;
	unsigned long	 v;
	int		 bits, c;

	while (*p != '\0') {
		if (p != s) {
			if (*p != ' ')
				return -1;
			p++;
		}
		if (strncmp(p, "=?UTF-8?B?", 10) != 0)
			return -1;
		q = p + 10;
		if ((e = strstr(q, "?=")) == NULL || e - p + 2 > 75)
			return -1;
		if ((e - q) % 4 != 0)
			return -1;
		start = o;
		v = 0;
		bits = 0;
		for (; q < e; q++) {
			if (*q == '=')
				continue;
			if ((c = b64_val((unsigned char)*q)) < 0)
				return -1;
			v = (v << 6) | (unsigned long)c;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				if (o + 1 >= len)
					return -1;
				out[o++] = (char)((v >> bits) & 0xff);
			}
		}
		if (!utf8_whole((const unsigned char *)out + start, o - start))
			return -1;
		p = e + 2;
	}
	out[o] = '\0';
	return 0;
}

/* ---- 1. names ------------------------------------------------------- */

static void
test_names(void)
{
	static const char *const want[] = {
		"key", "payment_failed", "grace_reminder", "grace_free_tier",
		"suspended", "reinstated", "downgraded", "trial_ending",
		"expiring", "revoked"
	};
	size_t		 i;

	is_int(nitems(want), LH_NOTICE__COUNT, "a name for every notice");
	for (i = 0; i < nitems(want); i++)
		is_str(mailfmt_notice_name((enum lh_notice)i), want[i],
		    "notice %zu is %s", i, want[i] ? want[i] : "-");
	is_str(mailfmt_notice_name(LH_NOTICE__COUNT), "unknown",
	    "out of range: unknown");
}

/* ---- 2. due --------------------------------------------------------- */

struct due_case {
	const char	*what;
	int		 nofree;	/* c_nofree instead of c_free */
	struct lh_lic_facts f;
	long long	 now;
	size_t		 n;
	struct lh_notice_due want[LH_NOTICES_MAX];
};

/* Facts of a "pro" license; no field is given twice (-Woverride-init). */
#define FACTS(st, pe, ...) { .tier = "pro", .sub_status = (st), \
			    .period_end = (pe), __VA_ARGS__ }
#define ACTIVE(...)	FACTS(LH_SUB_ACTIVE, PEND, __VA_ARGS__)
#define GR		.grace_since = T0
#define CANCELING	.cancel_at_period_end = 1
#define DOWN		.pending_tier = "basic", .pending_at = T0 + 5 * DAY

static const struct due_case due_cases[] = {
	{ "active, nothing due", 0, ACTIVE(), T0, 0, { { 0, 0 } } },

	/* Grace: each step from its first second to its last. */
	{ "grace: failed at once", 0, ACTIVE(GR), T0, 1,
	    { { LH_NOTICE_PAYMENT_FAILED, T0 } } },
	{ "grace: reminder - 1 s", 0, ACTIVE(GR), T0 + 3 * DAY - 1, 1,
	    { { LH_NOTICE_PAYMENT_FAILED, T0 } } },
	{ "grace: reminder at its second", 0, ACTIVE(GR), T0 + 3 * DAY, 1,
	    { { LH_NOTICE_GRACE_REMINDER, T0 } } },
	{ "grace: free tier - 1 s", 0, ACTIVE(GR), T0 + 7 * DAY - 1, 1,
	    { { LH_NOTICE_GRACE_REMINDER, T0 } } },
	{ "grace: free tier at its second", 0, ACTIVE(GR), T0 + 7 * DAY, 1,
	    { { LH_NOTICE_GRACE_FREE_TIER, T0 } } },
	{ "grace: suspend - 1 s", 0, ACTIVE(GR), T0 + 14 * DAY - 1, 1,
	    { { LH_NOTICE_GRACE_FREE_TIER, T0 } } },
	{ "grace: suspended at its second", 0, ACTIVE(GR), T0 + 14 * DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 } } },
	{ "grace: still suspended later", 0, ACTIVE(GR), T0 + 30 * DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 } } },
	{ "grace, no free tier: reminded at 7 d", 1, ACTIVE(GR),
	    T0 + 7 * DAY, 1, { { LH_NOTICE_GRACE_REMINDER, T0 } } },
	{ "grace, no free tier: reminded until suspension", 1, ACTIVE(GR),
	    T0 + 14 * DAY - 1, 1, { { LH_NOTICE_GRACE_REMINDER, T0 } } },
	{ "grace, no free tier: suspended", 1, ACTIVE(GR), T0 + 14 * DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 } } },

	/* Revoked: that and nothing else. */
	{ "revoked", 0, ACTIVE(.revoked = "refunded",
	    .revoked_at = T0 + 100), T0 + DAY, 1,
	    { { LH_NOTICE_REVOKED, T0 + 100 } } },
	{ "revoked in grace, with a downgrade due: only revoked", 0,
	    ACTIVE(GR, DOWN, .revoked = "dispute_lost",
	    .revoked_at = T0 + 200), T0 + 10 * DAY, 1,
	    { { LH_NOTICE_REVOKED, T0 + 200 } } },
	{ "revoked, expiring: only revoked", 0, ACTIVE(CANCELING,
	    .revoked = "admin", .revoked_at = T0), EXP - DAY, 1,
	    { { LH_NOTICE_REVOKED, T0 } } },

	/* Suspended for other reasons, each on its own anchor. */
	{ "disputed", 0, ACTIVE(.disputed = 1, .dispute_at = T0 + 7), T0, 1,
	    { { LH_NOTICE_SUSPENDED, T0 + 7 } } },
	{ "disputed in grace: the dispute's anchor", 0,
	    ACTIVE(GR, .disputed = 1, .dispute_at = T0 + 7),
	    T0 + 20 * DAY, 1, { { LH_NOTICE_SUSPENDED, T0 + 7 } } },
	{ "paused", 0, FACTS(LH_SUB_PAUSED, PEND, .sub_event_at = T0 + 9),
	    T0 + DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 + 9 } } },
	{ "incomplete", 0, FACTS(LH_SUB_INCOMPLETE, PEND,
	    .sub_event_at = T0 + 11), T0 + DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 + 11 } } },
	{ "incomplete_expired", 0,
	    FACTS(LH_SUB_INCOMPLETE_EXPIRED, PEND, .sub_event_at = T0 + 12),
	    T0 + DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 + 12 } } },
	{ "unpaid", 0, FACTS(LH_SUB_UNPAID, PEND, .sub_event_at = T0 + 13),
	    T0 + DAY, 1,
	    { { LH_NOTICE_SUSPENDED, T0 + 13 } } },

	/* Downgrades. */
	{ "downgrade pending, 1 s before", 0, ACTIVE(DOWN),
	    T0 + 5 * DAY - 1, 0, { { 0, 0 } } },
	{ "downgrade in force at its second", 0, ACTIVE(DOWN), T0 + 5 * DAY,
	    1, { { LH_NOTICE_DOWNGRADED, T0 + 5 * DAY } } },
	{ "downgrade in force later", 0, ACTIVE(DOWN), T0 + 9 * DAY, 1,
	    { { LH_NOTICE_DOWNGRADED, T0 + 5 * DAY } } },
	{ "downgrade, but the subscription ends: no downgrade", 0,
	    ACTIVE(DOWN, CANCELING), T0 + 5 * DAY, 0, { { 0, 0 } } },
	{ "downgrade on an expired license: none", 0,
	    ACTIVE(.pending_tier = "basic", .pending_at = PEND),
	    EXP + 1, 0, { { 0, 0 } } },
	{ "grace and a downgrade: status first", 0, ACTIVE(GR, DOWN),
	    T0 + 5 * DAY, 2, { { LH_NOTICE_GRACE_REMINDER, T0 },
	    { LH_NOTICE_DOWNGRADED, T0 + 5 * DAY } } },
	{ "suspended and a downgrade", 0, ACTIVE(.disputed = 1,
	    .dispute_at = T0, DOWN), T0 + 6 * DAY, 2,
	    { { LH_NOTICE_SUSPENDED, T0 },
	    { LH_NOTICE_DOWNGRADED, T0 + 5 * DAY } } },

	/* Expiry: the window is (expires_at - expiry_notice, expires_at]. */
	{ "expiring: 1 s before the window", 0, ACTIVE(CANCELING),
	    EXP - NOTICE - 1, 0, { { 0, 0 } } },
	{ "expiring: the window's first second", 0, ACTIVE(CANCELING),
	    EXP - NOTICE, 1, { { LH_NOTICE_EXPIRING, EXP } } },
	{ "expiring: the last second before expiry", 0, ACTIVE(CANCELING),
	    EXP - 1, 1, { { LH_NOTICE_EXPIRING, EXP } } },
	{ "expiring: at expires_at, no longer ahead", 0, ACTIVE(CANCELING),
	    EXP, 0, { { 0, 0 } } },
	{ "expired", 0, ACTIVE(CANCELING), EXP + 1, 0, { { 0, 0 } } },
	{ "in the window, renewal coming: nothing", 0, ACTIVE(),
	    EXP - DAY, 0, { { 0, 0 } } },
	{ "in the window, canceled: expiring", 0,
	    FACTS(LH_SUB_CANCELED, PEND, .sub_event_at = T0), EXP - DAY, 1,
	    { { LH_NOTICE_EXPIRING, EXP } } },
	{ "trialing, canceling: expiring", 0,
	    FACTS(LH_SUB_TRIALING, PEND, CANCELING), EXP - DAY, 1,
	    { { LH_NOTICE_EXPIRING, EXP } } },
	{ "grace and expiring", 0, ACTIVE(.grace_since = EXP - 2 * DAY,
	    CANCELING), EXP - DAY, 2,
	    { { LH_NOTICE_PAYMENT_FAILED, EXP - 2 * DAY },
	    { LH_NOTICE_EXPIRING, EXP } } },
	{ "perpetual: never expiring", 0, FACTS(LH_SUB_NONE, 0,
	    .paid_at = T0), T0, 0, { { 0, 0 } } },
	{ "ended onto the free tier: nothing", 0,
	    FACTS(LH_SUB_CANCELED, PEND, .ended_at = T0),
	    T0 + DAY, 0, { { 0, 0 } } }
};

static void
due_check(const char *what, size_t got, const struct lh_notice_due *out,
    size_t n, const struct lh_notice_due *want)
{
	size_t		 i;
	int		 same = got == n;

	for (i = 0; same && i < n; i++)
		same = out[i].notice == want[i].notice &&
		    out[i].anchor == want[i].anchor;
	if (!ok(same, "due: %s", what)) {
		for (i = 0; i < got && i < LH_NOTICES_MAX; i++)
			printf("#   got %s@%lld\n",
			    mailfmt_notice_name(out[i].notice),
			    out[i].anchor);
		for (i = 0; i < n; i++)
			printf("#   want %s@%lld\n",
			    mailfmt_notice_name(want[i].notice),
			    want[i].anchor);
	}
}

static void
test_due(void)
{
	struct lh_notice_due out[LH_NOTICES_MAX];
	struct lh_lic_view v;
	struct lh_lic_facts f;
	const struct due_case *dc;
	struct lh_conf	*c;
	size_t		 i, n, n2;
	long		 keep;

	for (i = 0; i < nitems(due_cases); i++) {
		dc = &due_cases[i];
		c = dc->nofree ? c_nofree : c_free;
		license_view(c, &dc->f, (time_t)dc->now, &v);
		n = mailfmt_due(c, &dc->f, &v, (time_t)dc->now, out);
		due_check(dc->what, n, out, dc->n, dc->want);
		/* Pure: asking again gives the same. */
		n2 = mailfmt_due(c, &dc->f, &v, (time_t)dc->now, out);
		is_int(n2, n, "due: %s, again", dc->what);
	}

	/* expiry_notice 0: no expiry notice at all. */
	f = (struct lh_lic_facts)ACTIVE(CANCELING);
	keep = c_free->mail.expiry_notice;
	c_free->mail.expiry_notice = 0;
	license_view(c_free, &f, (time_t)(EXP - 1), &v);
	is_int(mailfmt_due(c_free, &f, &v, (time_t)(EXP - 1), out), 0,
	    "due: expiry_notice 0 turns expiry notices off");
	c_free->mail.expiry_notice = keep;

	license_view(c_free, &f, (time_t)T0, &v);
	is_int(mailfmt_due(NULL, &f, &v, (time_t)T0, out), 0,
	    "due: no conf, nothing");
	is_int(mailfmt_due(c_free, NULL, &v, (time_t)T0, out), 0,
	    "due: no facts, nothing");
	is_int(mailfmt_due(c_free, &f, NULL, (time_t)T0, out), 0,
	    "due: no view, nothing");
	is_int(mailfmt_due(c_free, &f, &v, (time_t)T0, NULL), 0,
	    "due: no out, nothing");
}

/* ---- 3. templates --------------------------------------------------- */

struct parse_case {
	const char	*what;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	int		 good;
	const char	*subject;	/* good: the subject */
	const char	*body;		/* good: the body */
	const char	*err;		/* bad: the reason, exactly */
};

static const struct parse_case parse_cases[] = {
	{ "LF", "Subject: Hi {{name}}\n\nKey: {{key}}\nBye\n", 0, 1,
	    "Hi {{name}}", "Key: {{key}}\nBye\n", NULL },
	{ "CRLF", "Subject: Hi\r\n\r\nA\r\nB\r\n", 0, 1,
	    "Hi", "A\nB\n", NULL },
	{ "mixed line ends", "Subject: Hi\r\n\nA\nB\r\n", 0, 1,
	    "Hi", "A\nB\n", NULL },
	{ "no final line end", "Subject: Hi\n\nA", 0, 1, "Hi", "A", NULL },
	{ "byte order mark", "\xef\xbb\xbfSubject: Hi\n\nA\n", 0, 1,
	    "Hi", "A\n", NULL },
	{ "UTF-8 and tabs",
	    "Subject: Grüße, {{name}} ✓\n\n\tKey:\t{{key}}\n", 0, 1,
	    "Grüße, {{name}} ✓", "\tKey:\t{{key}}\n", NULL },
	{ "every placeholder",
	    "Subject: {{key}}{{tier}}{{name}}{{email}}{{expires}}"
	    "{{grace_deadline}}{{vendor}}{{support}}{{portal_url}}\n\n"
	    "{{key}}{{tier}}{{name}}{{email}}{{expires}}"
	    "{{grace_deadline}}{{vendor}}{{support}}{{portal_url}}\n", 0, 1,
	    "{{key}}{{tier}}{{name}}{{email}}{{expires}}"
	    "{{grace_deadline}}{{vendor}}{{support}}{{portal_url}}",
	    "{{key}}{{tier}}{{name}}{{email}}{{expires}}"
	    "{{grace_deadline}}{{vendor}}{{support}}{{portal_url}}\n", NULL },
	{ "single braces are text", "Subject: {a} }}\n\n{x} }} {\n", 0, 1,
	    "{a} }}", "{x} }} {\n", NULL },
	{ "a line holding a dot", "Subject: x\n\nA\n.\nB\n", 0, 1,
	    "x", "A\n.\nB\n", NULL },
	{ "empty body lines", "Subject: x\n\n\n\nA\n", 0, 1,
	    "x", "\n\nA\n", NULL },

	{ "empty", "", 0, 0, NULL, NULL,
	    "line 1: a template starts with \"Subject: \"" },
	{ "no Subject", "Hello\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: a template starts with \"Subject: \"" },
	{ "lower-case subject", "subject: x\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: a template starts with \"Subject: \"" },
	{ "no space", "Subject:x\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: a template starts with \"Subject: \"" },
	{ "space before", " Subject: x\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: a template starts with \"Subject: \"" },
	{ "empty subject", "Subject: \n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: empty subject" },
	{ "tab in subject", "Subject: a\tb\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: control character in the subject at byte 11" },
	{ "CR in subject", "Subject: a\rb\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: control character in the subject at byte 11" },
	{ "C1 in subject", "Subject: a\xc2\x85" "b\n\nbody\n", 0, 0, NULL,
	    NULL, "line 1: control character in the subject at byte 11" },
	{ "DEL in subject", "Subject: \x7f\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: control character in the subject at byte 10" },
	{ "subject only", "Subject: x", 0, 0, NULL, NULL,
	    "line 2: no empty line after the subject" },
	{ "subject and line end only", "Subject: x\n", 0, 0, NULL, NULL,
	    "line 2: no empty line after the subject" },
	{ "no empty line", "Subject: x\nbody\n", 0, 0, NULL, NULL,
	    "line 2: no empty line after the subject" },
	{ "blank, not empty", "Subject: x\n \nbody\n", 0, 0, NULL, NULL,
	    "line 2: no empty line after the subject" },
	{ "no body", "Subject: x\n\n", 0, 0, NULL, NULL, "line 3: no body" },
	{ "no body, CRLF", "Subject: x\r\n\r\n", 0, 0, NULL, NULL,
	    "line 3: no body" },
	{ "lone CR in the body", "Subject: x\n\nab\rcd\n", 0, 0, NULL, NULL,
	    "line 3: control character at byte 3" },
	{ "escape in the body", "Subject: x\n\nok\n\x1b[31mred\n", 0, 0,
	    NULL, NULL, "line 4: control character at byte 1" },
	{ "NUL in the body", "Subject: x\n\nok\nA\0B\n", 19, 0, NULL, NULL,
	    "line 4: control character at byte 2" },
	{ "unknown placeholder in the body",
	    "Subject: x\n\nok\nHi {{bogus}}\n", 0, 0, NULL, NULL,
	    "line 4: unknown placeholder {{bogus}}" },
	{ "unknown placeholder in the subject",
	    "Subject: {{nope}}\n\nbody\n", 0, 0, NULL, NULL,
	    "line 1: unknown placeholder {{nope}}" },
	{ "placeholders match case", "Subject: x\n\n{{Key}}\n", 0, 0, NULL,
	    NULL, "line 3: unknown placeholder {{Key}}" },
	{ "no spaces inside", "Subject: x\n\n{{ key }}\n", 0, 0, NULL,
	    NULL, "line 3: unknown placeholder {{ key }}" },
	{ "empty placeholder", "Subject: x\n\n{{}}\n", 0, 0, NULL, NULL,
	    "line 3: unknown placeholder {{}}" },
	{ "unknown placeholder, UTF-8 name",
	    "Subject: x\n\n{{näme}}\n", 0, 0, NULL, NULL,
	    "line 3: unknown placeholder {{n??me}}" },
	{ "long unknown placeholder cut",
	    "Subject: x\n\n{{abcdefghijklmnopqrstuvwxyz0123456789}}\n", 0, 0,
	    NULL, NULL, "line 3: unknown placeholder "
	    "{{abcdefghijklmnopqrstuvwxyz012345}} (cut)" },
	{ "open placeholder", "Subject: x\n\nHi {{key\n}}\n", 0, 0, NULL,
	    NULL, "line 3: \"{{\" without \"}}\"" },
	{ "open placeholder at the end", "Subject: x\n\nHi {{", 0, 0, NULL,
	    NULL, "line 3: \"{{\" without \"}}\"" },
	{ "open placeholder in the subject", "Subject: {{key}\n\nb\n", 0, 0,
	    NULL, NULL, "line 1: \"{{\" without \"}}\"" },
	{ "a good and an open placeholder", "Subject: x\n\n{{key}} {{\n",
	    0, 0, NULL, NULL, "line 3: \"{{\" without \"}}\"" },
	{ "not UTF-8", "Subject: x\n\nok\nok\n\xff\n", 0, 0, NULL, NULL,
	    "line 5: not UTF-8" },
	{ "overlong UTF-8", "Subject: x\n\n\xc0\xaf\n", 0, 0, NULL, NULL,
	    "line 3: not UTF-8" },
	{ "surrogate", "Subject: x\n\n\xed\xa0\x80\n", 0, 0, NULL, NULL,
	    "line 3: not UTF-8" },
	{ "cut UTF-8 at the end", "Subject: x\n\n\xe2\x9c", 0, 0, NULL,
	    NULL, "line 3: not UTF-8" },
	{ "not UTF-8 in the subject", "Subject: \xe9t\xe9\n\nb\n", 0, 0,
	    NULL, NULL, "line 1: not UTF-8" },
	{ "Latin-1 BOM-less", "Subject: x\n\n\xfe\xff\n", 0, 0, NULL, NULL,
	    "line 3: not UTF-8" }
};

static void
test_parse_table(void)
{
	const struct parse_case *pc;
	struct lh_tmpl	*t;
	char		 err[256];
	size_t		 i, len;
	enum lh_err	 r;

	for (i = 0; i < nitems(parse_cases); i++) {
		pc = &parse_cases[i];
		len = pc->len != 0 ? pc->len : strlen(pc->text);
		t = (struct lh_tmpl *)&t;	/* must be cleared */
		memset(err, 'x', sizeof(err));
		r = mailfmt_tmpl_parse(pc->text, len, &t, err, sizeof(err));
		if (pc->good) {
			is_int(r, LH_OK, "parse %s: ok", pc->what);
			if (r != LH_OK) {
				printf("#   %s\n", err);
				continue;
			}
			is_str(t->subject, pc->subject, "parse %s: subject",
			    pc->what);
			is_str(t->body, pc->body, "parse %s: body", pc->what);
			mailfmt_tmpl_free(t);
		} else {
			is_int(r, LH_ERR_CONF, "parse %s: refused", pc->what);
			ok(t == NULL, "parse %s: no template", pc->what);
			is_str(err, pc->err, "parse %s: reason", pc->what);
			if (r == LH_OK)
				mailfmt_tmpl_free(t);
		}
	}
}

/* Limits: the largest accepted and one byte more. */
static void
test_parse_limits(void)
{
	struct lh_tmpl	*t = NULL;
	char		*buf, err[256];
	size_t		 n;
	enum lh_err	 r;

	buf = xmalloc(LH_TMPL_MAX + 16);

	/* A subject of LH_SUBJECT_MAX bytes, then one more. */
	n = (size_t)snprintf(buf, LH_TMPL_MAX, "Subject: ");
	memset(buf + n, 's', LH_SUBJECT_MAX);
	n += LH_SUBJECT_MAX;
	memcpy(buf + n, "\n\nb\n", 4);
	r = mailfmt_tmpl_parse(buf, n + 4, &t, err, sizeof(err));
	is_int(r, LH_OK, "parse: subject of %d bytes", LH_SUBJECT_MAX);
	if (r == LH_OK)
		is_int(strlen(t->subject), LH_SUBJECT_MAX,
		    "parse: subject kept whole");
	mailfmt_tmpl_free(t);
	n = (size_t)snprintf(buf, LH_TMPL_MAX, "Subject: ");
	memset(buf + n, 's', LH_SUBJECT_MAX + 1);
	n += LH_SUBJECT_MAX + 1;
	memcpy(buf + n, "\n\nb\n", 4);
	r = mailfmt_tmpl_parse(buf, n + 4, &t, err, sizeof(err));
	is_int(r, LH_ERR_CONF, "parse: subject of %d bytes refused",
	    LH_SUBJECT_MAX + 1);
	is_str(err, "line 1: subject longer than 256 bytes",
	    "parse: subject too long: reason");

	/* A body line of 998 bytes (RFC 5322 §2.1.1), then 999. */
	n = (size_t)snprintf(buf, LH_TMPL_MAX, "Subject: x\n\nA\n");
	memset(buf + n, 'b', 998);
	memcpy(buf + n + 998, "\r\n", 2);
	r = mailfmt_tmpl_parse(buf, n + 1000, &t, err, sizeof(err));
	is_int(r, LH_OK, "parse: body line of 998 bytes and CRLF");
	mailfmt_tmpl_free(t);
	t = NULL;
	memset(buf + n, 'b', 999);
	buf[n + 999] = '\n';
	r = mailfmt_tmpl_parse(buf, n + 1000, &t, err, sizeof(err));
	is_int(r, LH_ERR_CONF, "parse: body line of 999 bytes refused");
	is_str(err, "line 4: longer than 998 bytes",
	    "parse: body line too long: reason");

	/* A template of LH_TMPL_MAX bytes, then one more. */
	n = (size_t)snprintf(buf, LH_TMPL_MAX, "Subject: x\n\n");
	while (n < LH_TMPL_MAX) {
		buf[n] = (n % 100 == 99) ? '\n' : 'b';
		n++;
	}
	r = mailfmt_tmpl_parse(buf, LH_TMPL_MAX, &t, err, sizeof(err));
	is_int(r, LH_OK, "parse: template of %d bytes", LH_TMPL_MAX);
	mailfmt_tmpl_free(t);
	t = NULL;
	buf[LH_TMPL_MAX] = 'b';
	r = mailfmt_tmpl_parse(buf, LH_TMPL_MAX + 1, &t, err, sizeof(err));
	is_int(r, LH_ERR_CONF, "parse: template of %d bytes refused",
	    LH_TMPL_MAX + 1);
	is_str(err, "template is 32769 bytes, more than 32768",
	    "parse: template too large: reason");

	/* Arguments. */
	is_int(mailfmt_tmpl_parse(NULL, 1, &t, err, sizeof(err)),
	    LH_ERR_INTERNAL, "parse: NULL text with a length");
	is_int(mailfmt_tmpl_parse("x", 1, NULL, err, sizeof(err)),
	    LH_ERR_INTERNAL, "parse: NULL out");
	is_int(mailfmt_tmpl_parse("Subject: x\n\n{{bad}}", 19, &t, NULL, 0),
	    LH_ERR_CONF, "parse: no errbuf is fine");
	r = mailfmt_tmpl_parse("Subject: x\n\n{{bad}}", 19, &t, err, 8);
	ok(r == LH_ERR_CONF && strlen(err) == 7, "parse: errbuf truncated");
	mailfmt_tmpl_free(NULL);
	ok(1, "tmpl_free(NULL) is a no-op");
	free(buf);
}

/* ---- 4. addresses --------------------------------------------------- */

struct addr_case {
	const char	*addr;
	int		 valid;
};

static const struct addr_case addr_cases[] = {
	{ "buyer@example.com", 1 },
	{ "a@b.co", 1 },
	{ "first.last@sub.example.co.uk", 1 },
	{ "user+tag@example.com", 1 },
	{ "o'brien@example.ie", 1 },
	{ "x!#$%&'*+/=?^_`{|}~-y@example.com", 1 },
	{ "UPPER@EXAMPLE.COM", 1 },
	{ "a@xn--bcher-kva.example", 1 },
	{ "a@a-b.example", 1 },
	{ "a@1example.com", 1 },
	{ "user@example.c0m", 1 },
	{ "", 0 },
	{ "plain", 0 },
	{ "@example.com", 0 },
	{ "user@", 0 },
	{ "user@localhost", 0 },
	{ "user@@example.com", 0 },
	{ "a@b@example.com", 0 },
	{ "us er@example.com", 0 },
	{ " user@example.com", 0 },
	{ "user@example.com ", 0 },
	{ "user\t@example.com", 0 },
	{ "user@example.com\r\nBcc: x@evil.example", 0 },
	{ "user@example.com\n", 0 },
	{ "user\r@example.com", 0 },
	{ "\"quoted\"@example.com", 0 },
	{ "\"a b\"@example.com", 0 },
	{ "Name <user@example.com>", 0 },
	{ "<user@example.com>", 0 },
	{ "user(comment)@example.com", 0 },
	{ "user,other@example.com", 0 },
	{ "user;x@example.com", 0 },
	{ "a\\b@example.com", 0 },
	{ ".user@example.com", 0 },
	{ "user.@example.com", 0 },
	{ "us..er@example.com", 0 },
	{ "-user@example.com", 0 },
	{ "user@.example.com", 0 },
	{ "user@example.com.", 0 },
	{ "user@example..com", 0 },
	{ "user@-example.com", 0 },
	{ "user@example-.com", 0 },
	{ "user@exa_mple.com", 0 },
	{ "user@[192.0.2.1]", 0 },
	{ "user@192.0.2.1", 0 },
	{ "user@example.123", 0 },
	{ "usér@example.com", 0 },
	{ "user@exämple.com", 0 },
	{ "用户@例子.广告", 0 },
	{ "user@example.com\x7f", 0 }
};

static void
test_addr(void)
{
	char		 buf[512];
	size_t		 i, n;

	for (i = 0; i < nitems(addr_cases); i++)
		is_int(mailfmt_addr_valid(addr_cases[i].addr),
		    addr_cases[i].valid, "addr %zu %s: %s", i,
		    addr_cases[i].valid ? "valid" : "invalid",
		    addr_cases[i].valid ? addr_cases[i].addr : "(refused)");
	is_int(mailfmt_addr_valid(NULL), 0, "addr NULL: invalid");

	/* Local part of 64 bytes (RFC 5321 §4.5.3.1.1), then 65. */
	memset(buf, 'l', 64);
	(void)snprintf(buf + 64, sizeof(buf) - 64, "@example.com");
	is_int(mailfmt_addr_valid(buf), 1, "addr: local part of 64");
	memset(buf, 'l', 65);
	(void)snprintf(buf + 65, sizeof(buf) - 65, "@example.com");
	is_int(mailfmt_addr_valid(buf), 0, "addr: local part of 65");

	/* 254 bytes in all, then 255: labels of 63 and shorter. */
	n = (size_t)snprintf(buf, sizeof(buf), "u@");
	while (n < 254 - 1) {
		buf[n] = (n % 60 == 59) ? '.' : 'd';
		n++;
	}
	buf[n++] = 'x';		/* never a trailing dot */
	buf[n] = '\0';
	is_int(strlen(buf), 254, "addr: built 254 bytes");
	is_int(mailfmt_addr_valid(buf), 1, "addr: 254 bytes in all");
	buf[n++] = 'y';
	buf[n] = '\0';
	is_int(mailfmt_addr_valid(buf), 0, "addr: 255 bytes in all");

	/* A DNS label of 63 bytes, then 64. */
	n = (size_t)snprintf(buf, sizeof(buf), "u@");
	memset(buf + n, 'd', 63);
	(void)snprintf(buf + n + 63, sizeof(buf) - n - 63, ".example");
	is_int(mailfmt_addr_valid(buf), 1, "addr: label of 63");
	memset(buf + n, 'd', 64);
	(void)snprintf(buf + n + 64, sizeof(buf) - n - 64, ".example");
	is_int(mailfmt_addr_valid(buf), 0, "addr: label of 64");
}

/* ---- 5. render ------------------------------------------------------ */

static const struct lh_mail_vars vars_std = {
	.key = "LH-ABCD-EFGH-JKLM-NPQR",
	.tier = "pro",
	.name = "Ada Lovelace",
	.email = "ada@example.org",
	.expires_at = DEC_1_2026 + 3600,
	.grace_deadline = DEC_1_2026 - DAY,
	.vendor = "Example Soft",
	.support = "help@example.com",
	.portal_url = "https://billing.example.com/p/session"
};

#define FROM		"Example Soft <billing@example.com>"
#define TO		"ada@example.org"
#define MSGID		"lh.42.1795352709@example.com"

static void
test_render_exact(void)
{
	struct lh_tmpl	*t;
	char		*msg = (char *)"x";
	size_t		 len = 7;
	enum lh_err	 r;
	static const char want[] =
	    "From: Example Soft <billing@example.com>\n"
	    "To: ada@example.org\n"
	    "Subject: Your Example Soft key (pro)\n"
	    "Date: Sun, 22 Nov 2026 13:05:09 +0000\n"
	    "Message-ID: <lh.42.1795352709@example.com>\n"
	    "MIME-Version: 1.0\n"
	    "Content-Type: text/plain; charset=UTF-8\n"
	    "Content-Transfer-Encoding: 8bit\n"
	    "Auto-Submitted: auto-generated\n"
	    "\n"
	    "Hello Ada Lovelace <ada@example.org>,\n"
	    "\n"
	    "\tLH-ABCD-EFGH-JKLM-NPQR\n"
	    "Expires 2026-12-01, grace until 2026-11-30.\n"
	    ".\n"
	    "Example Soft, help@example.com, "
	    "https://billing.example.com/p/session\n";

	t = tmpl_parse("Subject: Your {{vendor}} key ({{tier}})\n\n"
	    "Hello {{name}} <{{email}}>,\n\n\t{{key}}\n"
	    "Expires {{expires}}, grace until {{grace_deadline}}.\n.\n"
	    "{{vendor}}, {{support}}, {{portal_url}}");
	r = mailfmt_render(t, &vars_std, FROM, TO, MSGID, (time_t)NOW_DOC,
	    &msg, &len);
	is_int(r, LH_OK, "render: ok");
	is_str(msg, want, "render: the exact message");
	is_int(len, strlen(want), "render: length");
	free(msg);

	/* Bad arguments clear the outputs. */
	msg = (char *)"x";
	len = 7;
	r = mailfmt_render(t, &vars_std, FROM, "not an address", MSGID,
	    (time_t)NOW_DOC, &msg, &len);
	is_int(r, LH_ERR_API_REQUEST, "render: bad To refused");
	ok(msg == NULL && len == 0, "render: refused, outputs cleared");
	is_int(mailfmt_render(t, &vars_std, FROM, NULL, MSGID,
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_API_REQUEST,
	    "render: NULL To refused");
	is_int(mailfmt_render(t, &vars_std, FROM,
	    "ada@example.org\nBcc: x@evil.example", MSGID, (time_t)NOW_DOC,
	    &msg, &len), LH_ERR_API_REQUEST, "render: To with a header "
	    "refused");
	is_int(mailfmt_render(t, &vars_std, NULL, TO, MSGID, (time_t)NOW_DOC,
	    &msg, &len), LH_ERR_INTERNAL, "render: NULL From");
	is_int(mailfmt_render(t, &vars_std, "\r\n", TO, MSGID,
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_INTERNAL,
	    "render: From empty once cleaned");
	is_int(mailfmt_render(NULL, &vars_std, FROM, TO, MSGID,
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_INTERNAL,
	    "render: NULL template");
	is_int(mailfmt_render(t, &vars_std, FROM, TO, MSGID,
	    (time_t)NOW_DOC, NULL, &len), LH_ERR_INTERNAL,
	    "render: NULL out");
	is_int(mailfmt_render(t, &vars_std, FROM, TO, NULL,
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_INTERNAL,
	    "render: NULL message id");
	is_int(mailfmt_render(t, &vars_std, FROM, TO, "no-at-sign",
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_INTERNAL,
	    "render: message id without @");
	is_int(mailfmt_render(t, &vars_std, FROM, TO, "a>b@c\nBcc: x",
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_INTERNAL,
	    "render: message id with > and LF");
	is_int(mailfmt_render(t, &vars_std, FROM, TO, "<a@b>",
	    (time_t)NOW_DOC, &msg, &len), LH_ERR_INTERNAL,
	    "render: message id with its brackets");
	mailfmt_tmpl_free(t);
}

static void
test_render_dates(void)
{
	static const struct {
		long long	 now;
		const char	*date;
	} dc[] = {
		{ NOW_DOC, "Date: Sun, 22 Nov 2026 13:05:09 +0000\n" },
		{ 0, "Date: Thu, 01 Jan 1970 00:00:00 +0000\n" },
		{ 951782400, "Date: Tue, 29 Feb 2000 00:00:00 +0000\n" },
		{ 4102444799LL, "Date: Thu, 31 Dec 2099 23:59:59 +0000\n" },
		{ 1700000000, "Date: Tue, 14 Nov 2023 22:13:20 +0000\n" }
	};
	static const struct {
		long long	 expires, grace;
		const char	*body;
	} vc[] = {
		{ 0, 0, "E=never G=\n" },
		{ DEC_1_2026, DEC_1_2026 - 1, "E=2026-12-01 G=2026-11-30\n" },
		{ 951782400 + DAY - 1, 951782400,
		    "E=2000-02-29 G=2000-02-29\n" }
	};
	struct lh_mail_vars v;
	struct lh_tmpl	*t;
	char		*msg;
	size_t		 len, i;
	enum lh_err	 r;

	t = tmpl_parse("Subject: x\n\nE={{expires}} G={{grace_deadline}}\n");
	for (i = 0; i < nitems(dc); i++) {
		r = mailfmt_render(t, &vars_std, FROM, TO, MSGID,
		    (time_t)dc[i].now, &msg, &len);
		is_int(r, LH_OK, "date %lld: ok", dc[i].now);
		ok(r == LH_OK && strstr(msg, dc[i].date) != NULL,
		    "date %lld: %.*s", dc[i].now,
		    (int)strlen(dc[i].date) - 1, dc[i].date);
		free(msg);
	}
	for (i = 0; i < nitems(vc); i++) {
		memset(&v, 0, sizeof(v));
		v.expires_at = vc[i].expires;
		v.grace_deadline = vc[i].grace;
		r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC,
		    &msg, &len);
		ok(r == LH_OK && strcmp(msg + hdr_len(msg) + 1,
		    vc[i].body) == 0, "dates in the body: %.*s",
		    (int)strlen(vc[i].body) - 1, vc[i].body);
		free(msg);
	}
	/* A Date before 1900 cannot be written (RFC 5322 §3.3). */
	r = mailfmt_render(t, &vars_std, FROM, TO, MSGID,
	    (time_t)-2208988801LL, &msg, &len);
	is_int(r, LH_ERR_INTERNAL, "date before 1900 refused");
	mailfmt_tmpl_free(t);
}

/* Two, three and four bytes a character, and mixed. */
#define MIXED		"Zoë Ünïcødé 日本語のお客様 😀😀😀 ÅÄÖ " \
			    "ÆØÅ ĀĒĪŌŪ ★★★ русский текст 中文 " \
			    "العربية"
#define EMOJI5		"😀😀😀😀😀"
#define EMOJI25		EMOJI5 EMOJI5 EMOJI5 EMOJI5 EMOJI5

/* A UTF-8 subject as encoded-words, decoded back. */
static void
test_render_utf8(void)
{
	static const struct {
		const char	*what, *name, *want;
	} uc[] = {
		{ "short", "Zoë", "Lizenz für Zoë" },
		{ "long, mixed widths", MIXED, "Lizenz für " MIXED },
		{ "four-byte characters only", EMOJI25,
		    "Lizenz für " EMOJI25 },
		{ "looks encoded", "=?UTF-8?B?QmNjOg==?=",
		    "Lizenz für =?UTF-8?B?QmNjOg==?=" },
		{ "control characters dropped",
		    "Eve\r\nBcc: x@evil.example\t\x1b\xc2\x85ü",
		    "Lizenz für EveBcc: x@evil.exampleü" },
		{ "not UTF-8 replaced", "a\xff" "b",
		    "Lizenz für a\xef\xbf\xbd" "b" }
	};
	struct lh_mail_vars v;
	struct lh_tmpl	*t;
	char		*msg, subj[4096], dec[4096];
	size_t		 len, i, lines;
	enum lh_err	 r;

	t = tmpl_parse("Subject: Lizenz für {{name}}\n\nx\n");
	for (i = 0; i < nitems(uc); i++) {
		v = vars_std;
		v.name = uc[i].name;
		r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC,
		    &msg, &len);
		is_int(r, LH_OK, "utf-8 subject %s: ok", uc[i].what);
		if (r != LH_OK)
			continue;
		ok(subject_of(msg, subj, sizeof(subj), &lines) == 0,
		    "utf-8 subject %s: found", uc[i].what);
		ok(ew_decode(subj, dec, sizeof(dec)) == 0,
		    "utf-8 subject %s: encoded-words of whole characters, "
		    "each <= 75 bytes", uc[i].what);
		is_str(dec, uc[i].want, "utf-8 subject %s: decodes back",
		    uc[i].what);
		ok(max_line(msg, hdr_len(msg)) <= 76,
		    "utf-8 subject %s: header lines <= 76 (RFC 2047 §2)",
		    uc[i].what);
		is_int(hdr_count(msg, "Bcc:"), 0, "utf-8 subject %s: no Bcc",
		    uc[i].what);
		is_int(hdr_count(msg, "Subject:"), 1,
		    "utf-8 subject %s: one Subject", uc[i].what);
		free(msg);
	}
	/* ASCII that looks like an encoded-word is encoded. */
	mailfmt_tmpl_free(t);
	t = tmpl_parse("Subject: License for {{name}}\n\nx\n");
	v = vars_std;
	v.name = "=?UTF-8?B?QmNjOg==?=";
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    strncmp(subj, "=?UTF-8?B?", 10) == 0 &&
	    ew_decode(subj, dec, sizeof(dec)) == 0 &&
	    strcmp(dec, "License for =?UTF-8?B?QmNjOg==?=") == 0,
	    "ascii subject holding \"=?\" is encoded, decodes back");
	free(msg);
	v.name = "Ada";
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && strstr(msg, "\nSubject: License for Ada\n") != NULL,
	    "ascii subject as it is");
	free(msg);
	mailfmt_tmpl_free(t);
	t = tmpl_parse("Subject: Lizenz für {{name}}\n\nx\n");

	/* Enough to need several lines. */
	v = vars_std;
	v.name = uc[1].name;
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    lines >= 3, "utf-8 subject: folded over %zu lines", lines);
	free(msg);
	mailfmt_tmpl_free(t);
}

/* Values that try to add headers or lines. */
static void
test_render_inject(void)
{
	struct lh_mail_vars v = vars_std;
	struct lh_tmpl	*t;
	char		*msg, subj[2048];
	const char	*body;
	size_t		 len, lines;
	enum lh_err	 r;

	v.name = "Eve\r\nBcc: x@evil.example";
	v.tier = "pro\nBcc: y@evil.example\n\nfake body";
	v.vendor = "V\r\nTo: z@evil.example\r\nSubject: hi";
	v.email = "e@example.org\rCc: w@evil.example";
	v.key = "K\x0b\x0c\x00";
	v.support = "s\n.\nRCPT TO:<v@evil.example>";
	v.portal_url = "https://x.example/\n\nBcc: u@evil.example";
	t = tmpl_parse("Subject: {{vendor}} for {{name}} ({{tier}}) "
	    "{{email}}\n\n{{name}}\n{{tier}}\n{{vendor}}\n{{email}}\n"
	    "{{support}}\n{{portal_url}}\n{{key}}\n");
	r = mailfmt_render(t, &v, "Shop <s@example.com>\r\nBcc: f@evil.example",
	    TO, MSGID, (time_t)NOW_DOC, &msg, &len);
	is_int(r, LH_OK, "inject: rendered");
	if (r != LH_OK) {
		mailfmt_tmpl_free(t);
		return;
	}
	is_int(hdr_count(msg, "Bcc:"), 0, "inject: no Bcc header");
	is_int(hdr_count(msg, "Cc:"), 0, "inject: no Cc header");
	is_int(hdr_count(msg, "To:"), 1, "inject: one To");
	is_int(hdr_count(msg, "Subject:"), 1, "inject: one Subject");
	is_int(hdr_count(msg, "From:"), 1, "inject: one From");
	ok(strncmp(msg, "From: Shop <s@example.com>Bcc: f@evil.example\n",
	    46) == 0, "inject: From keeps its text, not its line break");
	ok(subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    strcmp(subj, "VTo: z@evil.exampleSubject: hi for EveBcc: "
	    "x@evil.example (proBcc: y@evil.examplefake body) "
	    "e@example.orgCc: w@evil.example") == 0,
	    "inject: subject values lose their line breaks");
	ok(strstr(msg, "\nTo: ada@example.org\n") != NULL,
	    "inject: To is the one given");
	body = msg + hdr_len(msg) + 1;
	is_str(body, "EveBcc: x@evil.example\n"
	    "proBcc: y@evil.examplefake body\n"
	    "VTo: z@evil.exampleSubject: hi\n"
	    "e@example.orgCc: w@evil.example\n"
	    "s.RCPT TO:<v@evil.example>\n"
	    "https://x.example/Bcc: u@evil.example\n"
	    "K\n", "inject: body values lose their line breaks");
	is_int(hdr_fields(msg), 9, "inject: nine header fields, no more");
	free(msg);
	mailfmt_tmpl_free(t);
}

static void
test_render_fold(void)
{
	struct lh_mail_vars v = vars_std;
	struct lh_tmpl	*t;
	char		*msg, subj[4096], word[1000];
	size_t		 len, lines;
	enum lh_err	 r;
	const char	*want;

	/* An ASCII subject over 78 folds at spaces. */
	v.name = "Alexandra Konstantinopoulou-Montgomery the Third of "
	    "Somewhere Rather Far Away, Esquire";
	t = tmpl_parse("Subject: Your {{vendor}} license key is ready, "
	    "{{name}}, and here is what to do next\n\nx\n");
	want = "Your Example Soft license key is ready, Alexandra "
	    "Konstantinopoulou-Montgomery the Third of Somewhere Rather "
	    "Far Away, Esquire, and here is what to do next";
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	is_int(r, LH_OK, "fold: ok");
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0,
	    "fold: subject found");
	is_str(subj, want, "fold: unfolds to the subject (plain text)");
	ok(lines >= 2, "fold: %zu lines", lines);
	ok(max_line(msg, hdr_len(msg)) <= 78, "fold: header lines <= 78");
	ok(strstr(msg, "\n \n") == NULL && strstr(msg, " \n") == NULL,
	    "fold: no blank line, no line ending in a space");
	free(msg);

	/* A subject of exactly 78 on its line stays; one more folds. */
	mailfmt_tmpl_free(t);
	t = tmpl_make("aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee "
	    "fffffffff ggggggggg{{name}}", "x\n");
	v.name = "";
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    lines == 1, "fold: a line of 78 is not folded");
	free(msg);
	v.name = "g";
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    lines == 2 && strstr(msg, "\n gggggggggg\n") != NULL,
	    "fold: 79 folds before the last word");
	free(msg);

	/* Runs of spaces: no line of white space only; none at the end. */
	mailfmt_tmpl_free(t);
	t = tmpl_parse("Subject: {{name}}  {{tier}}\n\nx\n");
	memset(word, 'a', 70);
	memset(word + 70, ' ', 20);
	memcpy(word + 90, "b                              ", 32);
	v.name = word;
	v.tier = "";
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    lines == 2 && strlen(subj) == 91 && subj[90] == 'b' &&
	    strstr(msg, "\n b\n") != NULL && strstr(msg, "\n \n") == NULL,
	    "fold: before the word after a run of spaces; trailing spaces "
	    "dropped");
	free(msg);
	mailfmt_tmpl_free(t);
	t = tmpl_make("aaaaaaaaa bbbbbbbbb ccccccccc ddddddddd eeeeeeeee "
	    "fffffffff ggggggggg{{name}}", "x\n");

	/* One word too long to fold stays whole... */
	memset(word, 'w', 200);
	word[200] = '\0';
	v.tier = vars_std.tier;
	v.name = word;
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    strncmp(subj, "aaaa", 4) == 0 && lines == 2,
	    "fold: a 209-byte word stays whole on its own line");
	free(msg);
	/* ...unless the line would pass 998: then it is encoded. */
	memset(word, 'w', 995);
	word[995] = '\0';
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && subject_of(msg, subj, sizeof(subj), &lines) == 0 &&
	    strncmp(subj, "=?UTF-8?B?", 10) == 0 &&
	    max_line(msg, hdr_len(msg)) <= 76,
	    "fold: a 1004-byte word is encoded instead");
	free(msg);
	mailfmt_tmpl_free(t);
}

static void
test_render_body(void)
{
	struct lh_mail_vars v;
	struct lh_tmpl	*t;
	char		*msg, *big, line[1100];
	const char	*body;
	size_t		 len, i, hl, want;
	enum lh_err	 r;

	/* NULL vars: every placeholder empty, expires "never". */
	t = tmpl_parse("Subject: [{{name}}]\n\n"
	    "[{{key}}{{tier}}{{name}}{{email}}{{grace_deadline}}"
	    "{{vendor}}{{support}}{{portal_url}}] {{expires}}");
	r = mailfmt_render(t, NULL, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && strstr(msg, "\nSubject: []\n") != NULL &&
	    strcmp(msg + hdr_len(msg) + 1, "[] never\n") == 0,
	    "body: NULL vars, empty values, a final LF added");
	free(msg);
	mailfmt_tmpl_free(t);

	/* An empty value at the end of the subject leaves no space. */
	t = tmpl_parse("Subject: Hello {{name}}\n\nx\n");
	r = mailfmt_render(t, NULL, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && strstr(msg, "\nSubject: Hello\n") != NULL,
	    "subject: trailing space dropped");
	free(msg);
	mailfmt_tmpl_free(t);

	/* Body values: tabs stay, other controls go, bad bytes U+FFFD. */
	memset(&v, 0, sizeof(v));
	v.name = "a\tb\x01" "c\x1b[31md\x7f" "e\xc2\x9b" "f\xc3\xa9\xff";
	t = tmpl_parse("Subject: x\n\n{{name}}\n");
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && strcmp(msg + hdr_len(msg) + 1,
	    "a\tbc[31mdef\xc3\xa9\xef\xbf\xbd\n") == 0,
	    "body: tab kept; C0, DEL, C1 dropped; bad byte U+FFFD");
	free(msg);
	mailfmt_tmpl_free(t);

	/* A hand-made template's own control characters go too. */
	t = tmpl_make("a\r\nBcc: x@evil.example", "one\r\ntwo\x1b\n");
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	ok(r == LH_OK && hdr_count(msg, "Bcc:") == 0 &&
	    strstr(msg, "\nSubject: aBcc: x@evil.example\n") != NULL &&
	    strcmp(msg + hdr_len(msg) + 1, "one\ntwo\n") == 0,
	    "body: a hand-made template is cleaned too");
	free(msg);
	mailfmt_tmpl_free(t);
	t = tmpl_make("x", "{{bogus}}\n");
	is_int(mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len), LH_ERR_INTERNAL, "body: unknown placeholder (hand-made)");
	mailfmt_tmpl_free(t);
	t = tmpl_make("{{key", "x\n");
	is_int(mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len), LH_ERR_INTERNAL, "body: open placeholder (hand-made)");
	mailfmt_tmpl_free(t);

	/* A body line of 998 bytes once filled in, then 999. */
	t = tmpl_parse("Subject: x\n\n<{{name}}>\n");
	memset(line, 'n', 996);
	line[996] = '\0';
	v.name = line;
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	is_int(r, LH_OK, "body: a line of 998 bytes");
	free(msg);
	line[996] = 'n';
	line[997] = '\0';
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	is_int(r, LH_ERR_INTERNAL, "body: a line of 999 bytes refused");
	ok(msg == NULL && len == 0, "body: refused, nothing returned");
	mailfmt_tmpl_free(t);

	/* A From line over 998 bytes. */
	t = tmpl_parse("Subject: x\n\nb\n");
	memset(line, 'f', 992);
	line[992] = '\0';
	is_int(mailfmt_render(t, &v, line, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len), LH_OK, "from: a line of 998 bytes");
	free(msg);
	line[992] = 'f';
	line[993] = '\0';
	is_int(mailfmt_render(t, &v, line, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len), LH_ERR_INTERNAL, "from: a line of 999 bytes refused");

	/* The whole message: LH_MAIL_MAX - 1 bytes and the NUL, then 1 more. */
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	hl = len - 2;		/* the header block and its empty line */
	free(msg);
	mailfmt_tmpl_free(t);
	want = LH_MAIL_MAX - 1 - hl;
	big = xmalloc(want + 2);
	for (i = 0; i < want; i++)
		big[i] = (i % 100 == 99 || i == want - 1) ? '\n' : 'b';
	big[want] = '\0';
	t = tmpl_make("x", big);
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	is_int(r, LH_OK, "size: a message of LH_MAIL_MAX - 1 bytes");
	is_int(len, LH_MAIL_MAX - 1, "size: its length");
	ok(r == LH_OK && msg[len] == '\0' && strlen(msg) == len,
	    "size: NUL-terminated");
	free(msg);
	mailfmt_tmpl_free(t);
	big[want - 1] = 'b';
	big[want] = '\n';
	big[want + 1] = '\0';
	t = tmpl_make("x", big);
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	is_int(r, LH_ERR_INTERNAL, "size: LH_MAIL_MAX bytes refused");
	mailfmt_tmpl_free(t);
	free(big);

	/* Many placeholders with long values pass the cap, too. */
	big = xmalloc(LH_TMPL_MAX);
	i = (size_t)snprintf(big, LH_TMPL_MAX, "Subject: x\n\n");
	while (i + 9 < LH_TMPL_MAX) {
		memcpy(big + i, "{{name}}\n", 9);
		i += 9;
	}
	big[i] = '\0';
	memset(line, 'n', 100);
	line[100] = '\0';
	v.name = line;
	t = tmpl_parse(big);
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	is_int(r, LH_ERR_INTERNAL, "size: placeholders filled past the cap");
	mailfmt_tmpl_free(t);
	free(big);

	/* The body is not dot-stuffed: sendmail -i. */
	t = tmpl_parse("Subject: x\n\n.\n..\n");
	r = mailfmt_render(t, &v, FROM, TO, MSGID, (time_t)NOW_DOC, &msg,
	    &len);
	body = r == LH_OK ? msg + hdr_len(msg) + 1 : "";
	is_str(body, ".\n..\n", "body: dots as written (sendmail -i)");
	free(msg);
	mailfmt_tmpl_free(t);
}

/* ---- 6. the shipped templates --------------------------------------- */

static char *
file_read(const char *path, size_t *len)
{
	FILE		*fp;
	char		*buf;
	size_t		 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	buf = xmalloc(LH_TMPL_MAX + 2);
	n = fread(buf, 1, LH_TMPL_MAX + 1, fp);
	(void)fclose(fp);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static void
test_shipped(void)
{
	const char	*top = getenv("top_srcdir");
	struct lh_tmpl	*t;
	char		 path[1024], err[256], subj[1024];
	char		*text, *msg;
	size_t		 i, len, lines;
	enum lh_err	 r;

	if (top == NULL || *top == '\0')
		top = ".";
	for (i = 0; i < LH_NOTICE__COUNT; i++) {
		(void)snprintf(path, sizeof(path),
		    "%s/contrib/templates/%s.txt", top,
		    mailfmt_notice_name((enum lh_notice)i));
		if (!ok((text = file_read(path, &len)) != NULL,
		    "shipped %s: readable", path)) {
			printf("#   %s\n", strerror(errno));
			continue;
		}
		t = NULL;
		r = mailfmt_tmpl_parse(text, len, &t, err, sizeof(err));
		if (!ok(r == LH_OK, "shipped %s: parses", path)) {
			printf("#   %s\n", err);
			free(text);
			continue;
		}
		r = mailfmt_render(t, &vars_std, FROM, TO, MSGID,
		    (time_t)NOW_DOC, &msg, &len);
		ok(r == LH_OK && strstr(msg, "{{") == NULL &&
		    strstr(msg, "}}") == NULL,
		    "shipped %s: renders, every placeholder filled", path);
		ok(r == LH_OK && subject_of(msg, subj, sizeof(subj),
		    &lines) == 0 && lines == 1 && strlen(subj) < 70,
		    "shipped %s: a short one-line subject", path);
		ok(r == LH_OK && max_line(msg, len) <= 78,
		    "shipped %s: lines <= 78", path);
		free(msg);
		mailfmt_tmpl_free(t);
		free(text);
	}
}

int
main(void)
{
	c_free = conf_make(CONF_FREE, NOTICE);
	c_nofree = conf_make(CONF_NOFREE, NOTICE);

	test_names();
	test_due();
	test_parse_table();
	test_parse_limits();
	test_addr();
	test_render_exact();
	test_render_dates();
	test_render_utf8();
	test_render_inject();
	test_render_fold();
	test_render_body();
	test_shipped();

	conf_free(c_free);
	conf_free(c_nofree);
	return done_testing();
}
