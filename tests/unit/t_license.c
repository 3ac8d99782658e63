/*
 * t_license: license_decide() and license_view().
 *
 *  1. Checkout: a table over the fields that matter (mode,
 *     payment_status, metadata plan, client_reference_id, a default
 *     tier) against the action, reason, tier and error expected.
 *  2. Every (license state, event type) pair: action, reason and the
 *     facts that matter, then the view of the result.
 *  3. Rules one at a time: staleness, same-second ties, tier mapping,
 *     pending downgrades, policies, names.
 *  4. license_view() at the exact boundary seconds of every step.
 *  5. Order independence: realistic event sequences applied in every
 *     order (or 200 seeded shuffles with duplicate deliveries), DEFER
 *     retried after the others as the caller replays it, must end in the
 *     facts and view that in-order delivery gives, revoked or not.  An
 *     event the caller can only tie to its license through an earlier
 *     one (a refund or dispute through the invoice_payment that named
 *     its payment) is decided without the license until then.
 *
 * The configurations are parsed by conf_parse() from the text below, as
 * licensehook does.  Events are built by hand: event.c is not linked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define CONF_HEAD \
	"[licensehook]\n" \
	"database = /var/lib/licensehook/t_license.db\n" \
	"[stripe]\n" \
	"webhook_secret = whsec_t_license\n"
#define CONF_BASE CONF_HEAD \
	"[tier basic]\n" \
	"[tier pro]\n" \
	"prices = price_PRO_M, price_PRO_Y\n"
#define CONF_DEFAULT	CONF_BASE "[tiers]\ndefault = basic\n"

/* Ranks: free 0, basic 1, pro 2, team 2 (sideways from pro), max 4. */
#define CONF_TIERS CONF_HEAD \
	"[tier free]\n" \
	"[tier basic]\n" \
	"prices = price_BASIC_M, price_BASIC_Y\n" \
	"[tier pro]\n" \
	"prices = price_PRO_M, price_PRO_Y\n" \
	"[tier team]\n" \
	"rank = 2\n" \
	"prices = price_TEAM\n" \
	"[tier max]\n" \
	"prices = price_MAX\n"
/* The default policies: cancel, refund and a lost dispute revoke. */
#define CONF_REVOKE	CONF_TIERS "[lifecycle]\nfree_tier = free\n"
#define CONF_LENIENT	CONF_TIERS "[lifecycle]\nfree_tier = free\n" \
	"on_cancel = free_tier\non_refund = record\non_dispute_lost = record\n"
#define CONF_NOFREE	CONF_TIERS

#define T0		1700000000LL	/* 2023-11-14, any time will do */
#define DAY		86400LL
#define MONTH		(30 * DAY)
#define DELAY		60		/* s from an event to its delivery */

#define CO		LH_EVT_CHECKOUT_COMPLETED
#define OTHER		LH_EVT_OTHER
#define IGN		LH_ACT_IGNORE
#define CREATE		LH_ACT_CREATE
#define UPD		LH_ACT_UPDATE
#define STALE		LH_ACT_STALE
#define DEFER		LH_ACT_DEFER

static struct lh_conf	*c_revoke, *c_lenient, *c_nofree;

/* ---- events built by hand ------------------------------------------ */

/* What a test says about an event; ev_make() turns it into lh_event. */
struct ev {
	enum lh_evt_type type;
	long long	 created;
	const char	*status;	/* subscription or dispute status */
	const char	*price[2];
	long long	 period_end;
	int		 cancel_at_end;
	long long	 trial_end;
	const char	*mode;		/* checkout */
	const char	*plan;		/* checkout metadata plan */
	long long	 amount;	/* charge */
	long long	 amount_refunded;
	int		 refunded;
	int		 no_sub;	/* invoice without a subscription */
	const char	*plan_meta;	/* price_plans[0] */
	size_t		 after;		/* order tests: 1 + the index of the
					   event that ties this one to its
					   license; 0: found directly */
};

static const char *const type_names[] = {
	[LH_EVT_OTHER] = "payment_intent.created",
	[LH_EVT_CHECKOUT_COMPLETED] = "checkout.session.completed",
	[LH_EVT_CHECKOUT_ASYNC_PAID] =
	    "checkout.session.async_payment_succeeded",
	[LH_EVT_CUSTOMER] = "customer.updated",
	[LH_EVT_SUB_CREATED] = "customer.subscription.created",
	[LH_EVT_SUB_UPDATED] = "customer.subscription.updated",
	[LH_EVT_SUB_DELETED] = "customer.subscription.deleted",
	[LH_EVT_SUB_PAUSED] = "customer.subscription.paused",
	[LH_EVT_SUB_RESUMED] = "customer.subscription.resumed",
	[LH_EVT_SUB_TRIAL_END] = "customer.subscription.trial_will_end",
	[LH_EVT_INVOICE_PAID] = "invoice.paid",
	[LH_EVT_INVOICE_FAILED] = "invoice.payment_failed",
	[LH_EVT_INVOICE_PAYMENT] = "invoice_payment.paid",
	[LH_EVT_CHARGE_REFUNDED] = "charge.refunded",
	[LH_EVT_DISPUTE_CREATED] = "charge.dispute.created",
	[LH_EVT_DISPUTE_CLOSED] = "charge.dispute.closed"
};

