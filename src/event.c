/*
 * Stripe event bodies to struct lh_event.  The body has passed the
 * signature check but is still parsed as hostile: it must be exactly one
 * strict JSON object, and every field licensehook reads is type-checked
 * and bounded.  Nothing from the cJSON tree outlives event_parse().
 *
 * Two generations of payload are read into the same struct: Stripe API
 * 2025-03-31 (basil) moved a subscription's current_period_end onto its
 * items, an invoice's subscription under parent.subscription_details,
 * an invoice line's price under pricing.price_details, and dropped
 * invoice.payment_intent, invoice.charge and charge.invoice (Stripe
 * changelog, 2025-03-31.basil).  Each field is looked for in both
 * places.  What ties a payment to its invoice since then is an
 * InvoicePayment, read from invoice_payment.paid.
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lh.h"

/*
 * 2^53: above this a double no longer represents every integer
 * (IEEE 754 binary64), so a larger number could not be exact.
 */
#define EVENT_INT_MAX		9007199254740992.0

/* Where one item of a list keeps the end of its period. */
typedef enum lh_err	(*item_end_fn)(const cJSON *, long long *);

/* An event type licensehook acts on, and the object its data holds. */
struct event_kind {
	const char		*name;		/* event type */
	enum lh_evt_type	 type;
	const char		*object;	/* data.object.object */
	enum lh_err		(*parse)(const cJSON *, struct lh_event *);
};

static enum lh_err	 obj_get(const cJSON *, const char *, const cJSON **);
static enum lh_err	 str_copy(const cJSON *, char **);
static enum lh_err	 str_dup(const char *, char **);
static enum lh_err	 id_copy(const cJSON *, char **);
static enum lh_err	 get_id(const cJSON *, const char *, char **);
static enum lh_err	 get_str(const cJSON *, const char *, char **);
static enum lh_err	 get_ref(const cJSON *, const char *, char **);
static enum lh_err	 get_obj(const cJSON *, const char *, const cJSON **);
static enum lh_err	 get_list(const cJSON *, const char *,
			    const cJSON **);
static enum lh_err	 get_const(const cJSON *, const char *, const char *);
static enum lh_err	 int_value(const cJSON *, long long *);
static enum lh_err	 get_int(const cJSON *, const char *, long long *);
static enum lh_err	 get_created(const cJSON *, long long *);
static enum lh_err	 bool_value(const cJSON *, int *);
static enum lh_err	 get_bool(const cJSON *, const char *, int *);
static enum lh_err	 get_livemode(const cJSON *, int *);
static void		 pick(char **, char **);
static enum lh_err	 meta_plan(const cJSON *, char **);
static enum lh_err	 price_obj(const cJSON *, char **, char **);
static enum lh_err	 price_ref(const cJSON *, const char *, char **,
			    char **);
static enum lh_err	 item_price(const cJSON *, char **, char **);
static enum lh_err	 sub_item_end(const cJSON *, long long *);
static enum lh_err	 line_end(const cJSON *, long long *);
static enum lh_err	 parse_items(const cJSON *, const char *, item_end_fn,
			    struct lh_event *, long long *);
static enum lh_err	 data_object(const cJSON *, const char *,
			    struct lh_event *, const cJSON **);
static enum lh_err	 parse_checkout(const cJSON *, struct lh_event *);
static enum lh_err	 parse_customer(const cJSON *, struct lh_event *);
static enum lh_err	 parse_subscription(const cJSON *, struct lh_event *);
static enum lh_err	 parse_invoice(const cJSON *, struct lh_event *);
static enum lh_err	 parse_invoice_payment(const cJSON *,
			    struct lh_event *);
static enum lh_err	 parse_charge(const cJSON *, struct lh_event *);
static enum lh_err	 parse_dispute(const cJSON *, struct lh_event *);
static const struct event_kind *event_kind(const char *);

/*
 * The types acted on (Stripe API reference, "Types of events"); every
 * other type is recorded by id and ignored, whatever its data holds.
 */
