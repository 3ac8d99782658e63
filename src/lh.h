/*
 * licensehook: shared types, limits and the core library's interface.
 *
 * Everything declared here links without SQLite or libfcgi: the core is
 * pure (no clock, no environment, no files, no randomness of its own), so
 * callers pass those in.  Unit tests and fuzz targets link only the core.
 */
#ifndef LH_H
#define LH_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Limits.  Every length that comes from outside is bounded by one of these. */
#define LH_BODY_MAX_DEFAULT	(1024 * 1024)	/* bytes, request body */
#define LH_BODY_MAX_LIMIT	(16 * 1024 * 1024) /* bytes, largest allowed body_limit */
#define LH_SIGHDR_MAX		4096	/* bytes, Stripe-Signature header */
#define LH_SIG_V1_MAX		16	/* v1= entries considered in one header */
#define LH_SECRETS_MAX		8	/* webhook secrets configured at once */
#define LH_SECRET_MAX		256	/* bytes, one webhook secret */
#define LH_TOLERANCE_DEFAULT	300	/* seconds, signature timestamp window */
#define LH_TOLERANCE_MAX	86400	/* seconds */
#define LH_FIELD_MAX		512	/* bytes, an id/email/name taken from an event */
#define LH_JSON_DEPTH_MAX	64	/* nesting levels accepted in a body */
#define LH_KEY_MAX		96	/* bytes, a formatted license key incl. NUL */
#define LH_KEY_PREFIX_MAX	16	/* bytes, key prefix */
#define LH_KEY_BITS_MIN		80	/* bits of entropy a key format must carry */
#define LH_KEY_GROUPS_MAX	8	/* groups in a key */
#define LH_KEY_GROUP_LEN_MAX	8	/* characters in a group */
#define LH_CONF_MAX		(256 * 1024) /* bytes, configuration file */
#define LH_CONF_LINE_MAX	1024	/* bytes, one configuration line */
#define LH_TIERS_MAX		64	/* tiers in a configuration */
#define LH_TIER_PRICES_MAX	32	/* price ids mapped to one tier */
#define LH_NAME_MAX		64	/* bytes, a tier name */
#define LH_PATH_MAX		1024	/* bytes, a request path we look at */
#define LH_BUSY_TIMEOUT_DEFAULT	5000	/* milliseconds, SQLite busy_timeout */

/* The alphabet keys are drawn from: 32 symbols, no 0/O or 1/I look-alikes. */
#define LH_KEY_ALPHABET		"23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

enum lh_err {
	LH_OK = 0,
	LH_ERR_INTERNAL,	/* a bug or an impossible state */
	LH_ERR_NOMEM,
	LH_ERR_METHOD,		/* 405: method not allowed on this route */
	LH_ERR_NOT_FOUND,	/* 404: no such route */
	LH_ERR_LENGTH_MISSING,	/* 411: no CONTENT_LENGTH */
	LH_ERR_LENGTH_BAD,	/* 400: CONTENT_LENGTH not a number */
	LH_ERR_BODY_TOO_LARGE,	/* 413: over the configured limit */
	LH_ERR_BODY_SHORT,	/* 400: fewer bytes arrived than declared */
	LH_ERR_SIG_MISSING,	/* 401: no Stripe-Signature header */
	LH_ERR_SIG_HEADER,	/* 400: header malformed (no t=, bad number) */
	LH_ERR_SIG_NO_V1,	/* 401: no v1= signature in the header */
	LH_ERR_SIG_MISMATCH,	/* 401: no v1= matched any secret */
	LH_ERR_SIG_STALE,	/* 401: timestamp older than the tolerance */
	LH_ERR_SIG_FUTURE,	/* 401: timestamp later than the tolerance */
	LH_ERR_JSON,		/* 400: body is not exactly one JSON object */
	LH_ERR_EVENT_FIELD,	/* 400: a field is missing, mistyped or too long */
	LH_ERR_TIER_UNKNOWN,	/* 500: no tier for the purchase, none default */
	LH_ERR_DB_BUSY,		/* 503: locked past busy_timeout */
	LH_ERR_DB_FULL,		/* 503: disk full */
	LH_ERR_DB_IO,		/* 503: I/O error */
	LH_ERR_DB_READONLY,	/* 503: database not writable */
	LH_ERR_DB_CORRUPT,	/* 503: database image malformed */
	LH_ERR_DB,		/* 503: any other storage failure */
	LH_ERR_KEYGEN,		/* 500: could not make a unique key */
	LH_ERR_CONF,		/* configuration invalid (start-up only) */
	LH_ERR__COUNT
};

