/*
 * License decisions: what an event does to a license, and what a license
 * is at a moment.  Pure: no clock, no database, no I/O; the caller
 * records the event, applies the decision and checks livemode against
 * the configured mode first.
 *
 * Stripe does not deliver events in order, and retries make any order
 * possible ("Event ordering", Stripe docs, webhooks best practices).  So
 * a license is stored as facts, each kept with the event time that set
 * it (struct lh_lic_facts), and each event merges into them by rules
 * that give the same result in any order: times only move forward,
 * period ends are maxima, the newest subscription snapshot wins, a
 * failed payment counts only if no later payment succeeded.  What a key
 * is worth right now (grace step, expiry, a downgrade that has come due)
 * is derived from the facts and the clock by license_view(), never
 * stored, so no periodic job is needed.
 *
 * A revocation is one more fact, not an end to the others: a revoked
 * license still takes every event, so that the facts a revocation
 * arrives among are the same whatever its place in the order.  The
 * earliest revocation is kept and none is undone; license_view() shows
 * a revoked license as revoked whatever else its facts say.
 *
 * license_decide() dispatches on the event type to one decide_* function
 * per kind of event; the fact groups have small helpers (tier_*,
 * snap_*, period_*).
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lh.h"

/* Reasons are stable, log- and JSON-safe: operators grep for them. */
#define LIC_R_CREATED		"created"
#define LIC_R_UNHANDLED		"unhandled_type"
#define LIC_R_NOT_PURCHASE	"not_a_purchase"
#define LIC_R_NOT_PAID		"not_paid"
#define LIC_R_TIER_UNKNOWN	"tier_unknown"
#define LIC_R_ERROR		"internal_error"
#define LIC_R_NO_LICENSE	"no_license"
#define LIC_R_CUSTOMER		"customer_record"
#define LIC_R_RECORDED		"recorded"
#define LIC_R_EXISTS		"exists"
#define LIC_R_REVOKED		"revoked"
#define LIC_R_PAYMENT_RECORDED	"payment_recorded"
#define LIC_R_UNCHANGED		"unchanged"
#define LIC_R_UNKNOWN_STATUS	"unknown_status"
#define LIC_R_NO_SUB		"no_subscription"
#define LIC_R_OLDER_SNAPSHOT	"older_snapshot"
#define LIC_R_PAID_SINCE	"paid_since"
#define LIC_R_OLDER_DISPUTE	"older_dispute"
#define LIC_R_PARTIAL_REFUND	"partial_refund"
#define LIC_R_REFUND_RECORDED	"refund_recorded"
#define LIC_R_RENEWED		"renewed"
#define LIC_R_RECOVERED		"recovered"
#define LIC_R_UPGRADED		"upgraded"
#define LIC_R_DOWNGRADED	"downgraded"
#define LIC_R_DOWNGRADE_PENDING	"downgrade_pending"
#define LIC_R_GRACE_STARTED	"grace_started"
#define LIC_R_CANCELED		"canceled"
#define LIC_R_PAUSED		"paused"
#define LIC_R_RESUMED		"resumed"
#define LIC_R_REFUNDED		"refunded"
#define LIC_R_DISPUTED		"disputed"
#define LIC_R_DISPUTE_WON	"dispute_won"
#define LIC_R_DISPUTE_LOST	"dispute_lost"
#define LIC_R_DISPUTE_CLOSED	"dispute_closed"
#define LIC_R_UPDATED		"updated"

/* Why a view is not valid (static, unlike the stored revocation text). */
#define LIC_V_DISPUTED		"disputed"
#define LIC_V_PAUSED		"paused"
#define LIC_V_INCOMPLETE	"incomplete"
#define LIC_V_PAYMENT_FAILED	"payment_failed"
#define LIC_V_UNPAID		"unpaid"
#define LIC_V_CANCELED		"canceled"
#define LIC_V_EXPIRED		"expired"

#define nitems(a)		(sizeof(a) / sizeof((a)[0]))

/* How an event moved the tier; MOVE_NONE also when nothing changed. */
enum tier_move {
	MOVE_NONE = 0,
	MOVE_UP,		/* higher rank: now */
	MOVE_SIDEWAYS,		/* same rank, another tier: now */
	MOVE_DOWN_LATER,	/* lower rank: pending until the period ends */
	MOVE_DOWN_NOW		/* lower rank, and the period already ended */
};

static const char *const sub_names[] = {
	[LH_SUB_NONE] = "none",
	[LH_SUB_ACTIVE] = "active",
	[LH_SUB_TRIALING] = "trialing",
	[LH_SUB_PAST_DUE] = "past_due",
	[LH_SUB_UNPAID] = "unpaid",
	[LH_SUB_CANCELED] = "canceled",
	[LH_SUB_INCOMPLETE] = "incomplete",
	[LH_SUB_INCOMPLETE_EXPIRED] = "incomplete_expired",
	[LH_SUB_PAUSED] = "paused"
};

/*
 * Stripe's created times are whole seconds, and a subscription often
 * changes twice in one second (created as incomplete, then active; the
 * last update, then deleted).  Between two snapshots of the same second
 * the one later in a subscription's life wins, so that the order they
 * arrive in does not matter.
 */
