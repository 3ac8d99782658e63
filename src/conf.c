/*
 * licensehook: configuration text to struct lh_conf.
 *
 * Pure: cfgfile.c reads the file and hands the bytes in, so this file
 * needs libc and the core's mailfmt_addr_valid() only, and a fuzz target
 * can feed it anything.  The format is described in licensehook.conf(5);
 * keep the two in step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lh.h"

#define CONF_ACTIVATIONS_MAX	100000	/* tier max_activations */
#define CONF_BUSY_TIMEOUT_MAX	600000	/* milliseconds */
#define CONF_ECHO_MAX		32	/* bytes, a token quoted in errors */
#define CONF_WHSEC		"whsec_" /* Stripe signing secrets start so */
/* Each key symbol is one of the 32 in LH_KEY_ALPHABET: 5 bits. */
#define CONF_SYMBOL_BITS	5
#define CONF_RANK_MAX		1000	/* tier rank */
#define CONF_DAY		86400	/* seconds */
/* A duration: at most a leap year, so that sums of them fit any long. */
#define CONF_DURATION_MAX	(366L * CONF_DAY)
#define CONF_DURATION_DIGITS	9	/* more cannot be under the max */
#define CONF_RATE_MAX		1000000	/* requests / minute, api rate limits */
/*
 * bytes, api.keys_dir: room is left below LH_PATH_MAX for "/", a key id
 * and the longest file suffix signkeys.c appends.
 */
#define CONF_KEYS_DIR_MAX	(LH_PATH_MAX - LH_KID_MAX - 32)
/* bytes, mail.templates_dir: room for "/" and the longest notice file. */
#define CONF_TEMPLATES_DIR_MAX	(LH_PATH_MAX - 64)
#define CONF_MAIL_TEXT_MAX	256	/* bytes, mail.from, vendor_name */
#define CONF_MAIL_URL_MAX	LH_PATH_MAX /* bytes, mail.portal_url */
#define CONF_SENDMAIL_MAX	LH_PATH_MAX /* bytes, mail.sendmail */
#define CONF_SENDMAIL_ARGS_MAX	16	/* words in mail.sendmail */
#define CONF_DELIVER_AFTER_MAX	100	/* messages, mail.deliver_after */
#define CONF_MAIL_TIMEOUT_MAX	600	/* seconds, mail.timeout */
/* sendmail(8)'s own interface: recipients from the headers (-t), and a
 * line with a single dot does not end the message (-i). */
#define CONF_SENDMAIL_DEFAULT	"/usr/sbin/sendmail -t -i"
/* licensehook.usage_database by default: next to the database, so that
 * the same directory (and the same systemd ReadWritePaths) holds both. */
#define CONF_USAGE_SUFFIX	"-usage"

#define nitems(a)		(sizeof(a) / sizeof((a)[0]))

enum conf_sect {
	SECT_NONE = 0,
	SECT_LICENSEHOOK,
	SECT_STRIPE,
	SECT_KEYS,
	SECT_TIERS,
	SECT_LIFECYCLE,
	SECT_API,
	SECT_MAIL,
	SECT_TIER,		/* the only repeated section: keep it last */
	SECT__COUNT
};

struct conf_state;

struct conf_key {
	enum conf_sect	 sect;
	const char	*name;
	int		 repeat;	/* may appear more than once */
	enum lh_err	(*set)(struct conf_state *, char *);
};

static enum lh_err	 set_database(struct conf_state *, char *);
static enum lh_err	 set_usage_database(struct conf_state *, char *);
static enum lh_err	 set_mode(struct conf_state *, char *);
static enum lh_err	 set_body_limit(struct conf_state *, char *);
static enum lh_err	 set_log(struct conf_state *, char *);
static enum lh_err	 set_busy_timeout(struct conf_state *, char *);
static enum lh_err	 set_secret(struct conf_state *, char *);
static enum lh_err	 set_tolerance(struct conf_state *, char *);
static enum lh_err	 set_prefix(struct conf_state *, char *);
static enum lh_err	 set_groups(struct conf_state *, char *);
static enum lh_err	 set_group_len(struct conf_state *, char *);
static enum lh_err	 set_default(struct conf_state *, char *);
static enum lh_err	 set_prices(struct conf_state *, char *);
static enum lh_err	 set_max_act(struct conf_state *, char *);
static enum lh_err	 set_features(struct conf_state *, char *);
static enum lh_err	 set_rank(struct conf_state *, char *);
static enum lh_err	 set_expiry_slack(struct conf_state *, char *);
static enum lh_err	 set_grace_reminder(struct conf_state *, char *);
static enum lh_err	 set_grace_free(struct conf_state *, char *);
static enum lh_err	 set_grace_suspend(struct conf_state *, char *);
static enum lh_err	 set_free_tier(struct conf_state *, char *);
static enum lh_err	 set_on_cancel(struct conf_state *, char *);
static enum lh_err	 set_on_refund(struct conf_state *, char *);
static enum lh_err	 set_on_dispute_lost(struct conf_state *, char *);
static enum lh_err	 set_keys_dir(struct conf_state *, char *);
static enum lh_err	 set_token_ttl(struct conf_state *, char *);
static enum lh_err	 set_allowed(struct conf_state *, char *);
static enum lh_err	 set_rate_address(struct conf_state *, char *);
static enum lh_err	 set_rate_key(struct conf_state *, char *);
static enum lh_err	 set_mail_from(struct conf_state *, char *);
static enum lh_err	 set_vendor_name(struct conf_state *, char *);
static enum lh_err	 set_support_email(struct conf_state *, char *);
static enum lh_err	 set_portal_url(struct conf_state *, char *);
static enum lh_err	 set_sendmail(struct conf_state *, char *);
static enum lh_err	 set_templates_dir(struct conf_state *, char *);
static enum lh_err	 set_expiry_notice(struct conf_state *, char *);
static enum lh_err	 set_deliver_after(struct conf_state *, char *);
static enum lh_err	 set_mail_timeout(struct conf_state *, char *);