static const struct event_kind event_kinds[] = {
	{ "checkout.session.completed", LH_EVT_CHECKOUT_COMPLETED,
	    "checkout.session", parse_checkout },
	{ "checkout.session.async_payment_succeeded",
	    LH_EVT_CHECKOUT_ASYNC_PAID, "checkout.session", parse_checkout },
	{ "customer.created", LH_EVT_CUSTOMER, "customer", parse_customer },
	{ "customer.updated", LH_EVT_CUSTOMER, "customer", parse_customer },
	{ "customer.subscription.created", LH_EVT_SUB_CREATED,
	    "subscription", parse_subscription },
	{ "customer.subscription.updated", LH_EVT_SUB_UPDATED,
	    "subscription", parse_subscription },
	{ "customer.subscription.deleted", LH_EVT_SUB_DELETED,
	    "subscription", parse_subscription },
	{ "customer.subscription.paused", LH_EVT_SUB_PAUSED,
	    "subscription", parse_subscription },
	{ "customer.subscription.resumed", LH_EVT_SUB_RESUMED,
	    "subscription", parse_subscription },
	{ "customer.subscription.trial_will_end", LH_EVT_SUB_TRIAL_END,
	    "subscription", parse_subscription },
	/*
	 * invoice.paid also fires for an invoice marked paid out of band;
	 * both fire for an ordinary payment (Stripe docs, "Using webhooks
	 * with subscriptions").
	 */
	{ "invoice.paid", LH_EVT_INVOICE_PAID, "invoice", parse_invoice },
	{ "invoice.payment_succeeded", LH_EVT_INVOICE_PAID, "invoice",
	    parse_invoice },
	{ "invoice.payment_failed", LH_EVT_INVOICE_FAILED, "invoice",
	    parse_invoice },
	{ "invoice_payment.paid", LH_EVT_INVOICE_PAYMENT, "invoice_payment",
	    parse_invoice_payment },
	{ "charge.refunded", LH_EVT_CHARGE_REFUNDED, "charge", parse_charge },
	{ "charge.dispute.created", LH_EVT_DISPUTE_CREATED, "dispute",
	    parse_dispute },
	{ "charge.dispute.closed", LH_EVT_DISPUTE_CLOSED, "dispute",
	    parse_dispute },
};

/*
 * The member key of object obj, or NULL in *out when absent.  Unlike
 * cJSON_GetObjectItem this matches case-sensitively (Stripe's keys are
 * exact: "ID" is not "id"), and a key that appears twice is an error:
 * RFC 8259 §4 leaves duplicates to the implementation, and parsers
 * disagree on which one wins, so neither may decide anything.
 */
static enum lh_err
obj_get(const cJSON *obj, const char *key, const cJSON **out)
{
	const cJSON	*c, *found = NULL;

	*out = NULL;
	if (!cJSON_IsObject(obj))
		return LH_ERR_INTERNAL;
	for (c = obj->child; c != NULL; c = c->next) {
		if (c->string == NULL || strcmp(c->string, key) != 0)
			continue;
		if (found != NULL)
			return LH_ERR_EVENT_FIELD;
		found = c;
	}
	*out = found;
	return LH_OK;
}

/* Copy a string item of at most LH_FIELD_MAX bytes. */
static enum lh_err
str_copy(const cJSON *item, char **out)
{
	size_t	 n;

	*out = NULL;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return LH_ERR_EVENT_FIELD;
	n = strlen(item->valuestring);
	if (n > LH_FIELD_MAX)
		return LH_ERR_EVENT_FIELD;
	if ((*out = malloc(n + 1)) == NULL)
		return LH_ERR_NOMEM;
	memcpy(*out, item->valuestring, n + 1);
	return LH_OK;
}

/* Copy a C string already checked by the caller (an id we hold). */
static enum lh_err
str_dup(const char *s, char **out)
{
	size_t	 n;

	*out = NULL;
	if (s == NULL)
		return LH_OK;
	n = strlen(s);
	if ((*out = malloc(n + 1)) == NULL)
		return LH_ERR_NOMEM;
	memcpy(*out, s, n + 1);
	return LH_OK;
}