static char *
xstrdup(const char *s)
{
	char	*p;

	if (s == NULL)
		return NULL;
	if ((p = strdup(s)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	return p;
}

static void
ev_make(const struct ev *s, struct lh_event *e)
{
	static unsigned	 serial;
	char		 id[32];
	int		 checkout, sub, inv, pay, charge;
	size_t		 i;

	memset(e, 0, sizeof(*e));
	checkout = s->type == LH_EVT_CHECKOUT_COMPLETED ||
	    s->type == LH_EVT_CHECKOUT_ASYNC_PAID;
	sub = s->type >= LH_EVT_SUB_CREATED && s->type <= LH_EVT_SUB_TRIAL_END;
	inv = s->type == LH_EVT_INVOICE_PAID ||
	    s->type == LH_EVT_INVOICE_FAILED;
	pay = s->type == LH_EVT_INVOICE_PAYMENT;
	charge = s->type >= LH_EVT_CHARGE_REFUNDED &&
	    s->type <= LH_EVT_DISPUTE_CLOSED;
	snprintf(id, sizeof(id), "evt_t%u", ++serial);
	e->id = xstrdup(id);
	e->type_name = xstrdup(type_names[s->type]);
	e->type = s->type;
	e->created = s->created;
	e->object_id = xstrdup(checkout ? "cs_1" : sub ? "sub_1" : inv ?
	    "in_1" : pay ? "inpay_1" : "ch_1");
	if (!pay)
		e->customer_id = xstrdup("cus_1");
	/* The payment ids the caller links by; license.c reads none. */
	if (inv || pay)
		e->invoice_id = xstrdup("in_1");
	if (pay || charge)
		e->payment_intent = xstrdup("pi_1");
	if (sub || (inv && !s->no_sub) || (checkout && s->mode != NULL &&
	    strcmp(s->mode, "subscription") == 0))
		e->subscription_id = xstrdup("sub_1");
	if (checkout) {
		e->mode = xstrdup(s->mode);
		e->payment_status = xstrdup("paid");
		e->plan_hint = xstrdup(s->plan);
	}
	if (sub)
		e->sub_status = xstrdup(s->status);
	if (s->type == LH_EVT_DISPUTE_CREATED ||
	    s->type == LH_EVT_DISPUTE_CLOSED)
		e->dispute_status = xstrdup(s->status);
	for (i = 0; i < 2 && s->price[i] != NULL; i++)
		e->prices[e->nprices++] = xstrdup(s->price[i]);
	if (s->plan_meta != NULL) {
		if (e->nprices == 0)
			e->prices[e->nprices++] = xstrdup("price_UNMAPPED");
		e->price_plans[0] = xstrdup(s->plan_meta);
	}
	e->period_end = s->period_end;
	e->cancel_at_period_end = s->cancel_at_end;
	e->trial_end = s->trial_end;
	e->amount = s->amount;
	e->amount_refunded = s->amount_refunded;
	e->refunded = s->refunded;
}

/* event_free() lives in event.c, which this test does not link. */
static void
ev_clear(struct lh_event *e)
{
	size_t		 i;

	free(e->id);
	free(e->type_name);
	free(e->object_id);
	free(e->customer_id);
	free(e->email);
	free(e->name);
	free(e->subscription_id);
	free(e->payment_intent);
	free(e->charge_id);
	free(e->invoice_id);
	free(e->mode);
	free(e->payment_status);
	free(e->client_reference_id);
	free(e->plan_hint);
	free(e->sub_status);
	for (i = 0; i < LH_EVT_PRICES_MAX; i++) {
		free(e->prices[i]);
		free(e->price_plans[i]);
	}
	free(e->dispute_status);
	memset(e, 0, sizeof(*e));
}

static struct lh_conf *
conf_load(const char *text)
{
	struct lh_conf	*conf = NULL;
	char		 errbuf[256] = "";

	if (conf_parse(text, strlen(text), &conf, errbuf,
	    sizeof(errbuf)) != LH_OK || conf == NULL) {
		printf("Bail out! conf_parse: %s\n", errbuf);
		exit(2);
	}
	return conf;
}

/* Decide one event given by spec; returns the error. */
static enum lh_err
decide(const struct lh_conf *conf, const struct ev *s,
    const struct lh_lic_facts *old, long long now, struct lh_decision *d)
{
	struct lh_event	 e;
	enum lh_err	 r;

	ev_make(s, &e);
	memset(d, 0xa5, sizeof(*d));
	r = license_decide(conf, &e, old, (time_t)now, d);
	ev_clear(&e);
	return r;
}

static void
tier_put(char *dst, const char *name)
{
	snprintf(dst, LH_NAME_MAX + 1, "%s", name);
}

/* ---- 1. checkout ----------------------------------------------------- */

struct tcase {
	const char	*name;
	enum lh_evt_type type;
	const char	*mode;
	const char	*payment_status;
	const char	*plan_hint;
	const char	*client_reference_id;
	int		 with_default;	/* tiers.default = basic */
	enum lh_err	 want_err;
	enum lh_action	 want_action;
	const char	*want_reason;
	const char	*want_tier;	/* tier name, or NULL for none */
};

#define CA	LH_EVT_CHECKOUT_ASYNC_PAID

static const struct tcase cases[] = {
	/* Types licensehook does not act on. */
	{ "other type", OTHER, NULL, NULL, NULL, NULL, 1,
	    LH_OK, IGN, "unhandled_type", NULL },
	{ "other type with purchase fields", OTHER, "payment", "paid", "pro",
	    NULL, 0, LH_OK, IGN, "unhandled_type", NULL },

	/* Only payment and subscription sessions sell something. */
	{ "setup session", CO, "setup", "no_payment_required", "pro", NULL, 1,
	    LH_OK, IGN, "not_a_purchase", NULL },
	{ "setup, unknown tier, no default", CO, "setup", "paid", "gold",
	    NULL, 0, LH_OK, IGN, "not_a_purchase", NULL },
	{ "no mode", CO, NULL, "paid", "pro", NULL, 1,
	    LH_OK, IGN, "not_a_purchase", NULL },
	{ "unknown mode", CO, "donation", "paid", "pro", NULL, 1,
	    LH_OK, IGN, "not_a_purchase", NULL },
	{ "mode is exact (Payment)", CO, "Payment", "paid", "pro", NULL, 1,
	    LH_OK, IGN, "not_a_purchase", NULL },
	{ "empty mode", CO, "", "paid", "pro", NULL, 1,
	    LH_OK, IGN, "not_a_purchase", NULL },

	/* Paid, or nothing to pay; unpaid waits for async_payment_succeeded. */
	{ "unpaid", CO, "payment", "unpaid", "pro", NULL, 1,
	    LH_OK, IGN, "not_paid", NULL },
	{ "unpaid subscription", CO, "subscription", "unpaid", "pro", NULL, 1,
	    LH_OK, IGN, "not_paid", NULL },
	{ "no payment_status", CO, "payment", NULL, "pro", NULL, 1,
	    LH_OK, IGN, "not_paid", NULL },
	{ "payment_status is exact (Paid)", CO, "payment", "Paid", "pro",
	    NULL, 1, LH_OK, IGN, "not_paid", NULL },
	{ "unpaid, unknown tier, no default", CO, "payment", "unpaid", "gold",
	    NULL, 0, LH_OK, IGN, "not_paid", NULL },
	{ "no_payment_required", CO, "subscription", "no_payment_required",
	    "pro", NULL, 0, LH_OK, CREATE, "created", "pro" },
	{ "async paid, payment", CA, "payment", "paid", "pro", NULL, 0,
	    LH_OK, CREATE, "created", "pro" },
	{ "async paid, subscription, default", CA, "subscription", "paid",
	    NULL, NULL, 1, LH_OK, CREATE, "created", "basic" },
	{ "async still unpaid", CA, "payment", "unpaid", "pro", NULL, 0,
	    LH_OK, IGN, "not_paid", NULL },
	{ "async, setup", CA, "setup", "paid", "pro", NULL, 0,
	    LH_OK, IGN, "not_a_purchase", NULL },
	{ "async, no tier", CA, "payment", "paid", "gold", NULL, 0,
	    LH_ERR_TIER_UNKNOWN, IGN, "tier_unknown", NULL },

	/* metadata plan: tier name, then price id, ignoring case. */
	{ "plan pro", CO, "payment", "paid", "pro", NULL, 0,
	    LH_OK, CREATE, "created", "pro" },
	{ "plan basic, subscription", CO, "subscription", "paid", "basic",
	    NULL, 0, LH_OK, CREATE, "created", "basic" },
	{ "plan PRO", CO, "payment", "paid", "PRO", NULL, 0,
	    LH_OK, CREATE, "created", "pro" },
	{ "plan BaSiC", CO, "payment", "paid", "BaSiC", NULL, 1,
	    LH_OK, CREATE, "created", "basic" },
	{ "plan price_PRO_M", CO, "payment", "paid", "price_PRO_M", NULL, 0,
	    LH_OK, CREATE, "created", "pro" },
	{ "plan Price_pro_m", CO, "payment", "paid", "Price_pro_m", NULL, 0,
	    LH_OK, CREATE, "created", "pro" },
	{ "plan price_pro_y", CO, "subscription", "paid", "price_pro_y", NULL,
	    1, LH_OK, CREATE, "created", "pro" },
	{ "plan wins over client_reference_id", CO, "payment", "paid",
	    "basic", "pro", 0, LH_OK, CREATE, "created", "basic" },
	{ "plan price wins over client_reference_id", CO, "payment", "paid",
	    "price_PRO_Y", "basic", 1, LH_OK, CREATE, "created", "pro" },
	{ "plan is not trimmed", CO, "payment", "paid", " pro", NULL, 0,
	    LH_ERR_TIER_UNKNOWN, IGN, "tier_unknown", NULL },
	{ "plan prefix is no match", CO, "payment", "paid", "price_PRO", NULL,
	    0, LH_ERR_TIER_UNKNOWN, IGN, "tier_unknown", NULL },

	/* client_reference_id the same two ways. */
	{ "unknown plan, client_reference_id pro", CO, "payment", "paid",
	    "gold", "pro", 0, LH_OK, CREATE, "created", "pro" },
	{ "no plan, client_reference_id Pro", CO, "payment", "paid", NULL,
	    "Pro", 0, LH_OK, CREATE, "created", "pro" },
	{ "empty plan, client_reference_id basic", CO, "payment", "paid", "",
	    "basic", 0, LH_OK, CREATE, "created", "basic" },
	{ "client_reference_id PRICE_PRO_Y", CO, "subscription", "paid",
	    "gold", "PRICE_PRO_Y", 0, LH_OK, CREATE, "created", "pro" },

	/* The default tier, or none. */
	{ "unknown everything, default", CO, "payment", "paid", "gold",
	    "user_42", 1, LH_OK, CREATE, "created", "basic" },
	{ "nothing named, default", CO, "payment", "paid", NULL, NULL, 1,
	    LH_OK, CREATE, "created", "basic" },
	{ "unknown everything, no default", CO, "payment", "paid", "gold",
	    "user_42", 0, LH_ERR_TIER_UNKNOWN, IGN, "tier_unknown", NULL },
	{ "nothing named, no default", CO, "subscription", "paid", NULL, NULL,
	    0, LH_ERR_TIER_UNKNOWN, IGN, "tier_unknown", NULL },
	{ "empty strings, no default", CO, "payment", "no_payment_required",
	    "", "", 0, LH_ERR_TIER_UNKNOWN, IGN, "tier_unknown", NULL },
};

static void
run_case(const struct tcase *t, const struct lh_conf *conf)
{
	struct lh_event		 e;
	struct lh_decision	 d;
	enum lh_err		 r;
	int			 sub;

	/* Only the fields license_decide() reads. */
	memset(&e, 0, sizeof(e));
	e.id = xstrdup("evt_t_license");
	e.type_name = xstrdup(type_names[t->type]);
	e.type = t->type;
	e.created = T0;
	e.object_id = xstrdup("cs_t_license");
	e.mode = xstrdup(t->mode);
	e.payment_status = xstrdup(t->payment_status);
	e.plan_hint = xstrdup(t->plan_hint);
	e.client_reference_id = xstrdup(t->client_reference_id);

	memset(&d, 0xa5, sizeof(d));
	r = license_decide(conf, &e, NULL, (time_t)T0, &d);
	is_int(r, t->want_err, "%s: error", t->name);
	is_int(d.action, t->want_action, "%s: action", t->name);
	is_str(d.reason, t->want_reason, "%s: reason", t->name);
	is_str(d.tier != NULL ? d.tier->name : NULL, t->want_tier,
	    "%s: tier", t->name);
	/* The tier is borrowed from the configuration, not a copy. */
	if (t->want_tier != NULL)
		ok(d.tier == conf_tier_by_name(conf, t->want_tier),
		    "%s: tier points into the conf", t->name);
	if (d.action == CREATE) {
		/* One-time: perpetual; subscription: the snapshot fills in. */
		sub = strcmp(t->mode, "subscription") == 0;
		is_str(d.facts.tier, t->want_tier, "%s: facts tier", t->name);
		is_int(d.facts.sub_status, sub ? LH_SUB_ACTIVE : LH_SUB_NONE,
		    "%s: facts sub_status", t->name);
		ok(d.facts.period_end == 0 && d.facts.sub_event_at == 0 &&
		    d.facts.paid_at == 0 && d.facts.pending_tier[0] == '\0' &&
		    d.facts.revoked[0] == '\0', "%s: no period, no times",
		    t->name);
	}
	ev_clear(&e);
}

static void
test_checkout(void)
{
	struct lh_conf		*plain, *dflt;
	struct lh_event		 e;
	struct lh_decision	 d;
	size_t			 i;

	plain = conf_load(CONF_BASE);
	dflt = conf_load(CONF_DEFAULT);
	ok(plain->default_tier == NULL, "conf without a default tier");
	is_str(dflt->default_tier, "basic", "conf with default tier basic");

	for (i = 0; i < nitems(cases); i++)
		run_case(&cases[i], cases[i].with_default ? dflt : plain);

	/* Bad arguments are a caller's bug. */
	memset(&e, 0, sizeof(e));
	e.type = LH_EVT_OTHER;
	is_int(license_decide(NULL, &e, NULL, 0, &d), LH_ERR_INTERNAL,
	    "NULL conf");
	is_int(d.action, LH_ACT_IGNORE, "NULL conf: action cleared");
	ok(d.reason != NULL && d.tier == NULL, "NULL conf: reason, no tier");
	is_int(license_decide(plain, NULL, NULL, 0, &d), LH_ERR_INTERNAL,
	    "NULL event");
	is_int(license_decide(plain, &e, NULL, 0, NULL), LH_ERR_INTERNAL,
	    "NULL out");

	conf_free(plain);
	conf_free(dflt);
}

/* ---- 2. every (state, event) pair ----------------------------------- */

#define E_AT	(T0 + 10 * DAY)		/* when the table's events happen */
#define NOW	(E_AT + DELAY)
#define P1	(T0 + MONTH)		/* the states' period end */
#define P2	(T0 + 2 * MONTH)

enum st {
	S_NONE, S_ACTIVE, S_TRIAL, S_GRACE, S_PENDING, S_PAUSED,
	S_DISPUTED, S_REVOKED, S_ENDED, S__COUNT
};

static const char *const st_names[S__COUNT] = {
	"none", "active", "trialing", "past_due in grace", "pending downgrade",
	"paused", "disputed", "revoked", "ended on free tier"
};

/* The license in each state, as stored before the table's event. */
static void
state_facts(enum st s, struct lh_lic_facts *f)
{
	memset(f, 0, sizeof(*f));
	tier_put(f->tier, "pro");
	f->sub_status = LH_SUB_ACTIVE;
	f->period_end = P1;
	f->sub_event_at = T0;
	f->paid_at = T0;
	switch (s) {
	case S_TRIAL:
		f->sub_status = LH_SUB_TRIALING;
		f->period_end = f->trial_end = T0 + 14 * DAY;
		break;
	case S_GRACE:
		f->sub_status = LH_SUB_PAST_DUE;
		f->sub_event_at = f->grace_since = T0 + 5 * DAY;
		break;
	case S_PENDING:
		tier_put(f->pending_tier, "basic");
		f->pending_at = P1;
		f->sub_event_at = T0 + 5 * DAY;
		break;
	case S_PAUSED:
		f->sub_status = LH_SUB_PAUSED;
		f->sub_event_at = T0 + 5 * DAY;
		break;
	case S_DISPUTED:
		f->disputed = 1;
		f->dispute_at = T0 + 5 * DAY;
		break;
	case S_REVOKED:
		snprintf(f->revoked, sizeof(f->revoked), "refunded");
		f->revoked_at = T0 + 5 * DAY;
		break;
	case S_ENDED:
		f->sub_status = LH_SUB_CANCELED;
		f->sub_event_at = f->ended_at = T0 + 5 * DAY;
		break;
	default:
		break;
	}
}

enum evk {
	K_CO, K_CA, K_CU, K_SC, K_SDN, K_SUP, K_SD, K_SP, K_SR, K_TW, K_IP,
	K_IF, K_IPY, K_RF, K_RP, K_DC, K_DW, K_DL, K_OT, K__COUNT
};

#define PRO	{ "price_PRO_M", NULL }
static const struct ev table_ev[K__COUNT] = {
	[K_CO] = { .type = CO, .created = E_AT, .mode = "subscription",
	    .plan = "pro" },
	[K_CA] = { .type = CA, .created = E_AT, .mode = "subscription",
	    .plan = "pro" },
	[K_CU] = { .type = LH_EVT_CUSTOMER, .created = E_AT },
	[K_SC] = { .type = LH_EVT_SUB_CREATED, .created = E_AT,
	    .status = "active", .price = PRO, .period_end = P1 },
	[K_SDN] = { .type = LH_EVT_SUB_UPDATED, .created = E_AT,
	    .status = "active", .price = { "price_BASIC_M", NULL },
	    .period_end = P1 },
	[K_SUP] = { .type = LH_EVT_SUB_UPDATED, .created = E_AT,
	    .status = "active", .price = { "price_MAX", NULL },
	    .period_end = P1 },
	[K_SD] = { .type = LH_EVT_SUB_DELETED, .created = E_AT,
	    .status = "canceled", .price = PRO, .period_end = P1 },
	[K_SP] = { .type = LH_EVT_SUB_PAUSED, .created = E_AT,
	    .status = "paused", .price = PRO, .period_end = P1 },
	[K_SR] = { .type = LH_EVT_SUB_RESUMED, .created = E_AT,
	    .status = "active", .price = PRO, .period_end = P1 },
	[K_TW] = { .type = LH_EVT_SUB_TRIAL_END, .created = E_AT,
	    .status = "trialing", .price = PRO, .period_end = P1 },
	[K_IP] = { .type = LH_EVT_INVOICE_PAID, .created = E_AT,
	    .price = PRO, .period_end = P2 },
	[K_IF] = { .type = LH_EVT_INVOICE_FAILED, .created = E_AT,
	    .price = PRO, .period_end = P2 },
	[K_IPY] = { .type = LH_EVT_INVOICE_PAYMENT, .created = E_AT },
	[K_RF] = { .type = LH_EVT_CHARGE_REFUNDED, .created = E_AT,
	    .amount = 1000, .amount_refunded = 1000, .refunded = 1 },
	[K_RP] = { .type = LH_EVT_CHARGE_REFUNDED, .created = E_AT,
	    .amount = 1000, .amount_refunded = 300 },
	[K_DC] = { .type = LH_EVT_DISPUTE_CREATED, .created = E_AT,
	    .status = "needs_response" },
	[K_DW] = { .type = LH_EVT_DISPUTE_CLOSED, .created = E_AT,
	    .status = "won" },
	[K_DL] = { .type = LH_EVT_DISPUTE_CLOSED, .created = E_AT,
	    .status = "lost" },
	[K_OT] = { .type = OTHER, .created = E_AT },
};

static const char *const evk_names[K__COUNT] = {
	"checkout", "async paid", "customer", "sub created",
	"sub updated (down)", "sub updated (up)", "sub deleted", "sub paused",
	"sub resumed", "trial_will_end", "invoice paid", "payment failed",
	"invoice_payment paid", "full refund", "partial refund", "dispute created", "dispute won",
	"dispute lost", "other"
};

#define V_ACT	LH_LIC_ACTIVE
#define V_TRI	LH_LIC_TRIALING
#define V_GRA	LH_LIC_GRACE
#define V_SUS	LH_LIC_SUSPENDED
#define V_EXP	LH_LIC_EXPIRED
#define V_REV	LH_LIC_REVOKED
#define V_NONE	(-1)

struct row {
	enum st		 st;
	enum evk	 ev;
	enum lh_action	 action;
	const char	*reason;
	const char	*tier;		/* of the stored result; NULL: none */
	const char	*pending;	/* pending_tier of the result */
	int		 view;		/* status at NOW, V_NONE: no license */
};

#define R(s, k, a, why, t, p, v)	{ s, k, a, why, t, p, v }
/* The rows every state shares, for the events that leave it alone. */
#define SAME(s, p, v) \
	R(s, K_CO, IGN, "exists", "pro", p, v), \
	R(s, K_CA, IGN, "exists", "pro", p, v), \
	R(s, K_CU, IGN, "customer_record", "pro", p, v), \
	R(s, K_TW, IGN, "recorded", "pro", p, v), \
	R(s, K_IPY, IGN, "payment_recorded", "pro", p, v), \
	R(s, K_RF, UPD, "refunded", "pro", p, V_REV), \
	R(s, K_RP, IGN, "partial_refund", "pro", p, v), \
	R(s, K_DL, UPD, "dispute_lost", "pro", p, V_REV), \
	R(s, K_OT, IGN, "unhandled_type", "pro", p, v)

static const struct row rows[] = {
	R(S_NONE, K_CO, CREATE, "created", "pro", "", V_ACT),
	R(S_NONE, K_CA, CREATE, "created", "pro", "", V_ACT),
	R(S_NONE, K_CU, IGN, "customer_record", NULL, NULL, V_NONE),
	R(S_NONE, K_SC, CREATE, "created", "pro", "", V_ACT),
	R(S_NONE, K_SDN, CREATE, "created", "basic", "", V_ACT),
	R(S_NONE, K_SUP, CREATE, "created", "max", "", V_ACT),
	R(S_NONE, K_SD, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_SP, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_SR, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_TW, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_IP, CREATE, "created", "pro", "", V_ACT),
	R(S_NONE, K_IF, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_IPY, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_RF, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_RP, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_DC, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_DW, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_DL, DEFER, "no_license", NULL, NULL, V_NONE),
	R(S_NONE, K_OT, IGN, "unhandled_type", NULL, NULL, V_NONE),

	SAME(S_ACTIVE, "", V_ACT),
	R(S_ACTIVE, K_SC, UPD, "updated", "pro", "", V_ACT),
	R(S_ACTIVE, K_SDN, UPD, "downgrade_pending", "pro", "basic", V_ACT),
	R(S_ACTIVE, K_SUP, UPD, "upgraded", "max", "", V_ACT),
	R(S_ACTIVE, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_ACTIVE, K_SP, UPD, "paused", "pro", "", V_SUS),
	R(S_ACTIVE, K_SR, UPD, "updated", "pro", "", V_ACT),
	R(S_ACTIVE, K_IP, UPD, "renewed", "pro", "", V_ACT),
	R(S_ACTIVE, K_IF, UPD, "grace_started", "pro", "", V_GRA),
	R(S_ACTIVE, K_DC, UPD, "disputed", "pro", "", V_SUS),
	R(S_ACTIVE, K_DW, UPD, "dispute_won", "pro", "", V_ACT),

	SAME(S_TRIAL, "", V_TRI),
	R(S_TRIAL, K_SC, UPD, "renewed", "pro", "", V_ACT),
	R(S_TRIAL, K_SDN, UPD, "downgrade_pending", "pro", "basic", V_ACT),
	R(S_TRIAL, K_SUP, UPD, "upgraded", "max", "", V_ACT),
	R(S_TRIAL, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_TRIAL, K_SP, UPD, "paused", "pro", "", V_SUS),
	R(S_TRIAL, K_SR, UPD, "renewed", "pro", "", V_ACT),
	R(S_TRIAL, K_IP, UPD, "renewed", "pro", "", V_TRI),
	R(S_TRIAL, K_IF, UPD, "grace_started", "pro", "", V_GRA),
	R(S_TRIAL, K_DC, UPD, "disputed", "pro", "", V_SUS),
	R(S_TRIAL, K_DW, UPD, "dispute_won", "pro", "", V_TRI),

	SAME(S_GRACE, "", V_GRA),
	R(S_GRACE, K_SC, UPD, "updated", "pro", "", V_GRA),
	R(S_GRACE, K_SDN, UPD, "downgrade_pending", "pro", "basic", V_GRA),
	R(S_GRACE, K_SUP, UPD, "upgraded", "max", "", V_GRA),
	R(S_GRACE, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_GRACE, K_SP, UPD, "paused", "pro", "", V_SUS),
	R(S_GRACE, K_SR, UPD, "updated", "pro", "", V_GRA),
	R(S_GRACE, K_IP, UPD, "recovered", "pro", "", V_ACT),
	R(S_GRACE, K_IF, IGN, "unchanged", "pro", "", V_GRA),
	R(S_GRACE, K_DC, UPD, "disputed", "pro", "", V_SUS),
	R(S_GRACE, K_DW, UPD, "dispute_won", "pro", "", V_GRA),

	SAME(S_PENDING, "basic", V_ACT),
	/* The same tier again undoes the downgrade. */
	R(S_PENDING, K_SC, UPD, "updated", "pro", "", V_ACT),
	R(S_PENDING, K_SDN, UPD, "updated", "pro", "basic", V_ACT),
	R(S_PENDING, K_SUP, UPD, "upgraded", "max", "", V_ACT),
	R(S_PENDING, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_PENDING, K_SP, UPD, "paused", "pro", "", V_SUS),
	R(S_PENDING, K_SR, UPD, "updated", "pro", "", V_ACT),
	R(S_PENDING, K_IP, UPD, "renewed", "pro", "", V_ACT),
	R(S_PENDING, K_IF, UPD, "grace_started", "pro", "basic", V_GRA),
	R(S_PENDING, K_DC, UPD, "disputed", "pro", "basic", V_SUS),
	R(S_PENDING, K_DW, UPD, "dispute_won", "pro", "basic", V_ACT),

	SAME(S_PAUSED, "", V_SUS),
	R(S_PAUSED, K_SC, UPD, "resumed", "pro", "", V_ACT),
	R(S_PAUSED, K_SDN, UPD, "resumed", "pro", "basic", V_ACT),
	R(S_PAUSED, K_SUP, UPD, "resumed", "max", "", V_ACT),
	R(S_PAUSED, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_PAUSED, K_SP, UPD, "updated", "pro", "", V_SUS),
	R(S_PAUSED, K_SR, UPD, "resumed", "pro", "", V_ACT),
	R(S_PAUSED, K_IP, UPD, "renewed", "pro", "", V_SUS),
	R(S_PAUSED, K_IF, UPD, "grace_started", "pro", "", V_SUS),
	R(S_PAUSED, K_DC, UPD, "disputed", "pro", "", V_SUS),
	R(S_PAUSED, K_DW, UPD, "dispute_won", "pro", "", V_SUS),

	SAME(S_DISPUTED, "", V_SUS),
	R(S_DISPUTED, K_SC, UPD, "updated", "pro", "", V_SUS),
	R(S_DISPUTED, K_SDN, UPD, "downgrade_pending", "pro", "basic", V_SUS),
	R(S_DISPUTED, K_SUP, UPD, "upgraded", "max", "", V_SUS),
	R(S_DISPUTED, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_DISPUTED, K_SP, UPD, "paused", "pro", "", V_SUS),
	R(S_DISPUTED, K_SR, UPD, "updated", "pro", "", V_SUS),
	R(S_DISPUTED, K_IP, UPD, "renewed", "pro", "", V_SUS),
	R(S_DISPUTED, K_IF, UPD, "grace_started", "pro", "", V_SUS),
	R(S_DISPUTED, K_DC, UPD, "disputed", "pro", "", V_SUS),
	R(S_DISPUTED, K_DW, UPD, "dispute_won", "pro", "", V_ACT),

	/*
	 * Revoked (refunded at T0 + 5d): the facts still move as for an
	 * active license, the view stays revoked, and run_row() checks that
	 * the earlier revocation is the one kept.
	 */
	R(S_REVOKED, K_CO, IGN, "exists", "pro", "", V_REV),
	R(S_REVOKED, K_CA, IGN, "exists", "pro", "", V_REV),
	R(S_REVOKED, K_CU, IGN, "customer_record", "pro", "", V_REV),
	R(S_REVOKED, K_SC, UPD, "updated", "pro", "", V_REV),
	R(S_REVOKED, K_SDN, UPD, "downgrade_pending", "pro", "basic", V_REV),
	R(S_REVOKED, K_SUP, UPD, "upgraded", "max", "", V_REV),
	R(S_REVOKED, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_REVOKED, K_SP, UPD, "paused", "pro", "", V_REV),
	R(S_REVOKED, K_SR, UPD, "updated", "pro", "", V_REV),
	R(S_REVOKED, K_TW, IGN, "recorded", "pro", "", V_REV),
	R(S_REVOKED, K_IP, UPD, "renewed", "pro", "", V_REV),
	R(S_REVOKED, K_IF, UPD, "grace_started", "pro", "", V_REV),
	R(S_REVOKED, K_IPY, IGN, "payment_recorded", "pro", "", V_REV),
	R(S_REVOKED, K_RF, IGN, "unchanged", "pro", "", V_REV),
	R(S_REVOKED, K_RP, IGN, "partial_refund", "pro", "", V_REV),
	R(S_REVOKED, K_DC, UPD, "disputed", "pro", "", V_REV),
	R(S_REVOKED, K_DW, UPD, "dispute_won", "pro", "", V_REV),
	R(S_REVOKED, K_DL, UPD, "dispute_lost", "pro", "", V_REV),
	R(S_REVOKED, K_OT, IGN, "unhandled_type", "pro", "", V_REV),

	/* Ended on the free tier (an earlier on_cancel = free_tier). */
	SAME(S_ENDED, "", V_ACT),
	R(S_ENDED, K_SC, UPD, "updated", "pro", "", V_ACT),
	R(S_ENDED, K_SDN, UPD, "downgrade_pending", "pro", "basic", V_ACT),
	R(S_ENDED, K_SUP, UPD, "upgraded", "max", "", V_ACT),
	/* This configuration revokes on cancel. */
	R(S_ENDED, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_ENDED, K_SP, UPD, "paused", "pro", "", V_SUS),
	R(S_ENDED, K_SR, UPD, "updated", "pro", "", V_ACT),
	R(S_ENDED, K_IP, UPD, "renewed", "pro", "", V_ACT),
	R(S_ENDED, K_IF, UPD, "grace_started", "pro", "", V_ACT),
	R(S_ENDED, K_DC, UPD, "disputed", "pro", "", V_SUS),
	R(S_ENDED, K_DW, UPD, "dispute_won", "pro", "", V_ACT),
};

/* The other policies, on the states they matter for. */
static const struct row rows_lenient[] = {
	R(S_ACTIVE, K_SD, UPD, "canceled", "pro", "", V_ACT),
	R(S_ACTIVE, K_RF, IGN, "refund_recorded", "pro", "", V_ACT),
	R(S_ACTIVE, K_DL, UPD, "dispute_lost", "pro", "", V_ACT),
	R(S_DISPUTED, K_DL, UPD, "dispute_lost", "pro", "", V_ACT),
	R(S_GRACE, K_SD, UPD, "canceled", "pro", "", V_ACT),
	R(S_PAUSED, K_SD, UPD, "canceled", "pro", "", V_ACT),
	R(S_ENDED, K_SD, UPD, "updated", "pro", "", V_ACT),
	R(S_ENDED, K_RF, IGN, "refund_recorded", "pro", "", V_ACT),
	R(S_TRIAL, K_RP, IGN, "partial_refund", "pro", "", V_TRI),
	R(S_REVOKED, K_SD, UPD, "canceled", "pro", "", V_REV),
	R(S_REVOKED, K_RF, IGN, "refund_recorded", "pro", "", V_REV),
	R(S_REVOKED, K_DL, UPD, "dispute_lost", "pro", "", V_REV),
	R(S_REVOKED, K_IPY, IGN, "payment_recorded", "pro", "", V_REV),
};

static void
run_row(const struct lh_conf *conf, const struct row *w, const char *how)
{
	struct lh_lic_facts	 old;
	const struct lh_lic_facts *res;
	struct lh_decision	 d;
	struct lh_lic_view	 v;
	char			 name[128];
	enum lh_err		 r;

	snprintf(name, sizeof(name), "%s%s + %s", how, st_names[w->st],
	    evk_names[w->ev]);
	state_facts(w->st, &old);
	r = decide(conf, &table_ev[w->ev], w->st == S_NONE ? NULL : &old,
	    NOW, &d);
	is_int(r, LH_OK, "%s: no error", name);
	is_int(d.action, w->action, "%s: action", name);
	is_str(d.reason, w->reason, "%s: reason", name);
	/* What the caller stores: the new facts, or the old ones. */
	if (d.action == CREATE || d.action == UPD)
		res = &d.facts;
	else
		res = w->st == S_NONE ? NULL : &old;
	if (w->tier != NULL) {
		is_str(res != NULL ? res->tier : NULL, w->tier, "%s: tier",
		    name);
		is_str(res != NULL ? res->pending_tier : NULL, w->pending,
		    "%s: pending tier", name);
	}
	if (d.action == CREATE || d.action == UPD)
		ok(d.tier != NULL && strcmp(d.tier->name, d.facts.tier) == 0,
		    "%s: decision names the tier", name);
	else
		ok(d.tier == NULL, "%s: no tier without a change", name);
	/* Every table event is later than the stored revocation. */
	if (w->st == S_REVOKED)
		ok(res != NULL && strcmp(res->revoked, old.revoked) == 0 &&
		    res->revoked_at == old.revoked_at,
		    "%s: earlier revocation kept", name);
	if (w->view != V_NONE && res != NULL) {
		license_view(conf, res, (time_t)NOW, &v);
		if (!ok((int)v.status == w->view, "%s: view", name))
			printf("#   got %s (%s), want %s\n",
			    license_status_name(v.status), v.reason,
			    license_status_name((enum lh_lic_status)w->view));
	}
}

static void
test_table(void)
{
	int		 seen[S__COUNT][K__COUNT];
	size_t		 i, s, k;
	int		 all = 1;

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < nitems(rows); i++) {
		seen[rows[i].st][rows[i].ev]++;
		run_row(c_revoke, &rows[i], "");
	}
	for (s = 0; s < S__COUNT; s++)
		for (k = 0; k < K__COUNT; k++)
			if (seen[s][k] != 1) {
				printf("# %s + %s: %d rows\n", st_names[s],
				    evk_names[k], seen[s][k]);
				all = 0;
			}
	ok(all, "table: every (state, event) pair exactly once");
	for (i = 0; i < nitems(rows_lenient); i++)
		run_row(c_lenient, &rows_lenient[i], "lenient: ");
}

/* ---- 3. rules one at a time ----------------------------------------- */

static void
test_names(void)
{
	enum lh_sub_status	 s;
	int			 i;

	for (i = LH_SUB_NONE; i <= LH_SUB_PAUSED; i++) {
		s = (enum lh_sub_status)99;
		ok(license_sub_parse(license_sub_name((enum lh_sub_status)i),
		    &s) == 0 && (int)s == i, "sub status %s round-trips",
		    license_sub_name((enum lh_sub_status)i));
	}
	is_str(license_sub_name(LH_SUB_PAST_DUE), "past_due", "past_due name");
	is_str(license_sub_name((enum lh_sub_status)42), "unknown",
	    "out-of-range sub status");
	ok(license_sub_parse("Active", &s) == -1, "sub parse is exact");
	ok(license_sub_parse("cancelled", &s) == -1, "Stripe spells canceled");
	ok(license_sub_parse("", &s) == -1, "empty sub status");
	ok(license_sub_parse(NULL, &s) == -1, "NULL sub status");
	is_str(license_status_name(LH_LIC_ACTIVE), "active", "status active");
	is_str(license_status_name(LH_LIC_TRIALING), "trialing",
	    "status trialing");
	is_str(license_status_name(LH_LIC_GRACE), "grace", "status grace");
	is_str(license_status_name(LH_LIC_SUSPENDED), "suspended",
	    "status suspended");
	is_str(license_status_name(LH_LIC_EXPIRED), "expired",
	    "status expired");
	is_str(license_status_name(LH_LIC_REVOKED), "revoked",
	    "status revoked");
	is_str(license_status_name((enum lh_lic_status)42), "unknown",
	    "out-of-range status");
}

/* Decide s on old at now; check action and reason; returns the facts. */
static struct lh_lic_facts
expect(const struct lh_conf *conf, const struct ev *s,
    const struct lh_lic_facts *old, long long now, enum lh_action act,
    const char *why, const char *name)
{
	struct lh_decision	 d;
	enum lh_err		 r;

	r = decide(conf, s, old, now, &d);
	is_int(r, LH_OK, "%s: no error", name);
	is_int(d.action, act, "%s: action", name);
	is_str(d.reason, why, "%s: reason", name);
	if (d.action == CREATE || d.action == UPD)
		return d.facts;
	return old != NULL ? *old : d.facts;
}

static void
test_snapshot_rules(void)
{
	struct lh_lic_facts	 f, g;
	struct ev		 s = table_ev[K_SC];

	/* Older than the applied snapshot: stale; the same second: ties. */
	state_facts(S_GRACE, &f);	/* sub_event_at T0 + 5d, past_due */
	s.created = T0 + 5 * DAY - 1;
	expect(c_revoke, &s, &f, NOW, STALE, "older_snapshot",
	    "snapshot a second older");
	s.created = T0 + 5 * DAY;
	s.status = "active";		/* earlier in life than past_due */
	expect(c_revoke, &s, &f, NOW, STALE, "older_snapshot",
	    "same second, active after past_due");
	s.status = "unpaid";
	g = expect(c_revoke, &s, &f, NOW, UPD, "updated",
	    "same second, unpaid after past_due");
	is_int(g.sub_status, LH_SUB_UNPAID, "same second: later status wins");
	s.status = "past_due";
	expect(c_revoke, &s, &f, NOW, IGN, "unchanged",
	    "same snapshot again is idempotent");

	/* Unknown or absent status on created/updated: recorded only. */
	s = table_ev[K_SC];
	s.status = "frozen";
	expect(c_revoke, &s, &f, NOW, IGN, "unknown_status",
	    "unknown status, license");
	expect(c_revoke, &s, NULL, NOW, IGN, "unknown_status",
	    "unknown status, no license");
	s.status = NULL;
	expect(c_revoke, &s, NULL, NOW, IGN, "unknown_status",
	    "no status, no license");
	/* deleted is the end whatever its status; paused implies paused. */
	s = table_ev[K_SD];
	s.status = NULL;
	state_facts(S_ACTIVE, &f);
	g = expect(c_lenient, &s, &f, NOW, UPD, "canceled",
	    "deleted without status");
	is_int(g.sub_status, LH_SUB_CANCELED, "deleted: canceled");
	is_int(g.ended_at, E_AT, "deleted, free_tier policy: ended_at");
	ok(g.revoked[0] == '\0', "deleted, free_tier policy: not revoked");
	s = table_ev[K_SP];
	s.status = NULL;
	g = expect(c_revoke, &s, &f, NOW, UPD, "paused", "paused no status");
	is_int(g.sub_status, LH_SUB_PAUSED, "paused: implied");
	s = table_ev[K_SR];
	s.status = NULL;
	state_facts(S_PAUSED, &f);
	g = expect(c_revoke, &s, &f, NOW, UPD, "resumed", "resumed no status");
	is_int(g.sub_status, LH_SUB_ACTIVE, "resumed: implied active");
	/* A canceled status from updated ends the license as deleted does. */
	s = table_ev[K_SC];
	s.type = LH_EVT_SUB_UPDATED;
	s.status = "canceled";
	state_facts(S_ACTIVE, &f);
	g = expect(c_revoke, &s, &f, NOW, UPD, "canceled",
	    "updated with status canceled");
	is_str(g.revoked, "canceled", "updated canceled: revoked");
	is_int(g.revoked_at, E_AT, "updated canceled: revoked_at");

	/* Snapshot facts, and creation from one. */
	s = table_ev[K_SC];
	s.status = "trialing";
	s.trial_end = T0 + 14 * DAY;
	s.cancel_at_end = 1;
	g = expect(c_revoke, &s, NULL, NOW, CREATE, "created",
	    "create from trialing snapshot");
	ok(g.sub_status == LH_SUB_TRIALING && g.trial_end == T0 + 14 * DAY &&
	    g.cancel_at_period_end == 1 && g.sub_event_at == E_AT &&
	    g.period_end == P1 && g.paid_at == 0, "snapshot facts copied");
	s.status = "incomplete";
	expect(c_revoke, &s, NULL, NOW, DEFER, "no_license",
	    "incomplete: no license yet");
	s.status = "incomplete_expired";
	expect(c_revoke, &s, NULL, NOW, DEFER, "no_license",
	    "incomplete_expired: no license");
	s.status = "canceled";
	expect(c_revoke, &s, NULL, NOW, DEFER, "no_license",
	    "canceled: no license");
	s.status = "past_due";
	g = expect(c_revoke, &s, NULL, NOW, CREATE, "created",
	    "past_due creates");
	/* Periods only move forward. */
	state_facts(S_ACTIVE, &f);
	f.period_end = P2;
	s = table_ev[K_SC];
	g = expect(c_revoke, &s, &f, NOW, UPD, "updated",
	    "snapshot with an earlier period end");
	is_int(g.period_end, P2, "period end kept");
}

static void
test_tier_rules(void)
{
	struct lh_lic_facts	 f, g;
	struct lh_decision	 d;
	struct ev		 s = table_ev[K_SC];
	struct lh_conf		*nodef;

	state_facts(S_ACTIVE, &f);
	/* Highest ranked item wins; unmapped items are skipped. */
	s.price[0] = "price_BASIC_Y";
	s.price[1] = "price_MAX";
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded", "two items");
	is_str(g.tier, "max", "two items: highest rank");
	s.price[0] = "price_UNKNOWN";
	s.price[1] = "price_basic_m";
	g = expect(c_revoke, &s, &f, NOW, UPD, "downgrade_pending",
	    "unmapped item skipped, price ignores case");
	is_str(g.pending_tier, "basic", "unmapped skipped: basic pending");
	is_int(g.pending_at, P1, "pending at the period end");
	/* price metadata plan when the price id is not mapped. */
	s.price[0] = NULL;
	s.price[1] = NULL;
	s.plan_meta = "MAX";
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded", "price plan");
	is_str(g.tier, "max", "price plan: max");
	/* Sideways: the same rank, another tier, at once. */
	s.plan_meta = NULL;
	s.price[0] = "price_TEAM";
	g = expect(c_revoke, &s, &f, NOW, UPD, "updated", "sideways");
	is_str(g.tier, "team", "sideways: now");
	is_str(g.pending_tier, "", "sideways: nothing pending");
	/* No items: the tier stays. */
	s.price[0] = NULL;
	s.status = "past_due";
	g = expect(c_revoke, &s, &f, NOW, UPD, "updated", "no items");
	is_str(g.tier, "pro", "no items: tier kept");
	/* Items that map to nothing: the default, or a 500. */
	s.status = "active";
	s.price[0] = "price_UNKNOWN";
	is_int(decide(c_revoke, &s, &f, NOW, &d), LH_ERR_TIER_UNKNOWN,
	    "unmapped items, no default: error");
	is_int(d.action, IGN, "tier unknown: ignore");
	is_str(d.reason, "tier_unknown", "tier unknown: reason");
	ok(d.tier == NULL, "tier unknown: no tier");
	is_int(decide(c_revoke, &s, NULL, NOW, &d), LH_ERR_TIER_UNKNOWN,
	    "unmapped items, no license: error");
	s.type = LH_EVT_INVOICE_PAID;
	is_int(decide(c_revoke, &s, NULL, NOW, &d), LH_ERR_TIER_UNKNOWN,
	    "invoice creating with unmapped items: error");
	nodef = conf_load(CONF_REVOKE "[tiers]\ndefault = basic\n");
	s.type = LH_EVT_SUB_UPDATED;
	g = expect(nodef, &s, &f, NOW, UPD, "downgrade_pending",
	    "unmapped items, default basic");
	is_str(g.pending_tier, "basic", "default tier pending");
	s.price[0] = NULL;
	g = expect(nodef, &s, NULL, NOW, CREATE, "created",
	    "no items, creating: default tier");
	is_str(g.tier, "basic", "no items: default");
	conf_free(nodef);
	is_int(decide(c_revoke, &s, NULL, NOW, &d), LH_ERR_TIER_UNKNOWN,
	    "no items, creating, no default: error");
	/* A stale event never fails. */
	s.price[0] = "price_UNKNOWN";
	s.created = T0 - 1;
	expect(c_revoke, &s, &f, NOW, STALE, "older_snapshot",
	    "stale unmapped: stale, no error");
	/* Nor one whose tier an invoice since has decided. */
	s.created = E_AT;
	f.paid_at = E_AT + 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "updated",
	    "unmapped, older than the last paid invoice: no error");
	is_str(g.tier, "pro", "older than the invoice: tier kept");
	f.paid_at = E_AT;
	is_int(decide(c_revoke, &s, &f, NOW, &d), LH_ERR_TIER_UNKNOWN,
	    "unmapped, in the invoice's second: error");
	f.paid_at = T0;
	/* A tier no longer configured ranks below all. */
	tier_put(f.tier, "gone");
	s = table_ev[K_SDN];
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded", "removed tier");
	is_str(g.tier, "basic", "removed tier replaced at once");
}