static const struct conf_key conf_keys[] = {
	{ SECT_LICENSEHOOK,	"database",		0, set_database },
	{ SECT_LICENSEHOOK,	"usage_database",	0,
	    set_usage_database },
	{ SECT_LICENSEHOOK,	"mode",			0, set_mode },
	{ SECT_LICENSEHOOK,	"body_limit",		0, set_body_limit },
	{ SECT_LICENSEHOOK,	"log",			0, set_log },
	{ SECT_LICENSEHOOK,	"busy_timeout",		0, set_busy_timeout },
	/* Repeats so that a new secret can be added before the old goes. */
	{ SECT_STRIPE,		"webhook_secret",	1, set_secret },
	{ SECT_STRIPE,		"tolerance",		0, set_tolerance },
	{ SECT_KEYS,		"prefix",		0, set_prefix },
	{ SECT_KEYS,		"groups",		0, set_groups },
	{ SECT_KEYS,		"group_length",		0, set_group_len },
	{ SECT_TIERS,		"default",		0, set_default },
	{ SECT_LIFECYCLE,	"expiry_slack",		0, set_expiry_slack },
	{ SECT_LIFECYCLE,	"grace_reminder",	0, set_grace_reminder },
	{ SECT_LIFECYCLE,	"grace_free_tier",	0, set_grace_free },
	{ SECT_LIFECYCLE,	"grace_suspend",	0, set_grace_suspend },
	{ SECT_LIFECYCLE,	"free_tier",		0, set_free_tier },
	{ SECT_LIFECYCLE,	"on_cancel",		0, set_on_cancel },
	{ SECT_LIFECYCLE,	"on_refund",		0, set_on_refund },
	{ SECT_LIFECYCLE,	"on_dispute_lost",	0,
	    set_on_dispute_lost },
	{ SECT_API,		"keys_dir",		0, set_keys_dir },
	{ SECT_API,		"token_ttl",		0, set_token_ttl },
	{ SECT_API,		"allowed_statuses",	0, set_allowed },
	{ SECT_API,		"rate_limit_address",	0, set_rate_address },
	{ SECT_API,		"rate_limit_key",	0, set_rate_key },
	{ SECT_MAIL,		"from",			0, set_mail_from },
	{ SECT_MAIL,		"vendor_name",		0, set_vendor_name },
	{ SECT_MAIL,		"support_email",	0, set_support_email },
	{ SECT_MAIL,		"portal_url",		0, set_portal_url },
	{ SECT_MAIL,		"sendmail",		0, set_sendmail },
	{ SECT_MAIL,		"templates_dir",	0, set_templates_dir },
	{ SECT_MAIL,		"expiry_notice",	0, set_expiry_notice },
	{ SECT_MAIL,		"deliver_after",	0, set_deliver_after },
	{ SECT_MAIL,		"timeout",		0, set_mail_timeout },
	{ SECT_TIER,		"prices",		0, set_prices },
	{ SECT_TIER,		"max_activations",	0, set_max_act },
	{ SECT_TIER,		"features",		0, set_features },
	{ SECT_TIER,		"rank",			0, set_rank },
};

static const char *const conf_sect_names[SECT__COUNT] = {
	NULL, "licensehook", "stripe", "keys", "tiers", "lifecycle", "api",
	"mail", "tier"
};

/*
 * The names api.allowed_statuses takes: license_status_name()'s, which
 * this file cannot call (it links libc only), so t_conf checks each.
 */
static const char *const conf_status_names[] = {
	[LH_LIC_ACTIVE] = "active",
	[LH_LIC_TRIALING] = "trialing",
	[LH_LIC_GRACE] = "grace",
	[LH_LIC_SUSPENDED] = "suspended",
	[LH_LIC_EXPIRED] = "expired",
	[LH_LIC_REVOKED] = "revoked"
};

/* The grace steps, in the order their durations must be. */
enum conf_grace {
	GRACE_REMINDER = 0,
	GRACE_FREE,
	GRACE_SUSPEND,
	GRACE__COUNT
};

struct conf_state {
	struct lh_conf		*conf;
	enum conf_sect		 sect;
	struct lh_tier		*tier;		/* with SECT_TIER */
	const struct conf_key	*key;		/* being set, names errors */
	size_t			 lineno;	/* 0: not about one line */
	size_t			 default_line;	/* of tiers.default */
	size_t			 free_tier_line; /* of lifecycle.free_tier */
	size_t			 on_cancel_line; /* of lifecycle.on_cancel */
	size_t			 usage_line;	/* of licensehook.usage_database */
	size_t			 grace_line[GRACE__COUNT];
	size_t			 prices_line[LH_TIERS_MAX];
	int			 sect_seen[SECT__COUNT];
	int			 key_seen[nitems(conf_keys)];
	char			*errbuf;
	size_t			 errlen;
};

static enum lh_err	 conf_err(struct conf_state *, const char *, ...)
			    __attribute__((format(printf, 2, 3)));
static enum lh_err	 conf_nomem(struct conf_state *);
static const char	*conf_echo(const char *, size_t);
static int		 conf_isws(int);
static char		*conf_trim(char *);
static char		*conf_value(char *);
static int		 conf_name_ok(const char *);
static enum lh_err	 conf_int(struct conf_state *, const char *,
			    long long, long long, long long *);
static enum lh_err	 conf_duration(struct conf_state *, const char *,
			    long, long *);
static enum lh_err	 conf_grace_set(struct conf_state *, enum conf_grace,
			    const char *);
static enum lh_err	 conf_policy(struct conf_state *, const char *,
			    const char *, enum lh_policy, const char *,
			    enum lh_policy, enum lh_policy *);
static enum lh_err	 conf_check_life(struct conf_state *);
static void		 conf_defaults(struct lh_conf *);
static enum lh_err	 conf_line(struct conf_state *, char *, size_t);
static enum lh_err	 conf_section(struct conf_state *, char *);
static enum lh_err	 conf_tier_new(struct conf_state *, char *);
static enum lh_err	 conf_check(struct conf_state *);
static void		 conf_secret_free(char *);

/*
 * Write "line N: sect.key: reason" to errbuf.  Only the first error is
 * kept: parsing stops there.  Callers never pass a secret's value.
 */
static enum lh_err
conf_err(struct conf_state *st, const char *fmt, ...)
{
	va_list		 ap;
	size_t		 off = 0;
	int		 n;

	if (st->errbuf == NULL || st->errlen == 0)
		return LH_ERR_CONF;
	st->errbuf[0] = '\0';
	if (st->lineno > 0) {
		n = snprintf(st->errbuf, st->errlen, "line %zu: ", st->lineno);
		if (n < 0 || (size_t)n >= st->errlen)
			return LH_ERR_CONF;
		off = (size_t)n;
	}
	if (st->key != NULL) {
		if (st->key->sect == SECT_TIER && st->tier != NULL)
			n = snprintf(st->errbuf + off, st->errlen - off,
			    "tier.%s.%s: ", conf_echo(st->tier->name,
			    LH_NAME_MAX), st->key->name);
		else
			n = snprintf(st->errbuf + off, st->errlen - off,
			    "%s.%s: ", conf_sect_names[st->key->sect],
			    st->key->name);
		if (n < 0 || (size_t)n >= st->errlen - off)
			return LH_ERR_CONF;
		off += (size_t)n;
	}
	va_start(ap, fmt);
	(void)vsnprintf(st->errbuf + off, st->errlen - off, fmt, ap);
	va_end(ap);
	return LH_ERR_CONF;
}