static const int sub_prec[] = {
	[LH_SUB_NONE] = 0,
	[LH_SUB_INCOMPLETE] = 1,
	[LH_SUB_TRIALING] = 2,
	[LH_SUB_ACTIVE] = 3,
	[LH_SUB_PAST_DUE] = 4,
	[LH_SUB_UNPAID] = 5,
	[LH_SUB_PAUSED] = 6,
	[LH_SUB_INCOMPLETE_EXPIRED] = 7,
	[LH_SUB_CANCELED] = 8
};

static const char *const status_names[] = {
	[LH_LIC_ACTIVE] = "active",
	[LH_LIC_TRIALING] = "trialing",
	[LH_LIC_GRACE] = "grace",
	[LH_LIC_SUSPENDED] = "suspended",
	[LH_LIC_EXPIRED] = "expired",
	[LH_LIC_REVOKED] = "revoked"
};

/* Stored revocation texts, mapped back to static strings for views. */
static const char *const revoke_names[] = {
	LIC_R_CANCELED, LIC_R_REFUNDED, LIC_R_DISPUTE_LOST, "admin"
};

static const struct lh_tier *tier_match(const struct lh_conf *, const char *);
static int		 tier_rank(const struct lh_conf *, const char *);
static enum lh_err	 tier_of_items(const struct lh_conf *,
			    const struct lh_event *, const struct lh_tier **);
static enum lh_err	 tier_or_default(const struct lh_conf *,
			    const struct lh_event *, const struct lh_tier **);
static void		 tier_set(char *, const char *);
static void		 tier_fold(struct lh_lic_facts *, time_t);
static enum tier_move	 tier_apply(const struct lh_conf *,
			    struct lh_lic_facts *, const struct lh_tier *,
			    long long, time_t);
static int		 tier_raise(const struct lh_conf *,
			    struct lh_lic_facts *, const struct lh_tier *,
			    long long, time_t);
static void		 period_extend(struct lh_lic_facts *, long long);
static int		 snap_status(const struct lh_event *,
			    enum lh_sub_status *);
static int		 snap_is_stale(const struct lh_lic_facts *,
			    const struct lh_event *, enum lh_sub_status);
static void		 snap_fill(struct lh_lic_facts *,
			    const struct lh_event *, enum lh_sub_status);
static void		 revoke(struct lh_lic_facts *, const char *,
			    long long);
static void		 cancel_apply(const struct lh_conf *,
			    struct lh_lic_facts *, long long);
static int		 facts_equal(const struct lh_lic_facts *,
			    const struct lh_lic_facts *);
static const char	*move_reason(enum tier_move,
			    const struct lh_lic_facts *,
			    const struct lh_lic_facts *);
static enum lh_err	 decide_checkout(const struct lh_conf *,
			    const struct lh_event *, struct lh_decision *);
static enum lh_err	 decide_snapshot_new(const struct lh_conf *,
			    const struct lh_event *, struct lh_decision *);
static enum lh_err	 decide_invoice_new(const struct lh_conf *,
			    const struct lh_event *, struct lh_decision *);
static enum lh_err	 decide_new(const struct lh_conf *,
			    const struct lh_event *, struct lh_decision *);
static enum lh_err	 decide_snapshot(const struct lh_conf *,
			    const struct lh_event *,
			    const struct lh_lic_facts *, time_t,
			    struct lh_decision *);
static enum lh_err	 decide_snapshot_older(const struct lh_conf *,
			    const struct lh_event *,
			    const struct lh_lic_facts *, enum lh_sub_status,
			    time_t, struct lh_decision *);
static enum lh_err	 decide_invoice_paid(const struct lh_conf *,
			    const struct lh_event *,
			    const struct lh_lic_facts *, time_t,
			    struct lh_decision *);
static void		 decide_invoice_failed(const struct lh_event *,
			    const struct lh_lic_facts *,
			    struct lh_decision *);
static void		 decide_refund(const struct lh_conf *,
			    const struct lh_event *, struct lh_decision *);
static void		 decide_dispute_created(const struct lh_event *,
			    const struct lh_lic_facts *,
			    struct lh_decision *);
static void		 decide_dispute_closed(const struct lh_conf *,
			    const struct lh_event *,
			    const struct lh_lic_facts *, struct lh_decision *);
static enum lh_err	 decide_existing(const struct lh_conf *,
			    const struct lh_event *,
			    const struct lh_lic_facts *, time_t,
			    struct lh_decision *);
static void		 view_suspend(struct lh_lic_view *, const char *);
static void		 view_grace(const struct lh_conf *,
			    const struct lh_lic_facts *, time_t,
			    struct lh_lic_view *);
static void		 view_period(const struct lh_lic_facts *, time_t,
			    const char *, struct lh_lic_view *);

const char *
license_sub_name(enum lh_sub_status s)
{
	if ((size_t)s >= nitems(sub_names) || sub_names[s] == NULL)
		return "unknown";
	return sub_names[s];
}

/*
 * Stripe's status names (Stripe API reference, "The Subscription
 * object", status), exactly; and "none", so that what
 * license_sub_name() wrote to the database reads back.
 */
int
license_sub_parse(const char *s, enum lh_sub_status *out)
{
	size_t		 i;

	if (s == NULL || out == NULL)
		return -1;
	for (i = 0; i < nitems(sub_names); i++) {
		if (strcmp(s, sub_names[i]) == 0) {
			*out = (enum lh_sub_status)i;
			return 0;
		}
	}
	return -1;
}

const char *
license_status_name(enum lh_lic_status s)
{
	if ((size_t)s >= nitems(status_names) || status_names[s] == NULL)
		return "unknown";
	return status_names[s];
}