/*
 * An identifier item: a string of 1..LH_FIELD_MAX bytes of graphic
 * ASCII.  Stripe's ids are letters, digits and "_", type names add ".";
 * refusing spaces and everything else keeps them safe to put in logs
 * and key=value lines.  XXX Plans created before Prices could have ids
 * of the merchant's choosing; one with a space would be refused.
 */
static enum lh_err
id_copy(const cJSON *item, char **out)
{
	const char	*s;

	*out = NULL;
	if (!cJSON_IsString(item) || item->valuestring == NULL)
		return LH_ERR_EVENT_FIELD;
	s = item->valuestring;
	if (*s == '\0')
		return LH_ERR_EVENT_FIELD;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x21 || (unsigned char)*s > 0x7e)
			return LH_ERR_EVENT_FIELD;
	return str_copy(item, out);
}

/* A required identifier member (see id_copy). */
static enum lh_err
get_id(const cJSON *obj, const char *key, char **out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = NULL;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	return id_copy(item, out);
}

/* An optional string: absent or null gives NULL, any other type fails. */
static enum lh_err
get_str(const cJSON *obj, const char *key, char **out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = NULL;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	if (item == NULL || cJSON_IsNull(item))
		return LH_OK;
	return str_copy(item, out);
}

/*
 * An optional reference to another Stripe object: its id as a string,
 * or the object itself when the sender expanded it (Stripe docs,
 * "Expanding responses"); then its "id" is required.  Either way the id
 * must pass id_copy, as lh.h promises for every id.
 */
static enum lh_err
get_ref(const cJSON *obj, const char *key, char **out)
{
	const cJSON	*item, *id;
	enum lh_err	 r;

	*out = NULL;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	if (item == NULL || cJSON_IsNull(item))
		return LH_OK;
	if (!cJSON_IsObject(item))
		return id_copy(item, out);
	if ((r = obj_get(item, "id", &id)) != LH_OK)
		return r;
	return id_copy(id, out);
}

/* An optional object: absent or null gives NULL, any other type fails. */
static enum lh_err
get_obj(const cJSON *obj, const char *key, const cJSON **out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = NULL;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	if (item == NULL || cJSON_IsNull(item))
		return LH_OK;
	if (!cJSON_IsObject(item))
		return LH_ERR_EVENT_FIELD;
	*out = item;
	return LH_OK;
}

/*
 * The "data" array of an optional list object (Stripe API reference,
 * "Pagination": {"object": "list", "data": [...], "has_more": ...}).
 * Absent or null gives NULL; a list without a data array fails.  A list
 * longer than LH_EVT_PRICES_MAX fails too: licensehook keeps every item's
 * price or none.
 *
 * XXX has_more is not read.  An embedded list is Stripe's first page,
 * 10 items (API reference, "Pagination", default limit), so a list cut
 * short is already over LH_EVT_PRICES_MAX; if Stripe ever embeds fewer,
 * the prices of a truncated list would go unnoticed.
 */
static enum lh_err
get_list(const cJSON *obj, const char *key, const cJSON **out)
{
	const cJSON	*list, *data, *c;
	size_t		 n = 0;
	enum lh_err	 r;

	*out = NULL;
	if ((r = get_obj(obj, key, &list)) != LH_OK)
		return r;
	if (list == NULL)
		return LH_OK;
	if ((r = get_const(list, "object", "list")) != LH_OK)
		return r;
	if ((r = obj_get(list, "data", &data)) != LH_OK)
		return r;
	if (!cJSON_IsArray(data))
		return LH_ERR_EVENT_FIELD;
	for (c = data->child; c != NULL; c = c->next)
		if (++n > LH_EVT_PRICES_MAX)
			return LH_ERR_EVENT_FIELD;
	*out = data;
	return LH_OK;
}

/* A member that may be absent but, when present, must be the string want. */
static enum lh_err
get_const(const cJSON *obj, const char *key, const char *want)
{
	const cJSON	*item;
	enum lh_err	 r;

	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	if (item == NULL)
		return LH_OK;
	if (!cJSON_IsString(item) || item->valuestring == NULL ||
	    strcmp(item->valuestring, want) != 0)
		return LH_ERR_EVENT_FIELD;
	return LH_OK;
}