static enum lh_err
conf_nomem(struct conf_state *st)
{
	const struct conf_key	*key = st->key;

	st->key = NULL;
	(void)conf_err(st, "out of memory");
	st->key = key;
	return LH_ERR_NOMEM;
}

/*
 * A token from the file made safe to quote in an error: short, of name
 * characters, and not looking like a webhook secret.  A secret pasted on
 * the wrong line must not reach a log through its error message.
 */
static const char *
conf_echo(const char *s, size_t max)
{
	size_t		 i, n;

	n = strlen(s);
	if (n == 0 || n > max)
		return "(not shown)";
	for (i = 0; i < n; i++) {
		if (strncasecmp(s + i, "whsec", 5) == 0)
			return "(not shown)";
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-' || s[i] == ' '))
			return "(not shown)";
	}
	return s;
}

static int
conf_isws(int c)
{
	return c == ' ' || c == '\t';
}

static char *
conf_trim(char *s)
{
	size_t		 n;

	while (conf_isws((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && conf_isws((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/*
 * The text after '=', without a trailing comment.  A '#' starts a
 * comment only after whitespace, so that a value may contain '#' itself.
 */
static char *
conf_value(char *s)
{
	char		*p;

	for (p = s; *p != '\0'; p++) {
		if (*p == '#' && p > s && conf_isws((unsigned char)p[-1])) {
			*p = '\0';
			break;
		}
	}
	return conf_trim(s);
}

/* A tier name: [A-Za-z0-9_.-]{1,LH_NAME_MAX}. */
static int
conf_name_ok(const char *s)
{
	size_t		 i, n;

	n = strlen(s);
	if (n == 0 || n > LH_NAME_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '_' || s[i] == '.' || s[i] == '-'))
			return 0;
	return 1;
}

/*
 * A decimal number in [min, max], digits only: no sign, no spaces, no
 * hex or octal prefixes, which strtoll alone would accept.
 */
static enum lh_err
conf_int(struct conf_state *st, const char *s, long long min, long long max,
    long long *out)
{
	char		*end;
	long long	 v;
	size_t		 i;

	*out = 0;
	if (*s == '\0')
		return conf_err(st, "must be a number from %lld to %lld",
		    min, max);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] < '0' || s[i] > '9')
			return conf_err(st, "must be a number from %lld to "
			    "%lld (digits only)", min, max);
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno == ERANGE || *end != '\0' || v < min || v > max)
		return conf_err(st, "must be a number from %lld to %lld",
		    min, max);
	*out = v;
	return LH_OK;
}

/*
 * A duration: digits, then at most one unit letter s, m, h or d (none
 * means seconds), with nothing between or after them.  From min to
 * CONF_DURATION_MAX seconds; the digit count is capped first so that
 * neither strtol nor the multiplication can overflow.
 */
static enum lh_err
conf_duration(struct conf_state *st, const char *s, long min, long *out)
{
	static const char units[] = "smhd";
	static const long mul[] = { 1, 60, 3600, CONF_DAY };
	const char	*u;
	size_t		 i, n;
	long long	 v;

	*out = 0;
	n = strlen(s);
	u = NULL;
	if (n > 0 && s[n - 1] >= 'a' && s[n - 1] <= 'z') {
		if ((u = strchr(units, s[n - 1])) == NULL)
			goto bad;
		n--;
	}
	if (n == 0 || n > CONF_DURATION_DIGITS)
		goto bad;
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			goto bad;
	/* At most 9 digits times a day fits 64 bits; long may be 32. */
	v = strtoll(s, NULL, 10) * mul[u != NULL ? u - units : 0];
	if (v < min || v > CONF_DURATION_MAX)
		goto bad;
	*out = (long)v;
	return LH_OK;
 bad:
	return conf_err(st, "must be a duration from %ld%s to 366d: a "
	    "number with an optional unit s, m, h or d", min,
	    min > 0 ? "s" : "");
}

/* An enumerated policy: one of two words. */
static enum lh_err
conf_policy(struct conf_state *st, const char *val, const char *w1,
    enum lh_policy p1, const char *w2, enum lh_policy p2,
    enum lh_policy *out)
{
	if (strcmp(val, w1) == 0)
		*out = p1;
	else if (strcmp(val, w2) == 0)
		*out = p2;
	else
		return conf_err(st, "must be %s or %s", w1, w2);
	return LH_OK;
}

static enum lh_err
set_database(struct conf_state *st, char *val)
{
	/* The responder and licensectl run from different directories. */
	if (val[0] != '/')
		return conf_err(st, "must be an absolute path");
	if ((st->conf->database = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/*
 * The license API's rate counters and usage log: a file of their own, so
 * that validations never write the database (see licensehook.conf(5)).
 */
static enum lh_err
set_usage_database(struct conf_state *st, char *val)
{
	if (val[0] != '/')
		return conf_err(st, "must be an absolute path");
	if ((st->conf->usage_database = strdup(val)) == NULL)
		return conf_nomem(st);
	st->usage_line = st->lineno;
	return LH_OK;
}

static enum lh_err
set_mode(struct conf_state *st, char *val)
{
	if (strcmp(val, "test") == 0)
		st->conf->mode = LH_MODE_TEST;
	else if (strcmp(val, "live") == 0)
		st->conf->mode = LH_MODE_LIVE;
	else
		return conf_err(st, "must be test or live");
	return LH_OK;
}

static enum lh_err
set_body_limit(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 1, LH_BODY_MAX_LIMIT, &v)) != LH_OK)
		return r;
	st->conf->body_max = (size_t)v;
	return LH_OK;
}

static enum lh_err
set_log(struct conf_state *st, char *val)
{
	if (strcmp(val, "stderr") == 0)
		st->conf->log_target = LH_LOG_STDERR;
	else if (strcmp(val, "syslog") == 0)
		st->conf->log_target = LH_LOG_SYSLOG;
	else if (val[0] == '/') {
		if ((st->conf->log_file = strdup(val)) == NULL)
			return conf_nomem(st);
		st->conf->log_target = LH_LOG_FILE;
	} else
		return conf_err(st, "must be stderr, syslog or an absolute "
		    "file path");
	return LH_OK;
}

static enum lh_err
set_busy_timeout(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 0, CONF_BUSY_TIMEOUT_MAX, &v)) != LH_OK)
		return r;
	st->conf->busy_timeout = (int)v;
	return LH_OK;
}