/*
 * The tier a string from a checkout names: a tier name first, then a
 * price id, both ignoring case (conf.c).  The order cannot change the
 * answer: conf.c refuses a price id that is another tier's name.
 */
static const struct lh_tier *
tier_match(const struct lh_conf *conf, const char *s)
{
	const struct lh_tier *t;

	if (s == NULL || *s == '\0')
		return NULL;
	if ((t = conf_tier_by_name(conf, s)) != NULL)
		return t;
	return conf_tier_by_price(conf, s);
}

/*
 * The rank of the tier a license names.  A tier taken out of the
 * configuration ranks below all, so that any configured tier replaces
 * it at once.
 */
static int
tier_rank(const struct lh_conf *conf, const char *name)
{
	const struct lh_tier *t;

	if ((t = conf_tier_by_name(conf, name)) == NULL)
		return -1;
	return t->rank;
}

/*
 * The tier a subscription or invoice pays for: of its items, mapped by
 * price id, else by the price's (or product's) metadata plan, the
 * highest ranked; an item mapping to none is skipped.  *out is NULL
 * when the event has no items, which changes no tier.  Items that all
 * map to nothing give the default tier, or LH_ERR_TIER_UNKNOWN, which
 * is answered 500 so that Stripe retries while the operator fixes the
 * map.
 */
static enum lh_err
tier_of_items(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_tier **out)
{
	const struct lh_tier *t, *best = NULL;
	size_t		 i;

	*out = NULL;
	if (e->nprices == 0)
		return LH_OK;
	for (i = 0; i < e->nprices && i < LH_EVT_PRICES_MAX; i++) {
		if ((t = conf_tier_by_price(conf, e->prices[i])) == NULL)
			t = conf_tier_by_name(conf, e->price_plans[i]);
		if (t != NULL && (best == NULL || t->rank > best->rank))
			best = t;
	}
	if (best == NULL &&
	    (best = conf_tier_by_name(conf, conf->default_tier)) == NULL)
		return LH_ERR_TIER_UNKNOWN;
	*out = best;
	return LH_OK;
}

/* For a new license, which must have a tier: no items is no match. */
static enum lh_err
tier_or_default(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_tier **out)
{
	enum lh_err	 r;

	if ((r = tier_of_items(conf, e, out)) != LH_OK || *out != NULL)
		return r;
	if ((*out = conf_tier_by_name(conf, conf->default_tier)) == NULL)
		return LH_ERR_TIER_UNKNOWN;
	return LH_OK;
}

/* conf.c keeps names to LH_NAME_MAX, the size of the facts' buffers. */
static void
tier_set(char *dst, const char *name)
{
	(void)snprintf(dst, LH_NAME_MAX + 1, "%s", name != NULL ? name : "");
}

/* A downgrade whose period has ended is the tier now. */
static void
tier_fold(struct lh_lic_facts *f, time_t now)
{
	if (f->pending_tier[0] == '\0' || (long long)now < f->pending_at)
		return;
	tier_set(f->tier, f->pending_tier);
	f->pending_tier[0] = '\0';
	f->pending_at = 0;
}

/*
 * The newest word on the tier: an upgrade or a sideways move applies at
 * once; a downgrade waits for the end of the period already paid at the
 * higher tier, and the same tier again undoes a pending downgrade.  That
 * period ends at the earlier of the license's and the event's period
 * end: a renewal seen first must not stretch the old tier into the next
 * period, and a license without a period yet has only the event's.
 */
static enum tier_move
tier_apply(const struct lh_conf *conf, struct lh_lic_facts *f,
    const struct lh_tier *t, long long period_end, time_t now)
{
	long long	 at = f->period_end;
	int		 had_pending = f->pending_tier[0] != '\0';
	int		 cur = tier_rank(conf, f->tier);

	if (strcasecmp(f->tier, t->name) == 0) {
		f->pending_tier[0] = '\0';
		f->pending_at = 0;
		return MOVE_NONE;
	}
	if (t->rank >= cur) {
		tier_set(f->tier, t->name);
		f->pending_tier[0] = '\0';
		f->pending_at = 0;
		return t->rank > cur ? MOVE_UP : MOVE_SIDEWAYS;
	}
	if (at == 0 || (period_end != 0 && period_end < at))
		at = period_end;
	if (at == 0 || at <= (long long)now) {
		tier_set(f->tier, t->name);
		f->pending_tier[0] = '\0';
		f->pending_at = 0;
		return MOVE_DOWN_NOW;
	}
	if (had_pending && f->pending_at == at &&
	    strcasecmp(f->pending_tier, t->name) == 0)
		return MOVE_NONE;
	tier_set(f->pending_tier, t->name);
	f->pending_at = at;
	return MOVE_DOWN_LATER;
}

/*
 * An event older than the newest word on the tier can still show that a
 * higher tier was paid for a period that has not ended: an upgrade
 * delivered after the downgrade that followed it.  In order, that
 * downgrade would have been pending until the end of the upgrade's
 * period, so the higher tier holds until then and the newer tier
 * becomes the pending one.  Returns 1 if the facts changed.
 */
static int
tier_raise(const struct lh_conf *conf, struct lh_lic_facts *f,
    const struct lh_tier *t, long long period_end, time_t now)
{
	if (t == NULL || period_end <= (long long)now ||
	    t->rank <= tier_rank(conf, f->tier))
		return 0;
	if (f->pending_tier[0] == '\0') {
		tier_set(f->pending_tier, f->tier);
		f->pending_at = period_end;
	} else if (period_end > f->pending_at)
		f->pending_at = period_end;
	tier_set(f->tier, t->name);
	return 1;
}