/*
 * A whole number in 0..2^53-1: Stripe's timestamps, amounts and counts.
 * cJSON keeps only the double, so 1.0 passes as 1; 1.5, negative numbers
 * and 1e300 do not.  The range check comes first: converting an
 * out-of-range double to an integer is undefined (C11 6.3.1.4).
 */
static enum lh_err
int_value(const cJSON *item, long long *out)
{
	double	 d;

	*out = 0;
	if (!cJSON_IsNumber(item))
		return LH_ERR_EVENT_FIELD;
	d = item->valuedouble;
	/* Strictly below: 2^53 + 1 reads as 2^53, so 2^53 itself cannot
	 * be told from a number that was rounded to it. */
	if (!(d >= 0.0 && d < EVENT_INT_MAX))
		return LH_ERR_EVENT_FIELD;
	if ((double)(long long)d != d)
		return LH_ERR_EVENT_FIELD;
	*out = (long long)d;
	return LH_OK;
}

/* An optional whole number (int_value): absent or null gives 0. */
static enum lh_err
get_int(const cJSON *obj, const char *key, long long *out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = 0;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	if (item == NULL || cJSON_IsNull(item))
		return LH_OK;
	return int_value(item, out);
}

/* "created": required, a whole number of seconds (int_value). */
static enum lh_err
get_created(const cJSON *obj, long long *out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = 0;
	if ((r = obj_get(obj, "created", &item)) != LH_OK)
		return r;
	return int_value(item, out);
}

/* A JSON boolean, not "false" or 0. */
static enum lh_err
bool_value(const cJSON *item, int *out)
{
	*out = 0;
	if (!cJSON_IsBool(item))
		return LH_ERR_EVENT_FIELD;
	*out = cJSON_IsTrue(item) ? 1 : 0;
	return LH_OK;
}

/* An optional boolean (bool_value): absent or null gives 0. */
static enum lh_err
get_bool(const cJSON *obj, const char *key, int *out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = 0;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
	if (item == NULL || cJSON_IsNull(item))
		return LH_OK;
	return bool_value(item, out);
}

/* "livemode": required, a boolean (bool_value). */
static enum lh_err
get_livemode(const cJSON *obj, int *out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = 0;
	if ((r = obj_get(obj, "livemode", &item)) != LH_OK)
		return r;
	return bool_value(item, out);
}

/*
 * Keep *primary unless it is NULL or empty, else take *fallback; free
 * the loser.  Both candidates were type-checked before, so a mistyped
 * fallback fails even when the primary is there.
 */
static void
pick(char **primary, char **fallback)
{
	if (*primary != NULL && **primary != '\0') {
		free(*fallback);
		*fallback = NULL;
		return;
	}
	free(*primary);
	*primary = *fallback;
	*fallback = NULL;	/* transferred */
}

/*
 * metadata.plan of obj, or NULL.  Stripe metadata values are always
 * strings (API reference, "Metadata"); anything else did not come from
 * Stripe.
 */
static enum lh_err
meta_plan(const cJSON *obj, char **out)
{
	const cJSON	*meta;
	enum lh_err	 r;

	*out = NULL;
	if ((r = get_obj(obj, "metadata", &meta)) != LH_OK)
		return r;
	if (meta == NULL)
		return LH_OK;
	return get_str(meta, "plan", out);
}

/*
 * A Price (or legacy Plan) object: its id, and a plan hint from its
 * metadata.plan, else from its product's metadata.plan when the product
 * was expanded.  A product given by id alone yields no hint.
 */
static enum lh_err
price_obj(const cJSON *price, char **idp, char **planp)
{
	const cJSON	*product;
	char		*id = NULL, *plan = NULL, *pplan = NULL;
	enum lh_err	 r;

	*idp = NULL;
	*planp = NULL;
	if ((r = get_id(price, "id", &id)) != LH_OK)
		goto out;
	if ((r = meta_plan(price, &plan)) != LH_OK)
		goto out;
	if ((r = obj_get(price, "product", &product)) != LH_OK)
		goto out;
	r = LH_ERR_EVENT_FIELD;
	if (cJSON_IsObject(product)) {
		if ((r = meta_plan(product, &pplan)) != LH_OK)
			goto out;
	} else if (product != NULL && !cJSON_IsNull(product) &&
	    !cJSON_IsString(product))
		goto out;
	pick(&plan, &pplan);

	*idp = id;
	id = NULL;	/* transferred */
	*planp = plan;
	plan = NULL;	/* transferred */
	r = LH_OK;
 out:
	free(id);
	free(plan);
	free(pplan);
	return r;
}