/*
 * Stripe signing secrets look like "whsec_" and base64 (Stripe docs,
 * "Check the webhook signatures").  No message below quotes the value.
 */
static enum lh_err
set_secret(struct conf_state *st, char *val)
{
	struct lh_conf	*conf = st->conf;
	size_t		 i, n, plen = sizeof(CONF_WHSEC) - 1;

	if (conf->nstripe_secrets >= LH_SECRETS_MAX)
		return conf_err(st, "more than %d secrets", LH_SECRETS_MAX);
	n = strlen(val);
	if (n < plen || strncmp(val, CONF_WHSEC, plen) != 0)
		return conf_err(st, "must start with " CONF_WHSEC);
	if (n == plen)
		return conf_err(st, "nothing after " CONF_WHSEC);
	if (n > LH_SECRET_MAX)
		return conf_err(st, "longer than %d bytes", LH_SECRET_MAX);
	for (i = 0; i < n; i++)
		if (val[i] <= ' ' || val[i] > '~')
			return conf_err(st, "must be printable ASCII without "
			    "spaces");
	if ((conf->stripe_secrets[conf->nstripe_secrets] = strdup(val)) ==
	    NULL)
		return conf_nomem(st);
	conf->nstripe_secrets++;
	return LH_OK;
}

static enum lh_err
set_tolerance(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 1, LH_TOLERANCE_MAX, &v)) != LH_OK)
		return r;
	st->conf->tolerance = (long)v;
	return LH_OK;
}

static enum lh_err
set_prefix(struct conf_state *st, char *val)
{
	struct lh_keyfmt *kf = &st->conf->keyfmt;
	size_t		 i, n;

	n = strlen(val);
	if (n > LH_KEY_PREFIX_MAX)
		return conf_err(st, "longer than %d characters",
		    LH_KEY_PREFIX_MAX);
	for (i = 0; i < n; i++) {
		if (val[i] >= 'a' && val[i] <= 'z')
			kf->prefix[i] = (char)(val[i] - 'a' + 'A');
		else if ((val[i] >= 'A' && val[i] <= 'Z') ||
		    (val[i] >= '0' && val[i] <= '9'))
			kf->prefix[i] = val[i];
		else
			return conf_err(st, "only letters A-Z and digits "
			    "0-9 allowed");
	}
	kf->prefix[n] = '\0';
	return LH_OK;
}

static enum lh_err
set_groups(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 1, LH_KEY_GROUPS_MAX, &v)) != LH_OK)
		return r;
	st->conf->keyfmt.groups = (int)v;
	return LH_OK;
}

static enum lh_err
set_group_len(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 1, LH_KEY_GROUP_LEN_MAX, &v)) != LH_OK)
		return r;
	st->conf->keyfmt.group_len = (int)v;
	return LH_OK;
}

/* Resolved in conf_check(): the tier may be defined further down. */
static enum lh_err
set_default(struct conf_state *st, char *val)
{
	if (!conf_name_ok(val))
		return conf_err(st, "not a tier name (1 to %d of A-Z a-z "
		    "0-9 _ . -)", LH_NAME_MAX);
	if ((st->conf->default_tier = strdup(val)) == NULL)
		return conf_nomem(st);
	st->default_line = st->lineno;
	return LH_OK;
}

static enum lh_err
set_prices(struct conf_state *st, char *val)
{
	struct lh_conf	*conf = st->conf;
	struct lh_tier	*t = st->tier;
	const struct lh_tier *other;
	char		*p, *id;
	size_t		 i, n;

	if (*val == '\0')
		return conf_err(st, "no price ids (leave the key out instead)");
	while (val != NULL) {
		if ((p = strchr(val, ',')) != NULL)
			*p++ = '\0';
		id = conf_trim(val);
		val = p;
		n = strlen(id);
		if (n == 0)
			return conf_err(st, "empty price id in the list");
		/* event.c keeps no longer field, so it could never match. */
		if (n > LH_FIELD_MAX)
			return conf_err(st, "price id longer than %d bytes",
			    LH_FIELD_MAX);
		for (i = 0; i < n; i++)
			if (id[i] <= ' ' || id[i] > '~')
				return conf_err(st, "price id '%s' must be "
				    "printable ASCII without spaces",
				    conf_echo(id, CONF_ECHO_MAX));
		for (i = 0; i < t->nprices; i++)
			if (strcasecmp(t->prices[i], id) == 0)
				return conf_err(st, "price id '%s' listed "
				    "twice", conf_echo(id, LH_FIELD_MAX));
		/* One purchase, one tier: a shared price would be a guess. */
		if ((other = conf_tier_by_price(conf, id)) != NULL)
			return conf_err(st, "price id '%s' is already in "
			    "tier '%s'", conf_echo(id, LH_FIELD_MAX),
			    conf_echo(other->name, LH_NAME_MAX));
		if (t->nprices >= LH_TIER_PRICES_MAX)
			return conf_err(st, "more than %d price ids",
			    LH_TIER_PRICES_MAX);
		if ((t->prices[t->nprices] = strdup(id)) == NULL)
			return conf_nomem(st);
		t->nprices++;
	}
	st->prices_line[t - conf->tiers] = st->lineno;
	return LH_OK;
}

static enum lh_err
set_max_act(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 0, CONF_ACTIVATIONS_MAX, &v)) != LH_OK)
		return r;
	st->tier->max_activations = (int)v;
	return LH_OK;
}

static enum lh_err
set_features(struct conf_state *st, char *val)
{
	char		*s;

	if ((s = strdup(val)) == NULL)
		return conf_nomem(st);
	free(st->tier->features);
	st->tier->features = s;
	return LH_OK;
}

static enum lh_err
set_rank(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 0, CONF_RANK_MAX, &v)) != LH_OK)
		return r;
	st->tier->rank = (int)v;
	return LH_OK;
}

static enum lh_err
set_expiry_slack(struct conf_state *st, char *val)
{
	return conf_duration(st, val, 0, &st->conf->life.expiry_slack);
}

/* The order of the three steps is checked in conf_check_life(). */
static enum lh_err
conf_grace_set(struct conf_state *st, enum conf_grace g, const char *val)
{
	struct lh_lifecycle *life = &st->conf->life;
	long		*dst;

	if (g == GRACE_REMINDER)
		dst = &life->grace_reminder;
	else if (g == GRACE_FREE)
		dst = &life->grace_free;
	else
		dst = &life->grace_suspend;
	st->grace_line[g] = st->lineno;
	return conf_duration(st, val, 0, dst);
}

static enum lh_err
set_grace_reminder(struct conf_state *st, char *val)
{
	return conf_grace_set(st, GRACE_REMINDER, val);
}

