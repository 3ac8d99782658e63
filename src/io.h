/*
 * licensehook: the I/O edges shared by the responder and the admin CLI:
 * configuration file, SQLite store, logging, customer mail and the
 * webhook handler that ties them to the pure core.
 */
#ifndef LH_IO_H
#define LH_IO_H

#include <stdarg.h>
#include <stdint.h>
#include <time.h>

#include "lh.h"

#define LH_CONF_ENV		"LICENSEHOOK_CONF"
#define LH_CONF_DEFAULT		LH_SYSCONFDIR "/licensehook.conf"
#define LH_PROVIDER_STRIPE	"stripe"
#define LH_RETRY_AFTER		30	/* seconds, with every 503 */
#define LH_KEYGEN_TRIES		8	/* fresh keys tried before giving up */
#define LH_LOG_LINE_MAX		2048	/* bytes, one log line */
#define LH_OUTCOME_MAX		64	/* bytes, an events.outcome value */

/* ---- cfgfile.c ------------------------------------------------------ */

/* The configuration path: opt (from -c) if set, else $LICENSEHOOK_CONF,
 * else the compiled-in default.  Borrowed. */
const char	*cfgfile_path(const char *opt);
/*
 * Read and parse the configuration at path.  Refuses a file that is not
 * a regular file, is world-writable, or is larger than LH_CONF_MAX.  On
 * failure writes a reason (never a secret) to errbuf.  The caller frees
 * *out with conf_free().
 */
enum lh_err	 cfgfile_load(const char *path, struct lh_conf **out,
		    char *errbuf, size_t errlen);

/* ---- log.c ---------------------------------------------------------- */

/* Where a request's log line goes when the target is "stderr": the
 * FastCGI error stream of the request, which the web server logs. */
typedef void	(*log_sink_fn)(void *arg, const char *line, size_t len);

