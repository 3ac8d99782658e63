/*
 * license_decide(): a table over the checkout fields that matter (mode,
 * payment_status, metadata plan, client_reference_id) and whether a
 * default tier is configured, against the action, reason, tier and
 * error expected.  The configuration is parsed by conf_parse() from the
 * text below, as licensehook does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define CONF_BASE \
	"[licensehook]\n" \
	"database = /var/lib/licensehook/t_license.db\n" \
	"[stripe]\n" \
	"webhook_secret = whsec_t_license\n" \
	"[tier basic]\n" \
	"[tier pro]\n" \
	"prices = price_PRO_M, price_PRO_Y\n"
#define CONF_DEFAULT	CONF_BASE "[tiers]\ndefault = basic\n"

#define CO		LH_EVT_CHECKOUT_COMPLETED
#define OTHER		LH_EVT_OTHER
#define IGN		LH_ACT_IGNORE
#define CREATE		LH_ACT_CREATE

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

	/* Paid, or nothing to pay. */
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
run_case(const struct tcase *t, const struct lh_conf *conf)
{
	struct lh_event		 e;
	struct lh_decision	 d;
	enum lh_err		 r;

	/* Only the fields license_decide() reads. */
	memset(&e, 0, sizeof(e));
	e.id = xstrdup("evt_t_license");
	e.type_name = xstrdup(t->type == CO ?
	    "checkout.session.completed" : "customer.created");
	e.type = t->type;
	e.object_id = xstrdup("cs_t_license");
	e.mode = xstrdup(t->mode);
	e.payment_status = xstrdup(t->payment_status);
	e.plan_hint = xstrdup(t->plan_hint);
	e.client_reference_id = xstrdup(t->client_reference_id);

	memset(&d, 0xa5, sizeof(d));
	r = license_decide(conf, &e, NULL, 0, &d);
	is_int(r, t->want_err, "%s: error", t->name);
	is_int(d.action, t->want_action, "%s: action", t->name);
	is_str(d.reason, t->want_reason, "%s: reason", t->name);
	is_str(d.tier != NULL ? d.tier->name : NULL, t->want_tier,
	    "%s: tier", t->name);
	/* The tier is borrowed from the configuration, not a copy. */
	if (t->want_tier != NULL)
		ok(d.tier == conf_tier_by_name(conf, t->want_tier),
		    "%s: tier points into the conf", t->name);

	/* event_free() is in event.c, which this test does not link. */
	free(e.id);
	free(e.type_name);
	free(e.object_id);
	free(e.mode);
	free(e.payment_status);
	free(e.plan_hint);
	free(e.client_reference_id);
}

int
main(void)
{
	struct lh_conf		*plain, *dflt;
	struct lh_event		 e;
	struct lh_decision	 d;
	size_t			 i;

	plain = conf_load(CONF_BASE);
	dflt = conf_load(CONF_DEFAULT);
	ok(plain->default_tier == NULL, "conf without a default tier");
	is_str(dflt->default_tier, "basic", "conf with default tier basic");

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], cases[i].with_default ? dflt : plain);

	/* Bad arguments are a caller's bug. */
	memset(&e, 0, sizeof(e));
	e.type = LH_EVT_OTHER;
	is_int(license_decide(NULL, &e, NULL, 0, &d), LH_ERR_INTERNAL, "NULL conf");
	is_int(d.action, LH_ACT_IGNORE, "NULL conf: action cleared");
	ok(d.reason != NULL && d.tier == NULL, "NULL conf: reason, no tier");
	is_int(license_decide(plain, NULL, NULL, 0, &d), LH_ERR_INTERNAL, "NULL event");
	is_int(license_decide(plain, &e, NULL, 0, NULL), LH_ERR_INTERNAL, "NULL out");

	conf_free(plain);
	conf_free(dflt);
	return done_testing();
}
