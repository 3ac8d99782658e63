/*
 * The Stripe webhook handler: verify, parse, then record and apply the
 * event in one SQLite transaction.  A 2xx is answered only after COMMIT
 * returned OK; any storage failure answers 503 so that Stripe retries.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/rand.h>

#include "lh.h"
#include "io.h"

void
webhook_fail(struct lh_response *resp, enum lh_err err)
{
	resp->err = err;
	resp->status = lh_err_http(err);
	if (resp->status == 503)
		resp->retry_after = LH_RETRY_AFTER;
	snprintf(resp->body, sizeof(resp->body),
	    "{\"error\":\"%s\",\"message\":\"%s\"}",
	    lh_err_code(err), lh_err_msg(err));
}

static void
webhook_ok(struct lh_response *resp, const char *extra)
{
	resp->err = LH_OK;
	resp->status = 200;
	snprintf(resp->body, sizeof(resp->body), "{\"received\":true%s}",
	    extra != NULL ? extra : "");
}

/* Open the store on first need; a failed open is retried next request. */
static enum lh_err
webhook_db(struct lh_ctx *ctx, struct lh_response *resp)
{
	enum lh_err	 r;

	if (ctx->db != NULL)
		return LH_OK;
	r = db_open(ctx->conf->database, ctx->conf->busy_timeout, 1, &ctx->db,
	    resp->detail, sizeof(resp->detail));
	return r;
}

/* A fresh key that no license has yet, from OpenSSL's CSPRNG. */
static enum lh_err
webhook_new_key(struct lh_ctx *ctx, char key[LH_KEY_MAX])
{
	const struct lh_keyfmt	*fmt = &ctx->conf->keyfmt;
	uint8_t			 rnd[64];
	size_t			 need;
	enum lh_err		 r;
	int			 tries, exists;

	need = keygen_random_len(fmt);
	if (need == 0 || need > sizeof(rnd))
		return LH_ERR_KEYGEN;
	for (tries = 0; tries < LH_KEYGEN_TRIES; tries++) {
		if (RAND_bytes(rnd, (int)need) != 1) {
			r = LH_ERR_KEYGEN;
			goto out;
		}
		if ((r = keygen_fmt(fmt, rnd, need, key, LH_KEY_MAX)) != LH_OK)
			goto out;
		if ((r = db_key_exists(ctx->db, key, &exists)) != LH_OK)
			goto out;
		if (!exists)
			goto out;
	}
	r = LH_ERR_KEYGEN;
 out:
	OPENSSL_cleanse(rnd, sizeof(rnd));
	return r;
}

/* Create the purchase's license, or link to the one an earlier event for
 * the same session or subscription made. */
static enum lh_err
webhook_create(struct lh_ctx *ctx, const struct lh_event *ev,
    const struct lh_decision *d, time_t now, int64_t *license_id,
    struct lh_response *resp)
{
	char		 key[LH_KEY_MAX] = "";
	int64_t		 customer = 0, id = 0;
	enum lh_err	 r;

	if ((r = db_license_find(ctx->db, LH_PROVIDER_STRIPE, ev->object_id,
	    ev->subscription_id, &id)) != LH_OK)
		goto out;
	if ((r = db_customer_put(ctx->db, LH_PROVIDER_STRIPE, ev->customer_id,
	    ev->email, ev->name, now, &customer)) != LH_OK)
		goto out;
	if (id != 0) {
		r = db_license_link(ctx->db, id, ev->object_id,
		    ev->subscription_id, customer, now);
		snprintf(resp->outcome, sizeof(resp->outcome), "exists");
		*license_id = id;
		goto out;
	}
	if ((r = webhook_new_key(ctx, key)) != LH_OK)
		goto out;
	if ((r = db_license_put(ctx->db, LH_PROVIDER_STRIPE, key, customer,
	    ev->object_id, ev->subscription_id, d->tier->name, "active",
	    ev->livemode, now, &id)) != LH_OK)
		goto out;
	if ((r = db_audit_put(ctx->db, id, now, ev->id, NULL, "active", NULL,
	    d->tier->name)) != LH_OK)
		goto out;
	keygen_mask(key, resp->key_masked, sizeof(resp->key_masked));
	snprintf(resp->outcome, sizeof(resp->outcome), "created");
	*license_id = id;
 out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

void
webhook_stripe(struct lh_ctx *ctx, const struct lh_request *req, time_t now,
    struct lh_response *resp)
{
	const struct lh_conf	*conf = ctx->conf;
	struct lh_event		*ev = NULL;
	struct lh_decision	 d;
	const char		*ignored = NULL;
	char			 extra[96];
	int64_t			 license_id = 0;
	enum lh_err		 r;
	int			 seen = 0, in_tx = 0;

