/*
 * Fuzz target: Stripe event bodies, event_parse() (event.c).
 *
 * Input: the raw body.  On success the event must keep every promise
 * struct lh_event makes in lh.h: each string NULL or at most
 * LH_FIELD_MAX bytes; every id non-empty graphic ASCII (0x21-0x7e);
 * prices[] set below nprices and empty above it; flags 0 or 1; a type
 * from enum lh_evt_type, and for a handled type the data.object id.  On
 * failure *out is NULL and the error is one a bad body may give.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"

#define FUZZ_NAME	event
#include "fuzz.h"

static void	event_check_str(const char *);
static void	event_check_id(const char *, int);
static void	event_check(const struct lh_event *);

static void
event_check_str(const char *s)
{
	if (s != NULL)
		FUZZ_ASSERT(strnlen(s, LH_FIELD_MAX + 1) <= LH_FIELD_MAX);
}

/* An id: absent (unless required) or 1..LH_FIELD_MAX bytes of 0x21-0x7e. */
static void
event_check_id(const char *s, int required)
{
	const unsigned char	*p;

	if (s == NULL) {
		FUZZ_ASSERT(!required);
		return;
	}
	event_check_str(s);
	FUZZ_ASSERT(s[0] != '\0');
	for (p = (const unsigned char *)s; *p != '\0'; p++)
		FUZZ_ASSERT(*p >= 0x21 && *p <= 0x7e);
}

static void
event_check(const struct lh_event *e)
{
	size_t	 i;

	event_check_id(e->id, 1);
	event_check_id(e->type_name, 1);
	event_check_id(e->object_id, e->type != LH_EVT_OTHER);
	event_check_id(e->customer_id, 0);
	event_check_id(e->subscription_id, 0);
	event_check_id(e->payment_intent, 0);
	event_check_id(e->charge_id, 0);
	event_check_id(e->invoice_id, 0);
	event_check_str(e->email);
	event_check_str(e->name);
	event_check_str(e->mode);
	event_check_str(e->payment_status);
	event_check_str(e->client_reference_id);
	event_check_str(e->plan_hint);
	event_check_str(e->sub_status);
	event_check_str(e->dispute_status);

	FUZZ_ASSERT(e->type >= LH_EVT_OTHER &&
	    e->type <= LH_EVT_DISPUTE_CLOSED);
	FUZZ_ASSERT(e->livemode == 0 || e->livemode == 1);
	FUZZ_ASSERT(e->cancel_at_period_end == 0 ||
	    e->cancel_at_period_end == 1);
	FUZZ_ASSERT(e->refunded == 0 || e->refunded == 1);

	FUZZ_ASSERT(e->nprices <= LH_EVT_PRICES_MAX);
	for (i = 0; i < LH_EVT_PRICES_MAX; i++) {
		if (i < e->nprices) {
			event_check_id(e->prices[i], 1);
			event_check_str(e->price_plans[i]);
		} else {
			FUZZ_ASSERT(e->prices[i] == NULL);
			FUZZ_ASSERT(e->price_plans[i] == NULL);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lh_event sentinel;	/* event_parse() clears it */
	struct lh_event	*e = &sentinel;
	enum lh_err	 rc;

	rc = event_parse((const char *)data, size, &e);
	if (rc != LH_OK) {
		FUZZ_ASSERT(rc == LH_ERR_JSON || rc == LH_ERR_EVENT_FIELD ||
		    rc == LH_ERR_NOMEM);
		FUZZ_ASSERT(e == NULL);
		return 0;
	}
	FUZZ_ASSERT(e != NULL);
	event_check(e);
	event_free(e);
	return 0;
}