static void
test_pending_rules(void)
{
	struct lh_lic_facts	 f, g;
	struct ev		 s = table_ev[K_SDN];

	/* The period already over: the downgrade applies now. */
	state_facts(S_ACTIVE, &f);
	f.period_end = NOW;
	s.period_end = P2;
	g = expect(c_revoke, &s, &f, NOW, UPD, "downgraded",
	    "downgrade at the period end second");
	is_str(g.tier, "basic", "due downgrade: now");
	f.period_end = NOW + 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "downgrade_pending",
	    "downgrade a second before the period end");
	is_int(g.pending_at, NOW + 1, "pending at the license's period end");
	/* The earlier of the two period ends: a renewal seen first. */
	f.period_end = P2;
	s.period_end = P1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "downgrade_pending",
	    "renewal seen before the downgrade");
	is_int(g.pending_at, P1, "pending at the event's period end");
	/* No period yet (created by checkout): the snapshot's. */
	f.period_end = 0;
	s.period_end = P1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "downgrade_pending",
	    "no period yet");
	is_int(g.pending_at, P1, "pending at the snapshot's period end");
	is_int(g.period_end, P1, "period taken from the snapshot");
	/* A due pending downgrade is folded before the event. */
	state_facts(S_PENDING, &f);
	g = expect(c_revoke, &table_ev[K_DC], &f, P1, UPD, "disputed",
	    "event after a due downgrade");
	is_str(g.tier, "basic", "due downgrade folded");
	is_str(g.pending_tier, "", "folded: nothing pending");
	is_int(g.pending_at, 0, "folded: no pending time");
	/* The fold alone is no change. */
	expect(c_revoke, &table_ev[K_RP], &f, P1, IGN, "partial_refund",
	    "fold alone: event's own answer");
	s = table_ev[K_SDN];
	s.created = T0 + 5 * DAY;
	expect(c_revoke, &s, &f, P1, IGN, "unchanged",
	    "fold alone: unchanged");
	/* An upgrade while pending clears it. */
	s = table_ev[K_SUP];
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded", "upgrade clears");
	ok(g.pending_tier[0] == '\0' && g.pending_at == 0,
	    "upgrade: nothing pending");

	/* An older upgrade for a period not over raises the tier again. */
	state_facts(S_ACTIVE, &f);
	tier_put(f.tier, "basic");
	f.sub_event_at = T0 + 8 * DAY;
	s = table_ev[K_SC];
	s.created = T0 + 5 * DAY;
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded",
	    "older upgrade, period not over");
	is_str(g.tier, "pro", "older upgrade: pro again");
	is_str(g.pending_tier, "basic", "older upgrade: basic pending");
	is_int(g.pending_at, P1, "older upgrade: until its period end");
	is_int(g.sub_event_at, T0 + 8 * DAY, "older upgrade: snapshot kept");
	expect(c_revoke, &s, &g, NOW, STALE, "older_snapshot",
	    "older upgrade again: stale");
	expect(c_revoke, &s, &f, P1, STALE, "older_snapshot",
	    "older upgrade, period over: stale");
	s.price[0] = "price_BASIC_M";
	expect(c_revoke, &s, &f, NOW, STALE, "older_snapshot",
	    "older same tier: stale");
}

