/*
 * License decisions: what an event does, given the configuration.  Pure:
 * no clock, no database, no I/O; the caller records the event, applies
 * the decision and checks livemode against the configured mode first.
 *
 * One license_decide() dispatches on the event type to one decide_*
 * function per type.  Subscription lifecycle events (renewal, grace after
 * a failed payment, downgrade, cancellation) will be further decide_*
 * functions here, fed the license's current state and the time by the
 * caller.
 */
#include <stddef.h>
#include <string.h>

#include "lh.h"

/* Reasons are stable, log- and JSON-safe: operators grep for them. */
#define LIC_R_CREATED		"created"
#define LIC_R_UNHANDLED		"unhandled_type"
#define LIC_R_NOT_PURCHASE	"not_a_purchase"
#define LIC_R_NOT_PAID		"not_paid"
#define LIC_R_TIER_UNKNOWN	"tier_unknown"
#define LIC_R_ERROR		"internal_error"

static const struct lh_tier *tier_match(const struct lh_conf *, const char *);
static enum lh_err	 decide_checkout(const struct lh_conf *,
			    const struct lh_event *, struct lh_decision *);

/*
 * The tier a string from the event names: a tier name first, then a
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
 * checkout.session.completed (Stripe docs, "Fulfill orders"): a buyer
 * finished Checkout.  Only payment and subscription sessions sell
 * something; setup sessions only save a card.  The session completes
 * with payment_status "unpaid" for delayed methods such as bank debits.
 *
 * XXX Those are paid later with checkout.session.async_payment_succeeded,
 * which is not handled yet: such a buyer gets no license until it is.
 */
static enum lh_err
decide_checkout(const struct lh_conf *conf, const struct lh_event *e,
    struct lh_decision *out)
{
	const struct lh_tier *t;

	if (e->mode == NULL || (strcmp(e->mode, "payment") != 0 &&
	    strcmp(e->mode, "subscription") != 0)) {
		out->reason = LIC_R_NOT_PURCHASE;
		return LH_OK;
	}
	if (e->payment_status == NULL ||
	    (strcmp(e->payment_status, "paid") != 0 &&
	    strcmp(e->payment_status, "no_payment_required") != 0)) {
		out->reason = LIC_R_NOT_PAID;
		return LH_OK;
	}

	/*
	 * The seller's own hint (metadata on the session or Payment Link)
	 * is the most specific, then the reference their site passed in,
	 * then the configured fallback.
	 */
	if ((t = tier_match(conf, e->plan_hint)) == NULL &&
	    (t = tier_match(conf, e->client_reference_id)) == NULL &&
	    (t = conf_tier_by_name(conf, conf->default_tier)) == NULL) {
		out->reason = LIC_R_TIER_UNKNOWN;
		return LH_ERR_TIER_UNKNOWN;
	}
	out->action = LH_ACT_CREATE;
	out->reason = LIC_R_CREATED;
	out->tier = t;
	return LH_OK;
}

enum lh_err
license_decide(const struct lh_conf *conf, const struct lh_event *e,
    const struct lh_lic_facts *old, time_t now, struct lh_decision *out)
{
	(void)old;
	(void)now;
	if (out == NULL)
		return LH_ERR_INTERNAL;
	out->action = LH_ACT_IGNORE;
	out->reason = LIC_R_ERROR;
	out->tier = NULL;
	if (conf == NULL || e == NULL)
		return LH_ERR_INTERNAL;

	switch (e->type) {
	case LH_EVT_CHECKOUT_COMPLETED:
		return decide_checkout(conf, e, out);
	default:
		break;
	}
	/* Stripe sends every type the endpoint subscribes to (lh.h). */
	out->reason = LIC_R_UNHANDLED;
	return LH_OK;
}