/*
 * Short, stable, log- and JSON-safe text for an error ("bad_signature").
 * Never NULL.
 */
const char	*lh_err_code(enum lh_err);
/* A sentence for humans ("signature does not match").  Never NULL. */
const char	*lh_err_msg(enum lh_err);
/* The HTTP status that answers the error (LH_OK answers 200). */
int		 lh_err_http(enum lh_err);

/* ---- configuration (conf.c) ---------------------------------------- */

enum lh_mode {
	LH_MODE_TEST = 0,
	LH_MODE_LIVE
};

enum lh_log_target {
	LH_LOG_STDERR = 0,	/* the request's error stream (web server log) */
	LH_LOG_SYSLOG,
	LH_LOG_FILE		/* append to log_file */
};

struct lh_tier {
	char		*name;			/* as configured; matched case-insensitively */
	char		*prices[LH_TIER_PRICES_MAX];	/* Stripe price ids */
	size_t		 nprices;
	int		 max_activations;	/* 0 = unlimited */
	char		*features;		/* comma-separated, as configured */
};

struct lh_keyfmt {
	char		 prefix[LH_KEY_PREFIX_MAX + 1];	/* may be empty */
	int		 groups;
	int		 group_len;
};

struct lh_conf {
	char		*database;
	enum lh_mode	 mode;
	size_t		 body_max;			/* bytes */
	char		*stripe_secrets[LH_SECRETS_MAX];	/* whsec_... */
	size_t		 nstripe_secrets;
	long		 tolerance;			/* seconds */
	struct lh_keyfmt keyfmt;
	struct lh_tier	 tiers[LH_TIERS_MAX];
	size_t		 ntiers;
	char		*default_tier;			/* NULL: none */
	enum lh_log_target log_target;
	char		*log_file;			/* with LH_LOG_FILE */
	int		 busy_timeout;			/* milliseconds */
};

/*
 * Parse configuration text (not NUL-terminated, len bytes) into a new
 * struct lh_conf with defaults filled in.  On failure returns LH_ERR_CONF
 * and writes a one-line reason naming the line and key (never a secret's
 * value) to errbuf.  The caller frees *out with conf_free().
 */
enum lh_err	 conf_parse(const char *text, size_t len, struct lh_conf **out,
		    char *errbuf, size_t errlen);
void		 conf_free(struct lh_conf *);
/* The tier named name (case-insensitive), or NULL. Borrowed. */
const struct lh_tier *conf_tier_by_name(const struct lh_conf *, const char *name);
/* The tier a Stripe price id maps to (case-insensitive), or NULL. Borrowed. */
const struct lh_tier *conf_tier_by_price(const struct lh_conf *, const char *price);

/* ---- Stripe signatures (sig.c) ------------------------------------- */

/*
 * Verify a Stripe-Signature header over the raw body, as Stripe's own
 * libraries do: t=<unix time>, one or more v1=<hex HMAC-SHA256>, any v1
 * matching any secret passes.  The HMAC key is the whole secret string
 * (including "whsec_"), the message "<t>.<body>".  Unlike Stripe's
 * libraries, a timestamp more than tolerance seconds in the future fails
 * too.  header may be NULL (LH_ERR_SIG_MISSING).  On success *matched (if
 * not NULL) is the index of the secret that matched.
 */
enum lh_err	 sig_stripe_verify(const char *header, const void *body,
		    size_t bodylen, char *const *secrets, size_t nsecrets,
		    time_t now, long tolerance, size_t *matched);
/*
 * Compute the v1 signature (64 lowercase hex digits and NUL into hex[65])
 * for timestamp t and body under secret.  Used by tests and tools.
 */
enum lh_err	 sig_stripe_fmt(const char *secret, long long t,
		    const void *body, size_t bodylen, char hex[65]);

/* ---- events (event.c) ---------------------------------------------- */

enum lh_evt_type {
	LH_EVT_OTHER = 0,		/* recorded and ignored */
	LH_EVT_CHECKOUT_COMPLETED	/* checkout.session.completed */
};