	/* Stripe docs, "verify webhook signatures": over the raw bytes,
	 * before anything looks inside them. */
	if ((r = sig_stripe_verify(req->stripe_signature, req->body,
	    req->bodylen, conf->stripe_secrets, conf->nstripe_secrets, now,
	    conf->tolerance, NULL)) != LH_OK)
		goto out;
	if ((r = event_parse(req->body, req->bodylen, &ev)) != LH_OK)
		goto out;
	snprintf(resp->event_id, sizeof(resp->event_id), "%s", ev->id);
	snprintf(resp->event_type, sizeof(resp->event_type), "%s",
	    ev->type_name);

	if ((r = webhook_db(ctx, resp)) != LH_OK)
		goto out;
	if ((r = db_begin(ctx->db)) != LH_OK)
		goto out;
	in_tx = 1;
	if ((r = db_event_seen(ctx->db, LH_PROVIDER_STRIPE, ev->id, &seen))
	    != LH_OK)
		goto out;
	if (seen) {
		snprintf(resp->outcome, sizeof(resp->outcome), "duplicate");
		goto out;
	}

	if (ev->livemode != (conf->mode == LH_MODE_LIVE))
		ignored = "livemode_mismatch";
	else {
		if ((r = license_decide(conf, ev, NULL, now, &d)) != LH_OK) {
			if (r == LH_ERR_TIER_UNKNOWN)
				snprintf(resp->detail, sizeof(resp->detail),
				    "no tier for plan=%s client_reference_id=%s"
				    " and no [tiers] default",
				    ev->plan_hint ? ev->plan_hint : "-",
				    ev->client_reference_id ?
				    ev->client_reference_id : "-");
			goto out;
		}
		if (d.action == LH_ACT_IGNORE)
			ignored = d.reason;
		else if ((r = webhook_create(ctx, ev, &d, now, &license_id,
		    resp)) != LH_OK)
			goto out;
	}
	if (ignored != NULL)
		snprintf(resp->outcome, sizeof(resp->outcome), "ignored:%s",
		    ignored);
	if ((r = db_event_put(ctx->db, LH_PROVIDER_STRIPE, ev, req->body,
	    req->bodylen, now, resp->outcome, license_id)) != LH_OK)
		goto out;
	if ((r = db_commit(ctx->db)) != LH_OK)
		goto out;
	in_tx = 0;
	r = LH_OK;
 out:
	if (in_tx)
		db_rollback(ctx->db);
	if (r != LH_OK) {
		resp->outcome[0] = '\0';
		resp->key_masked[0] = '\0';
		if (resp->detail[0] == '\0' && r >= LH_ERR_DB_BUSY &&
		    r <= LH_ERR_DB)
			snprintf(resp->detail, sizeof(resp->detail), "%s",
			    db_errmsg(ctx->db));
		webhook_fail(resp, r);
		/* After corruption or an I/O error the handle may be stuck:
		 * drop it and open afresh on the next request. */
		if (r == LH_ERR_DB_CORRUPT || r == LH_ERR_DB_IO) {
			db_close(ctx->db);
			ctx->db = NULL;
		}
	} else if (seen)
		webhook_ok(resp, ",\"duplicate\":true");
	else if (ignored != NULL) {
		snprintf(extra, sizeof(extra), ",\"ignored\":\"%s\"", ignored);
		webhook_ok(resp, extra);
	} else
		webhook_ok(resp, NULL);
	event_free(ev);
}
