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
	LH_ERR_API_REQUEST,	/* 400: license API body malformed or a field
				   missing / too long */
	LH_ERR_API_MEDIA,	/* 415: neither form nor JSON */
	LH_ERR_RATE_LIMITED,	/* 429: over a rate limit (with Retry-After) */
	LH_ERR_SIGNING,		/* 500: no usable response signing key */
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
	int		 rank;			/* higher is better; default: order in the file */
};

struct lh_keyfmt {
	char		 prefix[LH_KEY_PREFIX_MAX + 1];	/* may be empty */
	int		 groups;
	int		 group_len;
};

/* What happens when the provider cancels, refunds or loses a dispute. */
enum lh_policy {
	LH_POL_REVOKE = 0,	/* the key stops working for good */
	LH_POL_FREE_TIER,	/* the key stays, on lifecycle.free_tier */
	LH_POL_RECORD		/* record only, the license is unchanged */
};

/* [lifecycle]: the vendor's rules for time and payment trouble. */
struct lh_lifecycle {
	long		 expiry_slack;		/* s past period end still valid (1 d) */
	long		 grace_reminder;	/* s after a failed payment: remind (3 d) */
	long		 grace_free;		/* s: drop to free_tier if set (7 d) */
	long		 grace_suspend;		/* s: suspend (14 d) */
	char		*free_tier;		/* NULL: none */
	enum lh_policy	 on_cancel;		/* REVOKE or FREE_TIER */
	enum lh_policy	 on_refund;		/* REVOKE or RECORD */
	enum lh_policy	 on_dispute_lost;	/* REVOKE or RECORD */
};

/* Subscription states whose keys unlock paid features (lh_lic_status bits). */
#define LH_ALLOW(st)	(1u << (st))

/* [api]: the license API the vendor's software calls. */
struct lh_api {
	char		*keys_dir;		/* Ed25519 signing keys; NULL: API off */
	long		 token_ttl;		/* s an offline token is good for (7 d) */
	unsigned	 allowed;		/* LH_ALLOW() bits; default active,
						   trialing, grace */
	int		 rate_address;		/* requests / minute / client address;
						   0: no limit (default 120) */
	int		 rate_key;		/* requests / minute / key (default 60) */
};

/* [mail]: notices to customers through the system's sendmail. */
struct lh_mail {
	char		*from;			/* "Name <addr>"; NULL: mail off */
	char		*vendor_name;
	char		*support_email;
	char		*portal_url;		/* billing / customer portal */
	char		*sendmail;		/* command line, no shell
						   (default "/usr/sbin/sendmail -t -i") */
	char		*templates_dir;		/* NULL: the shipped templates */
	long		 expiry_notice;		/* s before expiry to warn (7 d) */
	int		 deliver_after;		/* messages a worker sends after
						   each answer (3); 0: only
						   licensectl deliver */
	int		 timeout;		/* s one sendmail run may take (30) */
};

struct lh_conf {
	char		*database;
	char		*usage_database;		/* rate counters, usage log;
							   default: database
							   + "-usage" */
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
	struct lh_lifecycle life;
	struct lh_api	 api;
	struct lh_mail	 mail;
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
 * not NULL) is the index of the secret that matched.  The secrets are
 * keyed for this call alone; a process that checks many requests keys
 * them once with sig_keys_new() and calls sig_keys_verify().
 */
enum lh_err	 sig_stripe_verify(const char *header, const void *body,
		    size_t bodylen, char *const *secrets, size_t nsecrets,
		    time_t now, long tolerance, size_t *matched);

/* The secrets keyed for HMAC-SHA256 once; opaque (sig.c). */
struct lh_sig_keys;

/*
 * Key an HMAC-SHA256 context for each of nsecrets secrets (1 to
 * LH_SECRETS_MAX, each 1 to LH_SECRET_MAX bytes, else LH_ERR_INTERNAL),
 * so that sig_keys_verify() costs only the MACs: keying costs as much as
 * the MAC of a 2 KiB body.  The set keeps no pointer to secrets.  The
 * caller frees *out with sig_keys_free(), which has OpenSSL wipe the
 * keyed states.
 */