static void
test_invoice_rules(void)
{
	struct lh_lic_facts	 f, g;
	struct ev		 s = table_ev[K_IP];

	/* The tier follows an invoice only when it is the newest word. */
	state_facts(S_ACTIVE, &f);
	f.sub_event_at = E_AT;
	s.price[0] = "price_BASIC_M";
	g = expect(c_revoke, &s, &f, NOW, UPD, "renewed",
	    "invoice in the snapshot's second");
	is_str(g.tier, "pro", "snapshot wins the second");
	is_str(g.pending_tier, "", "no downgrade from the invoice");
	is_int(g.paid_at, E_AT, "paid_at moved");
	is_int(g.period_end, P2, "period moved");
	/* Higher, though: paid for, so it holds to its period's end. */
	s.price[0] = "price_MAX";
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded",
	    "higher invoice in the snapshot's second");
	is_str(g.tier, "max", "higher invoice raises");
	is_str(g.pending_tier, "pro", "snapshot's tier pending");
	is_int(g.pending_at, P2, "until the invoice's period end");
	f.sub_event_at = E_AT - 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded",
	    "invoice a second newer than the snapshot");
	is_str(g.tier, "max", "newest invoice sets the tier");
	f.paid_at = E_AT + 1;
	s.period_end = P1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "upgraded",
	    "older invoice, higher tier, period not over");
	is_str(g.pending_tier, "pro", "older invoice: newer tier pending");
	s.price[0] = "price_BASIC_M";
	expect(c_revoke, &s, &f, NOW, IGN, "unchanged",
	    "older invoice, lower tier: nothing");
	/* A snapshot older than the newest paid invoice: not the tier. */
	state_facts(S_ACTIVE, &f);
	f.paid_at = E_AT + 1;
	g = expect(c_revoke, &table_ev[K_SDN], &f, NOW, UPD, "updated",
	    "snapshot older than the last paid invoice");
	is_str(g.tier, "pro", "invoice's tier kept");
	is_str(g.pending_tier, "", "no downgrade from the older snapshot");
	is_int(g.sub_event_at, E_AT, "snapshot facts still applied");

	/* Grace: cleared by a payment at or after it began. */
	state_facts(S_GRACE, &f);
	s = table_ev[K_IP];
	s.created = T0 + 5 * DAY - 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "renewed",
	    "payment before the failure");
	is_int(g.grace_since, T0 + 5 * DAY, "grace kept");
	s.created = T0 + 5 * DAY;
	g = expect(c_revoke, &s, &f, NOW, UPD, "recovered",
	    "payment in the failure's second");
	is_int(g.grace_since, 0, "grace cleared");
	/* A failure at or before the last payment is stale. */
	state_facts(S_ACTIVE, &f);
	s = table_ev[K_IF];
	s.created = T0;
	expect(c_revoke, &s, &f, NOW, STALE, "paid_since",
	    "failure in the payment's second");
	s.created = T0 + 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "grace_started",
	    "failure a second after the payment");
	is_int(g.grace_since, T0 + 1, "grace from the failure");
	s.created = T0 + 2;
	expect(c_revoke, &s, &g, NOW, IGN, "unchanged",
	    "a later failure keeps the first");
	s.created = T0 + 1;
	f = g;
	f.grace_since = T0 + 3;
	g = expect(c_revoke, &s, &f, NOW, UPD, "updated",
	    "an earlier failure moves grace back");
	is_int(g.grace_since, T0 + 1, "grace from the earliest failure");
	/* Invoices without a subscription are not this license's. */
	s = table_ev[K_IP];
	s.no_sub = 1;
	expect(c_revoke, &s, &f, NOW, IGN, "no_subscription",
	    "one-off invoice, license");
	expect(c_revoke, &s, NULL, NOW, DEFER, "no_license",
	    "one-off invoice, no license");
	s.type = LH_EVT_INVOICE_FAILED;
	expect(c_revoke, &s, &f, NOW, IGN, "no_subscription",
	    "one-off failure, license");
	/* Creation from a paid invoice. */
	s = table_ev[K_IP];
	g = expect(c_revoke, &s, NULL, NOW, CREATE, "created",
	    "invoice creates");
	ok(g.sub_status == LH_SUB_ACTIVE && g.period_end == P2 &&
	    g.paid_at == E_AT && g.sub_event_at == 0, "invoice facts");
}

