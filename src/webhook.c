/*
 * The Stripe webhook handler: verify, parse, then record and apply the
 * event in one SQLite transaction.  A 2xx is answered only after COMMIT
 * returned OK; any storage failure answers 503 so that Stripe retries.
 *
 * The customer notices a change calls for are queued in the outbox in the
 * same transaction (mail.c sends them after the answer).
 *
 * Stripe delivers at least once and in no guaranteed order, so an event
 * that needs a license which does not exist yet is recorded as deferred
 * and applied again, in the same transaction, when an event creates or
 * changes that license (license.c makes the result order-independent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lh.h"
#include "io.h"

/* What applying one event did, for the events row and the log. */
struct apply {
	int64_t		 license_id;
	char		 outcome[LH_OUTCOME_MAX];
	const char	*ref;		/* deferred: what it waits on */
	int		 changed;	/* a license was created or updated */
	char		 key_masked[LH_KEY_MAX];
};

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

static int
is_checkout(const struct lh_event *ev)
{
	return ev->type == LH_EVT_CHECKOUT_COMPLETED ||
	    ev->type == LH_EVT_CHECKOUT_ASYNC_PAID;
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

/*
 * The license an event is about: by subscription or checkout session,
 * then by a payment it was recorded for, and for refunds and disputes
 * (which name only a charge) by the customer's one and only license.
 */
static enum lh_err
webhook_find(struct lh_ctx *ctx, const struct lh_event *ev, int64_t *id)
{
	const char	*refs[3];
	enum lh_err	 r;
	size_t		 i;

	if ((r = db_license_find(ctx->db, LH_PROVIDER_STRIPE,
	    is_checkout(ev) ? ev->object_id : NULL, ev->subscription_id, id))
	    != LH_OK || *id != 0)
		return r;
	refs[0] = ev->invoice_id;
	refs[1] = ev->payment_intent;
	refs[2] = ev->charge_id;
	for (i = 0; i < 3; i++)
		if ((r = db_license_by_payment(ctx->db, LH_PROVIDER_STRIPE,
		    refs[i], id)) != LH_OK || *id != 0)
			return r;
	if (ev->type == LH_EVT_CHARGE_REFUNDED ||
	    ev->type == LH_EVT_DISPUTE_CREATED ||
	    ev->type == LH_EVT_DISPUTE_CLOSED)
		return db_license_by_customer(ctx->db, LH_PROVIDER_STRIPE,
		    ev->customer_id, id);
	return LH_OK;
}

/*
 * The payment references an event names (invoice, payment intent,
 * charge): remembered for its license so that a later refund, dispute or
 * invoice_payment of one of them finds it, and the keys deferred events
 * wait on.
 */
static size_t
webhook_refs(const struct lh_event *ev, const char *refs[LH_EVENT_REFS])
{
	size_t	 n = 0;

	if (ev->invoice_id != NULL)
		refs[n++] = ev->invoice_id;
	if (ev->payment_intent != NULL)
		refs[n++] = ev->payment_intent;
	if (ev->charge_id != NULL)
		refs[n++] = ev->charge_id;
	return n;
}

static enum lh_err
webhook_payments(struct lh_ctx *ctx, const struct lh_event *ev, int64_t id)
{
	const char	*refs[LH_EVENT_REFS];
	enum lh_err	 r;
	size_t		 n, i;

	n = webhook_refs(ev, refs);
	for (i = 0; i < n; i++)
		if ((r = db_payment_put(ctx->db, LH_PROVIDER_STRIPE, refs[i],
		    id)) != LH_OK)
			return r;
	return LH_OK;
}

/*
 * Queue one customer notice about the license with key, in the event's
 * transaction, so that a rolled-back event sends nothing and a committed
 * one always has its notice.  Only storage errors fail the event:
 * mail_queue() logs and skips a bad address or template, and the license
 * is made all the same.
 */
static enum lh_err
webhook_notice(struct lh_ctx *ctx, const struct db_keyinfo *ki,
    enum lh_notice n, long long anchor, time_t now)
{
	const char	*skipped;
	int64_t		 id;

	return mail_queue(ctx->mail, ctx->db, ctx->conf, &ki->lic, n, anchor,
	    now, &id, &skipped);
}

/* The license with key, with its customer's contact, for a notice. */
static enum lh_err
webhook_mail_get(struct lh_ctx *ctx, const char *key, struct db_keyinfo *ki,
    int *found)
{
	enum lh_err	 r;

	*found = 0;
	if (!mail_on(ctx->conf))
		return LH_OK;
	if (ctx->mail == NULL && (ctx->mail = mail_new(ctx->conf)) == NULL)
		return LH_ERR_NOMEM;
	if ((r = db_license_by_key(ctx->db, key, ki, found)) != LH_OK)
		return r;
	ki->lic.email = ki->email[0] != '\0' ? ki->email : NULL;
	ki->lic.name = ki->name[0] != '\0' ? ki->name : NULL;
	return LH_OK;
}

/*
 * The notices a license change calls for: the key for a new license
 * (before is NULL), what mailfmt_due() finds due in the new state, a
 * reinstatement when a suspended or grace license works normally again,
 * and a downgrade that this change put in force, or whose date had come
 * but which this change folded into the tier (old_facts held it as
 * pending; the new facts no longer show it, so mailfmt_due() cannot).
 * A downgrade anchors on its pending date when it had one, as
 * mailfmt_due() does, so that tick and webhook queue it once.
 */
/* 1 if the effective tier went down a rank with this change. */
static int
webhook_downgraded(const struct lh_conf *conf, const struct lh_lic_view *a,
    const struct lh_lic_view *b)
{
	const struct lh_tier	*ta, *tb;

	if (a->tier == NULL || b->tier == NULL)
		return 0;
	ta = conf_tier_by_name(conf, a->tier);
	tb = conf_tier_by_name(conf, b->tier);
	return ta != NULL && tb != NULL && tb->rank < ta->rank;
}

static enum lh_err
webhook_notices(struct lh_ctx *ctx, const struct lh_event *ev,
    const char *key, const struct lh_lic_facts *old_facts,
    const struct lh_lic_view *before, const struct lh_lic_view *after,
    time_t now)
{
	struct db_keyinfo	 ki;
	long long		 anchor;
	enum lh_err		 r;
	int			 found, queued;

	if ((r = webhook_mail_get(ctx, key, &ki, &found)) != LH_OK || !found)
		goto out;
	if (before == NULL && (r = webhook_notice(ctx, &ki, LH_NOTICE_KEY,
	    (long long)ki.lic.id, now)) != LH_OK)
		goto out;
	if ((r = mail_queue_due(ctx->mail, ctx->db, ctx->conf, &ki.lic, after,
	    now, &queued)) != LH_OK)
		goto out;
	if (old_facts != NULL && after->valid && after->grace ==
	    LH_GRACE_NONE && webhook_downgraded(ctx->conf, before, after)) {
		anchor = old_facts->pending_tier[0] != '\0' &&
		    old_facts->pending_at <= (long long)now ?
		    old_facts->pending_at : ev->created;
		if ((r = webhook_notice(ctx, &ki, LH_NOTICE_DOWNGRADED,
		    anchor, now)) != LH_OK)
			goto out;
	} else if (old_facts != NULL && old_facts->pending_tier[0] != '\0' &&
	    old_facts->pending_at <= (long long)now &&
	    ki.lic.facts.pending_tier[0] == '\0' && after->valid &&
	    (r = webhook_notice(ctx, &ki, LH_NOTICE_DOWNGRADED,
	    old_facts->pending_at, now)) != LH_OK)
		goto out;
	if (before != NULL && (before->status == LH_LIC_SUSPENDED ||
	    before->status == LH_LIC_GRACE) &&
	    (after->status == LH_LIC_ACTIVE ||
	    after->status == LH_LIC_TRIALING))
		r = webhook_notice(ctx, &ki, LH_NOTICE_REINSTATED, ev->created,
		    now);
 out:
	OPENSSL_cleanse(&ki, sizeof(ki));
	return r;
}

/* customer.subscription.trial_will_end: Stripe's reminder three days
 * before a trial ends, passed on to the customer. */
static enum lh_err
webhook_trial_notice(struct lh_ctx *ctx, const struct lh_event *ev,
    const struct db_license *lic, time_t now)
{
	struct db_keyinfo	 ki;
	long long		 anchor;
	enum lh_err		 r;
	int			 found;

	anchor = ev->trial_end != 0 ? ev->trial_end :
	    lic->facts.trial_end != 0 ? lic->facts.trial_end : ev->created;
	if ((r = webhook_mail_get(ctx, lic->key, &ki, &found)) == LH_OK &&
	    found)
		r = webhook_notice(ctx, &ki, LH_NOTICE_TRIAL_ENDING, anchor,
		    now);
	OPENSSL_cleanse(&ki, sizeof(ki));
	return r;
}

static enum lh_err
webhook_create(struct lh_ctx *ctx, const struct lh_event *ev,
    const struct lh_decision *d, int64_t customer, time_t now,
    struct apply *a)
{
	struct lh_lic_view	 view;
	char			 key[LH_KEY_MAX] = "";
	enum lh_err		 r;

	if ((r = webhook_new_key(ctx, key)) != LH_OK)
		goto out;
	license_view(ctx->conf, &d->facts, now, &view);
	if ((r = db_license_put(ctx->db, LH_PROVIDER_STRIPE, key, customer,
	    is_checkout(ev) ? ev->object_id : NULL, ev->subscription_id,
	    &d->facts, &view, ev->livemode, now, &a->license_id)) != LH_OK)
		goto out;
	if ((r = db_audit_put(ctx->db, a->license_id, now, ev->id, NULL,
	    &view)) != LH_OK)
		goto out;
	keygen_mask(key, a->key_masked, sizeof(a->key_masked));
	r = webhook_notices(ctx, ev, key, NULL, NULL, &view, now);
 out:
	OPENSSL_cleanse(key, sizeof(key));
	return r;
}

static enum lh_err
webhook_update(struct lh_ctx *ctx, const struct lh_event *ev,
    const struct db_license *old, const struct lh_decision *d, time_t now,
    struct apply *a)
{
	struct lh_lic_view	 before, after;
	enum lh_err		 r;

	license_view(ctx->conf, &old->facts, now, &before);
	license_view(ctx->conf, &d->facts, now, &after);
	if ((r = db_license_update(ctx->db, old->id, &d->facts, &after, now))
	    != LH_OK)
		return r;
	keygen_mask(old->key, a->key_masked, sizeof(a->key_masked));
	if ((r = db_audit_put(ctx->db, old->id, now, ev->id, &before, &after))
	    != LH_OK)
		return r;
	return webhook_notices(ctx, ev, old->key, &old->facts, &before, &after,
	    now);
}

/*
 * Apply one verified event: the customer record, then the license
 * decision.  Fills a; the caller records the event.
 */
static enum lh_err
webhook_apply(struct lh_ctx *ctx, const struct lh_event *ev, time_t now,
    struct apply *a, struct lh_response *resp)
{
	struct db_license	 lic;
	struct lh_decision	 d;
	const char		*prefix;
	int64_t			 customer = 0, id = 0;
	enum lh_err		 r;
	int			 found = 0;

	memset(a, 0, sizeof(*a));
	memset(&lic, 0, sizeof(lic));
	/* customer.* events are the record of truth for email and name;
	 * what checkouts and invoices carry only fills gaps. */
	if ((r = db_customer_put(ctx->db, LH_PROVIDER_STRIPE, ev->customer_id,
	    ev->email, ev->name, ev->type == LH_EVT_CUSTOMER, now, &customer))
	    != LH_OK)
		goto out;
	if ((r = webhook_find(ctx, ev, &id)) != LH_OK)
		goto out;
	if (id != 0 && (r = db_license_get(ctx->db, id, &lic, &found))
	    != LH_OK)
		goto out;
	if ((r = license_decide(ctx->conf, ev, found ? &lic.facts : NULL, now,
	    &d)) != LH_OK) {
		if (r == LH_ERR_TIER_UNKNOWN)
			snprintf(resp->detail, sizeof(resp->detail),
			    "no tier for price=%s plan=%s client_reference_id=%s"
			    " and no [tiers] default",
			    ev->nprices > 0 ? ev->prices[0] : "-",
			    ev->plan_hint ? ev->plan_hint : "-",
			    ev->client_reference_id ?
			    ev->client_reference_id : "-");
		goto out;
	}

	switch (d.action) {
	case LH_ACT_CREATE:
		if ((r = webhook_create(ctx, ev, &d, customer, now, a))
		    != LH_OK)
			goto out;
		a->changed = 1;
		prefix = "";
		break;
	case LH_ACT_UPDATE:
		a->license_id = lic.id;
		if ((r = webhook_update(ctx, ev, &lic, &d, now, a)) != LH_OK)
			goto out;
		a->changed = 1;
		prefix = "";
		break;
	case LH_ACT_STALE:
		a->license_id = lic.id;
		prefix = "stale:";
		break;
	case LH_ACT_DEFER:
		/* What the license it waits for will be known by first. */
		a->ref = ev->subscription_id ? ev->subscription_id :
		    ev->invoice_id ? ev->invoice_id :
		    ev->payment_intent ? ev->payment_intent :
		    ev->charge_id ? ev->charge_id : ev->object_id;
		prefix = "deferred:";
		break;
	default:
		if (found && ev->type == LH_EVT_SUB_TRIAL_END &&
		    (r = webhook_trial_notice(ctx, ev, &lic, now)) != LH_OK)
			goto out;
		a->license_id = found ? lic.id : 0;
		/* A repeat checkout for a licensed session is not ignored:
		 * it is linked below. */
		prefix = found && is_checkout(ev) && d.reason != NULL &&
		    strcmp(d.reason, "exists") == 0 ? "" : "ignored:";
		break;
	}
	snprintf(a->outcome, sizeof(a->outcome), "%s%s", prefix,
	    d.reason ? d.reason : "-");
	if (a->license_id != 0) {
		/* A second checkout event or the subscription's first event
		 * fills in what the first one lacked. */
		if ((r = db_license_link(ctx->db, a->license_id,
		    is_checkout(ev) ? ev->object_id : NULL,
		    ev->subscription_id, customer, now)) != LH_OK)
			goto out;
		if ((r = webhook_payments(ctx, ev, a->license_id)) != LH_OK)
			goto out;
	}
	r = LH_OK;
 out:
	return r;
}

/* A work list of references whose deferred events are due. */
struct replay {
	const char	*ref[LH_REPLAY_MAX];
	char		*owned[LH_REPLAY_MAX];	/* copies of replayed refs */
	size_t		 n, done;
	size_t		 replayed;
};

static void
replay_push(struct replay *w, const char *ref, int copy)
{
	size_t	 i;

	if (ref == NULL || w->n == LH_REPLAY_MAX)
		return;
	for (i = 0; i < w->n; i++)
		if (strcmp(w->ref[i], ref) == 0)
			return;
	if (copy) {
		if ((w->owned[w->n] = strdup(ref)) == NULL)
			return;
		ref = w->owned[w->n];
	}
	w->ref[w->n++] = ref;
}

/*
 * Apply, oldest first, the deferred events waiting on what ev names; an
 * event applied that way may name payments others wait on, so its
 * references join the list.  At most LH_REPLAY_MAX events per request.
 */
static enum lh_err
webhook_replay(struct lh_ctx *ctx, const struct lh_event *ev, time_t now,
    struct lh_response *resp)
{
	struct db_deferred	 dv[LH_REPLAY_MAX];
	struct replay		 w;
	struct lh_event		*old;
	struct apply		 a;
	const char		*refs[LH_EVENT_REFS];
	size_t			 n = 0, i, j, nr;
	enum lh_err		 r = LH_OK;
	int			 any;

	/* Out-of-order deliveries are the exception: one look first. */
	if ((r = db_deferred_any(ctx->db, LH_PROVIDER_STRIPE, &any)) != LH_OK ||
	    !any)
		return r;
	memset(&w, 0, sizeof(w));
	replay_push(&w, ev->subscription_id, 0);
	replay_push(&w, ev->object_id, 0);
	nr = webhook_refs(ev, refs);
	for (j = 0; j < nr; j++)
		replay_push(&w, refs[j], 0);
	for (; w.done < w.n && w.replayed < LH_REPLAY_MAX; w.done++) {
		if ((r = db_deferred_get(ctx->db, LH_PROVIDER_STRIPE,
		    w.ref[w.done], dv, LH_REPLAY_MAX - w.replayed, &n))
		    != LH_OK)
			break;
		for (i = 0; i < n && r == LH_OK; i++) {
			w.replayed++;
			/* Stored only after it verified and parsed once. */
			if ((r = event_parse(dv[i].body, dv[i].bodylen, &old))
			    != LH_OK)
				break;
			r = webhook_apply(ctx, old, now, &a, resp);
			if (r == LH_OK && a.ref == NULL) {
				r = db_event_outcome(ctx->db,
				    LH_PROVIDER_STRIPE, dv[i].id, a.outcome,
				    a.license_id);
				nr = webhook_refs(old, refs);
				for (j = 0; j < nr; j++)
					replay_push(&w, refs[j], 1);
			}
			event_free(old);
		}
		db_deferred_free(dv, n);
		if (r != LH_OK)
			break;
	}
	for (i = 0; i < w.n; i++)
		free(w.owned[i]);
	return r;
}

void
webhook_stripe(struct lh_ctx *ctx, const struct lh_request *req, time_t now,
    struct lh_response *resp)
{
	const struct lh_conf	*conf = ctx->conf;
	struct lh_event		*ev = NULL;
	struct apply		 a;
	char			 extra[LH_OUTCOME_MAX + 32];
	enum lh_err		 r;
	int			 seen = 0, in_tx = 0;

	memset(&a, 0, sizeof(a));
	extra[0] = '\0';
	/* Stripe docs, "verify webhook signatures": over the raw bytes,
	 * before anything looks inside them.  The secrets are keyed once
	 * per worker, not per request. */
	if (ctx->sig_keys == NULL && (r = sig_keys_new(conf->stripe_secrets,
	    conf->nstripe_secrets, &ctx->sig_keys)) != LH_OK)
		goto out;
	if ((r = sig_keys_verify(ctx->sig_keys, req->stripe_signature,
	    req->body, req->bodylen, now, conf->tolerance, NULL)) != LH_OK)
		goto out;
	if ((r = event_parse(req->body, req->bodylen, &ev)) != LH_OK)
		goto out;
	snprintf(resp->event_id, sizeof(resp->event_id), "%s", ev->id);
	snprintf(resp->event_type, sizeof(resp->event_type), "%s",
	    ev->type_name);

	if (ctx->db == NULL && (r = db_open(conf->database,
	    conf->usage_database, conf->busy_timeout, 1, &ctx->db,
	    resp->detail, sizeof(resp->detail))) != LH_OK)
		goto out;
	if ((r = db_begin(ctx->db)) != LH_OK)
		goto out;
	in_tx = 1;
	if ((r = db_event_seen(ctx->db, LH_PROVIDER_STRIPE, ev->id, &seen))
	    != LH_OK)
		goto out;
	if (seen) {
		db_rollback(ctx->db);
		in_tx = 0;
		/* The first delivery may still be waiting for its flush. */
		if ((r = db_sync_read(ctx->db)) != LH_OK)
			goto out;
		snprintf(a.outcome, sizeof(a.outcome), "duplicate");
		snprintf(extra, sizeof(extra), ",\"duplicate\":true");
		goto out;
	}
	if (ev->livemode != (conf->mode == LH_MODE_LIVE))
		snprintf(a.outcome, sizeof(a.outcome),
		    "ignored:livemode_mismatch");
	else {
		if ((r = webhook_apply(ctx, ev, now, &a, resp)) != LH_OK)
			goto out;
		/* Whatever touched a license may unblock deferred events. */
		if (a.license_id != 0 && (r = webhook_replay(ctx, ev, now,
		    resp)) != LH_OK)
			goto out;
	}
	if ((r = db_event_put(ctx->db, LH_PROVIDER_STRIPE, ev, req->body,
	    req->bodylen, now, a.outcome, a.license_id, a.ref)) != LH_OK)
		goto out;
	if ((r = db_commit(ctx->db)) != LH_OK)
		goto out;
	in_tx = 0;
	if (strncmp(a.outcome, "ignored:", 8) == 0)
		snprintf(extra, sizeof(extra), ",\"ignored\":\"%.48s\"",
		    a.outcome + 8);
	else if (strncmp(a.outcome, "stale:", 6) == 0)
		snprintf(extra, sizeof(extra), ",\"stale\":\"%.48s\"",
		    a.outcome + 6);
	else if (strncmp(a.outcome, "deferred:", 9) == 0)
		snprintf(extra, sizeof(extra), ",\"deferred\":\"%.48s\"",
		    a.outcome + 9);
	r = LH_OK;
 out:
	/* SQLite's reason first: ROLLBACK replaces it. */
	if (r != LH_OK && resp->detail[0] == '\0' && r >= LH_ERR_DB_BUSY &&
	    r <= LH_ERR_DB)
		snprintf(resp->detail, sizeof(resp->detail), "%s",
		    db_errmsg(ctx->db));
	if (in_tx)
		db_rollback(ctx->db);
	if (r != LH_OK) {
		webhook_fail(resp, r);
		/* After corruption or an I/O error the handle may be stuck,
		 * and one opened while the file was read-only stays so:
		 * drop it and open afresh on the next request. */
		if (r == LH_ERR_DB_CORRUPT || r == LH_ERR_DB_IO ||
		    r == LH_ERR_DB_READONLY) {
			db_close(ctx->db);
			ctx->db = NULL;
		}
	} else {
		resp->err = LH_OK;
		resp->status = 200;
		snprintf(resp->body, sizeof(resp->body),
		    "{\"received\":true%s}", extra);
		snprintf(resp->outcome, sizeof(resp->outcome), "%s",
		    a.outcome);
		snprintf(resp->key_masked, sizeof(resp->key_masked), "%s",
		    a.key_masked);
	}
	event_free(ev);
}