/*
 * The price (or legacy plan) holder.key: its id as a string, or the
 * Price object, which subscription items always embed and expansion
 * gives elsewhere (then price_obj).  Absent or null gives NULL.
 */
static enum lh_err
price_ref(const cJSON *holder, const char *key, char **idp, char **planp)
{
	const cJSON	*item;
	enum lh_err	 r;

	*idp = NULL;
	*planp = NULL;
	if ((r = obj_get(holder, key, &item)) != LH_OK)
		return r;
	if (item == NULL || cJSON_IsNull(item))
		return LH_OK;
	if (cJSON_IsObject(item))
		return price_obj(item, idp, planp);
	return id_copy(item, idp);
}

/*
 * The price of a subscription item or invoice line, as the first of:
 * price (every generation of items, and lines before basil),
 * pricing.price_details.price (lines since Stripe API 2025-03-31, basil,
 * which removed line.price), plan (payloads from before the Prices API
 * of 2020 carry only the Plan).  Every candidate present is
 * type-checked.  No price at all gives NULL.
 */
static enum lh_err
item_price(const cJSON *item, char **idp, char **planp)
{
	const cJSON	*pricing, *details;
	char		*pid = NULL, *pplan = NULL;
	char		*nid = NULL, *nplan = NULL;
	char		*lid = NULL, *lplan = NULL;
	enum lh_err	 r;

	*idp = NULL;
	*planp = NULL;
	if ((r = price_ref(item, "price", &pid, &pplan)) != LH_OK)
		goto out;
	if ((r = get_obj(item, "pricing", &pricing)) != LH_OK)
		goto out;
	if (pricing != NULL) {
		if ((r = get_obj(pricing, "price_details", &details)) != LH_OK)
			goto out;
		if (details != NULL && (r = price_ref(details, "price", &nid,
		    &nplan)) != LH_OK)
			goto out;
	}
	if ((r = price_ref(item, "plan", &lid, &lplan)) != LH_OK)
		goto out;
	if (pid != NULL) {
		*idp = pid;
		*planp = pplan;
		pid = pplan = NULL;	/* transferred */
	} else if (nid != NULL) {
		*idp = nid;
		*planp = nplan;
		nid = nplan = NULL;	/* transferred */
	} else {
		*idp = lid;
		*planp = lplan;
		lid = lplan = NULL;	/* transferred */
	}
	r = LH_OK;
 out:
	free(pid);
	free(pplan);
	free(nid);
	free(nplan);
	free(lid);
	free(lplan);
	return r;
}

/*
 * A subscription item's period end.  Stripe API 2025-03-31 (basil)
 * moved current_period_end from the subscription to its items.
 */
static enum lh_err
sub_item_end(const cJSON *item, long long *end)
{
	return get_int(item, "current_period_end", end);
}

/* An invoice line's period.end (Stripe API reference, "Invoice Line Item"). */
static enum lh_err
line_end(const cJSON *item, long long *end)
{
	const cJSON	*period;
	enum lh_err	 r;

	*end = 0;
	if ((r = get_obj(item, "period", &period)) != LH_OK)
		return r;
	if (period == NULL)
		return LH_OK;
	return get_int(period, "end", end);
}

/*
 * The items of list obj.key (subscription items or invoice lines): each
 * item's price and plan hint appended to e->prices and e->price_plans in
 * payload order, and the latest period end in *maxend.  An item without
 * a price adds no entry, so every prices[i] below nprices is set.
 */
static enum lh_err
parse_items(const cJSON *obj, const char *key, item_end_fn endfn,
    struct lh_event *e, long long *maxend)
{
	const cJSON	*data, *item;
	char		*id = NULL, *plan = NULL;
	long long	 end;
	enum lh_err	 r;

