/*
 * event_parse(): the Stripe fixtures in tests/fixtures (built by
 * tests/fixtures/mkevents.sh), one per handled type and, where Stripe
 * API 2025-03-31 (basil) changed the shape, one per generation, must
 * parse with every field right; a table of small bodies pins each
 * field's types, fallbacks and bounds, and hostile bodies must fail with
 * the right error.  Every body is parsed from an exact-size heap copy
 * without a terminating NUL, so AddressSanitizer sees any read past the
 * end.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define LIT(s)		s, sizeof(s) - 1

/* A minimal valid event of a given type, left open for more members. */
#define HDR(t)		"{\"id\":\"evt_1\",\"object\":\"event\"," \
			"\"type\":\"" t "\",\"created\":1700000000," \
			"\"livemode\":false"
#define OTHER(m)	HDR("plan.created") m "}"
/* A checkout.session.completed event whose data.object holds m too. */
#define CO(m)		HDR("checkout.session.completed") \
			",\"data\":{\"object\":{\"id\":\"cs_1\"" m "}}}"
/* An event built only from members m. */
#define TOP(m)		"{" m "}"
#define T_ID		"\"id\":\"evt_1\""
#define T_TYPE		"\"type\":\"plan.created\""
#define T_CREATED	"\"created\":1700000000"
#define T_LIVE		"\"livemode\":false"
/* An event of type t whose data.object holds members m. */
#define EVT(t, m)	HDR(t) ",\"data\":{\"object\":{" m "}}}"
#define SUB(m)		EVT("customer.subscription.updated", \
			"\"id\":\"sub_1\"" m)
#define INV(m)		EVT("invoice.paid", "\"id\":\"in_1\"" m)
#define CH(m)		EVT("charge.refunded", "\"id\":\"ch_1\"" m)
#define DP(m)		EVT("charge.dispute.closed", "\"id\":\"dp_1\"" m)
#define IPY(m)		EVT("invoice_payment.paid", "\"id\":\"inpay_1\"" m)
/* An invoice_payment's payment object holding members m. */
#define PAY(m)		",\"payment\":{" m "}"
#define CUS(m)		EVT("customer.updated", "\"id\":\"cus_1\"" m)
/* A Stripe list of subscription items or invoice lines. */
#define ITEMS(l)	",\"items\":{\"object\":\"list\",\"data\":[" l "]}"
#define LINES(l)	",\"lines\":{\"object\":\"list\",\"data\":[" l "]}"
/* An item whose price is an object holding members m. */
#define PRICE(m)	"{\"price\":{\"id\":\"price_A\"" m "}}"
#define IT(p)		"{\"price\":{\"id\":\"" p "\"}}"
#define IT4		IT("price_1") "," IT("price_2") "," \
			IT("price_3") "," IT("price_4")
#define IT8		IT4 "," IT("price_5") "," IT("price_6") "," \
			IT("price_7") "," IT("price_8")
/* Items or lines ending at e (a JSON number or anything else). */
#define IEND(e)		"{\"price\":{\"id\":\"price_A\"}," \
			"\"current_period_end\":" e "}"
#define LEND(e)		"{\"price\":{\"id\":\"price_A\"}," \
			"\"period\":{\"start\":1,\"end\":" e "}}"

struct tcase {
	const char	*name;
	const char	*body;
	size_t		 len;
	enum lh_err	 want;
	const char	*field;	/* checked on LH_OK when not NULL */
	const char	*value;	/* NULL: the field must be NULL */
};