/* Set up logging for a configuration; NULL logs to stderr. */
void		 log_open(const struct lh_conf *);
void		 log_close(void);
/* Route "stderr" lines through fn(arg) until reset with NULL. */
void		 log_set_sink(log_sink_fn fn, void *arg);
/* One line, printf-style; bytes outside printable ASCII are escaped. */
void		 log_line(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

/* ---- walsync.c ------------------------------------------------------ */

/*
 * Group commit of the WAL across processes.  A durable writer takes
 * walsync_issue() while it holds SQLite's write lock, reports
 * walsync_written() once its COMMIT returned, then walsync_wait()s: that
 * returns once a flush (made by flush(arg), or by another process) that
 * began after the commit was written has completed.
 */
struct walsync;
typedef enum lh_err	(*walsync_flush_fn)(void *arg);

/* Map <dbpath>-sync, creating it; NULL with a reason in errbuf. */
struct walsync	*walsync_open(const char *dbpath, char *errbuf,
		    size_t errlen);
void		 walsync_close(struct walsync *);
uint64_t	 walsync_issue(struct walsync *);
void		 walsync_written(struct walsync *, uint64_t seq);
/* The last number issued: a flush that covers it covers all before. */
uint64_t	 walsync_horizon(struct walsync *);
enum lh_err	 walsync_wait(struct walsync *, uint64_t need,
		    walsync_flush_fn flush, void *arg);
/* Queue for SQLite's write lock: enter before BEGIN IMMEDIATE, leave
 * once COMMIT or ROLLBACK has returned (both accept NULL). */
void		 walsync_enter(struct walsync *);
void		 walsync_leave(struct walsync *);

/* ---- walvfs.c ------------------------------------------------------- */

/* The name of the VFS that writes a commit's WAL frames at once,
 * registered on first use; NULL (the default VFS) if it cannot be. */
const char	*walvfs_name(void);

/* ---- db.c ----------------------------------------------------------- */

#define LH_SCHEMA_VERSION	3
#define LH_REPLAY_MAX		64	/* deferred events replayed per change */
#define LH_EVENT_REFS		3	/* payment references one event names */

struct db;

/* A license row with the customer it belongs to.  Strings are borrowed
 * from the row being read. */
struct db_license {
	int64_t		 id;
	char		 key[LH_KEY_MAX];
	struct lh_lic_facts facts;
	char		*provider;
	char		*checkout_session_id;
	char		*subscription_id;
	char		*customer_provider_id;
	char		*email;
	char		*name;
	int		 livemode;
	long long	 created_at;
	long long	 updated_at;
	/* The view when last written (status, effective tier, expiry). */
	char		 snap_status[16];
	char		 snap_tier[LH_NAME_MAX + 1];
	long long	 snap_expires_at;
};

struct db_event {
	char		*provider;
	char		*id;
	char		*type;
	char		*outcome;
	char		 key[LH_KEY_MAX];	/* license key, "" if none */
	long long	 created;
	long long	 received_at;
	int		 livemode;
};

/* A deferred event waiting for its license, read back for replay. */
struct db_deferred {
	char		*id;
	char		*body;		/* owned; NUL-terminated */
	size_t		 bodylen;
};

/* Called for each row; return non-zero to stop. Rows are borrowed. */
typedef int	(*db_license_fn)(void *arg, const struct db_license *);
typedef int	(*db_event_fn)(void *arg, const struct db_event *);

/*
 * Open (creating if create is set) the database at path, switch it to
 * WAL with synchronous=FULL, and bring its schema to LH_SCHEMA_VERSION in
 * one transaction.  A schema newer than this program knows is refused.
 * A file at schema 1 has its usage log copied to the usage database at
 * usage_path (made if missing) first.  On failure writes the reason to
 * errbuf.  Free with db_close().
 */
enum lh_err	 db_open(const char *path, const char *usage_path,
		    int busy_timeout, int create, struct db **out,
		    char *errbuf, size_t errlen);
/* Open an existing database without changing it: no WAL switch, no
 * migration (for licensehook -t).  A newer schema is refused. */
enum lh_err	 db_inspect(const char *path, int busy_timeout,
		    struct db **out, char *errbuf, size_t errlen);
void		 db_close(struct db *);
/* Check schema version, journal mode, writability and integrity.  An
 * older schema passes, with a note in errbuf of what opening it will do. */
enum lh_err	 db_check(struct db *, char *errbuf, size_t errlen);
/* The last SQLite error text, for logs. Borrowed. */
const char	*db_errmsg(struct db *);
/* The LH_ERR_DB_* (or LH_OK) for an SQLite result code; usage.c maps its
 * errors the same way. */
enum lh_err	 db_sqlite_err(int rc);
struct sqlite3;
/* The checks of db_check(), for any file: schema version r/version
 * against want, WAL, writable, integrity; what names it in errbuf. */
enum lh_err	 db_sqlite_check(struct sqlite3 *, enum lh_err r, int version,
		    int want, const char *what, char *errbuf, size_t errlen);
/*
 * The busy handler of both databases (sqlite3_busy_handler() with a
 * struct db_busy): short polls until timeout_ms is spent, counted from
 * since when queued is set (the wait in walsync_enter() counts too).
 */
struct db_busy {
	int		 timeout_ms;
	int		 queued;
	struct timespec	 since;
};
int		 db_busy_handler(void *busy, int count);
/* Open path as both databases are opened (db.c says how). */
enum lh_err	 db_sqlite_open(const char *path, int create, int busy_timeout,
		    struct db_busy *, struct sqlite3 **, char *errbuf,
		    size_t errlen);
/* Join ws's writers' queue, counting the wait in busy; leave it. */
void		 db_busy_queue(struct db_busy *, struct walsync *);
void		 db_busy_unqueue(struct db_busy *, struct walsync *);

enum lh_err	 db_begin(struct db *);		/* BEGIN IMMEDIATE */
/* COMMIT; after db_begin() or db_begin_durable(), returns LH_OK only once
 * the transaction is on stable storage (walsync.c). */
enum lh_err	 db_commit(struct db *);
void		 db_rollback(struct db *);
/* Make what the last read saw durable before acknowledging it. */
enum lh_err	 db_sync_read(struct db *);

/* *seen = 1 if (provider, id) was recorded before. */
enum lh_err	 db_event_seen(struct db *, const char *provider,
		    const char *id, int *seen);
/* Record an event with its outcome, the license it touched (0: none)
 * and, for a deferred event, the reference it waits on. */
enum lh_err	 db_event_put(struct db *, const char *provider,
		    const struct lh_event *, const void *body, size_t bodylen,
		    time_t now, const char *outcome, int64_t license_id,
		    const char *ref);
/* Set a recorded event's outcome and license (after a replay). */
enum lh_err	 db_event_outcome(struct db *, const char *provider,
		    const char *id, const char *outcome, int64_t license_id);
/*
 * Deferred events waiting on ref, oldest first, at most max.  The caller
 * frees them with db_deferred_free().
 */
enum lh_err	 db_deferred_get(struct db *, const char *provider,
		    const char *ref, struct db_deferred *out, size_t max,
		    size_t *n);
void		 db_deferred_free(struct db_deferred *, size_t n);
/* *any = 1 if some event of provider is deferred at all. */
enum lh_err	 db_deferred_any(struct db *, const char *provider, int *any);

/* Insert or refresh a customer; *rowid is its id (0 without any id,
 * email or name to store).  With overwrite, email and name replace
 * what is stored; without, they only fill what is missing. */
enum lh_err	 db_customer_put(struct db *, const char *provider,
		    const char *provider_id, const char *email,
		    const char *name, int overwrite, time_t now,
		    int64_t *rowid);
/* The license for a checkout session or subscription (either may be
 * NULL); *id = 0 when there is none. */
enum lh_err	 db_license_find(struct db *, const char *provider,
		    const char *session_id, const char *subscription_id,
		    int64_t *id);
/* The license a payment reference (pi_, ch_, in_) was recorded for. */
enum lh_err	 db_license_by_payment(struct db *, const char *provider,
		    const char *ref, int64_t *id);
/* The customer's only license; *id = 0 when it has none or several. */
enum lh_err	 db_license_by_customer(struct db *, const char *provider,
		    const char *customer_id, int64_t *id);
/* Remember that a payment reference belongs to a license. */
enum lh_err	 db_payment_put(struct db *, const char *provider,
		    const char *ref, int64_t license_id);
/* Load a license by row id; *found = 0 if none. */
enum lh_err	 db_license_get(struct db *, int64_t id, struct db_license *,
		    int *found);
/* *exists = 1 if a license already has this key. */
enum lh_err	 db_key_exists(struct db *, const char *key, int *exists);
/* Insert a new license; *id is its row id.  status and expires_at are
 * the view at write time, kept for listings. */
enum lh_err	 db_license_put(struct db *, const char *provider,
		    const char *key, int64_t customer_id,
		    const char *session_id, const char *subscription_id,
		    const struct lh_lic_facts *, const struct lh_lic_view *,
		    int livemode, time_t now, int64_t *id);
/* Replace a license's facts (and the status snapshot). */
enum lh_err	 db_license_update(struct db *, int64_t id,
		    const struct lh_lic_facts *, const struct lh_lic_view *,
		    time_t now);
/* Store a new view snapshot after time moved the license on. */
enum lh_err	 db_license_snapshot(struct db *, int64_t id,
		    const struct lh_lic_view *, time_t now);
/* Link a license to a subscription or session it lacks, fill its
 * customer when unset. */
enum lh_err	 db_license_link(struct db *, int64_t id,
		    const char *session_id, const char *subscription_id,
		    int64_t customer_id, time_t now);
/* Write an audit row: old -> new status, tier and expiry, and the cause
 * (an event id or "admin"). old may be NULL for a new license. */
enum lh_err	 db_audit_put(struct db *, int64_t license_id, time_t now,
		    const char *cause, const struct lh_lic_view *old,
		    const struct lh_lic_view *new);

/* Licenses, newest first; with match (key, email, customer or
 * subscription id) only those that match.  At most limit rows (0: all). */
enum lh_err	 db_license_each(struct db *, const char *match, int limit,
		    db_license_fn, void *arg);
/* Events, newest first, at most limit rows (0: all). */
enum lh_err	 db_event_each(struct db *, int limit, db_event_fn, void *arg);

/* A license looked up by key, with its customer's contact. */
struct db_keyinfo {
	struct db_license lic;
	char		 email[LH_FIELD_MAX + 1];
	char		 name[LH_FIELD_MAX + 1];
};

/* An active instance (seat) of a license. */
struct db_instance {
	char		 id[LH_INSTANCE_ID_MAX + 1];
	char		 name[LH_INSTANCE_NAME_MAX + 1];
	long long	 created_at;
	long long	 last_seen_at;
};

/* BEGIN IMMEDIATE with synchronous=NORMAL: for a seat's last_seen_at
 * only, which is not worth an fsync. */
enum lh_err	 db_begin_light(struct db *);
/* BEGIN DEFERRED: one snapshot for several reads, without the write
 * lock; db_end_read() ends it. */
enum lh_err	 db_begin_read(struct db *);
enum lh_err	 db_end_read(struct db *);
/* BEGIN IMMEDIATE with synchronous=FULL (what db_begin() does). */
enum lh_err	 db_begin_durable(struct db *);
/* The license with this key (upper case); *found = 0 if none. */
enum lh_err	 db_license_by_key(struct db *, const char *key,
		    struct db_keyinfo *, int *found);
/* Active instances of a license. */
enum lh_err	 db_instance_count(struct db *, int64_t license_id, int *n);
/* An active instance by id, or (id NULL) by name. */
enum lh_err	 db_instance_find(struct db *, int64_t license_id,
		    const char *id, const char *name, struct db_instance *,
		    int *found);
enum lh_err	 db_instance_put(struct db *, int64_t license_id,
		    const char *id, const char *name, time_t now);
enum lh_err	 db_instance_off(struct db *, int64_t license_id,
		    const char *id, time_t now);
enum lh_err	 db_instance_seen(struct db *, const char *id, time_t now);

/* The outbox: customer notices waiting for, or done with, sendmail. */
struct db_outbox {
	int64_t		 id;
	int64_t		 license_id;
	char		 key[LH_KEY_MAX];	/* the license's key */
	char		 notice[32];		/* mailfmt_notice_name() */
	long long	 anchor;
	char		 rcpt[LH_ADDR_SPEC_MAX + 1];
	char		 state[16];		/* pending, sending, sent, failed */
	int		 attempts;
	long long	 next_at;		/* pending: not before */
	long long	 claimed_until;		/* sending: the claim's end */
	char		 last_error[256];	/* "" if none */
	long long	 created_at;
	long long	 sent_at;		/* 0: not sent */
	char		*message;		/* db_outbox_claim() only; owned */
	size_t		 msglen;
};

typedef int	(*db_outbox_fn)(void *arg, const struct db_outbox *);

/* *exists = 1 if a notice with this dedup key was ever queued. */
enum lh_err	 db_outbox_exists(struct db *, const char *dedup, int *exists);
/*
 * Queue a rendered message (pending, due now), unless one with the same
 * dedup key is there already; *id is the new row, or 0 if there was one.
 */
enum lh_err	 db_outbox_put(struct db *, int64_t license_id,
		    const char *notice, long long anchor, const char *dedup,
		    const char *rcpt, const void *msg, size_t len, time_t now,
		    int64_t *id);
/* *due = 1 if db_outbox_claim() at now would find a message.  Reads
 * only, so that a responder with nothing to send takes no write lock. */
enum lh_err	 db_outbox_due(struct db *, time_t now, int *due);
/*
 * Take the oldest due message (pending and due, or sending with a claim
 * that ran out): mark it sending until lease_until and count an attempt.
 * Run it in its own transaction.  *found = 0 when none is due; else *o
 * holds it, message included, and the caller frees it with
 * db_outbox_free().
 */
enum lh_err	 db_outbox_claim(struct db *, time_t now,
		    long long lease_until, struct db_outbox *o, int *found);
void		 db_outbox_free(struct db_outbox *);
/* Mark a claimed message sent; *updated = 0 if the claim (id, attempts)
 * no longer stands. */
enum lh_err	 db_outbox_sent(struct db *, int64_t id, int attempts,
		    time_t now, int *updated);
/* A claimed message failed: set its state (pending or failed), when to
 * try next and why it failed. */
enum lh_err	 db_outbox_retry(struct db *, int64_t id, int attempts,
		    const char *state, long long next_at, const char *error,
		    int *updated);
/* Outbox rows, newest first, at most limit (0: all); message unset. */
enum lh_err	 db_outbox_each(struct db *, int limit, db_outbox_fn,
		    void *arg);

/* ---- usage.c -------------------------------------------------------- */

/*
 * The usage database (licensehook.usage_database): the license API's rate
 * counters and usage log, in a SQLite file of their own, so that a
 * validation writes nothing to the database.  Its commits are never
 * synced; see usage.c.
 */
#define LH_USAGE_SCHEMA_VERSION	1

struct usage;

/*
 * Open the usage database at path, creating it (mode 0640 at most) if no
 * file is there, in WAL mode, and bring its schema to
 * LH_USAGE_SCHEMA_VERSION.  A newer schema is refused, and a file that
 * is there but broken is never replaced.  On failure writes the reason
 * to errbuf.  Free with usage_close().
 */
enum lh_err	 usage_open(const char *path, int busy_timeout,
		    struct usage **out, char *errbuf, size_t errlen);
/* Open an existing usage database without changing it (licensehook -t). */
enum lh_err	 usage_inspect(const char *path, int busy_timeout,
		    struct usage **out, char *errbuf, size_t errlen);
/* usage_tidy(), then close.  NULL is a no-op. */
void		 usage_close(struct usage *);
/* As db_check(), for the usage database. */
enum lh_err	 usage_check(struct usage *, char *errbuf, size_t errlen);
/* The last SQLite error text, for logs. Borrowed. */
const char	*usage_errmsg(struct usage *);
/*
 * Between requests: once the WAL has grown, checkpoint it with the WAL
 * and the file synced, so that no request pays those fsyncs.  NULL is a
 * no-op.
 */
void		 usage_tidy(struct usage *);

enum lh_err	 usage_begin(struct usage *);	/* BEGIN IMMEDIATE */
enum lh_err	 usage_commit(struct usage *);
void		 usage_rollback(struct usage *);
/* Count a request in bucket's one-minute window; *hits after it. */
enum lh_err	 usage_rate_hit(struct usage *, const char *bucket,
		    long long window, int *hits);
/* Drop rate windows older than before. */
enum lh_err	 usage_rate_prune(struct usage *, long long before);
/* One row of the usage log (op: enum lh_api_op; code: lh_api_code;
 * license_id 0: none). */
enum lh_err	 usage_log_put(struct usage *, time_t now, int64_t license_id,
		    const char *instance_id, int op, int code,
		    const char *addr, const char *country, const char *origin);

/* ---- mail.c --------------------------------------------------------- */

#define LH_MAIL_ATTEMPTS_MAX	10	/* sendmail runs before "failed" */
#define LH_MAIL_LEASE_SLACK	60	/* s a claim outlasts mail.timeout */
#define LH_MAIL_CATCHUP		(7 * 86400) /* s: a notice due for longer
					   than this when first found is
					   not sent (old news) */

struct mail;

/* 1 if mail is on: [mail] from is set. */
int		 mail_on(const struct lh_conf *);
/*
 * The templates cache for conf, loaded lazily, one template file per
 * notice.  NULL when out of memory.  Free with mail_free().
 */
struct mail	*mail_new(const struct lh_conf *);
void		 mail_free(struct mail *);
/*
 * Render notice for license l (key, facts, and the customer's email and
 * name set) and queue it in the outbox under the dedup key
 * "<notice>:<license id>:<anchor>", inside the caller's transaction.  A
 * notice already queued is not rendered again.  Reasons of data or setup
 * (mail off, no valid address, a missing or bad template) are not
 * errors: nothing is queued, *skipped names the reason (static) and,
 * except for mail off and a repeat, a line is logged.  Only storage
 * errors are returned.  *id is the new outbox row, or 0.
 */
enum lh_err	 mail_queue(struct mail *, struct db *, const struct lh_conf *,
		    const struct db_license *l, enum lh_notice,
		    long long anchor, time_t now, int64_t *id,
		    const char **skipped);
/*
 * Queue what mailfmt_due() finds due for l at now (its view v), as
 * mail_queue() does, except notices due for more than LH_MAIL_CATCHUP;
 * *queued counts the new rows.
 */
enum lh_err	 mail_queue_due(struct mail *, struct db *,
		    const struct lh_conf *, const struct db_license *l,
		    const struct lh_lic_view *v, time_t now, int *queued);
/*
 * Send due messages, one at a time, through the configured sendmail
 * command: each is claimed in its own short transaction, piped to the
 * command with no lock held, and marked sent, or rescheduled with
 * backoff (failed after LH_MAIL_ATTEMPTS_MAX attempts).  At most max
 * messages (0: until none is due).  now is the clock at the start; it
 * advances with the time sendmail takes.  Counts what happened in *sent
 * and *failed.  Returns a storage error, else LH_OK.
 */
enum lh_err	 mail_deliver(struct db *, const struct lh_conf *, int max,
		    time_t now, int *sent, int *failed);

/* ---- webhook.c ------------------------------------------------------ */

/* One HTTP request as the web server handed it over. Borrowed. */
struct lh_request {
	const char	*method;
	const char	*path;		/* without query string */
	const char	*content_length;
	const char	*stripe_signature;
	const char	*content_type;
	const char	*remote_addr;	/* REMOTE_ADDR */
	const char	*country;	/* GEOIP_COUNTRY_CODE, if the server sets it */
	const char	*origin;	/* Origin, else Referer */
	const char	*body;		/* NUL-terminated, bodylen bytes */
	size_t		 bodylen;
};

/* The answer and what the log line says about it. */
struct lh_response {
	int		 status;
	enum lh_err	 err;
	const char	*allow;		/* Allow header with 405, else NULL */
	int		 retry_after;	/* seconds, 0: none */
	char		 body[256];	/* JSON, unless dynbody is set */
	char		*dynbody;	/* a larger JSON answer, malloc'd */
	size_t		 dynlen;
	char		 sig_header[LH_KID_MAX + LH_SIG_B64_MAX + 32];
					/* "kid=..., ed25519=..." or "" */
	char		 event_id[LH_FIELD_MAX + 1];
	char		 event_type[LH_FIELD_MAX + 1];
	char		 outcome[LH_OUTCOME_MAX];
	char		 key_masked[LH_KEY_MAX];
	char		 detail[256];	/* extra log text (storage error, price) */
};

/* Per-process state the handler reuses across requests. */
struct lh_ctx {
	const struct lh_conf *conf;
	const char	*conf_path;
	struct db	*db;		/* opened on first need, kept */
	struct lh_sig_keys *sig_keys;	/* the webhook secrets, keyed on
					   first need, freed by fcgi_serve() */
	struct usage	*usage;		/* the usage database, likewise */
	struct lh_signkey *signkey;	/* the API's signing key; NULL until
					   it loads */
	long long	 rate_pruned;	/* rate window last pruned */
	struct mail	*mail;		/* notice templates; made on first
					   need, freed by fcgi_serve() */
};

/* Fill resp for a request that failed before reaching a handler. */
void		 webhook_fail(struct lh_response *, enum lh_err);
/* Handle a POST to the Stripe webhook route; the body is already read. */
void		 webhook_stripe(struct lh_ctx *, const struct lh_request *,
		    time_t now, struct lh_response *);

/* ---- licenses.c ----------------------------------------------------- */

#define LH_API_BODY_MAX		(16 * 1024)	/* bytes, a license API body */
#define LH_SEEN_INTERVAL	3600	/* s: a validation writes a seat's
					   last_seen_at once it is this old */

/*
 * Handle a POST to a license API route (activate, validate, deactivate);
 * the body is already read.  Every answer is signed when a key is
 * loaded.  resp->dynbody, when set, is the caller's to free.
 */
void		 licenses_handle(struct lh_ctx *, enum lh_api_op,
		    const struct lh_request *, time_t now,
		    struct lh_response *);
/* Sign the answer's body (any license API answer, errors included) into
 * resp->sig_header; nothing without a loaded key. */
void		 licenses_sign(struct lh_ctx *, struct lh_response *);

/* ---- signkeys.c ----------------------------------------------------- */

/*
 * The Ed25519 keys that sign license API answers, in [api] keys_dir:
 * <kid>.pem (private, PKCS#8 PEM, 0600), <kid>.pub.pem (public,
 * SubjectPublicKeyInfo PEM, 0644), <kid>.retired (marker: the private
 * file is gone, the public one kept) and "active" (one line: the kid
 * that signs).  Every function writes a reason to errbuf on failure and
 * returns LH_ERR_SIGNING (LH_ERR_NOMEM when out of memory,
 * LH_ERR_INTERNAL for a NULL or empty dir); none prints or logs, and
 * none puts private key bytes in errbuf.
 */
#include <stdio.h>

#define LH_SIGNKEYS_MAX		256	/* keys in one keys_dir */
#define LH_SIGNKEY_FILE_MAX	4096	/* bytes, one key or "active" file */

/* One key as signkeys_list() reports it. */
struct signkeys_entry {
	char		 kid[LH_KID_MAX + 1];
	int		 active;	/* named by the "active" file */
	int		 retired;	/* <kid>.retired exists */
	int		 has_private;	/* <kid>.pem exists */
	int		 has_public;	/* <kid>.pub.pem exists */
	time_t		 created;	/* mtime of <kid>.pub.pem, else of
					   <kid>.pem; 0 if neither */
};

/* Called for each key; return non-zero to stop.  The entry is borrowed. */
typedef int	(*signkeys_fn)(void *arg, const struct signkeys_entry *);

/*
 * Make a new key pair in dir (creating dir, mode 0700, if it is missing)
 * under a fresh kid ("k" + UTC date + "-" + 4 hex digits), written into
 * kid.  The key becomes the active one if make_active is set or no key
 * is active yet; otherwise it is on standby.  Sets the umask to 077
 * while it runs.
 */
enum lh_err	 signkeys_generate(const char *dir, int make_active,
		    char kid[LH_KID_MAX + 1], char *errbuf, size_t errlen);
/* signkeys_generate() with make_active: the new key signs from now on. */
enum lh_err	 signkeys_rotate(const char *dir, char kid[LH_KID_MAX + 1],
		    char *errbuf, size_t errlen);
/*
 * Retire kid: write <kid>.retired, then delete its private key file; the
 * public key stays for verifying what it signed.  Refuses the active key.
 */
enum lh_err	 signkeys_retire(const char *dir, const char *kid,
		    char *errbuf, size_t errlen);
/* The active kid into kid, or "" when no key is active yet. */
enum lh_err	 signkeys_active(const char *dir, char kid[LH_KID_MAX + 1],
		    char *errbuf, size_t errlen);
/*
 * Call fn for each key in dir, oldest first (by created, then kid).  The
 * active kid is reported even when its files are missing.
 */
enum lh_err	 signkeys_list(const char *dir, signkeys_fn fn, void *arg,
		    char *errbuf, size_t errlen);
/*
 * Load the active key pair into *out.  Refuses a private key file that
 * is not a regular file, is a symbolic link, is not owned by the
 * effective user, or grants any permission to group or others (as
 * openssh does), and one whose <kid>.pub.pem does not match it.  The
 * key comes with its EVP_PKEY, as token_key_init() leaves it; the
 * caller frees and wipes it with token_key_free() when done with it.  On
 * failure *out is zero and holds nothing to free.
 */
enum lh_err	 signkeys_load_active(const char *dir, struct lh_signkey *out,
		    char *errbuf, size_t errlen);
/* The raw public key of kid, active, standby or retired. */
enum lh_err	 signkeys_load_public(const char *dir, const char *kid,
		    uint8_t pub[32], char *errbuf, size_t errlen);
/*
 * Write the public key of kid (NULL: the active key) to out as PEM, the
 * form the vendor builds into the software that verifies answers.
 */
enum lh_err	 signkeys_public_pem(const char *dir, const char *kid,
		    FILE *out, char *errbuf, size_t errlen);

#endif /* LH_IO_H */