	*maxend = 0;
	if ((r = get_list(obj, key, &data)) != LH_OK)
		goto out;
	if (data == NULL)
		goto out;
	for (item = data->child; item != NULL; item = item->next) {
		r = LH_ERR_EVENT_FIELD;
		if (!cJSON_IsObject(item))
			goto out;
		if ((r = item_price(item, &id, &plan)) != LH_OK)
			goto out;
		if ((r = endfn(item, &end)) != LH_OK)
			goto out;
		if (end > *maxend)
			*maxend = end;
		if (id == NULL)
			continue;
		/* get_list bounded the items: the arrays cannot fill up. */
		r = LH_ERR_INTERNAL;
		if (e->nprices >= LH_EVT_PRICES_MAX)
			goto out;
		e->prices[e->nprices] = id;
		e->price_plans[e->nprices] = plan;
		e->nprices++;
		id = plan = NULL;	/* transferred */
	}
	r = LH_OK;
 out:
	free(id);
	free(plan);
	return r;
}

/*
 * The event's data.object, which must be an object of kind objname
 * ("object" may be absent but not different) with an id, copied to
 * e->object_id.
 */
static enum lh_err
data_object(const cJSON *root, const char *objname, struct lh_event *e,
    const cJSON **out)
{
	const cJSON	*data, *obj;
	enum lh_err	 r;

	*out = NULL;
	if ((r = obj_get(root, "data", &data)) != LH_OK)
		return r;
	if (!cJSON_IsObject(data))
		return LH_ERR_EVENT_FIELD;
	if ((r = obj_get(data, "object", &obj)) != LH_OK)
		return r;
	if (!cJSON_IsObject(obj))
		return LH_ERR_EVENT_FIELD;
	if ((r = get_const(obj, "object", objname)) != LH_OK)
		return r;
	if ((r = get_id(obj, "id", &e->object_id)) != LH_OK)
		return r;
	*out = obj;
	return LH_OK;
}

/*
 * checkout.session.completed and .async_payment_succeeded: a Checkout
 * Session (Stripe API reference, "The Checkout Session object").
 */
static enum lh_err
parse_checkout(const cJSON *obj, struct lh_event *e)
{
	const cJSON	*details, *meta;
	char		*cust_email = NULL, *tier = NULL;
	enum lh_err	 r;

	if ((r = get_str(obj, "mode", &e->mode)) != LH_OK)
		goto out;
	if ((r = get_str(obj, "payment_status", &e->payment_status)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "customer", &e->customer_id)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "subscription", &e->subscription_id)) != LH_OK)
		goto out;
	/* Set in payment mode; null for subscriptions (their invoice pays). */
	if ((r = get_ref(obj, "payment_intent", &e->payment_intent)) != LH_OK)
		goto out;
	if ((r = get_str(obj, "client_reference_id",
	    &e->client_reference_id)) != LH_OK)
		goto out;

	/* customer_details is what the buyer typed at checkout; prefer it. */
	if ((r = get_obj(obj, "customer_details", &details)) != LH_OK)
		goto out;
	if (details != NULL) {
		if ((r = get_str(details, "email", &e->email)) != LH_OK)
			goto out;
		if ((r = get_str(details, "name", &e->name)) != LH_OK)
			goto out;
	}
	if ((r = get_str(obj, "customer_email", &cust_email)) != LH_OK)
		goto out;
	pick(&e->email, &cust_email);

	if ((r = get_obj(obj, "metadata", &meta)) != LH_OK)
		goto out;
	if (meta != NULL) {
		if ((r = get_str(meta, "plan", &e->plan_hint)) != LH_OK)
			goto out;
		if ((r = get_str(meta, "tier", &tier)) != LH_OK)
			goto out;
		pick(&e->plan_hint, &tier);
	}

	r = LH_OK;
 out:
	free(cust_email);
	free(tier);
	return r;
}