/*
 * A provider event reduced to the fields licensehook uses.  Every string
 * is an owned copy (or NULL when absent / JSON null), at most
 * LH_FIELD_MAX bytes, without NUL bytes.
 */
struct lh_event {
	char		*id;		/* evt_... */
	char		*type_name;	/* "checkout.session.completed" */
	enum lh_evt_type type;
	long long	 created;	/* unix time */
	int		 livemode;	/* 0 or 1 */

	/* checkout.session.completed: data.object */
	char		*object_id;	/* cs_... */
	char		*mode;		/* payment | subscription | setup */
	char		*payment_status; /* paid | unpaid | no_payment_required */
	char		*customer_id;	/* cus_... */
	char		*email;		/* customer_details.email or customer_email */
	char		*name;		/* customer_details.name */
	char		*subscription_id; /* sub_... */
	char		*client_reference_id;
	char		*plan_hint;	/* metadata.plan, else metadata.tier */
};

/*
 * Parse a Stripe event body (len bytes, need not be NUL-terminated).  The
 * body must be exactly one JSON object, nested at most LH_JSON_DEPTH_MAX,
 * with id/type/created/livemode of the right types; fields of the types
 * licensehook acts on are type-checked too.  Returns LH_ERR_JSON or
 * LH_ERR_EVENT_FIELD on bad input.  The caller frees *out with
 * event_free().
 */
enum lh_err	 event_parse(const char *body, size_t len, struct lh_event **out);
void		 event_free(struct lh_event *);

/* ---- license decisions (license.c) --------------------------------- */

enum lh_action {
	LH_ACT_IGNORE = 0,	/* record the event, change nothing */
	LH_ACT_CREATE		/* create (or keep) the license for the purchase */
};

struct lh_decision {
	enum lh_action	 action;
	const char	*reason;	/* static text: why ignored, or "created" */
	const struct lh_tier *tier;	/* borrowed from the conf; with CREATE */
};

/*
 * Decide what an event does, given the configuration.  Pure: the result
 * depends only on the arguments.  Returns LH_ERR_TIER_UNKNOWN when a
 * purchase maps to no tier and no default tier is configured.
 */
enum lh_err	 license_decide(const struct lh_conf *, const struct lh_event *,
		    struct lh_decision *out);

/* ---- keys (keygen.c) ----------------------------------------------- */

/* Bytes of randomness keygen_fmt() consumes for a format. */
size_t		 keygen_random_len(const struct lh_keyfmt *);
/* Entropy a format carries, in bits. */
int		 keygen_bits(const struct lh_keyfmt *);
/*
 * Format a key ("PREFIX-XXXX-XXXX-XXXX-XXXX") from rnd, which holds
 * keygen_random_len() random bytes: each symbol takes 5 bits, so the
 * 32-symbol alphabet is drawn without modulo bias.  Writes a
 * NUL-terminated key into out (outlen >= LH_KEY_MAX).
 */
enum lh_err	 keygen_fmt(const struct lh_keyfmt *, const uint8_t *rnd,
		    size_t rndlen, char *out, size_t outlen);
/*
 * Check that a string has the shape of a key of this format (prefix,
 * group lengths, alphabet; case-insensitive).  Returns 1 or 0.
 */
int		 keygen_valid(const struct lh_keyfmt *, const char *key);
/* Write "PREFIX-XXXX-…-WXYZ" (all but the last group hidden) for logs. */
void		 keygen_mask(const char *key, char *out, size_t outlen);

/* ---- HTTP request shape (http.c) ----------------------------------- */

enum lh_route {
	LH_ROUTE_NONE = 0,
	LH_ROUTE_STRIPE_WEBHOOK
};

/*
 * Route a request path (without query string).  The route's path may sit
 * under any prefix the vhost mounts licensehook at.  Returns the route,
 * and in *allow the methods it accepts ("POST").
 */
enum lh_route	 http_route(const char *path, const char **allow);
/*
 * Parse CONTENT_LENGTH strictly: decimal digits only, no sign, no
 * spaces, at most max.  NULL or "" -> LH_ERR_LENGTH_MISSING; junk or
 * overflow -> LH_ERR_LENGTH_BAD; over max -> LH_ERR_BODY_TOO_LARGE.
 */
enum lh_err	 http_content_length(const char *s, size_t max, size_t *out);

#endif /* LH_H */