static enum lh_err
set_grace_free(struct conf_state *st, char *val)
{
	return conf_grace_set(st, GRACE_FREE, val);
}

static enum lh_err
set_grace_suspend(struct conf_state *st, char *val)
{
	return conf_grace_set(st, GRACE_SUSPEND, val);
}

/* Resolved in conf_check_life(), like tiers.default. */
static enum lh_err
set_free_tier(struct conf_state *st, char *val)
{
	if (!conf_name_ok(val))
		return conf_err(st, "not a tier name (1 to %d of A-Z a-z "
		    "0-9 _ . -)", LH_NAME_MAX);
	if ((st->conf->life.free_tier = strdup(val)) == NULL)
		return conf_nomem(st);
	st->free_tier_line = st->lineno;
	return LH_OK;
}

static enum lh_err
set_on_cancel(struct conf_state *st, char *val)
{
	st->on_cancel_line = st->lineno;
	return conf_policy(st, val, "revoke", LH_POL_REVOKE, "free_tier",
	    LH_POL_FREE_TIER, &st->conf->life.on_cancel);
}

static enum lh_err
set_on_refund(struct conf_state *st, char *val)
{
	return conf_policy(st, val, "revoke", LH_POL_REVOKE, "record",
	    LH_POL_RECORD, &st->conf->life.on_refund);
}

static enum lh_err
set_on_dispute_lost(struct conf_state *st, char *val)
{
	return conf_policy(st, val, "revoke", LH_POL_REVOKE, "record",
	    LH_POL_RECORD, &st->conf->life.on_dispute_lost);
}

/*
 * Where licensectl keys generate puts the signing keys and licensehook
 * reads them.  Absolute, as database is; trailing slashes are dropped so
 * that signkeys.c builds one path for one file.
 */
static enum lh_err
set_keys_dir(struct conf_state *st, char *val)
{
	size_t		 n;

	if (val[0] != '/')
		return conf_err(st, "must be an absolute path");
	n = strlen(val);
	if (n > CONF_KEYS_DIR_MAX)
		return conf_err(st, "longer than %d bytes", CONF_KEYS_DIR_MAX);
	while (n > 1 && val[n - 1] == '/')
		val[--n] = '\0';
	if ((st->conf->api.keys_dir = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/* An offline token must be good for some time: 0 would never verify. */
static enum lh_err
set_token_ttl(struct conf_state *st, char *val)
{
	return conf_duration(st, val, 1, &st->conf->api.token_ttl);
}

/*
 * A comma-separated list of license_status_name() words, at least one,
 * each once.  Case matters, as for every other word in the file.
 */
static enum lh_err
set_allowed(struct conf_state *st, char *val)
{
	char		*p, *name;
	unsigned	 bits = 0;
	size_t		 i;

	if (*val == '\0')
		return conf_err(st, "no statuses (leave the key out for the "
		    "default)");
	while (val != NULL) {
		if ((p = strchr(val, ',')) != NULL)
			*p++ = '\0';
		name = conf_trim(val);
		val = p;
		if (*name == '\0')
			return conf_err(st, "empty status in the list");
		for (i = 0; i < nitems(conf_status_names); i++)
			if (strcmp(name, conf_status_names[i]) == 0)
				break;
		if (i == nitems(conf_status_names))
			return conf_err(st, "unknown status '%s' (one of "
			    "active, trialing, grace, suspended, expired, "
			    "revoked)", conf_echo(name, CONF_ECHO_MAX));
		if (bits & LH_ALLOW(i))
			return conf_err(st, "status '%s' listed twice",
			    conf_status_names[i]);
		bits |= LH_ALLOW(i);
	}
	st->conf->api.allowed = bits;
	return LH_OK;
}

static enum lh_err
set_rate_address(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 0, CONF_RATE_MAX, &v)) != LH_OK)
		return r;
	st->conf->api.rate_address = (int)v;
	return LH_OK;
}

static enum lh_err
set_rate_key(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 0, CONF_RATE_MAX, &v)) != LH_OK)
		return r;
	st->conf->api.rate_key = (int)v;
	return LH_OK;
}

/* Text kept for a message: at most CONF_MAIL_TEXT_MAX bytes, not empty. */
static enum lh_err
conf_mail_text(struct conf_state *st, const char *val, char **dst)
{
	if (*val == '\0')
		return conf_err(st, "empty (leave the key out instead)");
	if (strlen(val) > CONF_MAIL_TEXT_MAX)
		return conf_err(st, "longer than %d bytes", CONF_MAIL_TEXT_MAX);
	if ((*dst = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/*
 * A display name that can stand in a From header as it is (RFC 5322
 * section 3.2.5, phrase): words of atext, blanks and dots (obs-phrase),
 * or one quoted-string without quotes or backslashes inside.  Printable
 * ASCII only: mailfmt_render() writes the operator's From unencoded.
 */
static int
conf_phrase_ok(const char *s, size_t n)
{
	size_t		 i;

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		for (i = 1; i + 1 < n; i++)
			if (s[i] < ' ' || s[i] > '~' || s[i] == '"' ||
			    s[i] == '\\')
				return 0;
		return 1;
	}
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') ||
		    (s[i] != '\0' && strchr("!#$%&'*+-/=?^_`{|}~. \t",
		    s[i]) != NULL)))
			return 0;
	return 1;
}

/*
 * "Display Name <addr@example.com>" or a bare "addr@example.com".  The
 * address must be one mailfmt_addr_valid() accepts, since it becomes the
 * From header and the domain of every Message-ID.  conf_line() already
 * refused CR, LF and other control bytes.
 */