/* customer.created/updated: a Customer ("The Customer object"). */
static enum lh_err
parse_customer(const cJSON *obj, struct lh_event *e)
{
	enum lh_err	 r;

	if ((r = str_dup(e->object_id, &e->customer_id)) != LH_OK)
		return r;
	if ((r = get_str(obj, "email", &e->email)) != LH_OK)
		return r;
	return get_str(obj, "name", &e->name);
}

/*
 * customer.subscription.*: a Subscription ("The Subscription object").
 * cancel_at is not read: a subscription set to end at a date keeps
 * cancel_at_period_end false, and its status changes when it ends.
 */
static enum lh_err
parse_subscription(const cJSON *obj, struct lh_event *e)
{
	long long	 top_end, items_end;
	enum lh_err	 r;

	if ((r = str_dup(e->object_id, &e->subscription_id)) != LH_OK)
		return r;
	if ((r = get_ref(obj, "customer", &e->customer_id)) != LH_OK)
		return r;
	if ((r = get_str(obj, "status", &e->sub_status)) != LH_OK)
		return r;
	if ((r = parse_items(obj, "items", sub_item_end, e,
	    &items_end)) != LH_OK)
		return r;
	/*
	 * Before Stripe API 2025-03-31 (basil) the period end sat on the
	 * subscription; since then only on its items, which may differ (a
	 * subscription billed on several cycles), so the latest one counts.
	 */
	if ((r = get_int(obj, "current_period_end", &top_end)) != LH_OK)
		return r;
	e->period_end = top_end != 0 ? top_end : items_end;
	if ((r = get_int(obj, "trial_end", &e->trial_end)) != LH_OK)
		return r;
	return get_bool(obj, "cancel_at_period_end", &e->cancel_at_period_end);
}

/*
 * invoice.paid, invoice.payment_succeeded, invoice.payment_failed: an
 * Invoice ("The Invoice object").  Since Stripe API 2025-03-31 (basil)
 * the subscription is parent.subscription_details.subscription, and
 * payment_intent and charge are gone (payments moved to InvoicePayment
 * objects), so those stay NULL for newer payloads.
 */
static enum lh_err
parse_invoice(const cJSON *obj, struct lh_event *e)
{
	const cJSON	*parent, *details;
	char		*sub = NULL;
	enum lh_err	 r;

	if ((r = str_dup(e->object_id, &e->invoice_id)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "customer", &e->customer_id)) != LH_OK)
		goto out;
	if ((r = get_str(obj, "customer_email", &e->email)) != LH_OK)
		goto out;
	if ((r = get_str(obj, "customer_name", &e->name)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "subscription", &e->subscription_id)) != LH_OK)
		goto out;
	if ((r = get_obj(obj, "parent", &parent)) != LH_OK)
		goto out;
	if (parent != NULL) {
		if ((r = get_obj(parent, "subscription_details",
		    &details)) != LH_OK)
			goto out;
		if (details != NULL && (r = get_ref(details, "subscription",
		    &sub)) != LH_OK)
			goto out;
	}
	pick(&e->subscription_id, &sub);
	if ((r = get_ref(obj, "payment_intent", &e->payment_intent)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "charge", &e->charge_id)) != LH_OK)
		goto out;
	if ((r = get_int(obj, "attempt_count", &e->attempt_count)) != LH_OK)
		goto out;
	if ((r = parse_items(obj, "lines", line_end, e,
	    &e->period_end)) != LH_OK)
		goto out;
	r = LH_OK;
 out:
	free(sub);
	return r;
}

/*
 * invoice_payment.paid: an InvoicePayment (Stripe API reference, "The
 * Invoice Payment object"), which ties one payment to one invoice.  The
 * payment is payment.payment_intent or, for a charge made without a
 * PaymentIntent, payment.charge; each may be expanded.  payment.type is
 * not checked: whichever ids are there are the payment's.  It names no
 * customer.
 *
 * XXX Preview API versions (2025-11-17.preview) put payment_intent and
 * charge at the top level instead; those are not read.
 */
static enum lh_err
parse_invoice_payment(const cJSON *obj, struct lh_event *e)
{
	const cJSON	*payment;
	enum lh_err	 r;

	if ((r = get_ref(obj, "invoice", &e->invoice_id)) != LH_OK)
		return r;
	if ((r = get_obj(obj, "payment", &payment)) != LH_OK)
		return r;
	if (payment == NULL)
		return LH_OK;
	if ((r = get_ref(payment, "payment_intent", &e->payment_intent)) !=
	    LH_OK)
		return r;
	return get_ref(payment, "charge", &e->charge_id);
}