/* Periods only move forward, whichever event told of them first. */
static void
period_extend(struct lh_lic_facts *f, long long period_end)
{
	if (period_end > f->period_end)
		f->period_end = period_end;
}

/*
 * A snapshot's status.  customer.subscription.deleted is the end
 * whatever it says; paused and resumed imply theirs if absent.  Returns
 * -1 for a status this code does not know (Stripe has added some
 * before), which is safer recorded than guessed at.
 */
static int
snap_status(const struct lh_event *e, enum lh_sub_status *st)
{
	if (e->type == LH_EVT_SUB_DELETED) {
		*st = LH_SUB_CANCELED;
		return 0;
	}
	if (e->sub_status == NULL && e->type == LH_EVT_SUB_PAUSED) {
		*st = LH_SUB_PAUSED;
		return 0;
	}
	if (e->sub_status == NULL && e->type == LH_EVT_SUB_RESUMED) {
		*st = LH_SUB_ACTIVE;
		return 0;
	}
	if (license_sub_parse(e->sub_status, st) == -1 || *st == LH_SUB_NONE)
		return -1;
	return 0;
}

/* Older than the snapshot applied, or as old and earlier in life. */
static int
snap_is_stale(const struct lh_lic_facts *old, const struct lh_event *e,
    enum lh_sub_status st)
{
	if (e->created != old->sub_event_at)
		return e->created < old->sub_event_at;
	return sub_prec[st] < sub_prec[old->sub_status];
}

/* The snapshot's own facts; the tier is the caller's. */
static void
snap_fill(struct lh_lic_facts *f, const struct lh_event *e,
    enum lh_sub_status st)
{
	f->sub_event_at = e->created;
	f->sub_status = st;
	f->cancel_at_period_end = e->cancel_at_period_end != 0;
	f->trial_end = e->trial_end;
	period_extend(f, e->period_end);
}

/*
 * Of two revocations the earlier one stands, and in the same second the
 * one whose reason sorts first, so that the order they arrive in does
 * not matter.  Nothing here clears a revocation.
 */
static void
revoke(struct lh_lic_facts *f, const char *why, long long at)
{
	if (f->revoked[0] != '\0' && (at > f->revoked_at ||
	    (at == f->revoked_at && strcmp(why, f->revoked) >= 0)))
		return;
	(void)snprintf(f->revoked, sizeof(f->revoked), "%s", why);
	f->revoked_at = at;
}

/* The subscription ended: lifecycle.on_cancel says what is left. */
static void
cancel_apply(const struct lh_conf *conf, struct lh_lic_facts *f,
    long long at)
{
	if (conf->life.on_cancel != LH_POL_FREE_TIER ||
	    conf->life.free_tier == NULL) {
		revoke(f, LIC_R_CANCELED, at);
		return;
	}
	if (f->ended_at == 0 || at < f->ended_at)
		f->ended_at = at;
}

static int
facts_equal(const struct lh_lic_facts *a, const struct lh_lic_facts *b)
{
	return strcmp(a->tier, b->tier) == 0 &&
	    strcmp(a->pending_tier, b->pending_tier) == 0 &&
	    a->pending_at == b->pending_at &&
	    a->sub_status == b->sub_status &&
	    a->period_end == b->period_end &&
	    a->cancel_at_period_end == b->cancel_at_period_end &&
	    a->trial_end == b->trial_end &&
	    a->sub_event_at == b->sub_event_at &&
	    a->paid_at == b->paid_at &&
	    a->grace_since == b->grace_since &&
	    a->disputed == b->disputed &&
	    a->dispute_at == b->dispute_at &&
	    a->ended_at == b->ended_at &&
	    strcmp(a->revoked, b->revoked) == 0 &&
	    a->revoked_at == b->revoked_at;
}

/* The reason for an update that moved the tier, the period, or else. */
static const char *
move_reason(enum tier_move m, const struct lh_lic_facts *f,
    const struct lh_lic_facts *old)
{
	switch (m) {
	case MOVE_UP:
		return LIC_R_UPGRADED;
	case MOVE_DOWN_LATER:
		return LIC_R_DOWNGRADE_PENDING;
	case MOVE_DOWN_NOW:
		return LIC_R_DOWNGRADED;
	default:
		break;
	}
	return f->period_end > old->period_end ? LIC_R_RENEWED : LIC_R_UPDATED;
}

/*
 * checkout.session.completed (Stripe docs, "Fulfill orders"): a buyer
 * finished Checkout.  Only payment and subscription sessions sell
 * something; setup sessions only save a card.  The session completes
 * with payment_status "unpaid" for delayed methods such as bank debits;
 * checkout.session.async_payment_succeeded then carries "paid".  Line
 * items are not in the event, so the tier comes from the seller's hint
 * (metadata on the session or Payment Link), then the reference their
 * site passed in, then the configured fallback.
 */
static enum lh_err
decide_checkout(const struct lh_conf *conf, const struct lh_event *e,
    struct lh_decision *out)
{
	const struct lh_tier *t;
	int		 sub;