enum lh_err	 sig_keys_new(char *const *secrets, size_t nsecrets,
		    struct lh_sig_keys **out);
void		 sig_keys_free(struct lh_sig_keys *);
/*
 * sig_stripe_verify() with the secrets of keys; *matched indexes them.
 * keys is not changed, so one set serves every request of a process.
 */
enum lh_err	 sig_keys_verify(const struct lh_sig_keys *keys,
		    const char *header, const void *body, size_t bodylen,
		    time_t now, long tolerance, size_t *matched);
/*
 * Compute the v1 signature (64 lowercase hex digits and NUL into hex[65])
 * for timestamp t and body under secret.  Used by tests and tools.
 */
enum lh_err	 sig_stripe_fmt(const char *secret, long long t,
		    const void *body, size_t bodylen, char hex[65]);

/* ---- strict JSON (json.c) ------------------------------------------ */

struct cJSON;

/* Strict UTF-8 (no overlong forms, surrogates or > U+10FFFF): 1 or 0. */
int		 json_utf8_valid(const unsigned char *p, size_t len);
/*
 * Pre-parse scan of raw JSON: 1 if nested at most LH_JSON_DEPTH_MAX,
 * free of raw control bytes, of bytes above 0x7e outside strings and of
 * "\u0000"; else 0.  p need not be NUL-terminated.
 */
int		 json_scan(const unsigned char *p, size_t len);
/* 1 if [p, end) holds only JSON whitespace (space, tab, LF, CR), else 0. */
int		 json_tail_blank(const char *p, const char *end);
/*
 * Parse body (len bytes, need not be NUL-terminated) as exactly one
 * object after the two checks above, only whitespace after it.  Returns
 * bad on any malformed input, LH_ERR_NOMEM, or LH_OK with the tree in
 * *out, which the caller frees with cJSON_Delete().
 */
enum lh_err	 json_parse_object(const char *body, size_t len,
		    enum lh_err bad, struct cJSON **out);

/* ---- events (event.c) ---------------------------------------------- */

enum lh_evt_type {
	LH_EVT_OTHER = 0,		/* recorded and ignored */
	LH_EVT_CHECKOUT_COMPLETED,	/* checkout.session.completed */
	LH_EVT_CHECKOUT_ASYNC_PAID,	/* checkout.session.async_payment_succeeded */
	LH_EVT_CUSTOMER,		/* customer.created, customer.updated */
	LH_EVT_SUB_CREATED,		/* customer.subscription.created */
	LH_EVT_SUB_UPDATED,		/* customer.subscription.updated */
	LH_EVT_SUB_DELETED,		/* customer.subscription.deleted */
	LH_EVT_SUB_PAUSED,		/* customer.subscription.paused */
	LH_EVT_SUB_RESUMED,		/* customer.subscription.resumed */
	LH_EVT_SUB_TRIAL_END,		/* customer.subscription.trial_will_end */
	LH_EVT_INVOICE_PAID,		/* invoice.paid, invoice.payment_succeeded */
	LH_EVT_INVOICE_FAILED,		/* invoice.payment_failed */
	LH_EVT_INVOICE_PAYMENT,		/* invoice_payment.paid (API 2025-03-31+:
					   ties a payment to its invoice) */
	LH_EVT_CHARGE_REFUNDED,		/* charge.refunded */
	LH_EVT_DISPUTE_CREATED,		/* charge.dispute.created */
	LH_EVT_DISPUTE_CLOSED		/* charge.dispute.closed */
};

#define LH_EVT_PRICES_MAX	8	/* prices kept from one subscription/invoice */

/*
 * A provider event reduced to the fields licensehook uses, the same for
 * both Stripe payload generations.  Every string is an owned copy (or
 * NULL when absent / JSON null), at most LH_FIELD_MAX bytes, without NUL
 * bytes; ids are 0x21-0x7e only.  Numbers are 0 when absent.
 */
struct lh_event {
	char		*id;		/* evt_... */
	char		*type_name;	/* "checkout.session.completed" */
	enum lh_evt_type type;
	long long	 created;	/* unix time */
	int		 livemode;	/* 0 or 1 */

