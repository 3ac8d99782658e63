/*
 * The license API: activate, validate and deactivate a key from the
 * vendor's software.  Parsing and decisions are api.c's; this file looks
 * the key up, counts rate limits, writes seats and the usage log, and
 * signs every answer with the Ed25519 key from [api] keys_dir.
 *
 * A validation only reads the database, in one read transaction, and
 * writes its rate counts and usage log row to the usage database
 * (usage.c), whose commits are never synced, so that an app launch
 * neither waits for a disk flush nor queues for the database's write
 * lock.  Seats change in a durable transaction (synchronous=FULL,
 * BEGIN IMMEDIATE), so two activations racing for the last seat are
 * serialised and exactly one wins.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lh.h"
#include "io.h"

#define LH_RATE_WINDOW	60	/* seconds, one rate-limit window */

static const char *const op_names[] = {
	[LH_API_ACTIVATE] = "activate",
	[LH_API_VALIDATE] = "validate",
	[LH_API_DEACTIVATE] = "deactivate",
};

/* What one request found and did, for the answer and the log. */
struct lreq {
	struct db_keyinfo	 ki;
	struct db_instance	 inst;
	struct lh_lic_view	 view;
	struct lh_api_facts	 facts;
	struct lh_api_verdict	 verdict;
	char			 key[LH_KEY_MAX];	/* upper-cased */
	char			 token[LH_TOKEN_MAX];
	int			 instance_new;
};