	if (e->mode == NULL || (strcmp(e->mode, "payment") != 0 &&
	    strcmp(e->mode, "subscription") != 0)) {
		out->reason = LIC_R_NOT_PURCHASE;
		return LH_OK;
	}
	sub = strcmp(e->mode, "subscription") == 0;
	if (e->payment_status == NULL ||
	    (strcmp(e->payment_status, "paid") != 0 &&
	    strcmp(e->payment_status, "no_payment_required") != 0)) {
		out->reason = LIC_R_NOT_PAID;
		return LH_OK;
	}
	if ((t = tier_match(conf, e->plan_hint)) == NULL &&
	    (t = tier_match(conf, e->client_reference_id)) == NULL &&
	    (t = conf_tier_by_name(conf, conf->default_tier)) == NULL)
		return LH_ERR_TIER_UNKNOWN;
	/*
	 * A one-time purchase is perpetual.  A subscription is active with
	 * no period until its snapshot or invoice says more; sub_event_at
	 * stays 0 so that any snapshot replaces this guess.
	 */
	tier_set(out->facts.tier, t->name);
	out->facts.sub_status = sub ? LH_SUB_ACTIVE : LH_SUB_NONE;
	out->action = LH_ACT_CREATE;
	out->reason = LIC_R_CREATED;
	out->tier = t;
	return LH_OK;
}

/*
 * A subscription snapshot before any license: one that is live creates
 * it (the endpoint may not get the Checkout event at all, for example
 * for subscriptions made through the API).  Incomplete, expired and
 * canceled ones wait: if a license appears, they are replayed.
 */
static enum lh_err
decide_snapshot_new(const struct lh_conf *conf, const struct lh_event *e,
    struct lh_decision *out)
{
	const struct lh_tier *t;
	enum lh_sub_status st;
	enum lh_err	 r;

	if (snap_status(e, &st) == -1) {
		out->reason = LIC_R_UNKNOWN_STATUS;
		return LH_OK;
	}
	if (st == LH_SUB_INCOMPLETE || st == LH_SUB_INCOMPLETE_EXPIRED ||
	    st == LH_SUB_CANCELED) {
		out->action = LH_ACT_DEFER;
		out->reason = LIC_R_NO_LICENSE;
		return LH_OK;
	}
	if ((r = tier_or_default(conf, e, &t)) != LH_OK)
		return r;
	tier_set(out->facts.tier, t->name);
	snap_fill(&out->facts, e, st);
	out->action = LH_ACT_CREATE;
	out->reason = LIC_R_CREATED;
	out->tier = t;
	return LH_OK;
}

/* A paid subscription invoice before any license creates it. */
static enum lh_err
decide_invoice_new(const struct lh_conf *conf, const struct lh_event *e,
    struct lh_decision *out)
{
	const struct lh_tier *t;
	enum lh_err	 r;

	if ((r = tier_or_default(conf, e, &t)) != LH_OK)
		return r;
	tier_set(out->facts.tier, t->name);
	out->facts.sub_status = LH_SUB_ACTIVE;
	out->facts.period_end = e->period_end;
	out->facts.paid_at = e->created;
	out->action = LH_ACT_CREATE;
	out->reason = LIC_R_CREATED;
	out->tier = t;
	return LH_OK;
}

/*
 * No license matches the event yet.  Whatever cannot create one is
 * deferred: the caller keeps it and replays it through license_decide()
 * once a license appears, which is why every rule must give the same
 * result in any order.
 */
static enum lh_err
decide_new(const struct lh_conf *conf, const struct lh_event *e,
    struct lh_decision *out)
{
	switch (e->type) {
	case LH_EVT_CHECKOUT_COMPLETED:
	case LH_EVT_CHECKOUT_ASYNC_PAID:
		return decide_checkout(conf, e, out);
	case LH_EVT_SUB_CREATED:
	case LH_EVT_SUB_UPDATED:
		return decide_snapshot_new(conf, e, out);
	case LH_EVT_INVOICE_PAID:
		if (e->subscription_id != NULL)
			return decide_invoice_new(conf, e, out);
		break;
	case LH_EVT_INVOICE_PAYMENT:
		/* The caller replays it once its invoice's license exists. */
		break;
	default:
		break;
	}
	out->action = LH_ACT_DEFER;
	out->reason = LIC_R_NO_LICENSE;
	return LH_OK;
}

/*
 * customer.subscription.{created,updated,deleted,paused,resumed}: each
 * carries the whole subscription, so the newest one wins and older ones
 * are stale, except that they may still show a higher tier paid for a
 * period not yet over (tier_raise).  A subscription that ended (status
 * canceled, whichever event says so) ends the license as
 * lifecycle.on_cancel says.
 */