	/* Common to data.object of every handled type. */
	char		*object_id;	/* cs_, cus_, sub_, in_, ch_, dp_... */
	char		*customer_id;	/* cus_... (string or expanded object) */
	char		*email;		/* checkout: customer_details.email or
					   customer_email; customer: email;
					   invoice: customer_email */
	char		*name;		/* customer_details.name / customer name /
					   invoice customer_name */
	char		*subscription_id; /* checkout: subscription; subscription:
					   its id; invoice: subscription or
					   parent.subscription_details.subscription */
	char		*payment_intent; /* pi_...: checkout, invoice, charge, dispute */
	char		*charge_id;	/* ch_...: invoice.charge, charge.id,
					   dispute.charge, invoice_payment
					   payment.charge */
	char		*invoice_id;	/* in_...: invoice.id, charge.invoice
					   (older API versions),
					   invoice_payment.invoice */

	/* checkout.session.* */
	char		*mode;		/* payment | subscription | setup */
	char		*payment_status; /* paid | unpaid | no_payment_required */
	char		*client_reference_id;
	char		*plan_hint;	/* metadata.plan, else metadata.tier */

	/* customer.subscription.* and invoice.* line items */
	char		*sub_status;	/* active, trialing, past_due, ... */
	char		*prices[LH_EVT_PRICES_MAX]; /* items.data[].price.id, or
					   lines.data[].price.id, or
					   lines.data[].pricing.price_details.price */
	char		*price_plans[LH_EVT_PRICES_MAX]; /* the same item's
					   price.metadata.plan, else expanded
					   price.product.metadata.plan; or NULL */
	size_t		 nprices;
	long long	 period_end;	/* current_period_end (top level, or the
					   latest of items.data[]); invoice:
					   latest lines.data[].period.end */
	int		 cancel_at_period_end;
	long long	 trial_end;

	/* invoice.* */
	long long	 attempt_count;

	/* charge.refunded */
	long long	 amount;
	long long	 amount_refunded;
	int		 refunded;	/* charge.refunded: fully refunded */