static enum lh_err
set_mail_from(struct conf_state *st, char *val)
{
	char		*lt, addr[LH_ADDR_SPEC_MAX + 1];
	size_t		 n, i;

	n = strlen(val);
	if (n == 0)
		return conf_err(st, "empty (leave the key out to turn mail "
		    "off)");
	if (n > CONF_MAIL_TEXT_MAX)
		return conf_err(st, "longer than %d bytes", CONF_MAIL_TEXT_MAX);
	/* The last '<': a quoted name may hold one. */
	if ((lt = strrchr(val, '<')) != NULL) {
		if (val[n - 1] != '>')
			return conf_err(st, "must be an address, or a name "
			    "and <address>");
		for (i = (size_t)(lt - val); i > 0 && conf_isws(val[i - 1]);
		    i--)
			continue;
		if (!conf_phrase_ok(val, i))
			return conf_err(st, "the name before <address> must "
			    "be ASCII letters, digits, blanks and "
			    "!#$%%&'*+-/=?^_`{|}~. or be in double quotes");
		n = (size_t)(val + n - 1 - (lt + 1));
		if (n > LH_ADDR_SPEC_MAX || memchr(lt + 1, '>', n) != NULL)
			return conf_err(st, "must be an address, or a name "
			    "and <address>");
		memcpy(addr, lt + 1, n);
		addr[n] = '\0';
	} else {
		if (n > LH_ADDR_SPEC_MAX || strchr(val, '>') != NULL)
			return conf_err(st, "must be an address, or a name "
			    "and <address>");
		memcpy(addr, val, n + 1);
	}
	if (!mailfmt_addr_valid(addr))
		return conf_err(st, "'%s' is not an address licensehook "
		    "mails from (user@example.com)",
		    conf_echo(addr, CONF_ECHO_MAX));
	if ((st->conf->mail.from = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

static enum lh_err
set_vendor_name(struct conf_state *st, char *val)
{
	return conf_mail_text(st, val, &st->conf->mail.vendor_name);
}

static enum lh_err
set_support_email(struct conf_state *st, char *val)
{
	if (!mailfmt_addr_valid(val))
		return conf_err(st, "not an email address (user@example.com)");
	if ((st->conf->mail.support_email = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/* A link customers are sent: http(s), printable ASCII, no spaces. */
static enum lh_err
set_portal_url(struct conf_state *st, char *val)
{
	size_t		 i, n;

	n = strlen(val);
	if (strncmp(val, "https://", 8) != 0 && strncmp(val, "http://", 7) != 0)
		return conf_err(st, "must start with https:// or http://");
	if (n > CONF_MAIL_URL_MAX)
		return conf_err(st, "longer than %d bytes", CONF_MAIL_URL_MAX);
	for (i = 0; i < n; i++)
		if (val[i] <= ' ' || val[i] > '~')
			return conf_err(st, "must be printable ASCII without "
			    "spaces");
	if ((st->conf->mail.portal_url = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/*
 * A command line mail.c splits at blanks and runs without a shell, so
 * there is nothing to quote: the first word an absolute path, at most
 * CONF_SENDMAIL_ARGS_MAX words.
 */
static enum lh_err
set_sendmail(struct conf_state *st, char *val)
{
	size_t		 i, words = 0;

	if (val[0] != '/')
		return conf_err(st, "must start with the command's absolute "
		    "path");
	if (strlen(val) > CONF_SENDMAIL_MAX)
		return conf_err(st, "longer than %d bytes", CONF_SENDMAIL_MAX);
	for (i = 0; val[i] != '\0'; i++)
		if (!conf_isws((unsigned char)val[i]) &&
		    (i == 0 || conf_isws((unsigned char)val[i - 1])))
			words++;
	if (words > CONF_SENDMAIL_ARGS_MAX)
		return conf_err(st, "more than %d words",
		    CONF_SENDMAIL_ARGS_MAX);
	free(st->conf->mail.sendmail);
	if ((st->conf->mail.sendmail = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/* Absolute, as database is; trailing slashes are dropped. */
static enum lh_err
set_templates_dir(struct conf_state *st, char *val)
{
	size_t		 n;

	if (val[0] != '/')
		return conf_err(st, "must be an absolute path");
	n = strlen(val);
	if (n > CONF_TEMPLATES_DIR_MAX)
		return conf_err(st, "longer than %d bytes",
		    CONF_TEMPLATES_DIR_MAX);
	while (n > 1 && val[n - 1] == '/')
		val[--n] = '\0';
	if ((st->conf->mail.templates_dir = strdup(val)) == NULL)
		return conf_nomem(st);
	return LH_OK;
}

/* 0: no notice before an expiry. */
static enum lh_err
set_expiry_notice(struct conf_state *st, char *val)
{
	return conf_duration(st, val, 0, &st->conf->mail.expiry_notice);
}

static enum lh_err
set_deliver_after(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 0, CONF_DELIVER_AFTER_MAX, &v)) != LH_OK)
		return r;
	st->conf->mail.deliver_after = (int)v;
	return LH_OK;
}

static enum lh_err
set_mail_timeout(struct conf_state *st, char *val)
{
	long long	 v;
	enum lh_err	 r;

	if ((r = conf_int(st, val, 1, CONF_MAIL_TIMEOUT_MAX, &v)) != LH_OK)
		return r;
	st->conf->mail.timeout = (int)v;
	return LH_OK;
}

static enum lh_err
conf_tier_new(struct conf_state *st, char *name)
{
	struct lh_conf	*conf = st->conf;
	struct lh_tier	*t;
	size_t		 i;

	if (*name == '\0')
		return conf_err(st, "tier section without a name: "
		    "[tier NAME]");
	if (!conf_name_ok(name))
		return conf_err(st, "tier name '%s' must be 1 to %d of "
		    "A-Z a-z 0-9 _ . -", conf_echo(name, CONF_ECHO_MAX),
		    LH_NAME_MAX);
	/* Lookups ignore case, so "Pro" and "pro" would be one tier. */
	if (conf_tier_by_name(conf, name) != NULL)
		return conf_err(st, "duplicate tier '%s'",
		    conf_echo(name, LH_NAME_MAX));
	if (conf->ntiers >= LH_TIERS_MAX)
		return conf_err(st, "more than %d tiers", LH_TIERS_MAX);
	t = &conf->tiers[conf->ntiers];
	if ((t->name = strdup(name)) == NULL ||
	    (t->features = strdup("")) == NULL) {
		free(t->name);
		t->name = NULL;
		return conf_nomem(st);
	}
	/* Later in the file ranks higher unless rank says otherwise. */
	t->rank = (int)conf->ntiers;
	conf->ntiers++;
	st->tier = t;
	for (i = 0; i < nitems(conf_keys); i++)
		if (conf_keys[i].sect == SECT_TIER)
			st->key_seen[i] = 0;
	return LH_OK;
}

static enum lh_err
conf_section(struct conf_state *st, char *s)
{
	char		*close, *rest, *name;
	int		 i;

	if ((close = strchr(s, ']')) == NULL)
		return conf_err(st, "section header without ']'");
	*close = '\0';
	rest = close + 1;
	if (*rest != '\0') {
		while (conf_isws((unsigned char)*rest))
			rest++;
		if (rest == close + 1 || *rest != '#')
			return conf_err(st, "text after section header");
	}
	name = conf_trim(s + 1);
	st->tier = NULL;
	if (strncmp(name, "tier", 4) == 0 &&
	    (name[4] == '\0' || conf_isws((unsigned char)name[4]))) {
		st->sect = SECT_TIER;
		return conf_tier_new(st, conf_trim(name + 4));
	}
	for (i = SECT_NONE + 1; i < SECT_TIER; i++) {
		if (strcmp(name, conf_sect_names[i]) != 0)
			continue;
		if (st->sect_seen[i])
			return conf_err(st, "section [%s] appears twice",
			    conf_sect_names[i]);
		st->sect_seen[i] = 1;
		st->sect = (enum conf_sect)i;
		return LH_OK;
	}
	return conf_err(st, "unknown section [%s]",
	    conf_echo(name, CONF_ECHO_MAX));
}

static enum lh_err
conf_line(struct conf_state *st, char *line, size_t len)
{
	char		*s, *eq, *key, *val;
	size_t		 i;
	unsigned char	 c;
	enum lh_err	 r;

	for (i = 0; i < len; i++) {
		c = (unsigned char)line[i];
		if ((c < ' ' && c != '\t') || c == 0x7f)
			return conf_err(st, "control character 0x%02x in "
			    "column %zu", c, i + 1);
	}
	s = conf_trim(line);
	if (*s == '\0' || *s == '#' || *s == ';')
		return LH_OK;
	if (*s == '[')
		return conf_section(st, s);
	/* The first '=': base64 secrets may end in '='. */
	if ((eq = strchr(s, '=')) == NULL)
		return conf_err(st, "expected 'key = value' or '[section]'");
	*eq = '\0';
	key = conf_trim(s);
	val = conf_value(eq + 1);
	if (*key == '\0')
		return conf_err(st, "no key before '='");
	if (st->sect == SECT_NONE)
		return conf_err(st, "key '%s' outside any section",
		    conf_echo(key, CONF_ECHO_MAX));
	for (i = 0; i < nitems(conf_keys); i++)
		if (conf_keys[i].sect == st->sect &&
		    strcmp(conf_keys[i].name, key) == 0)
			break;
	if (i == nitems(conf_keys)) {
		if (st->sect == SECT_TIER)
			return conf_err(st, "unknown key '%s' in [tier %s]",
			    conf_echo(key, CONF_ECHO_MAX),
			    conf_echo(st->tier->name, LH_NAME_MAX));
		return conf_err(st, "unknown key '%s' in [%s]",
		    conf_echo(key, CONF_ECHO_MAX), conf_sect_names[st->sect]);
	}
	st->key = &conf_keys[i];
	if (st->key_seen[i] && !conf_keys[i].repeat)
		r = conf_err(st, "duplicate key");
	else
		r = conf_keys[i].set(st, val);
	st->key_seen[i] = 1;
	st->key = NULL;
	return r;
}

/*
 * [lifecycle] rules that need the whole file: the free tier exists, a
 * policy that needs it has it, and the grace steps come in order.
 */
static enum lh_err
conf_check_life(struct conf_state *st)
{
	static const char *const gname[GRACE__COUNT] = {
		"grace_reminder", "grace_free_tier", "grace_suspend"
	};
	struct lh_lifecycle *life = &st->conf->life;
	const struct lh_tier *t;
	long		 g[GRACE__COUNT];
	char		*name;
	int		 i;

	if (life->free_tier != NULL) {
		st->lineno = st->free_tier_line;
		if ((t = conf_tier_by_name(st->conf, life->free_tier)) == NULL)
			return conf_err(st, "lifecycle.free_tier: no [tier %s] "
			    "section", conf_echo(life->free_tier,
			    LH_NAME_MAX));
		if ((name = strdup(t->name)) == NULL)
			return conf_nomem(st);
		free(life->free_tier);
		life->free_tier = name;
	} else if (life->on_cancel == LH_POL_FREE_TIER) {
		st->lineno = st->on_cancel_line;
		return conf_err(st, "lifecycle.on_cancel: free_tier needs "
		    "lifecycle.free_tier");
	}
	g[GRACE_REMINDER] = life->grace_reminder;
	g[GRACE_FREE] = life->grace_free;
	g[GRACE_SUSPEND] = life->grace_suspend;
	for (i = 0; i + 1 < GRACE__COUNT; i++) {
		if (g[i] <= g[i + 1])
			continue;
		/* The later of the two lines; 0 if both are defaults. */
		st->lineno = st->grace_line[i] > st->grace_line[i + 1] ?
		    st->grace_line[i] : st->grace_line[i + 1];
		return conf_err(st, "lifecycle.%s, lifecycle.%s: %ld s is "
		    "more than %ld s; grace_reminder <= grace_free_tier <= "
		    "grace_suspend", gname[i], gname[i + 1], g[i], g[i + 1]);
	}
	st->lineno = 0;
	return LH_OK;
}

/* Rules that need the whole file. */
static enum lh_err
conf_check(struct conf_state *st)
{
	struct lh_conf	*conf = st->conf;
	const struct lh_tier *t, *named;
	char		*name;
	size_t		 i, j, n;
	int		 bits;

	st->lineno = 0;
	if (conf->database == NULL)
		return conf_err(st, "licensehook.database: required");
	if (conf->usage_database == NULL) {
		n = strlen(conf->database) + sizeof(CONF_USAGE_SUFFIX);
		if ((conf->usage_database = malloc(n)) == NULL)
			return conf_nomem(st);
		snprintf(conf->usage_database, n, "%s%s", conf->database,
		    CONF_USAGE_SUFFIX);
	} else if (strcmp(conf->usage_database, conf->database) == 0) {
		st->lineno = st->usage_line;
		return conf_err(st, "licensehook.usage_database: must not be "
		    "the database itself");
	}
	if (conf->nstripe_secrets == 0)
		return conf_err(st, "stripe.webhook_secret: required");
	bits = conf->keyfmt.groups * conf->keyfmt.group_len * CONF_SYMBOL_BITS;
	if (bits < LH_KEY_BITS_MIN)
		return conf_err(st, "keys.groups, keys.group_length: %d groups "
		    "of %d symbols carry %d bits, fewer than %d",
		    conf->keyfmt.groups, conf->keyfmt.group_len, bits,
		    LH_KEY_BITS_MIN);
	if (conf->default_tier != NULL) {
		st->lineno = st->default_line;
		if ((t = conf_tier_by_name(conf, conf->default_tier)) == NULL)
			return conf_err(st, "tiers.default: no [tier %s] "
			    "section", conf_echo(conf->default_tier,
			    LH_NAME_MAX));
		/* Callers get the name as the tier section spells it. */
		if ((name = strdup(t->name)) == NULL)
			return conf_nomem(st);
		free(conf->default_tier);
		conf->default_tier = name;
	}
	/*
	 * A Checkout Session's metadata plan is matched against tier names
	 * and price ids alike, so one string must not mean two tiers.
	 */
	for (i = 0; i < conf->ntiers; i++) {
		t = &conf->tiers[i];
		for (j = 0; j < t->nprices; j++) {
			named = conf_tier_by_name(conf, t->prices[j]);
			if (named == NULL || named == t)
				continue;
			st->lineno = st->prices_line[i];
			return conf_err(st, "tier.%s.prices: '%s' is also the "
			    "name of tier '%s'",
			    conf_echo(t->name, LH_NAME_MAX),
			    conf_echo(t->prices[j], LH_FIELD_MAX),
			    conf_echo(named->name, LH_NAME_MAX));
		}
	}
	return conf_check_life(st);
}

/* Every default licensehook.conf(5) promises, in one place. */
static void
conf_defaults(struct lh_conf *conf)
{
	conf->mode = LH_MODE_TEST;
	conf->body_max = LH_BODY_MAX_DEFAULT;
	conf->tolerance = LH_TOLERANCE_DEFAULT;
	memcpy(conf->keyfmt.prefix, "LH", sizeof("LH"));
	conf->keyfmt.groups = 4;
	conf->keyfmt.group_len = 4;
	conf->log_target = LH_LOG_STDERR;
	conf->busy_timeout = LH_BUSY_TIMEOUT_DEFAULT;
	conf->life.expiry_slack = CONF_DAY;
	conf->life.grace_reminder = 3 * CONF_DAY;
	conf->life.grace_free = 7 * CONF_DAY;
	conf->life.grace_suspend = 14 * CONF_DAY;
	conf->life.free_tier = NULL;
	conf->life.on_cancel = LH_POL_REVOKE;
	conf->life.on_refund = LH_POL_REVOKE;
	conf->life.on_dispute_lost = LH_POL_REVOKE;
	conf->api.keys_dir = NULL;
	conf->api.token_ttl = 7 * CONF_DAY;
	conf->api.allowed = LH_ALLOW(LH_LIC_ACTIVE) |
	    LH_ALLOW(LH_LIC_TRIALING) | LH_ALLOW(LH_LIC_GRACE);
	conf->api.rate_address = 120;
	conf->api.rate_key = 60;
	conf->mail.from = NULL;
	conf->mail.templates_dir = NULL;
	conf->mail.expiry_notice = 7 * CONF_DAY;
	conf->mail.deliver_after = 3;
	conf->mail.timeout = 30;
}

enum lh_err
conf_parse(const char *text, size_t len, struct lh_conf **out, char *errbuf,
    size_t errlen)
{
	struct conf_state st;
	struct lh_conf	*conf = NULL;
	char		 line[LH_CONF_LINE_MAX + 1];
	const char	*p, *end, *nl, *nul;
	size_t		 n;
	enum lh_err	 r = LH_ERR_INTERNAL;

	memset(&st, 0, sizeof(st));
	st.errbuf = errbuf;
	st.errlen = errlen;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (out != NULL)
		*out = NULL;
	if (out == NULL || (text == NULL && len > 0)) {
		(void)conf_err(&st, "conf_parse: bad arguments");
		goto out;
	}
	if (text == NULL)
		text = "";
	if (len > LH_CONF_MAX) {
		r = conf_err(&st, "configuration is %zu bytes, more than %d",
		    len, LH_CONF_MAX);
		goto out;
	}
	/* Before any line: a NUL means this is not the text we expect. */
	if ((nul = memchr(text, '\0', len)) != NULL) {
		st.lineno = 1;
		for (p = text; p < nul; p++)
			if (*p == '\n')
				st.lineno++;
		r = conf_err(&st, "NUL byte in configuration text");
		goto out;
	}
	if ((conf = calloc(1, sizeof(*conf))) == NULL) {
		r = conf_nomem(&st);
		goto out;
	}
	conf_defaults(conf);
	st.conf = conf;
	/* The one default that is a string: set_sendmail() replaces it. */
	if ((conf->mail.sendmail = strdup(CONF_SENDMAIL_DEFAULT)) == NULL) {
		r = conf_nomem(&st);
		goto out;
	}

	p = text;
	end = text + len;
	/* Some Windows editors start UTF-8 files with a byte order mark. */
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		p += 3;
	while (p < end) {
		st.lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > LH_CONF_LINE_MAX) {
			r = conf_err(&st, "longer than %d bytes",
			    LH_CONF_LINE_MAX);
			goto out;
		}
		memcpy(line, p, n);
		line[n] = '\0';
		p = nl != NULL ? nl + 1 : end;
		if ((r = conf_line(&st, line, n)) != LH_OK)
			goto out;
	}
	if ((r = conf_check(&st)) != LH_OK)
		goto out;

	*out = conf;
	conf = NULL;	/* transferred */
	r = LH_OK;
 out:
	/* The line buffer held secrets. */
	explicit_bzero(line, sizeof(line));
	conf_free(conf);
	return r;
}

static void
conf_secret_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

void
conf_free(struct lh_conf *conf)
{
	struct lh_tier	*t;
	size_t		 i, j;

	if (conf == NULL)
		return;
	free(conf->database);
	free(conf->usage_database);
	for (i = 0; i < LH_SECRETS_MAX; i++)
		conf_secret_free(conf->stripe_secrets[i]);
	for (i = 0; i < conf->ntiers; i++) {
		t = &conf->tiers[i];
		free(t->name);
		for (j = 0; j < t->nprices; j++)
			free(t->prices[j]);
		free(t->features);
	}
	free(conf->default_tier);
	free(conf->log_file);
	free(conf->life.free_tier);
	free(conf->api.keys_dir);
	free(conf->mail.from);
	free(conf->mail.vendor_name);
	free(conf->mail.support_email);
	free(conf->mail.portal_url);
	free(conf->mail.sendmail);
	free(conf->mail.templates_dir);
	explicit_bzero(conf, sizeof(*conf));
	free(conf);
}

const struct lh_tier *
conf_tier_by_name(const struct lh_conf *conf, const char *name)
{
	size_t		 i;

	if (conf == NULL || name == NULL)
		return NULL;
	for (i = 0; i < conf->ntiers; i++)
		if (strcasecmp(conf->tiers[i].name, name) == 0)
			return &conf->tiers[i];
	return NULL;
}

const struct lh_tier *
conf_tier_by_price(const struct lh_conf *conf, const char *price)
{
	const struct lh_tier *t;
	size_t		 i, j;

	if (conf == NULL || price == NULL)
		return NULL;
	for (i = 0; i < conf->ntiers; i++) {
		t = &conf->tiers[i];
		for (j = 0; j < t->nprices; j++)
			if (strcasecmp(t->prices[j], price) == 0)
				return t;
	}
	return NULL;
}