static enum lh_err
decide_snapshot(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, time_t now, struct lh_decision *out)
{
	struct lh_lic_facts *f = &out->facts;
	const struct lh_tier *t;
	enum lh_sub_status st;
	enum tier_move	 move = MOVE_NONE;
	enum lh_err	 r;
	int		 newest;

	if (snap_status(e, &st) == -1) {
		out->reason = LIC_R_UNKNOWN_STATUS;
		return LH_OK;
	}
	if (snap_is_stale(old, e, st))
		return decide_snapshot_older(conf, e, old, st, now, out);
	/*
	 * The tier follows the newer of this and the last paid invoice, this
	 * in the same second; only then is an unknown tier an error.  Before
	 * snap_fill() moves the period end.
	 */
	newest = e->created >= old->paid_at;
	if ((r = tier_of_items(conf, e, &t)) != LH_OK && newest)
		return r;
	if (r == LH_OK && t != NULL && newest)
		move = tier_apply(conf, f, t, e->period_end, now);
	else if (r == LH_OK && tier_raise(conf, f, t, e->period_end, now))
		move = MOVE_UP;
	snap_fill(f, e, st);
	if (st == LH_SUB_CANCELED)
		cancel_apply(conf, f, e->created);

	/*
	 * The most telling change names the update.  A license revoked
	 * before keeps that revocation, but its subscription ending is
	 * still news.
	 */
	out->action = LH_ACT_UPDATE;
	if (strcmp(f->revoked, old->revoked) != 0 ||
	    f->revoked_at != old->revoked_at ||
	    f->ended_at != old->ended_at ||
	    (st == LH_SUB_CANCELED && old->sub_status != LH_SUB_CANCELED))
		out->reason = LIC_R_CANCELED;
	else if (st == LH_SUB_PAUSED && old->sub_status != LH_SUB_PAUSED)
		out->reason = LIC_R_PAUSED;
	else if (st != LH_SUB_PAUSED && old->sub_status == LH_SUB_PAUSED)
		out->reason = LIC_R_RESUMED;
	else
		out->reason = move_reason(move, f, old);
	return LH_OK;
}

/*
 * A stale snapshot: record only, unless it raises the tier or tells of
 * the subscription's end.  In order, an end would have revoked the
 * license or ended it onto the free tier, and no later snapshot undoes
 * either, so it still does.
 */
static enum lh_err
decide_snapshot_older(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, enum lh_sub_status st, time_t now,
    struct lh_decision *out)
{
	struct lh_lic_facts *f = &out->facts;
	const struct lh_tier *t;
	int		 raised;

	/* A stale event never fails: an unknown price here changes nothing. */
	raised = tier_of_items(conf, e, &t) == LH_OK &&
	    tier_raise(conf, f, t, e->period_end, now);
	if (st == LH_SUB_CANCELED)
		cancel_apply(conf, f, e->created);
	out->action = LH_ACT_UPDATE;
	if (strcmp(f->revoked, old->revoked) != 0 ||
	    f->revoked_at != old->revoked_at || f->ended_at != old->ended_at)
		out->reason = LIC_R_CANCELED;
	else if (raised)
		out->reason = LIC_R_UPGRADED;
	else {
		out->action = LH_ACT_STALE;
		out->reason = LIC_R_OLDER_SNAPSHOT;
	}
	return LH_OK;
}

/*
 * invoice.paid: the subscription is paid through the invoice's period,
 * and a failed payment before it is made good.  The tier follows the
 * invoice's lines only when it is the newest word on the tier: newer
 * than the last snapshot (which is authoritative in the same second)
 * and than the last paid invoice.  Older invoices only raise the tier
 * as older snapshots do.
 */
static enum lh_err
decide_invoice_paid(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, time_t now, struct lh_decision *out)
{
	struct lh_lic_facts *f = &out->facts;
	const struct lh_tier *t;
	enum tier_move	 move = MOVE_NONE;
	enum lh_err	 r;
	int		 newest;

	if (e->subscription_id == NULL) {
		out->reason = LIC_R_NO_SUB;
		return LH_OK;
	}
	newest = e->created > old->sub_event_at && e->created >= old->paid_at;
	if ((r = tier_of_items(conf, e, &t)) != LH_OK && newest)
		return r;
	if (r == LH_OK && t != NULL && newest)
		move = tier_apply(conf, f, t, e->period_end, now);
	else if (r == LH_OK && tier_raise(conf, f, t, e->period_end, now))
		move = MOVE_UP;
	if (e->created > f->paid_at)
		f->paid_at = e->created;
	period_extend(f, e->period_end);
	if (f->grace_since != 0 && e->created >= f->grace_since)
		f->grace_since = 0;

	out->action = LH_ACT_UPDATE;
	if (old->grace_since != 0 && f->grace_since == 0)
		out->reason = LIC_R_RECOVERED;
	else
		out->reason = move_reason(move, f, old);
	return LH_OK;
}

/*
 * invoice.payment_failed: grace runs from the first failure not made
 * good by a later payment.  One paid in the same second wins.
 *
 * XXX One grace_since cannot hold two separate failures: a failure,
 * its recovery and a later failure delivered out of order by a whole
 * billing period may lose the later failure.
 */
static void
decide_invoice_failed(const struct lh_event *e,
    const struct lh_lic_facts *old, struct lh_decision *out)
{
	struct lh_lic_facts *f = &out->facts;

	if (e->subscription_id == NULL) {
		out->reason = LIC_R_NO_SUB;
		return;
	}
	if (e->created <= old->paid_at) {
		out->action = LH_ACT_STALE;
		out->reason = LIC_R_PAID_SINCE;
		return;
	}
	if (f->grace_since == 0 || e->created < f->grace_since)
		f->grace_since = e->created;
	out->action = LH_ACT_UPDATE;
	out->reason = old->grace_since == 0 ? LIC_R_GRACE_STARTED :
	    LIC_R_UPDATED;
}

/*
 * charge.refunded: the event also comes for partial refunds; "refunded"
 * is true only once the whole amount is back (Stripe API reference,
 * "The Charge object").  Which license a charge belongs to is the
 * caller's to find.
 */