static void
test_charge_rules(void)
{
	struct lh_lic_facts	 f, g;
	struct ev		 s = table_ev[K_RP];

	state_facts(S_ACTIVE, &f);
	/* Full refund: the flag, or the whole amount back. */
	s.amount_refunded = 999;
	expect(c_revoke, &s, &f, NOW, IGN, "partial_refund", "amount - 1");
	s.amount_refunded = 1000;
	g = expect(c_revoke, &s, &f, NOW, UPD, "refunded", "whole amount");
	is_str(g.revoked, "refunded", "refund: revoked why");
	is_int(g.revoked_at, E_AT, "refund: revoked_at");
	s.amount = 0;
	s.amount_refunded = 0;
	expect(c_revoke, &s, &f, NOW, IGN, "partial_refund",
	    "zero amount, no flag");
	s.refunded = 1;
	expect(c_revoke, &s, &f, NOW, UPD, "refunded", "flag alone");

	/* Disputes: the newest event wins; a close wins its second. */
	state_facts(S_DISPUTED, &f);	/* dispute_at T0 + 5d */
	s = table_ev[K_DC];
	s.created = T0 + 5 * DAY - 1;
	expect(c_revoke, &s, &f, NOW, STALE, "older_dispute",
	    "older dispute opening");
	s = table_ev[K_DW];
	s.created = T0 + 5 * DAY - 1;
	expect(c_revoke, &s, &f, NOW, STALE, "older_dispute", "older close");
	s.created = T0 + 5 * DAY;
	g = expect(c_revoke, &s, &f, NOW, UPD, "dispute_won",
	    "close in the opening's second");
	is_int(g.disputed, 0, "closed");
	s = table_ev[K_DC];
	s.created = T0 + 5 * DAY;
	expect(c_revoke, &s, &g, NOW, STALE, "older_dispute",
	    "opening in the close's second");
	expect(c_revoke, &s, &f, NOW, IGN, "unchanged",
	    "same opening again");
	s = table_ev[K_DW];
	s.status = "warning_closed";
	expect(c_revoke, &s, &f, NOW, UPD, "dispute_won", "warning_closed");
	s.status = "prevented";
	g = expect(c_revoke, &s, &f, NOW, UPD, "dispute_closed",
	    "other final status");
	is_int(g.disputed, 0, "other final status: closed");
	s.status = NULL;
	expect(c_revoke, &s, &f, NOW, UPD, "dispute_closed", "no status");
	s.status = "lost";
	g = expect(c_revoke, &s, &f, NOW, UPD, "dispute_lost", "lost");
	ok(g.disputed == 0 && strcmp(g.revoked, "dispute_lost") == 0 &&
	    g.revoked_at == E_AT, "lost: revoked");
	g = expect(c_lenient, &s, &f, NOW, UPD, "dispute_lost",
	    "lost, recorded");
	ok(g.disputed == 0 && g.revoked[0] == '\0', "lost, recorded: valid");
}