static const struct tcase cases[] = {
	/* The body is exactly one JSON object. */
	{ "empty body", LIT(""), LH_ERR_JSON, NULL, NULL },
	{ "whitespace only", LIT(" \n"), LH_ERR_JSON, NULL, NULL },
	{ "invalid JSON", LIT("{\"id\":}"), LH_ERR_JSON, NULL, NULL },
	{ "unterminated object", LIT("{\"id\":\"evt_1\""), LH_ERR_JSON,
	    NULL, NULL },
	{ "unterminated string", LIT("{\"id\":\"evt_1}"), LH_ERR_JSON,
	    NULL, NULL },
	{ "backslash at the end", LIT("{\"id\":\"\\"), LH_ERR_JSON,
	    NULL, NULL },
	{ "trailing garbage", LIT(OTHER("") "x"), LH_ERR_JSON, NULL, NULL },
	{ "trailing close brace", LIT(OTHER("") "}"), LH_ERR_JSON,
	    NULL, NULL },
	{ "two JSON values", LIT(OTHER("") " {}"), LH_ERR_JSON, NULL, NULL },
	{ "two events", LIT(OTHER("") OTHER("")), LH_ERR_JSON, NULL, NULL },
	{ "trailing JSON whitespace", LIT(OTHER("") " \t\r\n"), LH_OK,
	    "id", "evt_1" },
	{ "leading JSON whitespace", LIT("\r\n\t " OTHER("")), LH_OK,
	    "id", "evt_1" },
	{ "top-level array", LIT("[" OTHER("") "]"), LH_ERR_JSON,
	    NULL, NULL },
	{ "top-level string", LIT("\"evt_1\""), LH_ERR_JSON, NULL, NULL },
	{ "top-level null", LIT("null"), LH_ERR_JSON, NULL, NULL },
	{ "byte order mark", LIT("\xef\xbb\xbf" OTHER("")), LH_ERR_JSON,
	    NULL, NULL },
	{ "form feed as whitespace", LIT(OTHER("\f")), LH_ERR_JSON,
	    NULL, NULL },
	{ "control byte between tokens", LIT(OTHER(",\x01\"a\":1")),
	    LH_ERR_JSON, NULL, NULL },
	{ "raw control byte in a string", LIT(OTHER(",\"a\":\"x\x01y\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "raw tab in a string", LIT(OTHER(",\"a\":\"x\ty\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "escaped control bytes", LIT(CO(",\"customer_details\":"
	    "{\"name\":\"a\\tb\\u0001\"}")), LH_OK, "name", "a\tb\x01" },

	/* NUL bytes, raw and escaped. */
	{ "NUL byte between tokens", LIT(OTHER(",\0\"a\":1")), LH_ERR_JSON,
	    NULL, NULL },
	{ "NUL byte in a string", LIT(OTHER(",\"a\":\"x\0y\"")), LH_ERR_JSON,
	    NULL, NULL },
	{ "NUL byte after the object", LIT(OTHER("") "\0"), LH_ERR_JSON,
	    NULL, NULL },
	{ "\\u0000 in a value", LIT(CO(",\"customer_details\":"
	    "{\"name\":\"a\\u0000b\"}")), LH_ERR_JSON, NULL, NULL },
	{ "\\u0000 in an unused value", LIT(OTHER(",\"a\":\"\\u0000\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "\\u0000 in a key", LIT("{\"id\\u0000x\":\"evt_2\"," T_ID ","
	    T_TYPE "," T_CREATED "," T_LIVE "}"), LH_ERR_JSON, NULL, NULL },
	{ "escaped backslash then u0000 is text", LIT(CO(","
	    "\"customer_details\":{\"name\":\"a\\\\u0000b\"}")), LH_OK,
	    "name", "a\\u0000b" },
	{ "\\u0001 is fine", LIT(OTHER(",\"a\":\"\\u0001\"")), LH_OK,
	    "id", "evt_1" },

	/* UTF-8. */
	{ "UTF-8 two, three and four bytes", LIT(CO(",\"customer_details\":"
	    "{\"name\":\"Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}")),
	    LH_OK, "name", "Jos\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80" },
	{ "escaped surrogate pair", LIT(CO(",\"customer_details\":"
	    "{\"name\":\"\\ud83d\\ude00\"}")), LH_OK, "name",
	    "\xf0\x9f\x98\x80" },
	{ "escaped lone surrogate", LIT(CO(",\"customer_details\":"
	    "{\"name\":\"\\ud83d\"}")), LH_ERR_JSON, NULL, NULL },
	{ "invalid byte 0xff", LIT(OTHER(",\"a\":\"\xff\"")), LH_ERR_JSON,
	    NULL, NULL },
	{ "stray continuation byte", LIT(OTHER(",\"a\":\"\x80\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "overlong slash (c0 af)", LIT(OTHER(",\"a\":\"\xc0\xaf\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "overlong three bytes (e0 80 af)",
	    LIT(OTHER(",\"a\":\"\xe0\x80\xaf\"")), LH_ERR_JSON, NULL, NULL },
	{ "overlong four bytes (f0 80 80 af)",
	    LIT(OTHER(",\"a\":\"\xf0\x80\x80\xaf\"")), LH_ERR_JSON,
	    NULL, NULL },
	{ "surrogate U+D800 (ed a0 80)", LIT(OTHER(",\"a\":\"\xed\xa0\x80\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "U+D7FF (ed 9f bf) is fine", LIT(OTHER(",\"a\":\"\xed\x9f\xbf\"")),
	    LH_OK, "id", "evt_1" },
	{ "U+10FFFF (f4 8f bf bf) is fine",
	    LIT(OTHER(",\"a\":\"\xf4\x8f\xbf\xbf\"")), LH_OK, "id", "evt_1" },
	{ "above U+10FFFF (f4 90 80 80)",
	    LIT(OTHER(",\"a\":\"\xf4\x90\x80\x80\"")), LH_ERR_JSON,
	    NULL, NULL },
	{ "lead byte 0xf5", LIT(OTHER(",\"a\":\"\xf5\x80\x80\x80\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "sequence cut by a quote", LIT(OTHER(",\"a\":\"\xe2\x82\"")),
	    LH_ERR_JSON, NULL, NULL },
	{ "sequence cut by the end", LIT(OTHER("") "\xe2\x82"),
	    LH_ERR_JSON, NULL, NULL },
	{ "UTF-8 outside a string", LIT(OTHER(",\"a\":\xc3\xa9")),
	    LH_ERR_JSON, NULL, NULL },

	/* Nesting: brackets inside strings do not count. */
	{ "brackets in a string", LIT(OTHER(",\"a\":\"[[[[[[[[[[[[[[[[[[[["
	    "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["
	    "{{{{{{{{{{{{{{{{{{{{\\\"[[[[\"")), LH_OK, "id", "evt_1" },

	/* created */
	{ "created 0", LIT(TOP(T_ID "," T_TYPE ",\"created\":0," T_LIVE)),
	    LH_OK, "created", "0" },
	{ "created 2^53 - 1", LIT(TOP(T_ID "," T_TYPE
	    ",\"created\":9007199254740991," T_LIVE)), LH_OK,
	    "created", "9007199254740991" },
	{ "created 2^53", LIT(TOP(T_ID "," T_TYPE
	    ",\"created\":9007199254740992," T_LIVE)), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "created 2^53 + 2", LIT(TOP(T_ID "," T_TYPE
	    ",\"created\":9007199254740994," T_LIVE)), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "created 1.5", LIT(TOP(T_ID "," T_TYPE ",\"created\":1.5," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "created 1.0 is checked by value",
	    LIT(TOP(T_ID "," T_TYPE ",\"created\":1.0," T_LIVE)), LH_OK,
	    "created", "1" },
	{ "created -1", LIT(TOP(T_ID "," T_TYPE ",\"created\":-1," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "created 1e300",
	    LIT(TOP(T_ID "," T_TYPE ",\"created\":1e300," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "created 1e999 (infinite)",
	    LIT(TOP(T_ID "," T_TYPE ",\"created\":1e999," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "created as a string",
	    LIT(TOP(T_ID "," T_TYPE ",\"created\":\"1700000000\"," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "created null", LIT(TOP(T_ID "," T_TYPE ",\"created\":null,"
	    T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "created missing", LIT(TOP(T_ID "," T_TYPE "," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* livemode */
	{ "livemode true", LIT(TOP(T_ID "," T_TYPE "," T_CREATED
	    ",\"livemode\":true")), LH_OK, "livemode", "1" },
	{ "livemode false", LIT(TOP(T_ID "," T_TYPE "," T_CREATED
	    ",\"livemode\":false")), LH_OK, "livemode", "0" },
	{ "livemode \"false\"", LIT(TOP(T_ID "," T_TYPE "," T_CREATED
	    ",\"livemode\":\"false\"")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "livemode 0", LIT(TOP(T_ID "," T_TYPE "," T_CREATED
	    ",\"livemode\":0")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "livemode missing", LIT(TOP(T_ID "," T_TYPE "," T_CREATED)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* id and type */
	{ "minimal event", LIT(TOP(T_ID "," T_TYPE "," T_CREATED "," T_LIVE)),
	    LH_OK, "type_name", "plan.created" },
	{ "id missing", LIT(TOP(T_TYPE "," T_CREATED "," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "id empty", LIT(TOP("\"id\":\"\"," T_TYPE "," T_CREATED "," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "id null", LIT(TOP("\"id\":null," T_TYPE "," T_CREATED "," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "id a number", LIT(TOP("\"id\":1," T_TYPE "," T_CREATED "," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "id with a space", LIT(TOP("\"id\":\"evt 1\"," T_TYPE "," T_CREATED
	    "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "id with an escaped newline", LIT(TOP("\"id\":\"evt\\n1\"," T_TYPE
	    "," T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "id with UTF-8", LIT(TOP("\"id\":\"evt_\xc3\xa9\"," T_TYPE ","
	    T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate id", LIT(TOP(T_ID ",\"id\":\"evt_2\"," T_TYPE ","
	    T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate id, same value", LIT(TOP(T_ID "," T_ID "," T_TYPE ","
	    T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "ID only (keys are case-sensitive)", LIT(TOP("\"ID\":\"evt_1\","
	    T_TYPE "," T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "ID before id does not count", LIT(TOP("\"ID\":\"evt_X\"," T_ID ","
	    T_TYPE "," T_CREATED "," T_LIVE)), LH_OK, "id", "evt_1" },
	{ "type missing", LIT(TOP(T_ID "," T_CREATED "," T_LIVE)),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate type", LIT(TOP(T_ID "," T_TYPE
	    ",\"type\":\"checkout.session.completed\"," T_CREATED ","
	    T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "Type only", LIT(TOP(T_ID ",\"Type\":\"plan.created\","
	    T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "type an object", LIT(TOP(T_ID ",\"type\":{}," T_CREATED ","
	    T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "object \"event\"", LIT(OTHER("")), LH_OK, "type_name",
	    "plan.created" },
	{ "object not \"event\"", LIT(TOP("\"object\":\"charge\"," T_ID ","
	    T_TYPE "," T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "object null", LIT(TOP("\"object\":null," T_ID "," T_TYPE ","
	    T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate unused key", LIT(OTHER(",\"a\":1,\"a\":2")), LH_OK,
	    "id", "evt_1" },
	{ "type differing in case is other",
	    LIT(HDR("Checkout.Session.Completed") "}"), LH_OK, "object_id",
	    NULL },
	{ "other type ignores its data", LIT(OTHER(",\"data\":5")), LH_OK,
	    "object_id", NULL },

	/* checkout.session.completed: data.object */
	{ "checkout minimal", LIT(CO("")), LH_OK, "object_id", "cs_1" },
	{ "checkout without data",
	    LIT(HDR("checkout.session.completed") "}"), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "checkout data not an object",
	    LIT(HDR("checkout.session.completed") ",\"data\":[]}"),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "checkout data.object null",
	    LIT(HDR("checkout.session.completed")
	    ",\"data\":{\"object\":null}}"),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "checkout data.object without id",
	    LIT(HDR("checkout.session.completed") ",\"data\":{\"object\":{}}}"),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "checkout duplicate data",
	    LIT(HDR("checkout.session.completed") ",\"data\":{\"object\":"
	    "{\"id\":\"cs_1\"}},\"data\":{\"object\":{\"id\":\"cs_2\"}}}"),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "checkout duplicate data.object.id", LIT(CO(",\"id\":\"cs_2\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "checkout data.object.object right",
	    LIT(CO(",\"object\":\"checkout.session\"")), LH_OK, "object_id",
	    "cs_1" },
	{ "checkout data.object.object wrong",
	    LIT(CO(",\"object\":\"charge\"")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "mode", LIT(CO(",\"mode\":\"payment\"")), LH_OK, "mode", "payment" },
	{ "mode absent", LIT(CO("")), LH_OK, "mode", NULL },
	{ "mode a number", LIT(CO(",\"mode\":1")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "duplicate mode", LIT(CO(",\"mode\":\"setup\",\"mode\":\"payment\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "Mode is not mode", LIT(CO(",\"Mode\":\"payment\"")), LH_OK,
	    "mode", NULL },
	{ "payment_status null", LIT(CO(",\"payment_status\":null")), LH_OK,
	    "payment_status", NULL },
	{ "payment_status true", LIT(CO(",\"payment_status\":true")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer a string", LIT(CO(",\"customer\":\"cus_1\"")), LH_OK,
	    "customer_id", "cus_1" },
	{ "customer null", LIT(CO(",\"customer\":null")), LH_OK,
	    "customer_id", NULL },
	{ "customer expanded", LIT(CO(",\"customer\":{\"id\":\"cus_X\","
	    "\"object\":\"customer\",\"email\":\"x@example.com\"}")), LH_OK,
	    "customer_id", "cus_X" },
	{ "customer expanded without id",
	    LIT(CO(",\"customer\":{\"object\":\"customer\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer expanded, id a number", LIT(CO(",\"customer\":{\"id\":7}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer expanded, duplicate id",
	    LIT(CO(",\"customer\":{\"id\":\"cus_X\",\"id\":\"cus_Y\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer a number", LIT(CO(",\"customer\":42")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer an array", LIT(CO(",\"customer\":[\"cus_1\"]")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription expanded",
	    LIT(CO(",\"subscription\":{\"id\":\"sub_X\"}")), LH_OK,
	    "subscription_id", "sub_X" },
	{ "subscription false", LIT(CO(",\"subscription\":false")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "client_reference_id", LIT(CO(",\"client_reference_id\":\"u_1\"")),
	    LH_OK, "client_reference_id", "u_1" },
	{ "client_reference_id a number",
	    LIT(CO(",\"client_reference_id\":1")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "email from customer_details",
	    LIT(CO(",\"customer_email\":\"b@example.com\","
	    "\"customer_details\":{\"email\":\"a@example.com\"}")), LH_OK,
	    "email", "a@example.com" },
	{ "email falls back to customer_email",
	    LIT(CO(",\"customer_email\":\"b@example.com\","
	    "\"customer_details\":{\"email\":null}")), LH_OK,
	    "email", "b@example.com" },
	{ "empty details email falls back",
	    LIT(CO(",\"customer_email\":\"b@example.com\","
	    "\"customer_details\":{\"email\":\"\"}")), LH_OK,
	    "email", "b@example.com" },
	{ "email without customer_details",
	    LIT(CO(",\"customer_email\":\"b@example.com\"")), LH_OK,
	    "email", "b@example.com" },
	{ "no email at all", LIT(CO("")), LH_OK, "email", NULL },
	{ "customer_email mistyped, details email set",
	    LIT(CO(",\"customer_email\":5,"
	    "\"customer_details\":{\"email\":\"a@example.com\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer_details a string",
	    LIT(CO(",\"customer_details\":\"a@example.com\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer_details.email a number",
	    LIT(CO(",\"customer_details\":{\"email\":1}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer_details.name an object",
	    LIT(CO(",\"customer_details\":{\"name\":{}}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer_details null", LIT(CO(",\"customer_details\":null")),
	    LH_OK, "name", NULL },
	{ "metadata.plan", LIT(CO(",\"metadata\":{\"plan\":\"pro\","
	    "\"tier\":\"basic\"}")), LH_OK, "plan_hint", "pro" },
	{ "metadata.tier", LIT(CO(",\"metadata\":{\"tier\":\"basic\"}")),
	    LH_OK, "plan_hint", "basic" },
	{ "metadata.plan null falls back to tier",
	    LIT(CO(",\"metadata\":{\"plan\":null,\"tier\":\"basic\"}")), LH_OK,
	    "plan_hint", "basic" },
	{ "metadata.plan empty falls back to tier",
	    LIT(CO(",\"metadata\":{\"plan\":\"\",\"tier\":\"basic\"}")), LH_OK,
	    "plan_hint", "basic" },
	{ "metadata empty", LIT(CO(",\"metadata\":{}")), LH_OK,
	    "plan_hint", NULL },
	{ "metadata null", LIT(CO(",\"metadata\":null")), LH_OK,
	    "plan_hint", NULL },
	{ "metadata.plan a number", LIT(CO(",\"metadata\":{\"plan\":5}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "metadata.plan an object",
	    LIT(CO(",\"metadata\":{\"plan\":{\"name\":\"pro\"}}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "metadata.tier mistyped, plan set",
	    LIT(CO(",\"metadata\":{\"plan\":\"pro\",\"tier\":[]}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "metadata a string", LIT(CO(",\"metadata\":\"pro\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate metadata.plan",
	    LIT(CO(",\"metadata\":{\"plan\":\"basic\",\"plan\":\"pro\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "metadata.Plan is not plan",
	    LIT(CO(",\"metadata\":{\"Plan\":\"pro\"}")), LH_OK,
	    "plan_hint", NULL },

	/* checkout: payment_intent, and ids are ids. */
	{ "checkout payment_intent", LIT(CO(",\"payment_intent\":\"pi_1\"")),
	    LH_OK, "payment_intent", "pi_1" },
	{ "checkout payment_intent expanded",
	    LIT(CO(",\"payment_intent\":{\"id\":\"pi_X\","
	    "\"object\":\"payment_intent\"}")), LH_OK, "payment_intent",
	    "pi_X" },
	{ "checkout payment_intent null", LIT(CO(",\"payment_intent\":null")),
	    LH_OK, "payment_intent", NULL },
	{ "checkout payment_intent a number",
	    LIT(CO(",\"payment_intent\":1")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer id empty", LIT(CO(",\"customer\":\"\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer id with a space", LIT(CO(",\"customer\":\"cus 1\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "async payment: same shape",
	    LIT(EVT("checkout.session.async_payment_succeeded",
	    "\"id\":\"cs_1\",\"payment_status\":\"paid\"")), LH_OK,
	    "payment_status", "paid" },

	/* Every handled type name, exactly. */
	{ "type checkout.session.completed",
	    LIT(EVT("checkout.session.completed", "\"id\":\"x_1\"")), LH_OK,
	    "type", "CHECKOUT_COMPLETED" },
	{ "type checkout.session.async_payment_succeeded",
	    LIT(EVT("checkout.session.async_payment_succeeded",
	    "\"id\":\"x_1\"")), LH_OK, "type", "CHECKOUT_ASYNC_PAID" },
	{ "type customer.created",
	    LIT(EVT("customer.created", "\"id\":\"x_1\"")), LH_OK,
	    "type", "CUSTOMER" },
	{ "type customer.updated",
	    LIT(EVT("customer.updated", "\"id\":\"x_1\"")), LH_OK,
	    "type", "CUSTOMER" },
	{ "type customer.subscription.created",
	    LIT(EVT("customer.subscription.created", "\"id\":\"x_1\"")),
	    LH_OK, "type", "SUB_CREATED" },
	{ "type customer.subscription.updated",
	    LIT(EVT("customer.subscription.updated", "\"id\":\"x_1\"")),
	    LH_OK, "type", "SUB_UPDATED" },
	{ "type customer.subscription.deleted",
	    LIT(EVT("customer.subscription.deleted", "\"id\":\"x_1\"")),
	    LH_OK, "type", "SUB_DELETED" },
	{ "type customer.subscription.paused",
	    LIT(EVT("customer.subscription.paused", "\"id\":\"x_1\"")),
	    LH_OK, "type", "SUB_PAUSED" },
	{ "type customer.subscription.resumed",
	    LIT(EVT("customer.subscription.resumed", "\"id\":\"x_1\"")),
	    LH_OK, "type", "SUB_RESUMED" },
	{ "type customer.subscription.trial_will_end",
	    LIT(EVT("customer.subscription.trial_will_end", "\"id\":\"x_1\"")),
	    LH_OK, "type", "SUB_TRIAL_END" },
	{ "type invoice.paid", LIT(EVT("invoice.paid", "\"id\":\"x_1\"")),
	    LH_OK, "type", "INVOICE_PAID" },
	{ "type invoice.payment_succeeded",
	    LIT(EVT("invoice.payment_succeeded", "\"id\":\"x_1\"")), LH_OK,
	    "type", "INVOICE_PAID" },
	{ "type invoice.payment_failed",
	    LIT(EVT("invoice.payment_failed", "\"id\":\"x_1\"")), LH_OK,
	    "type", "INVOICE_FAILED" },
	{ "type invoice_payment.paid",
	    LIT(EVT("invoice_payment.paid", "\"id\":\"x_1\"")), LH_OK,
	    "type", "INVOICE_PAYMENT" },
	{ "type charge.refunded",
	    LIT(EVT("charge.refunded", "\"id\":\"x_1\"")), LH_OK,
	    "type", "CHARGE_REFUNDED" },
	{ "type charge.dispute.created",
	    LIT(EVT("charge.dispute.created", "\"id\":\"x_1\"")), LH_OK,
	    "type", "DISPUTE_CREATED" },
	{ "type charge.dispute.closed",
	    LIT(EVT("charge.dispute.closed", "\"id\":\"x_1\"")), LH_OK,
	    "type", "DISPUTE_CLOSED" },
	{ "type customer.deleted is other",
	    LIT(EVT("customer.deleted", "\"id\":5")), LH_OK, "type", "OTHER" },
	{ "type charge.succeeded is other",
	    LIT(EVT("charge.succeeded", "\"id\":\"ch_1\",\"amount\":-1")),
	    LH_OK, "object_id", NULL },
	{ "type invoice.Paid is other", LIT(EVT("invoice.Paid", "\"id\":5")),
	    LH_OK, "type", "OTHER" },
	{ "type invoice_payment.canceled is other",
	    LIT(EVT("invoice_payment.canceled", "\"id\":5")), LH_OK,
	    "type", "OTHER" },
	{ "type invoice.payment_paid is other",
	    LIT(EVT("invoice.payment_paid", "\"id\":5")), LH_OK,
	    "type", "OTHER" },
	{ "type charge.dispute.closed. is other",
	    LIT(EVT("charge.dispute.closed.", "\"id\":5")), LH_OK,
	    "type", "OTHER" },
	{ "other type: top-level fields only",
	    LIT(EVT("plan.created", "\"id\":\"plan_1\"")), LH_OK, "object_id",
	    NULL },

	/* data.object of each handled kind. */
	{ "subscription without data",
	    LIT(HDR("customer.subscription.created") "}"),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice data.object an array",
	    LIT(HDR("invoice.paid") ",\"data\":{\"object\":[]}}"),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge data.object without id", LIT(EVT("charge.refunded", "")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer object right",
	    LIT(CUS(",\"object\":\"customer\"")), LH_OK, "object_id", "cus_1" },
	{ "customer object wrong",
	    LIT(CUS(",\"object\":\"subscription\"")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "subscription object right",
	    LIT(SUB(",\"object\":\"subscription\"")), LH_OK, "object_id",
	    "sub_1" },
	{ "subscription object wrong",
	    LIT(SUB(",\"object\":\"subscription_item\"")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice object wrong", LIT(INV(",\"object\":\"invoiceitem\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge object wrong", LIT(CH(",\"object\":\"refund\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute object wrong", LIT(DP(",\"object\":\"charge\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute object right", LIT(DP(",\"object\":\"dispute\"")), LH_OK,
	    "object_id", "dp_1" },
	{ "subscription duplicate data.object.id",
	    LIT(SUB(",\"id\":\"sub_2\"")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription id a number",
	    LIT(EVT("customer.subscription.created", "\"id\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* customer.* */
	{ "customer: customer_id is its id", LIT(CUS("")), LH_OK,
	    "customer_id", "cus_1" },
	{ "customer email", LIT(CUS(",\"email\":\"a@example.com\"")), LH_OK,
	    "email", "a@example.com" },
	{ "customer email null", LIT(CUS(",\"email\":null")), LH_OK,
	    "email", NULL },
	{ "customer name", LIT(CUS(",\"name\":\"Jenny Rosen\"")), LH_OK,
	    "name", "Jenny Rosen" },
	{ "customer email a number", LIT(CUS(",\"email\":5")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer name an array", LIT(CUS(",\"name\":[]")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "customer duplicate email",
	    LIT(CUS(",\"email\":\"a@example.com\","
	    "\"email\":\"b@example.com\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* customer.subscription.*: the simple fields */
	{ "subscription minimal", LIT(SUB("")), LH_OK, "subscription_id",
	    "sub_1" },
	{ "subscription minimal: no prices", LIT(SUB("")), LH_OK, "nprices",
	    "0" },
	{ "subscription minimal: no period end", LIT(SUB("")), LH_OK,
	    "period_end", "0" },
	{ "subscription customer", LIT(SUB(",\"customer\":\"cus_1\"")), LH_OK,
	    "customer_id", "cus_1" },
	{ "subscription customer expanded",
	    LIT(SUB(",\"customer\":{\"id\":\"cus_X\",\"object\":\"customer\","
	    "\"email\":\"x@example.com\"}")), LH_OK, "customer_id", "cus_X" },
	{ "subscription customer expanded, email not taken",
	    LIT(SUB(",\"customer\":{\"id\":\"cus_X\","
	    "\"email\":\"x@example.com\"}")), LH_OK, "email", NULL },
	{ "subscription customer expanded without id",
	    LIT(SUB(",\"customer\":{\"object\":\"customer\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription customer expanded, duplicate id",
	    LIT(SUB(",\"customer\":{\"id\":\"cus_X\",\"id\":\"cus_Y\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription customer a number", LIT(SUB(",\"customer\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription status", LIT(SUB(",\"status\":\"past_due\"")), LH_OK,
	    "sub_status", "past_due" },
	{ "subscription status null", LIT(SUB(",\"status\":null")), LH_OK,
	    "sub_status", NULL },
	{ "subscription status a number", LIT(SUB(",\"status\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription status an object", LIT(SUB(",\"status\":{}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "subscription duplicate status",
	    LIT(SUB(",\"status\":\"active\",\"status\":\"canceled\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "trial_end", LIT(SUB(",\"trial_end\":1700000000")), LH_OK,
	    "trial_end", "1700000000" },
	{ "trial_end null", LIT(SUB(",\"trial_end\":null")), LH_OK,
	    "trial_end", "0" },
	{ "trial_end a string", LIT(SUB(",\"trial_end\":\"1700000000\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "trial_end 1.5", LIT(SUB(",\"trial_end\":1.5")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "cancel_at_period_end true",
	    LIT(SUB(",\"cancel_at_period_end\":true")), LH_OK,
	    "cancel_at_period_end", "1" },
	{ "cancel_at_period_end false",
	    LIT(SUB(",\"cancel_at_period_end\":false")), LH_OK,
	    "cancel_at_period_end", "0" },
	{ "cancel_at_period_end null",
	    LIT(SUB(",\"cancel_at_period_end\":null")), LH_OK,
	    "cancel_at_period_end", "0" },
	{ "cancel_at_period_end \"true\"",
	    LIT(SUB(",\"cancel_at_period_end\":\"true\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "cancel_at_period_end 1", LIT(SUB(",\"cancel_at_period_end\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "cancel_at alone is not cancel_at_period_end",
	    LIT(SUB(",\"cancel_at\":1700000000")), LH_OK,
	    "cancel_at_period_end", "0" },
	{ "duplicate cancel_at_period_end",
	    LIT(SUB(",\"cancel_at_period_end\":false,"
	    "\"cancel_at_period_end\":true")), LH_ERR_EVENT_FIELD, NULL, NULL },

	/* customer.subscription.*: items */
	{ "items null", LIT(SUB(",\"items\":null")), LH_OK, "nprices", "0" },
	{ "items empty", LIT(SUB(ITEMS(""))), LH_OK, "nprices", "0" },
	{ "items an array", LIT(SUB(",\"items\":[" IT("price_1") "]")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "items a string", LIT(SUB(",\"items\":\"si_1\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "items.data not an array",
	    LIT(SUB(",\"items\":{\"object\":\"list\",\"data\":{}}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "items.data null",
	    LIT(SUB(",\"items\":{\"object\":\"list\",\"data\":null}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "items without data", LIT(SUB(",\"items\":{\"object\":\"list\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "items not a list",
	    LIT(SUB(",\"items\":{\"object\":\"subscription_item\","
	    "\"data\":[]}")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "items.object absent", LIT(SUB(",\"items\":{\"data\":["
	    IT("price_1") "]}")), LH_OK, "price0", "price_1" },
	{ "duplicate items",
	    LIT(SUB(ITEMS(IT("price_1")) ITEMS(IT("price_2")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate items.data",
	    LIT(SUB(",\"items\":{\"data\":[],\"data\":[]}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "item a string", LIT(SUB(ITEMS("\"si_1\""))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "item null", LIT(SUB(ITEMS("null"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "one item", LIT(SUB(ITEMS(IT("price_1")))), LH_OK, "price0",
	    "price_1" },
	{ "one item: nprices", LIT(SUB(ITEMS(IT("price_1")))), LH_OK,
	    "nprices", "1" },
	{ "one item: no plan", LIT(SUB(ITEMS(IT("price_1")))), LH_OK,
	    "plan0", NULL },
	{ "one item: second slot empty", LIT(SUB(ITEMS(IT("price_1")))),
	    LH_OK, "price1", NULL },
	{ "items keep payload order: first",
	    LIT(SUB(ITEMS(IT("price_B") "," IT("price_A")))), LH_OK,
	    "price0", "price_B" },
	{ "items keep payload order: second",
	    LIT(SUB(ITEMS(IT("price_B") "," IT("price_A")))), LH_OK,
	    "price1", "price_A" },
	{ "items keep duplicates",
	    LIT(SUB(ITEMS(IT("price_A") "," IT("price_A")))), LH_OK,
	    "nprices", "2" },
	{ "8 items", LIT(SUB(ITEMS(IT8))), LH_OK, "nprices", "8" },
	{ "8 items: the last", LIT(SUB(ITEMS(IT8))), LH_OK, "price7",
	    "price_8" },
	{ "9 items", LIT(SUB(ITEMS(IT8 "," IT("price_9")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "9 items, one without a price",
	    LIT(SUB(ITEMS(IT8 ",{}"))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "item without a price adds none",
	    LIT(SUB(ITEMS("{\"id\":\"si_1\"}," IT("price_1")))), LH_OK,
	    "price0", "price_1" },
	{ "item without a price: nprices",
	    LIT(SUB(ITEMS("{\"id\":\"si_1\"}," IT("price_1")))), LH_OK,
	    "nprices", "1" },
	{ "price null adds none", LIT(SUB(ITEMS("{\"price\":null}"))), LH_OK,
	    "nprices", "0" },
	{ "price.id a number", LIT(SUB(ITEMS("{\"price\":{\"id\":1}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "price.id empty", LIT(SUB(ITEMS("{\"price\":{\"id\":\"\"}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "price.id with a space",
	    LIT(SUB(ITEMS("{\"price\":{\"id\":\"price 1\"}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "price without id",
	    LIT(SUB(ITEMS("{\"price\":{\"object\":\"price\"}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "price.id null", LIT(SUB(ITEMS("{\"price\":{\"id\":null}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate price.id",
	    LIT(SUB(ITEMS("{\"price\":{\"id\":\"price_A\","
	    "\"id\":\"price_B\"}}"))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate price in an item",
	    LIT(SUB(ITEMS("{\"price\":{\"id\":\"price_A\"},"
	    "\"price\":{\"id\":\"price_B\"}}"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "price as an id string", LIT(SUB(ITEMS("{\"price\":\"price_S\"}"))),
	    LH_OK, "price0", "price_S" },
	{ "price a number", LIT(SUB(ITEMS("{\"price\":5}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "price an array", LIT(SUB(ITEMS("{\"price\":[]}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "legacy plan only",
	    LIT(SUB(ITEMS("{\"plan\":{\"id\":\"gold-monthly\","
	    "\"object\":\"plan\"}}"))), LH_OK, "price0", "gold-monthly" },
	{ "legacy plan's metadata.plan",
	    LIT(SUB(ITEMS("{\"plan\":{\"id\":\"gold-monthly\","
	    "\"metadata\":{\"plan\":\"gold\"}}}"))), LH_OK, "plan0", "gold" },
	{ "price wins over plan",
	    LIT(SUB(ITEMS("{\"price\":{\"id\":\"price_A\"},"
	    "\"plan\":{\"id\":\"plan_B\"}}"))), LH_OK, "price0", "price_A" },
	{ "plan mistyped next to a price",
	    LIT(SUB(ITEMS("{\"price\":{\"id\":\"price_A\"},\"plan\":7}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "plan.id a number",
	    LIT(SUB(ITEMS("{\"plan\":{\"id\":7}}"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },

	/* price_plans */
	{ "price metadata.plan",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"plan\":\"pro\"}")))), LH_OK,
	    "plan0", "pro" },
	{ "price metadata.tier is not a plan",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"tier\":\"pro\"}")))), LH_OK,
	    "plan0", NULL },
	{ "price metadata.plan a number",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"plan\":5}")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "price metadata a string",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":\"pro\"")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate price metadata.plan",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"plan\":\"a\","
	    "\"plan\":\"b\"}")))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate price metadata",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{},\"metadata\":{}")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "expanded product's metadata.plan",
	    LIT(SUB(ITEMS(PRICE(",\"product\":{\"id\":\"prod_1\","
	    "\"object\":\"product\",\"metadata\":{\"plan\":\"team\"}}")))),
	    LH_OK, "plan0", "team" },
	{ "price metadata.plan wins over the product's",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"plan\":\"pro\"},"
	    "\"product\":{\"id\":\"prod_1\","
	    "\"metadata\":{\"plan\":\"team\"}}")))), LH_OK, "plan0", "pro" },
	{ "empty price metadata.plan falls back to the product's",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"plan\":\"\"},"
	    "\"product\":{\"id\":\"prod_1\","
	    "\"metadata\":{\"plan\":\"team\"}}")))), LH_OK, "plan0", "team" },
	{ "product as an id gives no plan",
	    LIT(SUB(ITEMS(PRICE(",\"product\":\"prod_1\"")))), LH_OK,
	    "plan0", NULL },
	{ "product null", LIT(SUB(ITEMS(PRICE(",\"product\":null")))), LH_OK,
	    "plan0", NULL },
	{ "product a number", LIT(SUB(ITEMS(PRICE(",\"product\":5")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "expanded product's metadata.plan a number",
	    LIT(SUB(ITEMS(PRICE(",\"product\":{\"id\":\"prod_1\","
	    "\"metadata\":{\"plan\":1}}")))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "product mistyped metadata, price plan set",
	    LIT(SUB(ITEMS(PRICE(",\"metadata\":{\"plan\":\"pro\"},"
	    "\"product\":{\"metadata\":[]}")))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "plans pair with their prices",
	    LIT(SUB(ITEMS("{\"id\":\"si_0\"}," IT("price_1") ","
	    PRICE(",\"metadata\":{\"plan\":\"pro\"}")))), LH_OK, "plan1",
	    "pro" },

	/* period_end of a subscription */
	{ "top-level current_period_end (before basil)",
	    LIT(SUB(",\"current_period_end\":1700000000")), LH_OK,
	    "period_end", "1700000000" },
	{ "item current_period_end (basil)",
	    LIT(SUB(ITEMS(IEND("1700000000")))), LH_OK, "period_end",
	    "1700000000" },
	{ "latest item current_period_end",
	    LIT(SUB(ITEMS(IEND("1700000000") "," IEND("1800000000") ","
	    IEND("1750000000")))), LH_OK, "period_end", "1800000000" },
	{ "top-level current_period_end wins",
	    LIT(SUB(",\"current_period_end\":1700000000"
	    ITEMS(IEND("1800000000")))), LH_OK, "period_end", "1700000000" },
	{ "top-level current_period_end null: items",
	    LIT(SUB(",\"current_period_end\":null" ITEMS(IEND("1800000000")))),
	    LH_OK, "period_end", "1800000000" },
	{ "item current_period_end null",
	    LIT(SUB(ITEMS(IEND("null")))), LH_OK, "period_end", "0" },
	{ "item current_period_end 2^53 - 1",
	    LIT(SUB(ITEMS(IEND("9007199254740991")))), LH_OK, "period_end",
	    "9007199254740991" },
	{ "item current_period_end 2^53 + 2",
	    LIT(SUB(ITEMS(IEND("9007199254740994")))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "item current_period_end a string",
	    LIT(SUB(ITEMS(IEND("\"1700000000\"")))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "item current_period_end -1", LIT(SUB(ITEMS(IEND("-1")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "item current_period_end 1.5", LIT(SUB(ITEMS(IEND("1.5")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "item current_period_end true", LIT(SUB(ITEMS(IEND("true")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "item current_period_end mistyped, top-level set",
	    LIT(SUB(",\"current_period_end\":1700000000"
	    ITEMS(IEND("\"x\"")))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "top-level current_period_end a string",
	    LIT(SUB(",\"current_period_end\":\"1700000000\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "top-level current_period_end -1",
	    LIT(SUB(",\"current_period_end\":-1")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "top-level current_period_end 1.5",
	    LIT(SUB(",\"current_period_end\":1.5")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "duplicate item current_period_end",
	    LIT(SUB(ITEMS("{\"current_period_end\":1,"
	    "\"current_period_end\":2}"))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate top-level current_period_end",
	    LIT(SUB(",\"current_period_end\":1,\"current_period_end\":2")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* invoice.* */
	{ "invoice minimal", LIT(INV("")), LH_OK, "subscription_id", NULL },
	{ "invoice: invoice_id is its id", LIT(INV("")), LH_OK, "invoice_id",
	    "in_1" },
	{ "invoice: a member invoice is not read",
	    LIT(INV(",\"invoice\":\"in_X\"")), LH_OK, "invoice_id", "in_1" },
	{ "invoice_id of payment_failed",
	    LIT(EVT("invoice.payment_failed", "\"id\":\"in_F\"")), LH_OK,
	    "invoice_id", "in_F" },
	{ "invoice minimal: attempt_count", LIT(INV("")), LH_OK,
	    "attempt_count", "0" },
	{ "invoice customer_email", LIT(INV(",\"customer_email\":\"a@b.c\"")),
	    LH_OK, "email", "a@b.c" },
	{ "invoice customer_name", LIT(INV(",\"customer_name\":\"A B\"")),
	    LH_OK, "name", "A B" },
	{ "invoice customer_email a number", LIT(INV(",\"customer_email\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice email is not customer_email",
	    LIT(INV(",\"email\":\"a@b.c\"")), LH_OK, "email", NULL },
	{ "invoice customer expanded",
	    LIT(INV(",\"customer\":{\"id\":\"cus_X\","
	    "\"object\":\"customer\"}")),
	    LH_OK, "customer_id", "cus_X" },
	{ "invoice customer expanded, id a number",
	    LIT(INV(",\"customer\":{\"id\":1}")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice subscription (before basil)",
	    LIT(INV(",\"subscription\":\"sub_1\"")), LH_OK, "subscription_id",
	    "sub_1" },
	{ "invoice subscription expanded",
	    LIT(INV(",\"subscription\":{\"id\":\"sub_X\"}")), LH_OK,
	    "subscription_id", "sub_X" },
	{ "invoice subscription a number", LIT(INV(",\"subscription\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice parent subscription (basil)",
	    LIT(INV(",\"subscription\":null,\"parent\":{\"type\":"
	    "\"subscription_details\",\"subscription_details\":"
	    "{\"subscription\":\"sub_P\"}}")), LH_OK, "subscription_id",
	    "sub_P" },
	{ "invoice parent subscription expanded",
	    LIT(INV(",\"parent\":{\"subscription_details\":"
	    "{\"subscription\":{\"id\":\"sub_X\"}}}")), LH_OK,
	    "subscription_id", "sub_X" },
	{ "invoice subscription wins over parent",
	    LIT(INV(",\"subscription\":\"sub_1\",\"parent\":"
	    "{\"subscription_details\":{\"subscription\":\"sub_P\"}}")), LH_OK,
	    "subscription_id", "sub_1" },
	{ "invoice parent mistyped, subscription set",
	    LIT(INV(",\"subscription\":\"sub_1\",\"parent\":"
	    "{\"subscription_details\":{\"subscription\":5}}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice parent null", LIT(INV(",\"parent\":null")), LH_OK,
	    "subscription_id", NULL },
	{ "invoice parent a string", LIT(INV(",\"parent\":\"sub_1\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice subscription_details null",
	    LIT(INV(",\"parent\":{\"quote_details\":{\"quote\":\"qt_1\"},"
	    "\"subscription_details\":null,\"type\":\"quote_details\"}")),
	    LH_OK, "subscription_id", NULL },
	{ "invoice subscription_details an array",
	    LIT(INV(",\"parent\":{\"subscription_details\":[]}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice duplicate parent subscription",
	    LIT(INV(",\"parent\":{\"subscription_details\":"
	    "{\"subscription\":\"sub_1\",\"subscription\":\"sub_2\"}}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice duplicate subscription_details",
	    LIT(INV(",\"parent\":{\"subscription_details\":{},"
	    "\"subscription_details\":{}}")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice payment_intent", LIT(INV(",\"payment_intent\":\"pi_1\"")),
	    LH_OK, "payment_intent", "pi_1" },
	{ "invoice payment_intent a number",
	    LIT(INV(",\"payment_intent\":1")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice charge", LIT(INV(",\"charge\":\"ch_1\"")), LH_OK,
	    "charge_id", "ch_1" },
	{ "invoice charge expanded",
	    LIT(INV(",\"charge\":{\"id\":\"ch_X\",\"object\":\"charge\"}")),
	    LH_OK, "charge_id", "ch_X" },
	{ "invoice charge false", LIT(INV(",\"charge\":false")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "attempt_count", LIT(INV(",\"attempt_count\":3")), LH_OK,
	    "attempt_count", "3" },
	{ "attempt_count a string", LIT(INV(",\"attempt_count\":\"3\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "attempt_count -1", LIT(INV(",\"attempt_count\":-1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "attempt_count 1.5", LIT(INV(",\"attempt_count\":1.5")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate attempt_count",
	    LIT(INV(",\"attempt_count\":1,\"attempt_count\":2")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* invoice lines */
	{ "line price (before basil)",
	    LIT(INV(LINES(PRICE(",\"metadata\":{\"plan\":\"pro\"}")))), LH_OK,
	    "price0", "price_A" },
	{ "line price's plan",
	    LIT(INV(LINES(PRICE(",\"metadata\":{\"plan\":\"pro\"}")))), LH_OK,
	    "plan0", "pro" },
	{ "line pricing.price_details.price (basil)",
	    LIT(INV(LINES("{\"pricing\":{\"type\":\"price_details\","
	    "\"price_details\":{\"price\":\"price_N\","
	    "\"product\":\"prod_1\"}}}"))), LH_OK, "price0", "price_N" },
	{ "line pricing price as an id has no plan",
	    LIT(INV(LINES("{\"pricing\":{\"price_details\":"
	    "{\"price\":\"price_N\"}}}"))), LH_OK, "plan0", NULL },
	{ "line pricing price expanded",
	    LIT(INV(LINES("{\"pricing\":{\"price_details\":{\"price\":"
	    "{\"id\":\"price_N\",\"metadata\":{\"plan\":\"pro\"}}}}}"))),
	    LH_OK, "plan0", "pro" },
	{ "line price wins over pricing",
	    LIT(INV(LINES("{\"price\":{\"id\":\"price_A\"},\"pricing\":"
	    "{\"price_details\":{\"price\":\"price_N\"}}}"))), LH_OK,
	    "price0", "price_A" },
	{ "line pricing without price_details adds none",
	    LIT(INV(LINES("{\"pricing\":{\"type\":\"price_details\","
	    "\"unit_amount_decimal\":null}}"))), LH_OK, "nprices", "0" },
	{ "line pricing a string",
	    LIT(INV(LINES("{\"pricing\":\"price_N\"}"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "line price_details a string",
	    LIT(INV(LINES("{\"pricing\":{\"price_details\":\"price_N\"}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line pricing price a number",
	    LIT(INV(LINES("{\"pricing\":{\"price_details\":{\"price\":5}}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line duplicate pricing price",
	    LIT(INV(LINES("{\"pricing\":{\"price_details\":{\"price\":"
	    "\"price_1\",\"price\":\"price_2\"}}}"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "line price.id a number", LIT(INV(LINES("{\"price\":{\"id\":2}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "lines keep payload order",
	    LIT(INV(LINES(IT("price_B") "," IT("price_A")))), LH_OK,
	    "price1", "price_A" },
	{ "8 lines", LIT(INV(LINES(IT8))), LH_OK, "nprices", "8" },
	{ "9 lines", LIT(INV(LINES(IT8 "," IT("price_9")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "lines an array", LIT(INV(",\"lines\":[" IT("price_1") "]")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "lines.data a string",
	    LIT(INV(",\"lines\":{\"object\":\"list\",\"data\":\"x\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line a number", LIT(INV(LINES("1"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "line period.end", LIT(INV(LINES(LEND("1700000000")))), LH_OK,
	    "period_end", "1700000000" },
	{ "latest line period.end",
	    LIT(INV(LINES(LEND("1700000000") "," LEND("1800000000") ","
	    LEND("1750000000")))), LH_OK, "period_end", "1800000000" },
	{ "line period.end counts without a price",
	    LIT(INV(LINES("{\"period\":{\"end\":1800000000}},"
	    LEND("1700000000")))), LH_OK, "period_end", "1800000000" },
	{ "invoice period_end is not the lines'",
	    LIT(INV(",\"period_end\":1900000000" LINES(LEND("1700000000")))),
	    LH_OK, "period_end", "1700000000" },
	{ "line period null", LIT(INV(LINES("{\"period\":null}"))), LH_OK,
	    "period_end", "0" },
	{ "line period a number", LIT(INV(LINES("{\"period\":1}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line period.end a string", LIT(INV(LINES(LEND("\"1700000000\"")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line period.end -1", LIT(INV(LINES(LEND("-1")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line period.end 1.5", LIT(INV(LINES(LEND("1.5")))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line duplicate period",
	    LIT(INV(LINES("{\"period\":{\"end\":1},\"period\":{\"end\":2}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "line duplicate period.end",
	    LIT(INV(LINES("{\"period\":{\"end\":1,\"end\":2}}"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* invoice_payment.paid */
	{ "invoice_payment minimal", LIT(IPY("")), LH_OK, "object_id",
	    "inpay_1" },
	{ "invoice_payment minimal: no invoice", LIT(IPY("")), LH_OK,
	    "invoice_id", NULL },
	{ "invoice_payment minimal: no payment intent", LIT(IPY("")), LH_OK,
	    "payment_intent", NULL },
	{ "invoice_payment minimal: no charge", LIT(IPY("")), LH_OK,
	    "charge_id", NULL },
	{ "invoice_payment object right",
	    LIT(IPY(",\"object\":\"invoice_payment\"")), LH_OK, "object_id",
	    "inpay_1" },
	{ "invoice_payment object wrong",
	    LIT(IPY(",\"object\":\"invoice\"")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice_payment without id",
	    LIT(EVT("invoice_payment.paid", "\"invoice\":\"in_1\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment without data",
	    LIT(HDR("invoice_payment.paid") "}"), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice_payment invoice", LIT(IPY(",\"invoice\":\"in_1\"")),
	    LH_OK, "invoice_id", "in_1" },
	{ "invoice_payment invoice expanded",
	    LIT(IPY(",\"invoice\":{\"id\":\"in_X\",\"object\":\"invoice\","
	    "\"customer\":\"cus_1\"}")), LH_OK, "invoice_id", "in_X" },
	{ "invoice_payment invoice expanded: customer not taken",
	    LIT(IPY(",\"invoice\":{\"id\":\"in_X\","
	    "\"customer\":\"cus_1\"}")), LH_OK, "customer_id", NULL },
	{ "invoice_payment invoice null", LIT(IPY(",\"invoice\":null")),
	    LH_OK, "invoice_id", NULL },
	{ "invoice_payment invoice a number", LIT(IPY(",\"invoice\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment invoice with a space",
	    LIT(IPY(",\"invoice\":\"in 1\"")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice_payment invoice expanded without id",
	    LIT(IPY(",\"invoice\":{\"object\":\"invoice\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment invoice expanded, duplicate id",
	    LIT(IPY(",\"invoice\":{\"id\":\"in_1\",\"id\":\"in_2\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment duplicate invoice",
	    LIT(IPY(",\"invoice\":\"in_1\",\"invoice\":\"in_1\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment payment intent",
	    LIT(IPY(PAY("\"type\":\"payment_intent\","
	    "\"payment_intent\":\"pi_1\""))), LH_OK, "payment_intent",
	    "pi_1" },
	{ "invoice_payment payment intent: no charge",
	    LIT(IPY(PAY("\"type\":\"payment_intent\","
	    "\"payment_intent\":\"pi_1\""))), LH_OK, "charge_id", NULL },
	{ "invoice_payment payment intent expanded",
	    LIT(IPY(PAY("\"type\":\"payment_intent\",\"payment_intent\":"
	    "{\"id\":\"pi_X\",\"object\":\"payment_intent\","
	    "\"latest_charge\":\"ch_1\"}"))), LH_OK, "payment_intent",
	    "pi_X" },
	{ "invoice_payment payment intent expanded: its charge not taken",
	    LIT(IPY(PAY("\"payment_intent\":{\"id\":\"pi_X\","
	    "\"latest_charge\":\"ch_1\"}"))), LH_OK, "charge_id", NULL },
	{ "invoice_payment charge",
	    LIT(IPY(PAY("\"type\":\"charge\",\"charge\":\"ch_1\""))),
	    LH_OK, "charge_id", "ch_1" },
	{ "invoice_payment charge: no payment intent",
	    LIT(IPY(PAY("\"type\":\"charge\",\"charge\":\"ch_1\""))),
	    LH_OK, "payment_intent", NULL },
	{ "invoice_payment charge expanded",
	    LIT(IPY(PAY("\"type\":\"charge\",\"charge\":"
	    "{\"id\":\"ch_X\",\"object\":\"charge\"}"))), LH_OK,
	    "charge_id", "ch_X" },
	{ "invoice_payment both ids kept: payment intent",
	    LIT(IPY(PAY("\"payment_intent\":\"pi_1\",\"charge\":\"ch_1\""))),
	    LH_OK, "payment_intent", "pi_1" },
	{ "invoice_payment both ids kept: charge",
	    LIT(IPY(PAY("\"payment_intent\":\"pi_1\",\"charge\":\"ch_1\""))),
	    LH_OK, "charge_id", "ch_1" },
	{ "invoice_payment type is not checked",
	    LIT(IPY(PAY("\"type\":\"payment_record\","
	    "\"payment_record\":\"pr_1\",\"payment_intent\":null"))), LH_OK,
	    "payment_intent", NULL },
	{ "invoice_payment payment empty", LIT(IPY(PAY(""))), LH_OK,
	    "payment_intent", NULL },
	{ "invoice_payment payment null", LIT(IPY(",\"payment\":null")),
	    LH_OK, "charge_id", NULL },
	{ "invoice_payment payment a string",
	    LIT(IPY(",\"payment\":\"pi_1\"")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment payment an array",
	    LIT(IPY(",\"payment\":[]")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment payment intent a number",
	    LIT(IPY(PAY("\"payment_intent\":1"))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice_payment payment intent empty",
	    LIT(IPY(PAY("\"payment_intent\":\"\""))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice_payment payment intent expanded without id",
	    LIT(IPY(PAY("\"payment_intent\":{\"object\":"
	    "\"payment_intent\"}"))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment charge false",
	    LIT(IPY(PAY("\"charge\":false"))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment charge mistyped, payment intent set",
	    LIT(IPY(PAY("\"payment_intent\":\"pi_1\",\"charge\":[]"))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment duplicate payment",
	    LIT(IPY(PAY("\"payment_intent\":\"pi_1\"")
	    PAY("\"payment_intent\":\"pi_2\""))), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "invoice_payment duplicate payment.payment_intent",
	    LIT(IPY(PAY("\"payment_intent\":\"pi_1\","
	    "\"payment_intent\":\"pi_2\""))), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment duplicate payment.charge",
	    LIT(IPY(PAY("\"charge\":\"ch_1\",\"charge\":\"ch_1\""))),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "invoice_payment top-level payment_intent is not read",
	    LIT(IPY(",\"payment_intent\":\"pi_T\"")), LH_OK,
	    "payment_intent", NULL },
	{ "invoice_payment customer is not read",
	    LIT(IPY(",\"customer\":\"cus_1\"")), LH_OK, "customer_id", NULL },
	{ "invoice_payment status is not read",
	    LIT(IPY(",\"status\":\"paid\"")), LH_OK, "dispute_status", NULL },

	/* charge.refunded */
	{ "charge minimal", LIT(CH("")), LH_OK, "charge_id", "ch_1" },
	{ "charge minimal: no invoice (basil)", LIT(CH("")), LH_OK,
	    "invoice_id", NULL },
	{ "charge invoice (before basil)", LIT(CH(",\"invoice\":\"in_1\"")),
	    LH_OK, "invoice_id", "in_1" },
	{ "charge invoice expanded",
	    LIT(CH(",\"invoice\":{\"id\":\"in_X\",\"object\":\"invoice\","
	    "\"subscription\":\"sub_1\"}")), LH_OK, "invoice_id", "in_X" },
	{ "charge invoice expanded: subscription not taken",
	    LIT(CH(",\"invoice\":{\"id\":\"in_X\","
	    "\"subscription\":\"sub_1\"}")), LH_OK, "subscription_id", NULL },
	{ "charge invoice null", LIT(CH(",\"invoice\":null")), LH_OK,
	    "invoice_id", NULL },
	{ "charge invoice a number", LIT(CH(",\"invoice\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge invoice empty", LIT(CH(",\"invoice\":\"\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge invoice expanded without id",
	    LIT(CH(",\"invoice\":{\"object\":\"invoice\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge duplicate invoice",
	    LIT(CH(",\"invoice\":\"in_1\",\"invoice\":\"in_2\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge minimal: refunded", LIT(CH("")), LH_OK, "refunded", "0" },
	{ "charge customer", LIT(CH(",\"customer\":\"cus_1\"")), LH_OK,
	    "customer_id", "cus_1" },
	{ "charge customer expanded",
	    LIT(CH(",\"customer\":{\"id\":\"cus_X\",\"object\":\"customer\"}")),
	    LH_OK, "customer_id", "cus_X" },
	{ "charge customer expanded without id",
	    LIT(CH(",\"customer\":{}")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "charge payment_intent", LIT(CH(",\"payment_intent\":\"pi_1\"")),
	    LH_OK, "payment_intent", "pi_1" },
	{ "charge payment_intent expanded",
	    LIT(CH(",\"payment_intent\":{\"id\":\"pi_X\"}")), LH_OK,
	    "payment_intent", "pi_X" },
	{ "charge payment_intent an array",
	    LIT(CH(",\"payment_intent\":[]")), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "amount", LIT(CH(",\"amount\":1500")), LH_OK, "amount", "1500" },
	{ "amount 0", LIT(CH(",\"amount\":0")), LH_OK, "amount", "0" },
	{ "amount 2^53 - 1", LIT(CH(",\"amount\":9007199254740991")), LH_OK,
	    "amount", "9007199254740991" },
	{ "amount 2^53 + 2", LIT(CH(",\"amount\":9007199254740994")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "amount -1", LIT(CH(",\"amount\":-1")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "amount 1.5", LIT(CH(",\"amount\":1.5")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "amount a string", LIT(CH(",\"amount\":\"1500\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "amount_refunded", LIT(CH(",\"amount_refunded\":500")), LH_OK,
	    "amount_refunded", "500" },
	{ "amount_refunded -1", LIT(CH(",\"amount_refunded\":-1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "amount_refunded null", LIT(CH(",\"amount_refunded\":null")), LH_OK,
	    "amount_refunded", "0" },
	{ "refunded true", LIT(CH(",\"refunded\":true")), LH_OK,
	    "refunded", "1" },
	{ "refunded false", LIT(CH(",\"refunded\":false")), LH_OK,
	    "refunded", "0" },
	{ "refunded \"true\"", LIT(CH(",\"refunded\":\"true\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "refunded 1", LIT(CH(",\"refunded\":1")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
	{ "duplicate refunded",
	    LIT(CH(",\"refunded\":false,\"refunded\":true")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "duplicate amount_refunded",
	    LIT(CH(",\"amount_refunded\":1,\"amount_refunded\":2")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },

	/* charge.dispute.* */
	{ "dispute minimal", LIT(DP("")), LH_OK, "charge_id", NULL },
	{ "dispute charge", LIT(DP(",\"charge\":\"ch_1\"")), LH_OK,
	    "charge_id", "ch_1" },
	{ "dispute charge expanded",
	    LIT(DP(",\"charge\":{\"id\":\"ch_X\",\"object\":\"charge\","
	    "\"customer\":\"cus_1\"}")), LH_OK, "charge_id", "ch_X" },
	{ "dispute charge expanded: customer not taken",
	    LIT(DP(",\"charge\":{\"id\":\"ch_X\",\"customer\":\"cus_1\"}")),
	    LH_OK, "customer_id", NULL },
	{ "dispute charge expanded without id",
	    LIT(DP(",\"charge\":{\"object\":\"charge\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute charge a number", LIT(DP(",\"charge\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute duplicate charge",
	    LIT(DP(",\"charge\":\"ch_1\",\"charge\":\"ch_2\"")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute charge expanded, duplicate id",
	    LIT(DP(",\"charge\":{\"id\":\"ch_1\",\"id\":\"ch_2\"}")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute payment_intent", LIT(DP(",\"payment_intent\":\"pi_1\"")),
	    LH_OK, "payment_intent", "pi_1" },
	{ "dispute status", LIT(DP(",\"status\":\"lost\"")), LH_OK,
	    "dispute_status", "lost" },
	{ "dispute status a number", LIT(DP(",\"status\":1")),
	    LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "dispute status is not sub_status", LIT(DP(",\"status\":\"won\"")),
	    LH_OK, "sub_status", NULL },
	{ "dispute amount", LIT(DP(",\"amount\":2000")), LH_OK, "amount",
	    "2000" },
	{ "dispute amount -1", LIT(DP(",\"amount\":-1")), LH_ERR_EVENT_FIELD,
	    NULL, NULL },
};

/*
 * A generated body: pre, rep1 n times, mid, rep2 n times, post.
 * On LH_OK, field must be fieldlen bytes long.
 */
struct gcase {
	const char	*name;
	const char	*pre;
	const char	*rep1;
	size_t		 n;
	const char	*mid;
	const char	*rep2;
	const char	*post;
	enum lh_err	 want;
	const char	*field;
	size_t		 fieldlen;
};

#define CO_NAME		HDR("checkout.session.completed") ",\"data\":" \
			"{\"object\":{\"id\":\"cs_1\",\"customer_details\":" \
			"{\"name\":\""
#define CO_NAME_END	"\"}}}}"
#define SUB_PRICE	HDR("customer.subscription.updated") ",\"data\":" \
			"{\"object\":{\"id\":\"sub_1\",\"items\":{\"data\":" \
			"[{\"price\":{\"id\":\""
#define SUB_PRICE_END	"\"}}]}}}}"
#define SUB_STATUS	HDR("customer.subscription.updated") ",\"data\":" \
			"{\"object\":{\"id\":\"sub_1\",\"status\":\""
#define SUB_STATUS_END	"\"}}}"

static const struct gcase gcases[] = {
	/* The root object is level 1: 63 arrays make 64 levels. */
	{ "depth 64", HDR("x") ",\"a\":", "[", LH_JSON_DEPTH_MAX - 1, "",
	    "]", "}", LH_OK, "id", 5 },
	{ "depth 65", HDR("x") ",\"a\":", "[", LH_JSON_DEPTH_MAX, "",
	    "]", "}", LH_ERR_JSON, NULL, 0 },
	{ "depth 64 in objects", HDR("x") ",\"a\":", "{\"a\":",
	    LH_JSON_DEPTH_MAX - 2, "{}", "}", "}", LH_OK, "id", 5 },
	{ "depth 65 in objects", HDR("x") ",\"a\":", "{\"a\":",
	    LH_JSON_DEPTH_MAX - 1, "{}", "}", "}", LH_ERR_JSON, NULL, 0 },
	{ "depth 65, unclosed", HDR("x") ",\"a\":", "[", LH_JSON_DEPTH_MAX,
	    "", "", "", LH_ERR_JSON, NULL, 0 },
	{ "depth 100000", HDR("x") ",\"a\":", "[", 100000, "", "]", "}",
	    LH_ERR_JSON, NULL, 0 },
	{ "1000 arrays side by side", HDR("x") ",\"a\":[", "[],", 1000, "[]",
	    "", "]}", LH_OK, "id", 5 },
	{ "id 512 bytes", "{\"id\":\"", "e", LH_FIELD_MAX, "", "",
	    "\"," T_TYPE "," T_CREATED "," T_LIVE "}", LH_OK, "id",
	    LH_FIELD_MAX },
	{ "id 513 bytes", "{\"id\":\"", "e", LH_FIELD_MAX + 1, "", "",
	    "\"," T_TYPE "," T_CREATED "," T_LIVE "}", LH_ERR_EVENT_FIELD,
	    NULL, 0 },
	{ "type 512 bytes", "{" T_ID ",\"type\":\"", "t", LH_FIELD_MAX, "", "",
	    "\"," T_CREATED "," T_LIVE "}", LH_OK, "type_name", LH_FIELD_MAX },
	{ "type 513 bytes", "{" T_ID ",\"type\":\"", "t", LH_FIELD_MAX + 1, "",
	    "", "\"," T_CREATED "," T_LIVE "}", LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "name 512 bytes", CO_NAME, "n", LH_FIELD_MAX, "", "", CO_NAME_END,
	    LH_OK, "name", LH_FIELD_MAX },
	{ "name 513 bytes", CO_NAME, "n", LH_FIELD_MAX + 1, "", "",
	    CO_NAME_END, LH_ERR_EVENT_FIELD, NULL, 0 },
	/* The bound is on decoded bytes: each \u00e9 is two. */
	{ "name 256 escapes, 512 bytes", CO_NAME, "\\u00e9", LH_FIELD_MAX / 2,
	    "", "", CO_NAME_END, LH_OK, "name", LH_FIELD_MAX },
	{ "name 257 escapes, 514 bytes", CO_NAME, "\\u00e9",
	    LH_FIELD_MAX / 2 + 1, "", "", CO_NAME_END, LH_ERR_EVENT_FIELD,
	    NULL, 0 },
	{ "email 100 KB", HDR("checkout.session.completed") ",\"data\":"
	    "{\"object\":{\"id\":\"cs_1\",\"customer_email\":\"", "m",
	    100 * 1024, "", "", "\"}}}", LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "client_reference_id 100 KB",
	    HDR("checkout.session.completed") ",\"data\":"
	    "{\"object\":{\"id\":\"cs_1\",\"client_reference_id\":\"", "r",
	    100 * 1024, "", "", "\"}}}", LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "unused string 100 KB", HDR("x") ",\"a\":\"", "z", 100 * 1024, "",
	    "", "\"}", LH_OK, "id", 5 },
	{ "price id 512 bytes", SUB_PRICE, "p", LH_FIELD_MAX, "", "",
	    SUB_PRICE_END, LH_OK, "price0", LH_FIELD_MAX },
	{ "price id 513 bytes", SUB_PRICE, "p", LH_FIELD_MAX + 1, "", "",
	    SUB_PRICE_END, LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "status 512 bytes", SUB_STATUS, "s", LH_FIELD_MAX, "", "",
	    SUB_STATUS_END, LH_OK, "sub_status", LH_FIELD_MAX },
	{ "status 513 bytes", SUB_STATUS, "s", LH_FIELD_MAX + 1, "", "",
	    SUB_STATUS_END, LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "invoice_payment invoice 512 bytes", HDR("invoice_payment.paid")
	    ",\"data\":{\"object\":{\"id\":\"inpay_1\",\"invoice\":\"", "i",
	    LH_FIELD_MAX, "", "", "\"}}}", LH_OK, "invoice_id", LH_FIELD_MAX },
	{ "invoice_payment invoice 513 bytes", HDR("invoice_payment.paid")
	    ",\"data\":{\"object\":{\"id\":\"inpay_1\",\"invoice\":\"", "i",
	    LH_FIELD_MAX + 1, "", "", "\"}}}", LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "invoice_payment payment intent 513 bytes",
	    HDR("invoice_payment.paid") ",\"data\":{\"object\":"
	    "{\"id\":\"inpay_1\",\"payment\":{\"payment_intent\":\"", "p",
	    LH_FIELD_MAX + 1, "", "", "\"}}}}", LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "charge invoice 512 bytes", HDR("charge.refunded")
	    ",\"data\":{\"object\":{\"id\":\"ch_1\",\"invoice\":\"", "i",
	    LH_FIELD_MAX, "", "", "\"}}}", LH_OK, "invoice_id", LH_FIELD_MAX },
	{ "dispute status 100 KB", HDR("charge.dispute.closed")
	    ",\"data\":{\"object\":{\"id\":\"dp_1\",\"status\":\"", "s",
	    100 * 1024, "", "", "\"}}}", LH_ERR_EVENT_FIELD, NULL, 0 },
	{ "1000 items", HDR("customer.subscription.updated")
	    ",\"data\":{\"object\":{\"id\":\"sub_1\",\"items\":{\"data\":[",
	    IT("price_1") ",", 999, IT("price_1"), "", "]}}}}",
	    LH_ERR_EVENT_FIELD, NULL, 0 },
};

/*
 * The wrapped fixtures, every field of the result.  Members left out
 * must be NULL or 0, and price slots past nprices NULL.
 */
struct fcase {
	const char	*file;
	enum lh_evt_type type;
	long long	 created;
	int		 livemode;
	const char	*id, *type_name, *object_id, *customer_id;
	const char	*email, *name, *subscription_id, *payment_intent;
	const char	*charge_id, *invoice_id, *mode, *payment_status;
	const char	*client_reference_id, *plan_hint;
	const char	*sub_status;
	const char	*prices[LH_EVT_PRICES_MAX];
	const char	*plans[LH_EVT_PRICES_MAX];
	size_t		 nprices;
	long long	 period_end;
	int		 cancel_at_period_end;
	long long	 trial_end, attempt_count, amount, amount_refunded;
	int		 refunded;
	const char	*dispute_status;
};

/* The two subscriptions the fixtures follow, one per generation. */
#define OLD_SUB		"sub_1LQOKaKXBGcbgpbZ9Nq3gwmT"
#define OLD_CUS		"cus_M8fT0ZiHtPnVaW"
#define OLD_PRO		"price_1LQOJ8KXBGcbgpbZp4Rxvsm1"
#define OLD_SEATS	"price_1LQOLmKXBGcbgpbZ0sN3wQtE"
#define NEW_SUB		"sub_1Pgc6rB7WZ01zgkWNy0Cn5nw"
#define NEW_CUS		"cus_QXg1o8vcGmoR32"
#define NEW_PRO		"price_1PgafmB7WZ01zgkW6dKueIc5"
#define NEW_SEATS	"price_1PgagBB7WZ01zgkWqK3Jx9Lm"
#define OLD_INV		"in_1LQOKbKXBGcbgpbZ2vx6DzLn"
#define NEW_INV		"in_1PhpxNB7WZ01zgkW7uVb2YcR"
#define NEW_PI		"pi_3PhpxOB7WZ01zgkW0y6NcT1e"

static const struct fcase fcases[] = {
	{ .file = "checkout.session.completed.json",
	    .type = LH_EVT_CHECKOUT_COMPLETED, .created = 1658353296,
	    .id = "evt_test_checkout_1",
	    .type_name = "checkout.session.completed",
	    .object_id = "cs_test_a1UejXx8ebIdTzFolicVypUAZpOBVkoQKDbaarXoPlPV"
	    "tj8p0zujPEEhjT",
	    .mode = "subscription", .payment_status = "paid",
	    .customer_id = "cus_M5wW9RPFk9xNZ5", .email = "chris@gorails.com",
	    .name = "Chris Oliver",
	    .subscription_id = "sub_1LNkeSKXBGcbgpbZ7jMqOPSi" },
	{ .file = "checkout.session.completed.payment.json",
	    .type = LH_EVT_CHECKOUT_COMPLETED, .created = 1658353300,
	    .id = "evt_test_checkout_payment_1",
	    .type_name = "checkout.session.completed",
	    .object_id = "cs_test_payment_1", .mode = "payment",
	    .payment_status = "paid", .customer_id = "cus_M5wW9RPFk9xNZ5",
	    .email = "buyer@example.com", .client_reference_id = "user_42",
	    .plan_hint = "pro" },
	{ .file = "checkout.session.async_payment_succeeded.json",
	    .type = LH_EVT_CHECKOUT_ASYNC_PAID, .created = 1658708400,
	    .id = "evt_1LQOJqKXBGcbgpbZcD4w9QnF",
	    .type_name = "checkout.session.async_payment_succeeded",
	    .object_id = "cs_test_a1Rk3sN8yVqW2bLx7ZcT0uHf5PmJ9dGe4KoA6iYsD1nQ"
	    "8wEr2tXvB3lU",
	    .mode = "payment", .payment_status = "paid",
	    .customer_id = OLD_CUS, .email = "max@example.de",
	    .name = "Max Mustermann",
	    .payment_intent = "pi_3LQOJoKXBGcbgpbZ1Jej1QhS",
	    .plan_hint = "pro" },

	{ .file = "customer.created.json", .type = LH_EVT_CUSTOMER,
	    .created = 1721954050, .id = "evt_1Pgc6oB7WZ01zgkWvB3n1YtE",
	    .type_name = "customer.created", .object_id = NEW_CUS,
	    .customer_id = NEW_CUS, .email = "jenny.rosen@example.com",
	    .name = "Jenny Rosen" },
	{ .file = "customer.updated.json", .type = LH_EVT_CUSTOMER,
	    .created = 1722003000, .id = "evt_1PhBa2B7WZ01zgkWk8Rt5LqX",
	    .type_name = "customer.updated", .object_id = NEW_CUS,
	    .customer_id = NEW_CUS, .email = "jenny@example.org",
	    .name = "Jenny Rosen" },

	/* Before basil: current_period_end on the subscription. */
	{ .file = "customer.subscription.created-old.json",
	    .type = LH_EVT_SUB_CREATED, .created = 1658967078,
	    .id = "evt_1LQOKdKXBGcbgpbZ3hT6yWmA",
	    .type_name = "customer.subscription.created",
	    .object_id = OLD_SUB, .subscription_id = OLD_SUB,
	    .customer_id = OLD_CUS, .sub_status = "active",
	    .prices = { OLD_PRO }, .plans = { "pro" }, .nprices = 1,
	    .period_end = 1661645476 },
	{ .file = "customer.subscription.updated-old.json",
	    .type = LH_EVT_SUB_UPDATED, .created = 1659571877,
	    .id = "evt_1LSy0eKXBGcbgpbZqW2m7RkD",
	    .type_name = "customer.subscription.updated",
	    .object_id = OLD_SUB, .subscription_id = OLD_SUB,
	    .customer_id = OLD_CUS, .sub_status = "active",
	    .prices = { OLD_PRO, OLD_SEATS }, .plans = { "pro", NULL },
	    .nprices = 2, .period_end = 1661645476,
	    .cancel_at_period_end = 1 },
	{ .file = "customer.subscription.deleted-old.json",
	    .type = LH_EVT_SUB_DELETED, .created = 1661645477,
	    .id = "evt_1Lb5pCKXBGcbgpbZy0Vd3NsH",
	    .type_name = "customer.subscription.deleted",
	    .object_id = OLD_SUB, .subscription_id = OLD_SUB,
	    .customer_id = OLD_CUS, .sub_status = "canceled",
	    .prices = { OLD_PRO, OLD_SEATS }, .plans = { "pro", NULL },
	    .nprices = 2, .period_end = 1661645476,
	    .cancel_at_period_end = 1 },

	/* Basil: current_period_end on the items only. */
	{ .file = "customer.subscription.created-new.json",
	    .type = LH_EVT_SUB_CREATED, .created = 1721954055,
	    .id = "evt_1Pgc6sB7WZ01zgkW4fQm2ZtY",
	    .type_name = "customer.subscription.created",
	    .object_id = NEW_SUB, .subscription_id = NEW_SUB,
	    .customer_id = NEW_CUS, .sub_status = "trialing",
	    .prices = { NEW_PRO }, .plans = { "pro" }, .nprices = 1,
	    .period_end = 1722558854, .trial_end = 1722558854 },
	{ .file = "customer.subscription.updated-new.json",
	    .type = LH_EVT_SUB_UPDATED, .created = 1723000000,
	    .id = "evt_1PiRk3B7WZ01zgkWfD8s1QaP",
	    .type_name = "customer.subscription.updated",
	    .object_id = NEW_SUB, .subscription_id = NEW_SUB,
	    .customer_id = NEW_CUS, .sub_status = "active",
	    .prices = { NEW_PRO, NEW_SEATS }, .plans = { "pro", NULL },
	    .nprices = 2, .period_end = 1754136000,
	    .trial_end = 1722558854, .cancel_at_period_end = 1 },
	{ .file = "customer.subscription.deleted-new.json",
	    .type = LH_EVT_SUB_DELETED, .created = 1723000001,
	    .id = "evt_1PiRk4B7WZ01zgkWm9Tq2XsJ",
	    .type_name = "customer.subscription.deleted",
	    .object_id = NEW_SUB, .subscription_id = NEW_SUB,
	    .customer_id = NEW_CUS, .sub_status = "canceled",
	    .prices = { NEW_PRO }, .plans = { "pro" }, .nprices = 1,
	    .period_end = 1725237254, .trial_end = 1722558854 },
	{ .file = "customer.subscription.paused.json",
	    .type = LH_EVT_SUB_PAUSED, .created = 1722558855,
	    .id = "evt_1PhpxMB7WZ01zgkWaL4r7GcN",
	    .type_name = "customer.subscription.paused",
	    .object_id = NEW_SUB, .subscription_id = NEW_SUB,
	    .customer_id = NEW_CUS, .sub_status = "paused",
	    .prices = { NEW_PRO }, .plans = { "pro" }, .nprices = 1,
	    .period_end = 1722558854, .trial_end = 1722558854 },
	{ .file = "customer.subscription.resumed.json",
	    .type = LH_EVT_SUB_RESUMED, .created = 1722645300,
	    .id = "evt_1PhyR9B7WZ01zgkWsN0c5VbE",
	    .type_name = "customer.subscription.resumed",
	    .object_id = NEW_SUB, .subscription_id = NEW_SUB,
	    .customer_id = NEW_CUS, .sub_status = "active",
	    .prices = { NEW_PRO }, .plans = { "pro" }, .nprices = 1,
	    .period_end = 1725237254, .trial_end = 1722558854 },
	{ .file = "customer.subscription.trial_will_end.json",
	    .type = LH_EVT_SUB_TRIAL_END, .created = 1722299654,
	    .id = "evt_1PhMbHB7WZ01zgkWe3Jx8DuT",
	    .type_name = "customer.subscription.trial_will_end",
	    .object_id = NEW_SUB, .subscription_id = NEW_SUB,
	    .customer_id = NEW_CUS, .sub_status = "trialing",
	    .prices = { NEW_PRO }, .plans = { "pro" }, .nprices = 1,
	    .period_end = 1722558854, .trial_end = 1722558854 },

	/* Before basil: invoice.subscription, line.price. */
	{ .file = "invoice.paid-old.json", .type = LH_EVT_INVOICE_PAID,
	    .created = 1658967078, .id = "evt_1LQOKeKXBGcbgpbZ6nF0rJ2b",
	    .type_name = "invoice.paid",
	    .object_id = OLD_INV, .invoice_id = OLD_INV,
	    .customer_id = OLD_CUS, .email = "jenny.rosen@example.com",
	    .name = "Jenny Rosen", .subscription_id = OLD_SUB,
	    .payment_intent = "pi_3LQOKcKXBGcbgpbZ0GJkYz2P",
	    .charge_id = "ch_3LQOKcKXBGcbgpbZ0xW8DkJ1", .attempt_count = 1,
	    .prices = { OLD_PRO, OLD_SEATS }, .plans = { "pro", NULL },
	    .nprices = 2, .period_end = 1661645476 },
	/* Basil: parent.subscription_details, pricing.price_details. */
	{ .file = "invoice.paid-new.json", .type = LH_EVT_INVOICE_PAID,
	    .created = 1722645255, .id = "evt_1PhyR8B7WZ01zgkW2qLh6TfA",
	    .type_name = "invoice.paid",
	    .object_id = NEW_INV, .invoice_id = NEW_INV,
	    .customer_id = NEW_CUS, .email = "jenny.rosen@example.com",
	    .name = "Jenny Rosen", .subscription_id = NEW_SUB,
	    .attempt_count = 2, .prices = { NEW_PRO }, .nprices = 1,
	    .period_end = 1725237254 },
	{ .file = "invoice.payment_failed.json",
	    .type = LH_EVT_INVOICE_FAILED, .created = 1745433964,
	    .livemode = 1, .id = "evt_1RHBwfLkdIwHu7ixT6AnLkQv",
	    .type_name = "invoice.payment_failed", .object_id = "in_1234",
	    .invoice_id = "in_1234",
	    .customer_id = "cus_1234", .email = "customer@example.org",
	    .name = "Example Customer", .subscription_id = "sub_1234",
	    .attempt_count = 1, .prices = { "price_1234" }, .nprices = 1,
	    .period_end = 1776969906 },

	{ .file = "charge.refunded.json", .type = LH_EVT_CHARGE_REFUNDED,
	    .created = 1658353400, .id = "evt_test_refund_1",
	    .type_name = "charge.refunded", .object_id = "ch_chargeid",
	    .charge_id = "ch_chargeid", .customer_id = "cus_0dUMWLtzCTagWs",
	    .payment_intent = "pm_1234", .amount = 1500,
	    .amount_refunded = 500 },
	{ .file = "charge.refunded.full.json",
	    .type = LH_EVT_CHARGE_REFUNDED, .created = 1723104001,
	    .id = "evt_3PhpxOB7WZ01zgkW1c8JrLmN",
	    .type_name = "charge.refunded",
	    .object_id = "ch_3PhpxOB7WZ01zgkW1kVd4RqS",
	    .charge_id = "ch_3PhpxOB7WZ01zgkW1kVd4RqS", .customer_id = NEW_CUS,
	    .payment_intent = NEW_PI, .amount = 2000,
	    .amount_refunded = 2000, .refunded = 1 },
	/* Before basil the charge names its invoice. */
	{ .file = "charge.refunded-old.json",
	    .type = LH_EVT_CHARGE_REFUNDED, .created = 1659100000,
	    .id = "evt_1LSQ9aKXBGcbgpbZk3Wd7TnR",
	    .type_name = "charge.refunded",
	    .object_id = "ch_3LQOKcKXBGcbgpbZ0xW8DkJ1",
	    .charge_id = "ch_3LQOKcKXBGcbgpbZ0xW8DkJ1", .customer_id = OLD_CUS,
	    .payment_intent = "pi_3LQOKcKXBGcbgpbZ0GJkYz2P",
	    .invoice_id = OLD_INV, .amount = 3400, .amount_refunded = 3400,
	    .refunded = 1 },

	/* Basil: the payment tied to its invoice by an InvoicePayment. */
	{ .file = "invoice_payment.paid-pi.json",
	    .type = LH_EVT_INVOICE_PAYMENT, .created = 1722645255,
	    .id = "evt_1PhyR8B7WZ01zgkWa7Kc3MpQ",
	    .type_name = "invoice_payment.paid",
	    .object_id = "inpay_1PhyR7B7WZ01zgkWb5Xc2NqL",
	    .invoice_id = NEW_INV, .payment_intent = NEW_PI },
	{ .file = "invoice_payment.paid-charge.json",
	    .type = LH_EVT_INVOICE_PAYMENT, .created = 1723300001,
	    .id = "evt_1PjA2dB7WZ01zgkWy6Tr0LzB",
	    .type_name = "invoice_payment.paid",
	    .object_id = "inpay_1PjA2cB7WZ01zgkWt4Nd8GhX",
	    .invoice_id = "in_1PjA2aB7WZ01zgkWf3Hs6YpD",
	    .charge_id = "ch_1PjA2bB7WZ01zgkWq8Ln3RtV" },

	{ .file = "charge.dispute.created.json",
	    .type = LH_EVT_DISPUTE_CREATED, .created = 1723190401,
	    .id = "evt_1PjDq6B7WZ01zgkWp0Lw3HzE",
	    .type_name = "charge.dispute.created",
	    .object_id = "dp_1PjDq5B7WZ01zgkWcR4x8LsV",
	    .charge_id = "ch_3PjDkYB7WZ01zgkW0nT4yS6e",
	    .payment_intent = "pi_3PjDkYB7WZ01zgkW0Zr8pQ1c",
	    .dispute_status = "needs_response", .amount = 2000 },
	{ .file = "charge.dispute.closed.won.json",
	    .type = LH_EVT_DISPUTE_CLOSED, .created = 1726000000,
	    .id = "evt_1PtUa2B7WZ01zgkWx7Gd5KcR",
	    .type_name = "charge.dispute.closed",
	    .object_id = "dp_1PjDq5B7WZ01zgkWcR4x8LsV",
	    .charge_id = "ch_3PjDkYB7WZ01zgkW0nT4yS6e",
	    .payment_intent = "pi_3PjDkYB7WZ01zgkW0Zr8pQ1c",
	    .dispute_status = "won", .amount = 2000 },
	{ .file = "charge.dispute.closed.lost.json",
	    .type = LH_EVT_DISPUTE_CLOSED, .created = 1726000100,
	    .id = "evt_1PtUa3B7WZ01zgkWr5Nf9YbM",
	    .type_name = "charge.dispute.closed",
	    .object_id = "dp_1PjDq5B7WZ01zgkWcR4x8LsV",
	    .charge_id = "ch_3PjDkYB7WZ01zgkW0nT4yS6e",
	    .payment_intent = "pi_3PjDkYB7WZ01zgkW0Zr8pQ1c",
	    .dispute_status = "lost", .amount = 2000 },
};

/* enum lh_evt_type by value, for messages and the "type" field. */
static const char *const evt_names[] = {
	"OTHER", "CHECKOUT_COMPLETED", "CHECKOUT_ASYNC_PAID", "CUSTOMER",
	"SUB_CREATED", "SUB_UPDATED", "SUB_DELETED", "SUB_PAUSED",
	"SUB_RESUMED", "SUB_TRIAL_END", "INVOICE_PAID", "INVOICE_FAILED",
	"INVOICE_PAYMENT", "CHARGE_REFUNDED", "DISPUTE_CREATED",
	"DISPUTE_CLOSED"
};

/* The string members of struct lh_event, by name. */
#define SF(f)		{ #f, offsetof(struct lh_event, f) }
static const struct {
	const char	*name;
	size_t		 off;
} sfields[] = {
	SF(id), SF(type_name), SF(object_id), SF(customer_id), SF(email),
	SF(name), SF(subscription_id), SF(payment_intent), SF(charge_id),
	SF(invoice_id), SF(mode), SF(payment_status), SF(client_reference_id),
	SF(plan_hint), SF(sub_status), SF(dispute_status)
};

/* A numeric member of struct lh_event by name; 0 if there is none. */
static int
num_field(const struct lh_event *e, const char *name, long long *v)
{
	if (strcmp(name, "created") == 0)
		*v = e->created;
	else if (strcmp(name, "livemode") == 0)
		*v = e->livemode;
	else if (strcmp(name, "nprices") == 0)
		*v = (long long)e->nprices;
	else if (strcmp(name, "period_end") == 0)
		*v = e->period_end;
	else if (strcmp(name, "cancel_at_period_end") == 0)
		*v = e->cancel_at_period_end;
	else if (strcmp(name, "trial_end") == 0)
		*v = e->trial_end;
	else if (strcmp(name, "attempt_count") == 0)
		*v = e->attempt_count;
	else if (strcmp(name, "amount") == 0)
		*v = e->amount;
	else if (strcmp(name, "amount_refunded") == 0)
		*v = e->amount_refunded;
	else if (strcmp(name, "refunded") == 0)
		*v = e->refunded;
	else
		return 0;
	return 1;
}

/*
 * A member of e as text: strings as they are, numbers in decimal,
 * "type" by its enum name, "price<i>" and "plan<i>" the i-th slot of
 * prices and price_plans.
 */
static const char *
field(const struct lh_event *e, const char *name, char *buf, size_t len)
{
	long long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(sfields) / sizeof(sfields[0]); i++)
		if (strcmp(name, sfields[i].name) == 0)
			return *(char *const *)(const void *)
			    ((const char *)e + sfields[i].off);
	if (num_field(e, name, &v)) {
		snprintf(buf, len, "%lld", v);
		return buf;
	}
	if (strcmp(name, "type") == 0)
		return (size_t)e->type < sizeof(evt_names) /
		    sizeof(evt_names[0]) ? evt_names[e->type] : "(bad type)";
	if (strncmp(name, "price", 5) == 0 && name[5] >= '0' &&
	    name[5] < '0' + LH_EVT_PRICES_MAX && name[6] == '\0')
		return e->prices[name[5] - '0'];
	if (strncmp(name, "plan", 4) == 0 && name[4] >= '0' &&
	    name[4] < '0' + LH_EVT_PRICES_MAX && name[5] == '\0')
		return e->price_plans[name[4] - '0'];
	printf("# no field %s\n", name);
	return "(no such field)";
}

/*
 * Parse len bytes from an exact-size heap copy, so that a read past the
 * end is a heap overflow AddressSanitizer reports.
 */
static enum lh_err
parse_exact(const char *body, size_t len, struct lh_event **e)
{
	enum lh_err	 r;
	char		*copy;

	if ((copy = malloc(len > 0 ? len : 1)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	if (len > 0)
		memcpy(copy, body, len);
	r = event_parse(copy, len, e);
	free(copy);
	return r;
}

static void
run_case(const struct tcase *t)
{
	struct lh_event	*e = NULL;
	enum lh_err	 r;
	char		 buf[32];

	r = parse_exact(t->body, t->len, &e);
	is_int(r, t->want, "%s", t->name);
	if (r != LH_OK) {
		ok(e == NULL, "%s: no event on failure", t->name);
	} else if (e != NULL && t->field != NULL)
		is_str(field(e, t->field, buf, sizeof(buf)), t->value,
		    "%s: %s", t->name, t->field);
	event_free(e);
}

static void
run_gcase(const struct gcase *g)
{
	struct lh_event	*e = NULL;
	enum lh_err	 r;
	char		*body, *p;
	const char	*f;
	size_t		 i, l1, lm, l2, len;
	char		 buf[32];

	l1 = strlen(g->rep1);
	lm = strlen(g->mid);
	l2 = strlen(g->rep2);
	len = strlen(g->pre) + g->n * (l1 + l2) + lm + strlen(g->post);
	if ((body = malloc(len + 1)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	p = body;
	memcpy(p, g->pre, strlen(g->pre));
	p += strlen(g->pre);
	for (i = 0; i < g->n; i++, p += l1)
		memcpy(p, g->rep1, l1);
	memcpy(p, g->mid, lm);
	p += lm;
	for (i = 0; i < g->n; i++, p += l2)
		memcpy(p, g->rep2, l2);
	memcpy(p, g->post, strlen(g->post) + 1);

	r = parse_exact(body, len, &e);
	is_int(r, g->want, "%s", g->name);
	if (r == LH_OK && e != NULL && g->field != NULL) {
		f = field(e, g->field, buf, sizeof(buf));
		is_int(f != NULL ? strlen(f) : 0, g->fieldlen, "%s: %s length",
		    g->name, g->field);
	}
	event_free(e);
	free(body);
}

/* A byte of an id or a word: ASCII letters, digits, "_", "-", ".". */
static int
word_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

static char *
slurp(const char *file, size_t *lenp)
{
	const char	*top;
	char		 path[1024];
	char		*buf = NULL;
	size_t		 len = 0, n;
	FILE		*fp;

	*lenp = 0;
	if ((top = getenv("top_srcdir")) == NULL)
		top = ".";
	snprintf(path, sizeof(path), "%s/tests/fixtures/%s", top, file);
	if ((fp = fopen(path, "rb")) == NULL) {
		printf("Bail out! %s: cannot open\n", path);
		exit(2);
	}
	/* Fixtures are a few KB; grow in steps, no terminating NUL. */
	for (;;) {
		char	*nbuf;

		if ((nbuf = realloc(buf, len + 4096)) == NULL) {
			printf("Bail out! out of memory\n");
			exit(2);
		}
		buf = nbuf;
		n = fread(buf + len, 1, 4096, fp);
		len += n;
		if (n < 4096)
			break;
	}
	if (ferror(fp)) {
		printf("Bail out! %s: read error\n", path);
		exit(2);
	}
	fclose(fp);
	*lenp = len;
	return buf;
}

/* Every member of e against the fixture's expectations. */
static void
check_fcase(const struct lh_event *e, const struct fcase *f)
{
	const char	*fl = f->file;
	size_t		 i;

	is_str(e->id, f->id, "%s: id", fl);
	is_str(e->type_name, f->type_name, "%s: type_name", fl);
	is_int(e->type, f->type, "%s: type", fl);
	is_int(e->created, f->created, "%s: created", fl);
	is_int(e->livemode, f->livemode, "%s: livemode", fl);
	is_str(e->object_id, f->object_id, "%s: object_id", fl);
	is_str(e->customer_id, f->customer_id, "%s: customer_id", fl);
	is_str(e->email, f->email, "%s: email", fl);
	is_str(e->name, f->name, "%s: name", fl);
	is_str(e->subscription_id, f->subscription_id, "%s: subscription_id",
	    fl);
	is_str(e->payment_intent, f->payment_intent, "%s: payment_intent", fl);
	is_str(e->charge_id, f->charge_id, "%s: charge_id", fl);
	is_str(e->invoice_id, f->invoice_id, "%s: invoice_id", fl);
	is_str(e->mode, f->mode, "%s: mode", fl);
	is_str(e->payment_status, f->payment_status, "%s: payment_status", fl);
	is_str(e->client_reference_id, f->client_reference_id,
	    "%s: client_reference_id", fl);
	is_str(e->plan_hint, f->plan_hint, "%s: plan_hint", fl);
	is_str(e->sub_status, f->sub_status, "%s: sub_status", fl);
	is_int(e->nprices, f->nprices, "%s: nprices", fl);
	for (i = 0; i < LH_EVT_PRICES_MAX; i++) {
		is_str(e->prices[i], f->prices[i], "%s: prices[%zu]", fl, i);
		is_str(e->price_plans[i], f->plans[i], "%s: price_plans[%zu]",
		    fl, i);
	}
	is_int(e->period_end, f->period_end, "%s: period_end", fl);
	is_int(e->cancel_at_period_end, f->cancel_at_period_end,
	    "%s: cancel_at_period_end", fl);
	is_int(e->trial_end, f->trial_end, "%s: trial_end", fl);
	is_int(e->attempt_count, f->attempt_count, "%s: attempt_count", fl);
	is_int(e->amount, f->amount, "%s: amount", fl);
	is_int(e->amount_refunded, f->amount_refunded, "%s: amount_refunded",
	    fl);
	is_int(e->refunded, f->refunded, "%s: refunded", fl);
	is_str(e->dispute_status, f->dispute_status, "%s: dispute_status", fl);
}

/*
 * Whether cutting a body between bytes a and b leaves the parser where
 * cutting one byte earlier does: both letters inside a string, past any
 * escape (since_bs bytes since the last backslash), or both spaces
 * outside strings.
 */
static int
cut_alike(char a, char b, int instr, size_t since_bs)
{
	if (!instr)
		return a == ' ' && b == ' ';
	return since_bs > 6 && word_byte(a) && word_byte(b);
}

static void
run_fcase(const struct fcase *f)
{
	struct lh_event	*e = NULL;
	enum lh_err	 r;
	char		*body, *bad;
	size_t		 len, i, cut_ok = 0, cut_tried, since_bs = 8;
	int		 instr = 0, esc = 0;

	body = slurp(f->file, &len);
	r = parse_exact(body, len, &e);
	is_int(r, LH_OK, "%s parses", f->file);
	if (e != NULL)
		check_fcase(e, f);
	event_free(e);
	e = NULL;

	/*
	 * Every proper prefix is cut JSON (the files end in "}\n").  A cut
	 * between two letters of a string, or two spaces of indentation,
	 * ends the body in the same state as its neighbours, so only the
	 * ends of such runs are tried: each parse reads the whole prefix,
	 * and trying all of them took most of this test's time.  Cuts in
	 * numbers, literals, escapes and UTF-8 sequences are all tried.
	 */
	for (i = 0, cut_tried = 0; i + 1 < len; i++) {
		if (i == 0 || !cut_alike(body[i - 1], body[i], instr, since_bs)) {
			if (parse_exact(body, i, &e) == LH_OK)
				cut_ok++;
			event_free(e);
			e = NULL;
			cut_tried++;
		}
		/* The string state after body[0..i]. */
		if (instr && esc)
			esc = 0;
		else if (instr && body[i] == '\\') {
			esc = 1;
			since_bs = 0;
		} else if (body[i] == '"')
			instr = !instr;
		if (since_bs < 8)
			since_bs++;
	}
	is_int(cut_ok, 0, "%s: no proper prefix parses (%zu cuts)", f->file,
	    cut_tried);

	/* The same body with garbage after it. */
	if ((bad = malloc(len + 2)) == NULL) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	memcpy(bad, body, len);
	memcpy(bad + len, "{}", 2);
	is_int(parse_exact(bad, len + 2, &e), LH_ERR_JSON,
	    "%s: trailing {} refused", f->file);
	event_free(e);
	free(bad);
	free(body);
}

int
main(void)
{
	struct lh_event	*e = (struct lh_event *)&e;
	size_t		 i;

	for (i = 0; i < sizeof(fcases) / sizeof(fcases[0]); i++)
		run_fcase(&fcases[i]);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);
	for (i = 0; i < sizeof(gcases) / sizeof(gcases[0]); i++)
		run_gcase(&gcases[i]);

	/* The interface's edges. */
	is_int(event_parse(NULL, 0, &e), LH_ERR_JSON, "NULL body, length 0");
	ok(e == NULL, "NULL body: *out cleared");
	is_int(event_parse(NULL, 5, &e), LH_ERR_INTERNAL,
	    "NULL body, length 5");
	is_int(event_parse("{}", 2, NULL), LH_ERR_INTERNAL, "NULL out");
	is_int(event_parse("{}", 2, &e), LH_ERR_EVENT_FIELD, "empty object");
	event_free(NULL);
	ok(1, "event_free(NULL)");

	return done_testing();
}