static void
decide_refund(const struct lh_conf *conf, const struct lh_event *e,
    struct lh_decision *out)
{
	if (!e->refunded &&
	    !(e->amount > 0 && e->amount_refunded >= e->amount)) {
		out->reason = LIC_R_PARTIAL_REFUND;
		return;
	}
	if (conf->life.on_refund == LH_POL_RECORD) {
		out->reason = LIC_R_REFUND_RECORDED;
		return;
	}
	revoke(&out->facts, LIC_R_REFUNDED, e->created);
	out->action = LH_ACT_UPDATE;
	out->reason = LIC_R_REFUNDED;
}

/*
 * charge.dispute.created: the key is suspended while the dispute is
 * open.  A close of the same second wins over an opening.
 */
static void
decide_dispute_created(const struct lh_event *e,
    const struct lh_lic_facts *old, struct lh_decision *out)
{
	if (e->created < old->dispute_at ||
	    (e->created == old->dispute_at && !old->disputed)) {
		out->action = LH_ACT_STALE;
		out->reason = LIC_R_OLDER_DISPUTE;
		return;
	}
	out->facts.disputed = 1;
	out->facts.dispute_at = e->created;
	out->action = LH_ACT_UPDATE;
	out->reason = LIC_R_DISPUTED;
}

/*
 * charge.dispute.closed: status won or warning_closed (an inquiry that
 * went no further) gives the key back; lost revokes it, or is only
 * recorded, as lifecycle.on_dispute_lost says.  Any other final status
 * closes the dispute too.  A loss older than the newest dispute event
 * still revokes: in order it would have, and nothing since undoes it.
 */
static void
decide_dispute_closed(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, struct lh_decision *out)
{
	const char	*s = e->dispute_status != NULL ? e->dispute_status : "";
	int		 lost = strcmp(s, "lost") == 0;

	if (lost && conf->life.on_dispute_lost == LH_POL_REVOKE)
		revoke(&out->facts, LIC_R_DISPUTE_LOST, e->created);
	if (e->created < old->dispute_at) {
		if (strcmp(out->facts.revoked, old->revoked) != 0 ||
		    out->facts.revoked_at != old->revoked_at) {
			out->action = LH_ACT_UPDATE;
			out->reason = LIC_R_DISPUTE_LOST;
			return;
		}
		out->action = LH_ACT_STALE;
		out->reason = LIC_R_OLDER_DISPUTE;
		return;
	}
	out->facts.disputed = 0;
	out->facts.dispute_at = e->created;
	out->action = LH_ACT_UPDATE;
	if (lost)
		out->reason = LIC_R_DISPUTE_LOST;
	else if (strcmp(s, "won") == 0 || strcmp(s, "warning_closed") == 0)
		out->reason = LIC_R_DISPUTE_WON;
	else
		out->reason = LIC_R_DISPUTE_CLOSED;
}

/* A license exists (revoked or not), and out->facts holds its facts. */
static enum lh_err
decide_existing(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, time_t now, struct lh_decision *out)
{
	switch (e->type) {
	case LH_EVT_CHECKOUT_COMPLETED:
	case LH_EVT_CHECKOUT_ASYNC_PAID:
		/* The caller links the session's ids to the license. */
		out->reason = LIC_R_EXISTS;
		return LH_OK;
	case LH_EVT_SUB_CREATED:
	case LH_EVT_SUB_UPDATED:
	case LH_EVT_SUB_DELETED:
	case LH_EVT_SUB_PAUSED:
	case LH_EVT_SUB_RESUMED:
		return decide_snapshot(conf, e, old, now, out);
	case LH_EVT_SUB_TRIAL_END:
		/* Only a reminder; the snapshots carry the trial's end. */
		out->reason = LIC_R_RECORDED;
		return LH_OK;
	case LH_EVT_INVOICE_PAID:
		return decide_invoice_paid(conf, e, old, now, out);
	case LH_EVT_INVOICE_FAILED:
		decide_invoice_failed(e, old, out);
		return LH_OK;
	case LH_EVT_INVOICE_PAYMENT:
		/*
		 * Since Stripe API 2025-03-31 (basil) an invoice names no
		 * payment intent or charge; this event ties them to it.  The
		 * caller records them for the license, so that a refund or
		 * dispute naming only the payment finds it.  The facts do not
		 * change: invoice.paid carries the period.
		 */
		out->reason = LIC_R_PAYMENT_RECORDED;
		return LH_OK;
	case LH_EVT_CHARGE_REFUNDED:
		decide_refund(conf, e, out);
		return LH_OK;
	case LH_EVT_DISPUTE_CREATED:
		decide_dispute_created(e, old, out);
		return LH_OK;
	case LH_EVT_DISPUTE_CLOSED:
		decide_dispute_closed(conf, e, old, out);
		return LH_OK;
	default:
		out->reason = LIC_R_UNHANDLED;
		return LH_OK;
	}
}