/*
 * Revocation: the earliest stands, a tie goes to the reason that sorts
 * first, nothing undoes one, and an event older than the facts it
 * meets still revokes if it would have in order.
 */
static void
test_revoke_rules(void)
{
	struct lh_lic_facts	 f, g;
	struct ev		 s;
	long long		 at = T0 + 5 * DAY;	/* S_REVOKED's */

	state_facts(S_REVOKED, &f);
	s = table_ev[K_RF];
	s.created = at - 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "refunded",
	    "earlier refund on a revoked license");
	ok(strcmp(g.revoked, "refunded") == 0 && g.revoked_at == at - 1,
	    "earlier refund: revoked_at moves back");
	s.created = at;
	expect(c_revoke, &s, &f, NOW, IGN, "unchanged",
	    "same refund again: unchanged");

	/* The same second: "canceled" < "dispute_lost" < "refunded". */
	s = table_ev[K_DL];
	s.created = at;
	g = expect(c_revoke, &s, &f, NOW, UPD, "dispute_lost",
	    "dispute lost in the refund's second");
	ok(strcmp(g.revoked, "dispute_lost") == 0 && g.revoked_at == at,
	    "same second: dispute_lost sorts before refunded");
	s = table_ev[K_RF];
	s.created = at;
	g = expect(c_revoke, &s, &g, NOW, IGN, "unchanged",
	    "refund in the dispute loss's second");
	is_str(g.revoked, "dispute_lost", "same second: dispute_lost stays");
	s = table_ev[K_SD];
	s.created = at;
	g = expect(c_revoke, &s, &g, NOW, UPD, "canceled",
	    "cancel in the same second");
	ok(strcmp(g.revoked, "canceled") == 0 && g.revoked_at == at,
	    "same second: canceled sorts first");

	/* An administrator's revocation is one more revocation. */
	state_facts(S_ACTIVE, &f);
	snprintf(f.revoked, sizeof(f.revoked), "admin");
	f.revoked_at = E_AT + 1;
	g = expect(c_revoke, &table_ev[K_RF], &f, NOW, UPD, "refunded",
	    "refund older than an admin revocation");
	ok(strcmp(g.revoked, "refunded") == 0 && g.revoked_at == E_AT,
	    "earlier refund replaces a later admin revocation");
	f.revoked_at = E_AT - 1;
	expect(c_revoke, &table_ev[K_RF], &f, NOW, IGN, "unchanged",
	    "refund newer than an admin revocation");

	/* Nothing undoes a revocation: a dispute won after one lost. */
	state_facts(S_DISPUTED, &f);
	s = table_ev[K_DL];
	g = expect(c_revoke, &s, &f, NOW, UPD, "dispute_lost", "lost");
	s = table_ev[K_DC];
	s.created = E_AT + DAY;
	g = expect(c_revoke, &s, &g, NOW, UPD, "disputed",
	    "a new dispute after the loss");
	s = table_ev[K_DW];
	s.created = E_AT + 2 * DAY;
	g = expect(c_revoke, &s, &g, NOW, UPD, "dispute_won",
	    "won after the loss");
	ok(strcmp(g.revoked, "dispute_lost") == 0 && g.revoked_at == E_AT &&
	    g.disputed == 0, "won after the loss: still revoked");

	/* A loss older than the newest dispute event still revokes. */
	state_facts(S_DISPUTED, &f);	/* dispute_at T0 + 5d */
	s = table_ev[K_DL];
	s.created = at - 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "dispute_lost",
	    "older loss");
	ok(strcmp(g.revoked, "dispute_lost") == 0 && g.revoked_at == at - 1 &&
	    g.disputed == 1 && g.dispute_at == at,
	    "older loss: revoked, dispute facts kept");
	expect(c_revoke, &s, &g, NOW, STALE, "older_dispute",
	    "older loss again: stale");
	expect(c_lenient, &s, &f, NOW, STALE, "older_dispute",
	    "older loss, recorded: stale");
	s.status = "won";
	expect(c_revoke, &s, &f, NOW, STALE, "older_dispute",
	    "older win: stale");

	/* So does an older snapshot that ended the subscription. */
	state_facts(S_GRACE, &f);	/* sub_event_at T0 + 5d, past_due */
	s = table_ev[K_SD];
	s.created = at - 1;
	g = expect(c_revoke, &s, &f, NOW, UPD, "canceled",
	    "older deleted snapshot");
	ok(strcmp(g.revoked, "canceled") == 0 && g.revoked_at == at - 1 &&
	    g.sub_status == LH_SUB_PAST_DUE && g.sub_event_at == at,
	    "older deleted: revoked, newer snapshot kept");
	expect(c_revoke, &s, &g, NOW, STALE, "older_snapshot",
	    "older deleted again: stale");
	g = expect(c_lenient, &s, &f, NOW, UPD, "canceled",
	    "older deleted, free tier policy");
	ok(g.ended_at == at - 1 && g.revoked[0] == '\0',
	    "older deleted, free tier policy: ended");

	/* Stored text without a NUL is bounded, not overread. */
	state_facts(S_ACTIVE, &f);
	memset(f.revoked, 'x', sizeof(f.revoked));
	f.revoked_at = E_AT + 1;
	g = expect(c_revoke, &table_ev[K_RF], &f, NOW, UPD, "refunded",
	    "unterminated stored revocation");
	is_str(g.revoked, "refunded", "unterminated: replaced by the earlier");
}

/* ---- 4. license_view() at its boundaries ----------------------------- */

struct vcase {
	const char	*name;
	long long	 now;
	enum lh_lic_status status;
	int		 valid;
	enum lh_grace	 grace;
	const char	*tier;
	const char	*reason;
	long long	 expires_at;
};

static void
view_check(const struct lh_conf *conf, const struct lh_lic_facts *f,
    const struct vcase *c)
{
	struct lh_lic_view	 v;

	memset(&v, 0xa5, sizeof(v));
	license_view(conf, f, (time_t)c->now, &v);
	is_int(v.status, c->status, "view %s: status", c->name);
	is_int(v.valid, c->valid, "view %s: valid", c->name);
	is_int(v.grace, c->grace, "view %s: grace", c->name);
	is_str(v.tier, c->tier, "view %s: tier", c->name);
	is_str(v.reason, c->reason, "view %s: reason", c->name);
	is_int(v.expires_at, c->expires_at, "view %s: expires_at", c->name);
}

#define G0	(T0 + 20 * DAY)		/* grace_since */
#define EXP	(P1 + DAY)		/* period end + slack */

static const struct vcase grace_cases[] = {
	{ "grace 0 s", G0, LH_LIC_GRACE, 1, LH_GRACE_WARNED, "pro", "", EXP },
	{ "grace before it began", G0 - 1, LH_LIC_GRACE, 1, LH_GRACE_WARNED,
	    "pro", "", EXP },
	{ "grace reminder - 1 s", G0 + 3 * DAY - 1, LH_LIC_GRACE, 1,
	    LH_GRACE_WARNED, "pro", "", EXP },
	{ "grace reminder", G0 + 3 * DAY, LH_LIC_GRACE, 1, LH_GRACE_REMINDED,
	    "pro", "", EXP },
	{ "grace free - 1 s", G0 + 7 * DAY - 1, LH_LIC_GRACE, 1,
	    LH_GRACE_REMINDED, "pro", "", EXP },
	{ "grace free", G0 + 7 * DAY, LH_LIC_GRACE, 1, LH_GRACE_FREE_TIER,
	    "free", "", EXP },
	{ "grace suspend - 1 s", G0 + 14 * DAY - 1, LH_LIC_GRACE, 1,
	    LH_GRACE_FREE_TIER, "free", "", EXP },
	{ "grace suspend", G0 + 14 * DAY, LH_LIC_SUSPENDED, 0,
	    LH_GRACE_SUSPENDED, "pro", "payment_failed", EXP },
	/* Grace outlives the period: it ends only in suspension. */
	{ "grace past expiry", EXP + 1, LH_LIC_GRACE, 1, LH_GRACE_FREE_TIER,
	    "free", "", EXP },
};

/* Without a free tier there is no free-tier step. */
static const struct vcase grace_nofree[] = {
	{ "no free tier: grace free", G0 + 7 * DAY, LH_LIC_GRACE, 1,
	    LH_GRACE_REMINDED, "pro", "", EXP },
	{ "no free tier: suspend - 1 s", G0 + 14 * DAY - 1, LH_LIC_GRACE, 1,
	    LH_GRACE_REMINDED, "pro", "", EXP },
	{ "no free tier: suspend", G0 + 14 * DAY, LH_LIC_SUSPENDED, 0,
	    LH_GRACE_SUSPENDED, "pro", "payment_failed", EXP },
};

static const struct vcase expiry_cases[] = {
	{ "period end", P1, LH_LIC_ACTIVE, 1, LH_GRACE_NONE, "pro", "", EXP },
	{ "slack - 1 s", EXP - 1, LH_LIC_ACTIVE, 1, LH_GRACE_NONE, "pro", "",
	    EXP },
	{ "slack", EXP, LH_LIC_ACTIVE, 1, LH_GRACE_NONE, "pro", "", EXP },
	{ "slack + 1 s", EXP + 1, LH_LIC_EXPIRED, 0, LH_GRACE_NONE, "pro",
	    "expired", EXP },
};

static const struct vcase pending_cases[] = {
	{ "pending_at - 1 s", P1 - 1, LH_LIC_ACTIVE, 1, LH_GRACE_NONE, "pro",
	    "", EXP },
	{ "pending_at", P1, LH_LIC_ACTIVE, 1, LH_GRACE_NONE, "basic", "",
	    EXP },
};

static const struct vcase canceled_cases[] = {
	{ "canceled, slack", EXP, LH_LIC_ACTIVE, 1, LH_GRACE_NONE, "pro", "",
	    EXP },
	{ "canceled, slack + 1 s", EXP + 1, LH_LIC_EXPIRED, 0, LH_GRACE_NONE,
	    "pro", "canceled", EXP },
};

static void
view_cases(const struct lh_conf *conf, const struct lh_lic_facts *f,
    const struct vcase *c, size_t n)
{
	size_t		 i;

	for (i = 0; i < n; i++)
		view_check(conf, f, &c[i]);
}