/*
 * charge.refunded: a Charge ("The Charge object").  Before Stripe API
 * 2025-03-31 (basil) a charge that paid an invoice names it.
 */
static enum lh_err
parse_charge(const cJSON *obj, struct lh_event *e)
{
	enum lh_err	 r;

	if ((r = str_dup(e->object_id, &e->charge_id)) != LH_OK)
		return r;
	if ((r = get_ref(obj, "customer", &e->customer_id)) != LH_OK)
		return r;
	if ((r = get_ref(obj, "payment_intent", &e->payment_intent)) != LH_OK)
		return r;
	if ((r = get_ref(obj, "invoice", &e->invoice_id)) != LH_OK)
		return r;
	if ((r = get_int(obj, "amount", &e->amount)) != LH_OK)
		return r;
	if ((r = get_int(obj, "amount_refunded", &e->amount_refunded)) !=
	    LH_OK)
		return r;
	return get_bool(obj, "refunded", &e->refunded);
}

/*
 * charge.dispute.*: a Dispute ("The Dispute object").  It names no
 * customer; the charge and payment intent lead back to the purchase.
 */
static enum lh_err
parse_dispute(const cJSON *obj, struct lh_event *e)
{
	enum lh_err	 r;

	if ((r = get_ref(obj, "charge", &e->charge_id)) != LH_OK)
		return r;
	if ((r = get_ref(obj, "payment_intent", &e->payment_intent)) != LH_OK)
		return r;
	if ((r = get_str(obj, "status", &e->dispute_status)) != LH_OK)
		return r;
	return get_int(obj, "amount", &e->amount);
}

/* The kind of a type name (exact, case-sensitive), or NULL for others. */
static const struct event_kind *
event_kind(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(event_kinds) / sizeof(event_kinds[0]); i++)
		if (strcmp(event_kinds[i].name, name) == 0)
			return &event_kinds[i];
	return NULL;
}

enum lh_err
event_parse(const char *body, size_t len, struct lh_event **out)
{
	const struct event_kind	*kind;
	struct lh_event		*e = NULL;
	const cJSON		*obj;
	cJSON			*root = NULL;
	enum lh_err		 r = LH_ERR_INTERNAL;

	if (out == NULL)
		return LH_ERR_INTERNAL;
	*out = NULL;
	if ((r = json_parse_object(body, len, LH_ERR_JSON, &root)) != LH_OK)
		goto out;

	if ((e = calloc(1, sizeof(*e))) == NULL) {
		r = LH_ERR_NOMEM;
		goto out;
	}
	if ((r = get_id(root, "id", &e->id)) != LH_OK)
		goto out;
	if ((r = get_id(root, "type", &e->type_name)) != LH_OK)
		goto out;
	if ((r = get_created(root, &e->created)) != LH_OK)
		goto out;
	if ((r = get_livemode(root, &e->livemode)) != LH_OK)
		goto out;
	if ((r = get_const(root, "object", "event")) != LH_OK)
		goto out;

	if ((kind = event_kind(e->type_name)) == NULL)
		e->type = LH_EVT_OTHER;
	else {
		e->type = kind->type;
		if ((r = data_object(root, kind->object, e, &obj)) != LH_OK)
			goto out;
		if ((r = kind->parse(obj, e)) != LH_OK)
			goto out;
	}

	*out = e;
	e = NULL;	/* transferred */
	r = LH_OK;
 out:
	event_free(e);
	cJSON_Delete(root);
	return r;
}

void
event_free(struct lh_event *e)
{
	size_t	 i;

	if (e == NULL)
		return;
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
	/* All slots, not just nprices: a failed parse may leave any set. */
	for (i = 0; i < LH_EVT_PRICES_MAX; i++) {
		free(e->prices[i]);
		free(e->price_plans[i]);
	}
	free(e->dispute_status);
	free(e);
}