enum lh_err
license_decide(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, time_t now, struct lh_decision *out)
{
	struct lh_lic_facts base;
	enum lh_err	 r;

	if (out == NULL)
		return LH_ERR_INTERNAL;
	memset(out, 0, sizeof(*out));
	out->action = LH_ACT_IGNORE;
	out->reason = LIC_R_ERROR;
	if (conf == NULL || e == NULL)
		return LH_ERR_INTERNAL;

	/* Stripe sends every type the endpoint subscribes to (lh.h). */
	if (e->type == LH_EVT_OTHER || e->type == LH_EVT_CUSTOMER) {
		out->reason = e->type == LH_EVT_OTHER ? LIC_R_UNHANDLED :
		    LIC_R_CUSTOMER;
		return LH_OK;
	}
	if (old == NULL)
		r = decide_new(conf, e, out);
	else {
		base = *old;
		/* Stored text comes from the caller: bound it. */
		base.tier[sizeof(base.tier) - 1] = '\0';
		base.pending_tier[sizeof(base.pending_tier) - 1] = '\0';
		base.revoked[sizeof(base.revoked) - 1] = '\0';
		tier_fold(&base, now);
		out->facts = base;
		r = decide_existing(conf, e, &base, now, out);
		/* The fold alone is no news: license_view() does it too. */
		if (r == LH_OK && out->action == LH_ACT_UPDATE &&
		    facts_equal(&base, &out->facts)) {
			out->action = LH_ACT_IGNORE;
			out->reason = LIC_R_UNCHANGED;
		}
	}
	if (r != LH_OK) {
		memset(out, 0, sizeof(*out));
		out->action = LH_ACT_IGNORE;
		out->reason = r == LH_ERR_TIER_UNKNOWN ? LIC_R_TIER_UNKNOWN :
		    LIC_R_ERROR;
		return r;
	}
	if (out->action == LH_ACT_UPDATE)
		out->tier = conf_tier_by_name(conf, out->facts.tier);
	return LH_OK;
}

static void
view_suspend(struct lh_lic_view *v, const char *why)
{
	v->status = LH_LIC_SUSPENDED;
	v->valid = 0;
	v->reason = why;
}

/*
 * The grace schedule after a failed payment ([lifecycle] in
 * licensehook.conf(5)).  Each step starts at its boundary second.
 * Without a free tier there is no free-tier step: the license stays
 * reminded until it is suspended.
 */
static void
view_grace(const struct lh_conf *conf, const struct lh_lic_facts *f,
    time_t now, struct lh_lic_view *v)
{
	const struct lh_lifecycle *life = &conf->life;
	long long	 elapsed = (long long)now - f->grace_since;

	v->grace_deadline = f->grace_since + life->grace_suspend;
	if (elapsed >= life->grace_suspend) {
		view_suspend(v, LIC_V_PAYMENT_FAILED);
		v->grace = LH_GRACE_SUSPENDED;
		return;
	}
	v->status = LH_LIC_GRACE;
	v->valid = 1;
	if (elapsed >= life->grace_free && life->free_tier != NULL) {
		v->grace = LH_GRACE_FREE_TIER;
		v->tier = life->free_tier;
	} else if (elapsed >= life->grace_reminder)
		v->grace = LH_GRACE_REMINDED;
	else
		v->grace = LH_GRACE_WARNED;
}

/*
 * Valid through period_end + expiry_slack, that second included.  A
 * period_end of 0 is a perpetual license, unless the subscription was
 * canceled (why is then "canceled").
 */
static void
view_period(const struct lh_lic_facts *f, time_t now, const char *why,
    struct lh_lic_view *v)
{
	if ((f->period_end == 0 && f->sub_status == LH_SUB_CANCELED) ||
	    (f->period_end > 0 && (long long)now > v->expires_at)) {
		v->status = LH_LIC_EXPIRED;
		v->valid = 0;
		v->reason = why;
		return;
	}
	v->status = f->sub_status == LH_SUB_TRIALING ? LH_LIC_TRIALING :
	    LH_LIC_ACTIVE;
	v->valid = 1;
}

void
license_view(const struct lh_conf *conf, const struct lh_lic_facts *f,
    time_t now, struct lh_lic_view *v)
{
	size_t		 i;

	if (v == NULL)
		return;
	memset(v, 0, sizeof(*v));
	v->reason = "";
	if (conf == NULL || f == NULL) {
		view_suspend(v, LIC_R_ERROR);
		return;
	}
	v->tier = f->tier;
	if (f->revoked[0] != '\0') {
		v->status = LH_LIC_REVOKED;
		v->reason = LIC_R_REVOKED;
		for (i = 0; i < nitems(revoke_names); i++)
			if (strcmp(f->revoked, revoke_names[i]) == 0)
				v->reason = revoke_names[i];
		return;
	}
	if (f->pending_tier[0] != '\0' && (long long)now >= f->pending_at)
		v->tier = f->pending_tier;
	if (f->period_end > 0)
		v->expires_at = f->period_end + conf->life.expiry_slack;

	if (f->disputed)
		view_suspend(v, LIC_V_DISPUTED);
	else if (f->sub_status == LH_SUB_PAUSED)
		view_suspend(v, LIC_V_PAUSED);
	else if (f->ended_at != 0 && conf->life.free_tier != NULL) {
		v->status = LH_LIC_ACTIVE;
		v->valid = 1;
		v->tier = conf->life.free_tier;
		v->expires_at = 0;
	} else if (f->ended_at != 0) {
		/* The free tier was configured away since. */
		v->status = LH_LIC_EXPIRED;
		v->reason = LIC_V_CANCELED;
	} else if (f->sub_status == LH_SUB_INCOMPLETE ||
	    f->sub_status == LH_SUB_INCOMPLETE_EXPIRED)
		view_suspend(v, LIC_V_INCOMPLETE);
	else if (f->grace_since != 0)
		view_grace(conf, f, now, v);
	else if (f->sub_status == LH_SUB_UNPAID)
		view_suspend(v, LIC_V_UNPAID);
	else
		view_period(f, now, f->sub_status == LH_SUB_CANCELED ?
		    LIC_V_CANCELED : LIC_V_EXPIRED, v);
}