static void
test_view_boundaries(void)
{
	struct lh_lic_facts	 f;
	struct lh_lic_view	 v;
	struct lh_conf		*c0;

	state_facts(S_ACTIVE, &f);
	f.grace_since = G0;
	f.sub_status = LH_SUB_PAST_DUE;
	view_cases(c_revoke, &f, grace_cases, nitems(grace_cases));
	view_cases(c_nofree, &f, grace_nofree, nitems(grace_nofree));
	license_view(c_revoke, &f, (time_t)G0, &v);
	is_int(v.grace_deadline, G0 + 14 * DAY, "grace deadline");

	state_facts(S_ACTIVE, &f);
	view_cases(c_revoke, &f, expiry_cases, nitems(expiry_cases));
	f.sub_status = LH_SUB_CANCELED;
	view_cases(c_revoke, &f, canceled_cases, nitems(canceled_cases));
	state_facts(S_PENDING, &f);
	view_cases(c_revoke, &f, pending_cases, nitems(pending_cases));

	/* Zero durations: every step at once. */
	c0 = conf_load(CONF_REVOKE "expiry_slack = 0\ngrace_reminder = 0\n"
	    "grace_free_tier = 0\ngrace_suspend = 0\n");
	state_facts(S_ACTIVE, &f);
	license_view(c0, &f, (time_t)P1, &v);
	ok(v.valid && v.expires_at == P1, "slack 0: valid at period end");
	license_view(c0, &f, (time_t)P1 + 1, &v);
	ok(!v.valid && v.status == LH_LIC_EXPIRED, "slack 0: expired after");
	f.grace_since = G0;
	license_view(c0, &f, (time_t)G0, &v);
	ok(v.status == LH_LIC_SUSPENDED && v.grace == LH_GRACE_SUSPENDED,
	    "grace_suspend 0: suspended at once");
	conf_free(c0);
}

/* Which condition wins when several hold (license_view's order). */
static void
test_view_order(void)
{
	struct lh_lic_facts	 f;
	struct lh_lic_view	 v;

	state_facts(S_ACTIVE, &f);
	f.disputed = 1;
	f.sub_status = LH_SUB_PAUSED;
	f.grace_since = G0;
	f.ended_at = T0;
	snprintf(f.revoked, sizeof(f.revoked), "dispute_lost");
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_REVOKED && !v.valid &&
	    strcmp(v.reason, "dispute_lost") == 0 && v.expires_at == 0,
	    "revoked beats all, reason is the revocation");
	ok(v.reason != f.revoked, "revoked reason is static, not the facts");
	snprintf(f.revoked, sizeof(f.revoked), "by_hand");
	license_view(c_revoke, &f, (time_t)NOW, &v);
	is_str(v.reason, "revoked", "unknown revocation text: revoked");
	f.revoked[0] = '\0';
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_SUSPENDED && strcmp(v.reason, "disputed") == 0,
	    "disputed beats paused");
	f.disputed = 0;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_SUSPENDED && strcmp(v.reason, "paused") == 0,
	    "paused beats ended");
	f.sub_status = LH_SUB_CANCELED;
	license_view(c_revoke, &f, (time_t)P2, &v);
	ok(v.status == LH_LIC_ACTIVE && v.valid && strcmp(v.tier, "free") ==
	    0 && v.expires_at == 0 && v.grace == LH_GRACE_NONE,
	    "ended beats grace: free tier, no expiry");
	license_view(c_nofree, &f, (time_t)P2, &v);
	ok(v.status == LH_LIC_EXPIRED && !v.valid &&
	    strcmp(v.reason, "canceled") == 0,
	    "ended, free tier configured away: expired");
	f.ended_at = 0;
	f.sub_status = LH_SUB_INCOMPLETE;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_SUSPENDED && strcmp(v.reason, "incomplete") ==
	    0, "incomplete beats grace");
	f.sub_status = LH_SUB_INCOMPLETE_EXPIRED;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	is_str(v.reason, "incomplete", "incomplete_expired: incomplete");
	f.sub_status = LH_SUB_UNPAID;
	license_view(c_revoke, &f, (time_t)G0, &v);
	ok(v.status == LH_LIC_GRACE, "grace beats unpaid");
	f.grace_since = 0;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_SUSPENDED && strcmp(v.reason, "unpaid") == 0,
	    "unpaid without grace: suspended");
	f.sub_status = LH_SUB_TRIALING;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_TRIALING && v.valid, "trialing");
	license_view(c_revoke, &f, (time_t)EXP + 1, &v);
	ok(v.status == LH_LIC_EXPIRED, "trial past its period: expired");
	f.sub_status = LH_SUB_NONE;
	f.period_end = 0;
	license_view(c_revoke, &f, (time_t)(T0 + 3650 * DAY), &v);
	ok(v.status == LH_LIC_ACTIVE && v.valid && v.expires_at == 0,
	    "perpetual: never expires");
	f.sub_status = LH_SUB_CANCELED;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_EXPIRED && strcmp(v.reason, "canceled") == 0,
	    "canceled without a period: expired");
	f.sub_status = LH_SUB_PAST_DUE;
	f.period_end = P1;
	license_view(c_revoke, &f, (time_t)NOW, &v);
	ok(v.status == LH_LIC_ACTIVE,
	    "past_due without a failed payment seen: active");

	license_view(NULL, &f, (time_t)NOW, &v);
	ok(!v.valid && v.reason != NULL, "view: NULL conf");
	license_view(c_revoke, NULL, (time_t)NOW, &v);
	ok(!v.valid && v.tier == NULL, "view: NULL facts");
	license_view(c_revoke, &f, (time_t)NOW, NULL);
	ok(1, "view: NULL out is a no-op");
}

/* ---- 5. order independence ------------------------------------------- */

#define SEQ_MAX		16
#define DELIVERY_MAX	(4 * SEQ_MAX)
#define SHUFFLES	200
#define PERM_MAX	7	/* all permutations up to 7! = 5040 */

struct seq {
	const char	*name;
	struct ev	 ev[SEQ_MAX];
	/* In-order result, revoking and lenient policies. */
	int		 status[2];
	const char	*tier[2];	/* the view's */
};

#define SUB(k, t, st, p, pe) { .type = k, .created = (t), .status = st, \
	.price = { p, NULL }, .period_end = (pe) }
#define INV(k, t, p, pe) { .type = k, .created = (t), \
	.price = { p, NULL }, .period_end = (pe) }
#define CHK(t, m, hint) { .type = CO, .created = (t), .mode = m, \
	.plan = hint }
/* invoice_payment.paid, found through invoice.paid at index a - 1. */
#define IPY(t, a) { .type = LH_EVT_INVOICE_PAYMENT, .created = (t), \
	.after = (a) }
#define FULL_REFUND(t, a) { .type = LH_EVT_CHARGE_REFUNDED, .created = (t), \
	.amount = 1000, .amount_refunded = 1000, .refunded = 1, .after = (a) }
#define B	"price_BASIC_M"
#define P	"price_PRO_M"
#define U	LH_EVT_SUB_UPDATED
#define IPD	LH_EVT_INVOICE_PAID

static const struct seq seqs[] = {
	{ "purchase, renew, upgrade, downgrade, fail, recover", {
	    CHK(T0, "subscription", "basic"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", B, T0 + MONTH),
	    INV(IPD, T0, B, T0 + MONTH),
	    INV(IPD, T0 + MONTH, B, T0 + 2 * MONTH),
	    SUB(U, T0 + MONTH, "active", B, T0 + 2 * MONTH),
	    SUB(U, T0 + MONTH + 5 * DAY, "active", P, T0 + 2 * MONTH),
	    { .type = IPD, .created = T0 + MONTH + 5 * DAY,
		.price = { B, P }, .period_end = T0 + 2 * MONTH },
	    SUB(U, T0 + MONTH + 10 * DAY, "active", B, T0 + 2 * MONTH),
	    INV(LH_EVT_INVOICE_FAILED, T0 + 2 * MONTH, B, T0 + 3 * MONTH),
	    SUB(U, T0 + 2 * MONTH, "past_due", B, T0 + 3 * MONTH),
	    INV(IPD, T0 + 2 * MONTH + 2 * DAY, B, T0 + 3 * MONTH),
	    SUB(U, T0 + 2 * MONTH + 2 * DAY, "active", B, T0 + 3 * MONTH),
	    { .type = LH_EVT_CUSTOMER, .created = T0 + 2 * MONTH },
	}, { V_ACT, V_ACT }, { "basic", "basic" } },
	{ "upgrade then downgrade, period not over", {
	    CHK(T0, "subscription", "basic"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", B, T0 + MONTH),
	    INV(IPD, T0, B, T0 + MONTH),
	    SUB(U, T0 + 5 * DAY, "active", P, T0 + MONTH),
	    { .type = IPD, .created = T0 + 5 * DAY, .price = { B, P },
		.period_end = T0 + MONTH },
	    SUB(U, T0 + 10 * DAY, "active", B, T0 + MONTH),
	}, { V_ACT, V_ACT }, { "pro", "pro" } },
	{ "cancel at period end", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    { .type = U, .created = T0 + 10 * DAY, .status = "active",
		.price = { P, NULL }, .period_end = T0 + MONTH,
		.cancel_at_end = 1 },
	    { .type = LH_EVT_SUB_DELETED, .created = T0 + MONTH,
		.status = "canceled", .price = { P, NULL },
		.period_end = T0 + MONTH, .cancel_at_end = 1 },
	}, { V_REV, V_ACT }, { "pro", "free" } },
	{ "immediate cancel with a prorated refund", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    SUB(LH_EVT_SUB_DELETED, T0 + 3 * DAY, "canceled", P, T0 + MONTH),
	    { .type = LH_EVT_CHARGE_REFUNDED, .created = T0 + 3 * DAY + 10,
		.amount = 1000, .amount_refunded = 900 },
	}, { V_REV, V_ACT }, { "pro", "free" } },
	{ "trial, paused without a card, resumed", {
	    { .type = LH_EVT_SUB_CREATED, .created = T0, .status = "trialing",
		.price = { P, NULL }, .period_end = T0 + 14 * DAY,
		.trial_end = T0 + 14 * DAY },
	    INV(IPD, T0, P, T0 + 14 * DAY),
	    { .type = LH_EVT_SUB_TRIAL_END, .created = T0 + 11 * DAY,
		.status = "trialing", .price = { P, NULL },
		.period_end = T0 + 14 * DAY, .trial_end = T0 + 14 * DAY },
	    { .type = LH_EVT_SUB_PAUSED, .created = T0 + 14 * DAY,
		.status = "paused", .price = { P, NULL },
		.period_end = T0 + 14 * DAY, .trial_end = T0 + 14 * DAY },
	    { .type = LH_EVT_SUB_RESUMED, .created = T0 + 20 * DAY,
		.status = "active", .price = { P, NULL },
		.period_end = T0 + 20 * DAY + MONTH,
		.trial_end = T0 + 14 * DAY },
	    INV(IPD, T0 + 20 * DAY, P, T0 + 20 * DAY + MONTH),
	}, { V_ACT, V_ACT }, { "pro", "pro" } },
	{ "one-time purchase refunded", {
	    CHK(T0, "payment", "pro"),
	    { .type = LH_EVT_CUSTOMER, .created = T0 },
	    { .type = LH_EVT_CHARGE_REFUNDED, .created = T0 + 2 * DAY,
		.amount = 1000, .amount_refunded = 300 },
	    { .type = LH_EVT_CHARGE_REFUNDED, .created = T0 + 5 * DAY,
		.amount = 1000, .amount_refunded = 1000, .refunded = 1 },
	}, { V_REV, V_ACT }, { "pro", "pro" } },
	{ "dispute won", {
	    CHK(T0, "payment", "pro"),
	    { .type = LH_EVT_DISPUTE_CREATED, .created = T0 + 7 * DAY,
		.status = "needs_response" },
	    { .type = OTHER, .created = T0 + 8 * DAY },
	    { .type = LH_EVT_DISPUTE_CLOSED, .created = T0 + 30 * DAY,
		.status = "won" },
	}, { V_ACT, V_ACT }, { "pro", "pro" } },
	{ "dispute lost", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    { .type = LH_EVT_DISPUTE_CREATED, .created = T0 + 7 * DAY,
		.status = "needs_response" },
	    { .type = LH_EVT_DISPUTE_CLOSED, .created = T0 + 25 * DAY,
		.status = "lost" },
	}, { V_REV, V_ACT }, { "pro", "pro" } },
	{ "first payment fails, then succeeds", {
	    SUB(LH_EVT_SUB_CREATED, T0, "incomplete", P, T0 + MONTH),
	    INV(LH_EVT_INVOICE_FAILED, T0, P, T0 + MONTH),
	    INV(IPD, T0 + 120, P, T0 + MONTH),
	    SUB(U, T0 + 120, "active", P, T0 + MONTH),
	}, { V_ACT, V_ACT }, { "pro", "pro" } },
	{ "created incomplete and active in one second", {
	    SUB(LH_EVT_SUB_CREATED, T0, "incomplete", P, T0 + MONTH),
	    SUB(U, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    CHK(T0, "subscription", "pro"),
	}, { V_ACT, V_ACT }, { "pro", "pro" } },
	/* The e2e order: the refund found (by customer) before the rest. */
	{ "refund before the subscription's facts", {
	    CHK(T0, "subscription", "pro"),
	    FULL_REFUND(T0 + DAY, 0),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	}, { V_REV, V_ACT }, { "pro", "pro" } },
	/* Before basil the charge names its invoice. */
	{ "old API: refund naming the invoice, then cancel at period end", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    FULL_REFUND(T0 + 2 * DAY, 3),
	    { .type = U, .created = T0 + 2 * DAY, .status = "active",
		.price = { P, NULL }, .period_end = T0 + MONTH,
		.cancel_at_end = 1 },
	}, { V_REV, V_ACT }, { "pro", "pro" } },
	/*
	 * Basil: the dispute names only its payment intent, which the
	 * invoice_payment tied to the invoice.  A renewal after the loss
	 * still moves the facts.
	 */
	{ "basil: invoice_payment, dispute lost, renewal", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    IPY(T0, 3),
	    { .type = LH_EVT_DISPUTE_CREATED, .created = T0 + 7 * DAY,
		.status = "needs_response", .after = 4 },
	    { .type = LH_EVT_DISPUTE_CLOSED, .created = T0 + 25 * DAY,
		.status = "lost", .after = 4 },
	    INV(IPD, T0 + MONTH, P, T0 + 2 * MONTH),
	}, { V_REV, V_ACT }, { "pro", "pro" } },
	{ "basil: invoice_payment, full refund", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    IPY(T0, 3),
	    FULL_REFUND(T0 + 2 * DAY, 4),
	}, { V_REV, V_ACT }, { "pro", "pro" } },
	{ "basil: invoice_payment, cancel, full refund", {
	    CHK(T0, "subscription", "pro"),
	    SUB(LH_EVT_SUB_CREATED, T0, "active", P, T0 + MONTH),
	    INV(IPD, T0, P, T0 + MONTH),
	    IPY(T0, 3),
	    SUB(LH_EVT_SUB_DELETED, T0 + 2 * DAY, "canceled", P, T0 + MONTH),
	    FULL_REFUND(T0 + 2 * DAY + 10, 4),
	}, { V_REV, V_ACT }, { "pro", "free" } },
	/* Two revocations in one second: the reason that sorts first. */
	{ "refund and lost dispute in one second", {
	    CHK(T0, "payment", "pro"),
	    { .type = LH_EVT_DISPUTE_CREATED, .created = T0 + 7 * DAY,
		.status = "needs_response" },
	    { .type = LH_EVT_DISPUTE_CLOSED, .created = T0 + 30 * DAY,
		.status = "lost" },
	    FULL_REFUND(T0 + 30 * DAY, 0),
	}, { V_REV, V_ACT }, { "pro", "pro" } },
};