/* A seat id: "ins_" and 24 hex digits from OpenSSL's CSPRNG. */
static enum lh_err
licenses_instance_id(char out[LH_INSTANCE_ID_MAX + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	uint8_t			 rnd[12];
	size_t			 i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return LH_ERR_KEYGEN;
	memcpy(out, "ins_", 4);
	for (i = 0; i < sizeof(rnd); i++) {
		out[4 + 2 * i] = hex[rnd[i] >> 4];
		out[5 + 2 * i] = hex[rnd[i] & 0xf];
	}
	out[4 + 2 * sizeof(rnd)] = '\0';
	return LH_OK;
}

/* Where a storage error came from. */
enum lstore {
	LS_NONE = 0,
	LS_MAIN,		/* the database */
	LS_USAGE		/* the usage database */
};

/*
 * A storage error of store s: SQLite's reason for the log line, taken
 * before a ROLLBACK replaces it, and the store to drop a broken handle
 * of.  Other errors pass unchanged.
 */
static enum lh_err
licenses_fail(struct lh_ctx *ctx, enum lstore s, enum lh_err r,
    struct lh_response *resp, enum lstore *failed)
{
	if (r < LH_ERR_DB_BUSY || r > LH_ERR_DB)
		return r;
	*failed = s;
	if (resp->detail[0] != '\0')
		return r;
	if (s == LS_USAGE)
		snprintf(resp->detail, sizeof(resp->detail),
		    "usage database %s: %s", ctx->conf->usage_database,
		    usage_errmsg(ctx->usage));
	else
		snprintf(resp->detail, sizeof(resp->detail), "%s",
		    db_errmsg(ctx->db));
	return r;
}

/*
 * Count this request against the client's and the key's limits, in the
 * caller's usage transaction; past windows are dropped once a minute per
 * worker.  *over when a limit is passed.
 */
static enum lh_err
licenses_rate(struct lh_ctx *ctx, const struct lh_request *req,
    const char *key, time_t now, int *over)
{
	const struct lh_api	*api = &ctx->conf->api;
	char			 bucket[LH_KEY_MAX + LH_ADDR_MAX + 8];
	long long		 win = (long long)now / LH_RATE_WINDOW;
	enum lh_err		 r;
	int			 hits;

	*over = 0;
	/* The table holds only the current minute's clients. */
	if (ctx->rate_pruned != win) {
		if ((r = usage_rate_prune(ctx->usage, win)) != LH_OK)
			return r;
		ctx->rate_pruned = win;
	}
	if (api->rate_address > 0 && req->remote_addr != NULL) {
		snprintf(bucket, sizeof(bucket), "a:%.*s", LH_ADDR_MAX,
		    req->remote_addr);
		if ((r = usage_rate_hit(ctx->usage, bucket, win, &hits)) !=
		    LH_OK)
			return r;
		*over |= hits > api->rate_address;
	}
	/* A refused client or a string that cannot be a key gets no bucket
	 * of its own: junk must not grow the table. */
	if (!*over && api->rate_key > 0 &&
	    keygen_valid(&ctx->conf->keyfmt, key)) {
		snprintf(bucket, sizeof(bucket), "k:%s", key);
		if ((r = usage_rate_hit(ctx->usage, bucket, win, &hits)) !=
		    LH_OK)
			return r;
		*over |= hits > api->rate_key;
	}
	return LH_OK;
}

/* A refusal by the rate limits: come back in the next window. */
static enum lh_err
licenses_limited(time_t now, struct lh_response *resp)
{
	resp->retry_after = LH_RATE_WINDOW -
	    (int)((long long)now % LH_RATE_WINDOW);
	return LH_ERR_RATE_LIMITED;
}

/*
 * Look the key and the instance up.  A key that cannot be one (wrong
 * shape or alphabet) is not looked up, and answers exactly as an
 * unknown one does.
 */
static enum lh_err
licenses_lookup(struct lh_ctx *ctx, enum lh_api_op op,
    const struct lh_api_req *ar, time_t now, struct lreq *lr)
{
	const char	*tier;
	enum lh_err	 r;
	int		 found = 0;

	lr->facts.view = &lr->view;
	if (!keygen_valid(&ctx->conf->keyfmt, lr->key))
		return LH_OK;
	if ((r = db_license_by_key(ctx->db, lr->key, &lr->ki, &found))
	    != LH_OK || !found)
		return r;
	/* The index found it; the comparison that decides is constant
	 * time all the same. */
	if (strlen(lr->ki.lic.key) != strlen(lr->key) ||
	    CRYPTO_memcmp(lr->ki.lic.key, lr->key, strlen(lr->key)) != 0)
		return LH_OK;
	lr->facts.found = 1;
	license_view(ctx->conf, &lr->ki.lic.facts, now, &lr->view);
	tier = lr->view.tier;
	lr->facts.tier = tier != NULL ? conf_tier_by_name(ctx->conf, tier) :
	    NULL;
	if ((r = db_instance_count(ctx->db, lr->ki.lic.id,
	    &lr->facts.instances)) != LH_OK)
		return r;
	if (op == LH_API_ACTIVATE && ar->instance_name[0] != '\0')
		r = db_instance_find(ctx->db, lr->ki.lic.id, NULL,
		    ar->instance_name, &lr->inst, &lr->facts.instance_found);
	else if (ar->instance_id[0] != '\0')
		r = db_instance_find(ctx->db, lr->ki.lic.id, ar->instance_id,
		    NULL, &lr->inst, &lr->facts.instance_found);
	return r;
}

/* Carry out what the verdict allows: take, free or touch a seat. */
static enum lh_err
licenses_apply(struct lh_ctx *ctx, enum lh_api_op op,
    const struct lh_api_req *ar, time_t now, struct lreq *lr)
{
	enum lh_err	 r;

	if (!lr->verdict.ok || !lr->facts.found)
		return LH_OK;
	switch (op) {
	case LH_API_ACTIVATE:
		if (lr->facts.instance_found)
			return LH_OK;
		if ((r = licenses_instance_id(lr->inst.id)) != LH_OK)
			return r;
		snprintf(lr->inst.name, sizeof(lr->inst.name), "%s",
		    ar->instance_name);
		lr->inst.created_at = now;
		if ((r = db_instance_put(ctx->db, lr->ki.lic.id, lr->inst.id,
		    lr->inst.name, now)) != LH_OK)
			return r;
		lr->facts.instances++;
		lr->instance_new = 1;
		return LH_OK;
	case LH_API_DEACTIVATE:
		if ((r = db_instance_off(ctx->db, lr->ki.lic.id, lr->inst.id,
		    now)) != LH_OK)
			return r;
		lr->facts.instances--;
		return LH_OK;
	case LH_API_VALIDATE:
		/* Reads only: see licenses_seen(). */
		return LH_OK;
	}
	return LH_ERR_INTERNAL;
}

/* The request's usage log row, in the caller's usage transaction. */
static enum lh_err
licenses_log(struct lh_ctx *ctx, enum lh_api_op op,
    const struct lh_request *req, time_t now, const struct lreq *lr)
{
	return usage_log_put(ctx->usage, now,
	    lr->facts.found ? lr->ki.lic.id : 0,
	    lr->facts.instance_found || lr->instance_new ? lr->inst.id : NULL,
	    (int)op, (int)lr->verdict.code, req->remote_addr, req->country,
	    req->origin);
}

/*
 * A valid seat's last_seen_at, written only once it is LH_SEEN_INTERVAL
 * old, so that a validation almost never writes the database; the usage
 * log has the exact time of each.  Best effort, after the answer was
 * decided and logged: a failure is logged, and the answer stands.
 */
static void
licenses_seen(struct lh_ctx *ctx, time_t now, const struct lreq *lr)
{
	enum lh_err	 r;

	if (!lr->verdict.ok || !lr->facts.found ||
	    !lr->facts.instance_found ||
	    (long long)now - lr->inst.last_seen_at < LH_SEEN_INTERVAL)
		return;
	if ((r = db_begin_light(ctx->db)) == LH_OK &&
	    (r = db_instance_seen(ctx->db, lr->inst.id, now)) == LH_OK &&
	    (r = db_commit(ctx->db)) == LH_OK)
		return;
	log_line("validate: last_seen_at of %s not written: %s: %s",
	    lr->inst.id, lh_err_msg(r), db_errmsg(ctx->db));
	db_rollback(ctx->db);
	if (r == LH_ERR_DB_CORRUPT || r == LH_ERR_DB_IO ||
	    r == LH_ERR_DB_READONLY) {
		db_close(ctx->db);
		ctx->db = NULL;
	}
}

/*
 * validate: one short transaction of the usage database counts the
 * request, then, within the limits, reads the key and its seat in one
 * snapshot of the database (which takes no lock) and writes the usage
 * log row.  A request over a limit is answered 429 without a look at
 * the key and logs no row, and its count stays.
 */
static enum lh_err
licenses_validate(struct lh_ctx *ctx, const struct lh_api_req *ar,
    const struct lh_request *req, time_t now, struct lreq *lr,
    struct lh_response *resp, enum lstore *failed)
{
	enum lh_err	 r;
	int		 over;

	if ((r = usage_begin(ctx->usage)) != LH_OK)
		return licenses_fail(ctx, LS_USAGE, r, resp, failed);
	if ((r = licenses_rate(ctx, req, lr->key, now, &over)) != LH_OK)
		goto fail;
	if (!over) {
		if ((r = db_begin_read(ctx->db)) != LH_OK ||
		    (r = licenses_lookup(ctx, LH_API_VALIDATE, ar, now, lr)) !=
		    LH_OK ||
		    (r = db_end_read(ctx->db)) != LH_OK) {
			r = licenses_fail(ctx, LS_MAIN, r, resp, failed);
			db_rollback(ctx->db);
			usage_rollback(ctx->usage);
			return r;
		}
		api_decide(ctx->conf, LH_API_VALIDATE, ar, &lr->facts,
		    &lr->verdict);
		if ((r = licenses_log(ctx, LH_API_VALIDATE, req, now, lr)) !=
		    LH_OK)
			goto fail;
	}
	if ((r = usage_commit(ctx->usage)) != LH_OK)
		goto fail;
	if (over)
		return licenses_limited(now, resp);
	licenses_seen(ctx, now, lr);
	return LH_OK;
 fail:
	r = licenses_fail(ctx, LS_USAGE, r, resp, failed);
	usage_rollback(ctx->usage);
	return r;
}

/*
 * activate, deactivate: counted first, in a usage transaction of its
 * own, since the seat change waits for the database's write lock and an
 * fsync, and the validations counting meanwhile must not wait for them;
 * then the seat in a durable transaction; then the usage log row.  A
 * log row that fails after the seat committed is a 503 all the same: the
 * seat is stored, and the retry finds it.
 */
static enum lh_err
licenses_change(struct lh_ctx *ctx, enum lh_api_op op,
    const struct lh_api_req *ar, const struct lh_request *req, time_t now,
    struct lreq *lr, struct lh_response *resp, enum lstore *failed)
{
	enum lh_err	 r;
	int		 over;

	if ((r = usage_begin(ctx->usage)) != LH_OK)
		return licenses_fail(ctx, LS_USAGE, r, resp, failed);
	if ((r = licenses_rate(ctx, req, lr->key, now, &over)) != LH_OK ||
	    (r = usage_commit(ctx->usage)) != LH_OK)
		goto fail_usage;
	if (over)
		return licenses_limited(now, resp);

	if ((r = db_begin_durable(ctx->db)) != LH_OK)
		return licenses_fail(ctx, LS_MAIN, r, resp, failed);
	if ((r = licenses_lookup(ctx, op, ar, now, lr)) != LH_OK)
		goto fail_main;
	api_decide(ctx->conf, op, ar, &lr->facts, &lr->verdict);
	if ((r = licenses_apply(ctx, op, ar, now, lr)) != LH_OK ||
	    (r = db_commit(ctx->db)) != LH_OK)
		goto fail_main;

	if ((r = usage_begin(ctx->usage)) != LH_OK)
		return licenses_fail(ctx, LS_USAGE, r, resp, failed);
	if ((r = licenses_log(ctx, op, req, now, lr)) != LH_OK ||
	    (r = usage_commit(ctx->usage)) != LH_OK)
		goto fail_usage;
	return LH_OK;
 fail_main:
	r = licenses_fail(ctx, LS_MAIN, r, resp, failed);
	db_rollback(ctx->db);
	return r;
 fail_usage:
	r = licenses_fail(ctx, LS_USAGE, r, resp, failed);
	usage_rollback(ctx->usage);
	return r;
}

/* An offline token for a good key, good until the TTL or the key's own
 * expiry, whichever comes first. */
static enum lh_err
licenses_token(struct lh_ctx *ctx, enum lh_api_op op, time_t now,
    struct lreq *lr)
{
	struct lh_token	 t;
	const char	*features;

	if (op == LH_API_DEACTIVATE || !lr->verdict.ok || !lr->facts.found)
		return LH_OK;
	memset(&t, 0, sizeof(t));
	snprintf(t.kid, sizeof(t.kid), "%s", ctx->signkey->kid);
	snprintf(t.license, sizeof(t.license), "%s", lr->ki.lic.key);
	snprintf(t.tier, sizeof(t.tier), "%s",
	    lr->view.tier != NULL ? lr->view.tier : "");
	features = lr->facts.tier != NULL ? lr->facts.tier->features : NULL;
	snprintf(t.features, sizeof(t.features), "%s",
	    features != NULL ? features : "");
	if (lr->facts.instance_found || lr->instance_new)
		snprintf(t.instance, sizeof(t.instance), "%s", lr->inst.id);
	t.iat = (long long)now;
	t.exp = (long long)now + ctx->conf->api.token_ttl;
	if (lr->view.expires_at != 0 && lr->view.expires_at < t.exp)
		t.exp = lr->view.expires_at;
	return token_fmt(ctx->signkey, &t, lr->token, sizeof(lr->token));
}

static enum lh_err
licenses_answer(enum lh_api_op op, struct lreq *lr, int want_token,
    time_t now, struct lh_response *resp)
{
	struct lh_api_answer	 a;
	int			 seat;

	memset(&a, 0, sizeof(a));
	a.op = op;
	a.verdict = &lr->verdict;
	seat = lr->facts.instance_found || lr->instance_new;
	if (lr->facts.found) {
		a.license_id = lr->ki.lic.id;
		a.key = lr->ki.lic.key;
		a.status = license_status_name(lr->view.status);
		a.activation_usage = lr->facts.instances;
		a.created_at = lr->ki.lic.created_at;
		a.expires_at = lr->view.expires_at;
		a.customer_name = lr->ki.name[0] ? lr->ki.name : NULL;
		a.customer_email = lr->ki.email[0] ? lr->ki.email : NULL;
		a.tier = lr->view.tier;
		a.features = lr->facts.tier != NULL ?
		    lr->facts.tier->features : NULL;
		a.grace_deadline = lr->view.grace_deadline;
	}
	if (seat) {
		a.instance_id = lr->inst.id;
		a.instance_name = lr->inst.name;
		a.instance_created_at = lr->inst.created_at;
	}
	if (want_token && lr->token[0] != '\0')
		a.token = lr->token;
	a.checked_at = (long long)now;
	resp->status = lr->verdict.http;
	resp->err = LH_OK;
	snprintf(resp->outcome, sizeof(resp->outcome), "%s",
	    api_code_name(lr->verdict.code));
	return api_fmt(&a, &resp->dynbody, &resp->dynlen);
}

void
licenses_sign(struct lh_ctx *ctx, struct lh_response *resp)
{
	char		 sig[LH_SIG_B64_MAX];
	const char	*body = resp->dynbody ? resp->dynbody : resp->body;
	size_t		 len = resp->dynbody ? resp->dynlen : strlen(resp->body);

	if (ctx->signkey == NULL ||
	    token_sign_b64(ctx->signkey, body, len, sig) != LH_OK)
		return;
	snprintf(resp->sig_header, sizeof(resp->sig_header),
	    "kid=%s, ed25519=%s", ctx->signkey->kid, sig);
}

void
licenses_handle(struct lh_ctx *ctx, enum lh_api_op op,
    const struct lh_request *req, time_t now, struct lh_response *resp)
{
	const struct lh_conf	*conf = ctx->conf;
	struct lh_api_req	 ar;
	struct lreq		*lr = NULL;
	enum lstore		 failed = LS_NONE;
	char			 errbuf[sizeof(resp->detail) - 16];
	size_t			 i;
	enum lh_err		 r;

	snprintf(resp->event_type, sizeof(resp->event_type), "%s",
	    op_names[op]);
	/* Without keys_dir the API is not offered at all. */
	if (conf->api.keys_dir == NULL) {
		webhook_fail(resp, LH_ERR_NOT_FOUND);
		return;
	}
	if ((r = api_parse(req->content_type, req->body, req->bodylen, &ar))
	    != LH_OK)
		goto out;
	if ((lr = calloc(1, sizeof(*lr))) == NULL) {
		r = LH_ERR_NOMEM;
		goto out;
	}
	for (i = 0; ar.license_key[i] != '\0' && i < sizeof(lr->key) - 1; i++)
		lr->key[i] = (char)toupper((unsigned char)ar.license_key[i]);
	lr->key[i] = '\0';
	keygen_mask(lr->key, resp->key_masked, sizeof(resp->key_masked));

	if (ctx->signkey == NULL) {
		r = LH_ERR_SIGNING;
		goto out;
	}
	if (ctx->db == NULL && (r = db_open(conf->database,
	    conf->usage_database, conf->busy_timeout, 1, &ctx->db,
	    resp->detail, sizeof(resp->detail))) != LH_OK)
		goto out;
	/* Made on first use, next to the database by default. */
	if (ctx->usage == NULL && (r = usage_open(conf->usage_database,
	    conf->busy_timeout, &ctx->usage, errbuf, sizeof(errbuf))) !=
	    LH_OK) {
		snprintf(resp->detail, sizeof(resp->detail),
		    "usage database %s", errbuf);
		failed = LS_USAGE;
		goto out;
	}
	if (op == LH_API_VALIDATE)
		r = licenses_validate(ctx, &ar, req, now, lr, resp, &failed);
	else
		r = licenses_change(ctx, op, &ar, req, now, lr, resp, &failed);
	if (r != LH_OK)
		goto out;
	if (ar.want_token && (r = licenses_token(ctx, op, now, lr)) != LH_OK)
		goto out;
	r = licenses_answer(op, lr, ar.want_token, now, resp);
 out:
	if (r != LH_OK) {
		free(resp->dynbody);
		resp->dynbody = NULL;
		resp->outcome[0] = '\0';
		webhook_fail(resp, r);
		/* A handle that cannot write is dropped, and the file opened
		 * afresh by the next request. */
		if (r == LH_ERR_DB_CORRUPT || r == LH_ERR_DB_IO ||
		    r == LH_ERR_DB_READONLY) {
			if (failed == LS_USAGE) {
				usage_close(ctx->usage);
				ctx->usage = NULL;
			} else {
				db_close(ctx->db);
				ctx->db = NULL;
			}
		}
	}
	if (lr != NULL) {
		OPENSSL_cleanse(lr, sizeof(*lr));
		free(lr);
	}
	licenses_sign(ctx, resp);
}