	/* charge.dispute.* */
	char		*dispute_status; /* won, lost, warning_closed, ... */
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

/* ---- license state (license.c) ------------------------------------- */

/* A subscription's status as the provider reports it (Stripe's names). */
enum lh_sub_status {
	LH_SUB_NONE = 0,		/* one-time purchase: no subscription */
	LH_SUB_ACTIVE,
	LH_SUB_TRIALING,
	LH_SUB_PAST_DUE,
	LH_SUB_UNPAID,
	LH_SUB_CANCELED,
	LH_SUB_INCOMPLETE,
	LH_SUB_INCOMPLETE_EXPIRED,
	LH_SUB_PAUSED
};

/* "active", "past_due", ...; "none" for LH_SUB_NONE. Never NULL. */
const char	*license_sub_name(enum lh_sub_status);
/* Parse a provider status name; -1 if unknown. */
int		 license_sub_parse(const char *, enum lh_sub_status *);

#define LH_REVOKE_MAX	32	/* bytes, a revocation reason */

/*
 * What is stored about one license: facts the provider told us, each
 * with the event time that set it, so that events applied in any order
 * converge.  The state at a moment is derived by license_view().
 */
struct lh_lic_facts {
	char		 tier[LH_NAME_MAX + 1];	/* paid-for tier now */
	char		 pending_tier[LH_NAME_MAX + 1];	/* "" or a downgrade */
	long long	 pending_at;		/* when pending_tier applies */
	enum lh_sub_status sub_status;
	long long	 period_end;		/* paid through; 0: perpetual */
	int		 cancel_at_period_end;
	long long	 trial_end;
	long long	 sub_event_at;		/* created of the newest
						   subscription snapshot applied */
	long long	 paid_at;		/* created of the newest paid invoice */
	long long	 grace_since;		/* first failed payment not made
						   good since; 0: none */
	int		 disputed;		/* a dispute is open */
	long long	 dispute_at;		/* created of the newest dispute event */
	long long	 ended_at;		/* subscription ended onto the free tier */
	char		 revoked[LH_REVOKE_MAX]; /* "" or why: canceled,
						   refunded, dispute_lost, admin */
	long long	 revoked_at;
};

/* The license as anyone asking at a moment sees it. */
enum lh_lic_status {
	LH_LIC_ACTIVE = 0,
	LH_LIC_TRIALING,
	LH_LIC_GRACE,		/* a payment failed; still valid */
	LH_LIC_SUSPENDED,	/* paused, disputed, unpaid, grace ran out */
	LH_LIC_EXPIRED,		/* paid period (+ slack) is over */
	LH_LIC_REVOKED		/* canceled, refunded or dispute lost */
};

/* Where a failed payment stands on the grace schedule. */
enum lh_grace {
	LH_GRACE_NONE = 0,
	LH_GRACE_WARNED,	/* failed; license valid */
	LH_GRACE_REMINDED,	/* grace_reminder reached */
	LH_GRACE_FREE_TIER,	/* grace_free reached: on the free tier */
	LH_GRACE_SUSPENDED	/* grace_suspend reached */
};

struct lh_lic_view {
	enum lh_lic_status status;
	const char	*tier;		/* effective tier; borrowed (facts/conf) */
	int		 valid;		/* the key works at all */
	enum lh_grace	 grace;
	long long	 grace_deadline; /* when grace ends in suspension; 0 */
	long long	 expires_at;	/* period_end + slack; 0: never */
	const char	*reason;	/* static: why not valid, or "" */
};

/* "active", "grace", ...  Never NULL. */
const char	*license_status_name(enum lh_lic_status);

/*
 * The license as of now, from stored facts and the clock alone: pending
 * downgrades, grace steps and expiry are right whether or not any
 * periodic job ran.  Pure.
 */
void		 license_view(const struct lh_conf *, const struct lh_lic_facts *,
		    time_t now, struct lh_lic_view *out);

enum lh_action {
	LH_ACT_IGNORE = 0,	/* record the event, change nothing */
	LH_ACT_CREATE,		/* make a license with out->facts */
	LH_ACT_UPDATE,		/* replace the license's facts with out->facts */
	LH_ACT_STALE,		/* older than what was applied: record only */
	LH_ACT_DEFER		/* no license yet: keep until one exists */
};

struct lh_decision {
	enum lh_action	 action;
	const char	*reason;	/* static, for events.outcome */
	const struct lh_tier *tier;	/* borrowed from the conf; with CREATE */
	struct lh_lic_facts facts;	/* with CREATE and UPDATE */
};

/*
 * Decide what an event does to a license.  old holds the license's
 * facts, or is NULL when no license matches the event yet.  Pure: the
 * result depends only on the arguments.  Returns LH_ERR_TIER_UNKNOWN
 * when a purchase or plan change maps to no tier and no default tier is
 * configured.
 */
enum lh_err	 license_decide(const struct lh_conf *, const struct lh_event *,
		    const struct lh_lic_facts *old, time_t now,
		    struct lh_decision *out);

/* ---- license API (api.c) ------------------------------------------- */

#define LH_INSTANCE_NAME_MAX	255	/* bytes, a machine fingerprint or domain */
#define LH_INSTANCE_ID_MAX	64	/* bytes, an instance id we issued */
#define LH_API_FIELD_MAX	1024	/* bytes, any one form/JSON field */
#define LH_ADDR_MAX		64	/* bytes, a client address */

enum lh_api_op {
	LH_API_ACTIVATE = 0,
	LH_API_VALIDATE,
	LH_API_DEACTIVATE
};

/*
 * A license API request, from an application/x-www-form-urlencoded or
 * application/json body with Lemon Squeezy's License API field names.
 * Absent fields are "".
 */
struct lh_api_req {
	char		 license_key[LH_KEY_MAX];
	char		 instance_name[LH_INSTANCE_NAME_MAX + 1];
	char		 instance_id[LH_INSTANCE_ID_MAX + 1];
	int		 want_token;	/* "token": true, or token=1 */
};

/*
 * Parse a request body by its CONTENT_TYPE (parameters such as charset
 * allowed).  Unknown fields are ignored; a field over its limit, a
 * repeated field, bad percent-encoding, bad UTF-8 or bad JSON is
 * LH_ERR_API_REQUEST; another media type is LH_ERR_API_MEDIA.  Pure.
 */
enum lh_err	 api_parse(const char *content_type, const char *body,
		    size_t len, struct lh_api_req *out);

/* Why a key is (not) good, as the answer's "code". */
enum lh_api_code {
	LH_CODE_VALID = 0,
	LH_CODE_GRACE,			/* valid, but a payment failed */
	LH_CODE_NOT_FOUND,		/* unknown or malformed key: one answer */
	LH_CODE_SUSPENDED,
	LH_CODE_REVOKED,
	LH_CODE_EXPIRED,
	LH_CODE_NO_INSTANCE,		/* instance_id not active on this key */
	LH_CODE_TOO_MANY,		/* more instances than the tier allows */
	LH_CODE_LIMIT_REACHED,		/* activate: no seat left */
	LH_CODE_MISSING_FIELD		/* a required field is empty */
};

/* "valid", "not_found", ...  Never NULL. */
const char	*api_code_name(enum lh_api_code);

/* What the store says about the key and instance for one request. */
struct lh_api_facts {
	int		 found;		/* the key exists */
	const struct lh_lic_view *view;	/* with found */
	const struct lh_tier *tier;	/* effective tier; NULL if unknown */
	int		 instances;	/* active instances on the key */
	int		 instance_found; /* the named/id'd instance is active */
};

struct lh_api_verdict {
	enum lh_api_code code;
	int		 ok;		/* activated / valid / deactivated */
	int		 paid;		/* paid features on (the gating rule) */
	int		 limit;		/* activation limit, 0: unlimited */
	int		 http;		/* 200, 400, 404 or 409? see api.c */
	const char	*error;		/* human sentence, NULL when ok */
};

/*
 * Decide an API request from the facts.  Pure.  The gating rule: paid
 * features are on only when the key is valid and its status is one of
 * conf->api.allowed.  Unknown and malformed keys get the same verdict.
 */
void		 api_decide(const struct lh_conf *, enum lh_api_op,
		    const struct lh_api_req *, const struct lh_api_facts *,
		    struct lh_api_verdict *out);

/* Everything an answer shows; NULL strings and 0 times print as null. */
struct lh_api_answer {
	enum lh_api_op	 op;
	const struct lh_api_verdict *verdict;
	/* license_key{} */
	long long	 license_id;
	const char	*key;		/* NULL when not found */
	const char	*status;	/* license_status_name() */
	int		 activation_usage;
	long long	 created_at;
	long long	 expires_at;
	/* instance{}: NULL id prints "instance": null */
	const char	*instance_id;
	const char	*instance_name;
	long long	 instance_created_at;
	/* meta{} */
	const char	*customer_name;
	const char	*customer_email;
	/* licensehook's own */
	const char	*tier;
	const char	*features;	/* comma-separated, printed as an array */
	long long	 grace_deadline;
	long long	 checked_at;	/* when the answer was made; 0: left out */
	const char	*token;		/* NULL: none asked for */
};

/*
 * The JSON body of an answer: Lemon Squeezy's License API top-level
 * fields ("activated" | "valid" | "deactivated", "error", "license_key",
 * "instance", "meta") plus "code", "tier", "features", "entitlement" and
 * "token".  *out is malloc'd, NUL-terminated, *len bytes; the caller
 * frees it.
 */
enum lh_err	 api_fmt(const struct lh_api_answer *, char **out, size_t *len);

/* ---- signed answers and offline tokens (token.c) -------------------- */

#define LH_KID_MAX		32	/* bytes, a signing key id */
#define LH_SIG_B64_MAX		96	/* bytes, base64url Ed25519 signature + NUL */
#define LH_TOKEN_MAX		4096	/* bytes, a whole token */

struct evp_pkey_st;	/* OpenSSL's EVP_PKEY; lh.h needs no OpenSSL header */

/*
 * An Ed25519 key pair as raw bytes (RFC 8032), and the private key as
 * OpenSSL holds it once imported (token_key_init(), or the key file's
 * loader).  Zero it before filling it in; do not copy it once pkey is
 * set, since token_key_free() frees pkey.
 */
struct lh_signkey {
	char		 kid[LH_KID_MAX + 1];
	uint8_t		 priv[32];
	uint8_t		 pub[32];
	struct evp_pkey_st *pkey;	/* NULL: imported for each signature */
};

/* What an offline token asserts. */
struct lh_token {
	char		 kid[LH_KID_MAX + 1];
	char		 license[LH_KEY_MAX];		/* the key */
	char		 tier[LH_NAME_MAX + 1];
	char		 features[LH_API_FIELD_MAX];	/* comma-separated */
	char		 instance[LH_INSTANCE_ID_MAX + 1]; /* "" if none */
	long long	 iat;
	long long	 exp;
};

/*
 * Import key->priv into OpenSSL once, for every signature made with the
 * key from now on: importing costs as much as signing.  Refuses
 * (LH_ERR_SIGNING) a key->pub that is not key->priv's public half, and
 * a key whose pkey is already set (LH_ERR_INTERNAL).  On failure
 * key->pkey is left as it was.  The caller frees the key with
 * token_key_free().
 */
enum lh_err	 token_key_init(struct lh_signkey *);
/*
 * Free key->pkey (EVP_PKEY_free() wipes OpenSSL's copy) and wipe the
 * whole struct with OPENSSL_cleanse().  NULL is a no-op.
 */
void		 token_key_free(struct lh_signkey *);
/*
 * Sign msg with Ed25519; write the signature base64url-encoded (no
 * padding) into out.  A key without pkey is imported and checked as
 * token_key_init() does, for this signature only (LH_ERR_SIGNING if its
 * halves do not match).
 */
enum lh_err	 token_sign_b64(const struct lh_signkey *, const void *msg,
		    size_t len, char out[LH_SIG_B64_MAX]);
/* Verify a base64url signature over msg with a raw public key. */
enum lh_err	 token_verify_b64(const uint8_t pub[32], const void *msg,
		    size_t len, const char *sig_b64);
/*
 * Make a compact token: base64url(JSON payload) "." base64url(Ed25519
 * signature over the first part), as JWS compact serialization with
 * header omitted (the kid is in the payload).
 */
enum lh_err	 token_fmt(const struct lh_signkey *, const struct lh_token *,
		    char *out, size_t outlen);
/*
 * Check a token's signature with pub and its expiry against now, and
 * parse its payload into *out.  LH_ERR_SIG_MISMATCH, LH_ERR_SIG_STALE
 * (expired) or LH_ERR_API_REQUEST (malformed).
 */
enum lh_err	 token_verify(const uint8_t pub[32], const char *token,
		    time_t now, struct lh_token *out);

/* ---- customer notices (mailfmt.c) ----------------------------------- */

#define LH_MAIL_MAX		(64 * 1024)	/* bytes, one rendered message */
#define LH_TMPL_MAX		(32 * 1024)	/* bytes, one template file */
#define LH_SUBJECT_MAX		256		/* bytes, a template's subject */
#define LH_ADDR_SPEC_MAX	254		/* bytes, an email address (RFC 5321) */
#define LH_NOTICES_MAX		4		/* notices due at once for a license */

enum lh_notice {
	LH_NOTICE_KEY = 0,		/* a new license: here is your key */
	LH_NOTICE_PAYMENT_FAILED,	/* grace started */
	LH_NOTICE_GRACE_REMINDER,	/* grace_reminder reached */
	LH_NOTICE_GRACE_FREE_TIER,	/* grace_free reached: on the free tier */
	LH_NOTICE_SUSPENDED,		/* the key stopped working */
	LH_NOTICE_REINSTATED,		/* it works again */
	LH_NOTICE_DOWNGRADED,		/* a downgrade took effect */
	LH_NOTICE_TRIAL_ENDING,		/* trial_will_end */
	LH_NOTICE_EXPIRING,		/* expires within expiry_notice, no renewal */
	LH_NOTICE_REVOKED,		/* canceled, refunded, dispute lost */
	LH_NOTICE__COUNT
};

/* "key", "payment_failed", ...: also the template's file name (+ ".txt"). */
const char	*mailfmt_notice_name(enum lh_notice);

/* A notice that is due, with the fact it is about: the same (notice,
 * license, anchor) is only ever queued once. */
struct lh_notice_due {
	enum lh_notice	 notice;
	long long	 anchor;	/* grace_since, revoked_at, pending_at,
					   expires_at, trial_end ... */
};

/*
 * The notices a license's state calls for at now: the current grace step,
 * a suspension, a revocation, a downgrade in force, an expiry within
 * expiry_notice without renewal (cancel_at_period_end or canceled).
 * Transitions that only the caller sees (a new key, a reinstatement, a
 * trial_will_end event) are the caller's to add.  Pure.  Returns how
 * many were written to out (at most LH_NOTICES_MAX).
 */
size_t		 mailfmt_due(const struct lh_conf *, const struct lh_lic_facts *,
		    const struct lh_lic_view *, time_t now,
		    struct lh_notice_due out[LH_NOTICES_MAX]);

/* A template: the subject line and the body, with {{placeholders}}. */
struct lh_tmpl {
	char		 subject[LH_SUBJECT_MAX + 1];
	char		*body;		/* owned */
};

/*
 * Parse a template file: a first line "Subject: ...", an empty line,
 * then the body (UTF-8, LF or CRLF).  Unknown placeholders are an error
 * (LH_ERR_CONF with a reason in errbuf).  Free with mailfmt_tmpl_free().
 */
enum lh_err	 mailfmt_tmpl_parse(const char *text, size_t len,
		    struct lh_tmpl **out, char *errbuf, size_t errlen);
void		 mailfmt_tmpl_free(struct lh_tmpl *);

/* What placeholders stand for; NULL prints as "". */
struct lh_mail_vars {
	const char	*key;		/* {{key}} */
	const char	*tier;		/* {{tier}} */
	const char	*name;		/* {{name}}: the customer's name */
	const char	*email;		/* {{email}} */
	long long	 expires_at;	/* {{expires}}: a date, or "never" */
	long long	 grace_deadline; /* {{grace_deadline}} */
	const char	*vendor;	/* {{vendor}} */
	const char	*support;	/* {{support}} */
	const char	*portal_url;	/* {{portal_url}} */
};

/* 1 if addr is an address we mail to: a plain addr-spec (RFC 5322
 * §3.4.1) of printable ASCII without spaces, quotes, or CR/LF, at most
 * LH_ADDR_SPEC_MAX bytes, with one '@' and a dotted domain. */
int		 mailfmt_addr_valid(const char *addr);

/*
 * Render a whole message for sendmail -t: From, To, Subject (RFC 2047
 * encoded-word when not ASCII), Date (RFC 5322, from now), Message-ID
 * (msgid, which the caller makes unique), MIME-Version, Content-Type
 * text/plain; charset=UTF-8, Content-Transfer-Encoding 8bit, then the
 * body.  Nothing from vars reaches a header raw: names are encoded, and
 * CR, LF and other control bytes are dropped.  to must pass
 * mailfmt_addr_valid() (else LH_ERR_API_REQUEST).  *out is malloc'd and
 * NUL-terminated, at most LH_MAIL_MAX bytes.
 */
enum lh_err	 mailfmt_render(const struct lh_tmpl *, const struct lh_mail_vars *,
		    const char *from, const char *to, const char *msgid,
		    time_t now, char **out, size_t *len);

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
	LH_ROUTE_STRIPE_WEBHOOK,
	LH_ROUTE_ACTIVATE,		/* .../api/v1/licenses/activate */
	LH_ROUTE_VALIDATE,		/* .../api/v1/licenses/validate */
	LH_ROUTE_DEACTIVATE		/* .../api/v1/licenses/deactivate */
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