static size_t
seq_len(const struct seq *q)
{
	size_t		 n = 0;

	while (n < SEQ_MAX && q->ev[n].created != 0)
		n++;
	return n;
}

/* The result of one delivery order. */
struct outcome {
	int			 have;
	struct lh_lic_facts	 facts;
	struct lh_lic_view	 view;
	long long		 now;
	char			 err[96];
};

/*
 * Deliver evs in the order given, as the caller would: each delivery
 * comes DELAY after the newest event delivered so far, a deferred event
 * goes to the back of the queue, and duplicates go through
 * license_decide() again.  An event with after[i] finds the license
 * only once event after[i] - 1 was decided with it (the caller learns
 * the payment ids from that one); before, it is decided without.
 * Stops when only deferred events are left and none made progress.
 */
static void
deliver(const struct lh_conf *conf, const struct lh_event *evs,
    const size_t *after, const size_t *order, size_t n, struct outcome *o)
{
	struct lh_decision	 d;
	size_t			 q[DELIVERY_MAX * 4], head = 0, tail = 0;
	size_t			 stuck = 0, i;
	int			 linked[SEQ_MAX], found;
	enum lh_err		 r;

	memset(o, 0, sizeof(*o));
	memset(linked, 0, sizeof(linked));
	for (i = 0; i < n; i++)
		q[tail++] = order[i];
	while (head < tail && stuck < tail - head) {
		i = q[head++];
		if (evs[i].created + DELAY > o->now)
			o->now = evs[i].created + DELAY;
		found = o->have && (after[i] == 0 || linked[after[i] - 1]);
		r = license_decide(conf, &evs[i], found ? &o->facts : NULL,
		    (time_t)o->now, &d);
		if (r != LH_OK) {
			snprintf(o->err, sizeof(o->err), "event %zu: error %d",
			    i, (int)r);
			return;
		}
		stuck = d.action == DEFER ? stuck + 1 : 0;
		if (d.action == DEFER && tail < nitems(q))
			q[tail++] = i;
		if (d.action == CREATE && o->have)
			snprintf(o->err, sizeof(o->err), "event %zu: created "
			    "twice", i);
		if (d.action == CREATE || d.action == UPD) {
			o->facts = d.facts;
			o->have = 1;
		}
		if (d.action != DEFER && o->have)
			linked[i] = 1;
	}
	/* license_view() folds a due downgrade; compare it folded too. */
	if (o->facts.pending_tier[0] != '\0' && o->now >= o->facts.pending_at) {
		tier_put(o->facts.tier, o->facts.pending_tier);
		o->facts.pending_tier[0] = '\0';
		o->facts.pending_at = 0;
	}
	license_view(conf, &o->facts, (time_t)o->now, &o->view);
}

/*
 * The first difference between two outcomes, or NULL: every fact and
 * the view, for revoked licenses too.
 */
static const char *
outcome_diff(const struct outcome *a, const struct outcome *b)
{
	const struct lh_lic_facts *x = &a->facts, *y = &b->facts;

	if (a->err[0] != '\0' || b->err[0] != '\0')
		return a->err[0] != '\0' ? a->err : b->err;
	if (a->have != b->have)
		return "license exists in one";
	if (a->now != b->now)
		return "final time";
	if (strcmp(x->revoked, y->revoked) != 0 || x->revoked_at !=
	    y->revoked_at)
		return "revoked";
	if (a->view.status != b->view.status || a->view.valid !=
	    b->view.valid || a->view.grace != b->view.grace ||
	    a->view.grace_deadline != b->view.grace_deadline ||
	    strcmp(a->view.reason, b->view.reason) != 0 ||
	    (a->view.tier == NULL) != (b->view.tier == NULL) ||
	    (a->view.tier != NULL && strcmp(a->view.tier, b->view.tier) != 0))
		return "view";
	if (a->view.expires_at != b->view.expires_at)
		return "view expires_at";
	if (strcmp(x->tier, y->tier) != 0)
		return "tier";
	if (strcmp(x->pending_tier, y->pending_tier) != 0 ||
	    x->pending_at != y->pending_at)
		return "pending";
	if (x->sub_status != y->sub_status || x->sub_event_at !=
	    y->sub_event_at || x->cancel_at_period_end !=
	    y->cancel_at_period_end || x->trial_end != y->trial_end)
		return "snapshot";
	if (x->period_end != y->period_end)
		return "period_end";
	if (x->paid_at != y->paid_at || x->grace_since != y->grace_since)
		return "payment";
	if (x->disputed != y->disputed || x->dispute_at != y->dispute_at)
		return "dispute";
	if (x->ended_at != y->ended_at)
		return "ended_at";
	return NULL;
}

/* Lexicographic next permutation; 0 after the last. */
static int
perm_next(size_t *a, size_t n)
{
	size_t		 i, j, t;

	if (n < 2)
		return 0;
	for (i = n - 1; i > 0 && a[i - 1] >= a[i]; i--)
		;
	if (i == 0)
		return 0;
	for (j = n - 1; a[j] <= a[i - 1]; j--)
		;
	t = a[i - 1];
	a[i - 1] = a[j];
	a[j] = t;
	for (j = n - 1; i < j; i++, j--) {
		t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
	return 1;
}

/* xorshift64: the same shuffles on every libc. */
static unsigned long long
rnd_next(unsigned long long *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
order_print(const size_t *order, size_t n)
{
	size_t		 i;

	printf("#   order:");
	for (i = 0; i < n; i++)
		printf(" %zu", order[i]);
	printf("\n");
}

/* Every order of q (or SHUFFLES with duplicates) against in-order. */
static void
run_seq(const struct seq *q, const struct lh_conf *conf, int lenient)
{
	struct lh_event		 evs[SEQ_MAX];
	struct outcome		 want, got;
	size_t			 after[SEQ_MAX], order[DELIVERY_MAX];
	size_t			 n, m, i, j, t, tried;
	unsigned long long	 seed;
	const char		*diff = NULL, *how;

	how = lenient ? "lenient" : "revoking";
	n = seq_len(q);
	for (i = 0; i < n; i++) {
		ev_make(&q->ev[i], &evs[i]);
		after[i] = q->ev[i].after;
		order[i] = i;
	}
	deliver(conf, evs, after, order, n, &want);
	is_str(want.err[0] != '\0' ? want.err : NULL, NULL,
	    "%s (%s): in order, no error", q->name, how);
	is_int(want.view.status, q->status[lenient],
	    "%s (%s): in order, status", q->name, how);
	is_str(want.view.tier, q->tier[lenient], "%s (%s): in order, tier",
	    q->name, how);

	tried = 0;
	if (n <= PERM_MAX) {
		do {
			deliver(conf, evs, after, order, n, &got);
			tried++;
			if ((diff = outcome_diff(&want, &got)) != NULL)
				break;
		} while (perm_next(order, n));
		if (!ok(diff == NULL, "%s (%s): all %zu orders agree",
		    q->name, how, tried)) {
			printf("#   differs in %s\n", diff);
			order_print(order, n);
		}
	}

	/* Shuffles with up to 3 duplicate deliveries. */
	seed = 0x9e3779b97f4a7c15ULL ^ (unsigned long long)(q - seqs) ^
	    (unsigned long long)lenient << 32;
	for (tried = 0; tried < SHUFFLES; tried++) {
		m = n + (size_t)(rnd_next(&seed) % 4);
		for (i = 0; i < m; i++)
			order[i] = i < n ? i : (size_t)(rnd_next(&seed) % n);
		for (i = m - 1; i > 0; i--) {
			j = (size_t)(rnd_next(&seed) % (i + 1));
			t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		deliver(conf, evs, after, order, m, &got);
		if ((diff = outcome_diff(&want, &got)) != NULL)
			break;
	}
	if (!ok(diff == NULL, "%s (%s): %d shuffles with duplicates agree",
	    q->name, how, SHUFFLES)) {
		printf("#   differs in %s\n", diff);
		order_print(order, m);
	}
	for (i = 0; i < n; i++)
		ev_clear(&evs[i]);
}

static void
test_order(void)
{
	size_t		 i;

	for (i = 0; i < nitems(seqs); i++) {
		run_seq(&seqs[i], c_revoke, 0);
		run_seq(&seqs[i], c_lenient, 1);
	}
}

int
main(void)
{
	c_revoke = conf_load(CONF_REVOKE);
	c_lenient = conf_load(CONF_LENIENT);
	c_nofree = conf_load(CONF_NOFREE);

	test_checkout();
	test_table();
	test_names();
	test_snapshot_rules();
	test_tier_rules();
	test_pending_rules();
	test_invoice_rules();
	test_charge_rules();
	test_revoke_rules();
	test_view_boundaries();
	test_view_order();
	test_order();

	conf_free(c_revoke);
	conf_free(c_lenient);
	conf_free(c_nofree);
	return done_testing();
}
