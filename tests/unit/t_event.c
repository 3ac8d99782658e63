/*
 * event_parse(): the Stripe fixtures in tests/fixtures (built by
 * tests/fixtures/mkevents.sh) must parse with every field right, and a
 * table of hostile bodies must fail with the right error.  Every body is
 * parsed from an exact-size heap copy without a terminating NUL, so
 * AddressSanitizer sees any read past the end.
 */
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
#define OTHER(m)	HDR("customer.created") m "}"
/* A checkout.session.completed event whose data.object holds m too. */
#define CO(m)		HDR("checkout.session.completed") \
			",\"data\":{\"object\":{\"id\":\"cs_1\"" m "}}}"
/* An event built only from members m. */
#define TOP(m)		"{" m "}"
#define T_ID		"\"id\":\"evt_1\""
#define T_TYPE		"\"type\":\"customer.created\""
#define T_CREATED	"\"created\":1700000000"
#define T_LIVE		"\"livemode\":false"

struct tcase {
	const char	*name;
	const char	*body;
	size_t		 len;
	enum lh_err	 want;
	const char	*field;		/* checked on LH_OK when not NULL */
	const char	*value;		/* NULL: the field must be NULL */
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
	{ "created 2^53", LIT(TOP(T_ID "," T_TYPE
	    ",\"created\":9007199254740992," T_LIVE)), LH_OK,
	    "created", "9007199254740992" },
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
	    LH_OK, "type_name", "customer.created" },
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
	{ "Type only", LIT(TOP(T_ID ",\"Type\":\"customer.created\","
	    T_CREATED "," T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "type an object", LIT(TOP(T_ID ",\"type\":{}," T_CREATED ","
	    T_LIVE)), LH_ERR_EVENT_FIELD, NULL, NULL },
	{ "object \"event\"", LIT(OTHER("")), LH_OK, "type_name",
	    "customer.created" },
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
};

/* The wrapped fixtures, every field of the result. */
struct fcase {
	const char	*file;
	enum lh_evt_type type;
	long long	 created;
	int		 livemode;
	const char	*id, *type_name, *object_id, *mode, *payment_status;
	const char	*customer_id, *email, *name, *subscription_id;
	const char	*client_reference_id, *plan_hint;
};

static const struct fcase fcases[] = {
	{ "checkout.session.completed.json", LH_EVT_CHECKOUT_COMPLETED,
	    1658353296, 0, "evt_test_checkout_1", "checkout.session.completed",
	    "cs_test_a1UejXx8ebIdTzFolicVypUAZpOBVkoQKDbaarXoPlPV"
	    "tj8p0zujPEEhjT",
	    "subscription", "paid", "cus_M5wW9RPFk9xNZ5", "chris@gorails.com",
	    "Chris Oliver", "sub_1LNkeSKXBGcbgpbZ7jMqOPSi", NULL, NULL },
	{ "checkout.session.completed.payment.json", LH_EVT_CHECKOUT_COMPLETED,
	    1658353300, 0, "evt_test_checkout_payment_1",
	    "checkout.session.completed", "cs_test_payment_1", "payment",
	    "paid", "cus_M5wW9RPFk9xNZ5", "buyer@example.com", NULL, NULL,
	    "user_42", "pro" },
	{ "charge.refunded.json", LH_EVT_OTHER, 1658353400, 0,
	    "evt_test_refund_1", "charge.refunded", NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL, NULL, NULL },
};

static const char *
field(const struct lh_event *e, const char *name, char *buf, size_t len)
{
	if (strcmp(name, "id") == 0)
		return e->id;
	if (strcmp(name, "type_name") == 0)
		return e->type_name;
	if (strcmp(name, "created") == 0) {
		snprintf(buf, len, "%lld", e->created);
		return buf;
	}
	if (strcmp(name, "livemode") == 0) {
		snprintf(buf, len, "%d", e->livemode);
		return buf;
	}
	if (strcmp(name, "object_id") == 0)
		return e->object_id;
	if (strcmp(name, "mode") == 0)
		return e->mode;
	if (strcmp(name, "payment_status") == 0)
		return e->payment_status;
	if (strcmp(name, "customer_id") == 0)
		return e->customer_id;
	if (strcmp(name, "email") == 0)
		return e->email;
	if (strcmp(name, "name") == 0)
		return e->name;
	if (strcmp(name, "subscription_id") == 0)
		return e->subscription_id;
	if (strcmp(name, "client_reference_id") == 0)
		return e->client_reference_id;
	if (strcmp(name, "plan_hint") == 0)
		return e->plan_hint;
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

static void
run_fcase(const struct fcase *f)
{
	struct lh_event	*e = NULL;
	enum lh_err	 r;
	char		*body, *bad;
	size_t		 len, i, cut_ok = 0;

	body = slurp(f->file, &len);
	r = parse_exact(body, len, &e);
	is_int(r, LH_OK, "%s parses", f->file);
	if (e != NULL) {
		is_str(e->id, f->id, "%s: id", f->file);
		is_str(e->type_name, f->type_name, "%s: type_name", f->file);
		is_int(e->type, f->type, "%s: type", f->file);
		is_int(e->created, f->created, "%s: created", f->file);
		is_int(e->livemode, f->livemode, "%s: livemode", f->file);
		is_str(e->object_id, f->object_id, "%s: object_id", f->file);
		is_str(e->mode, f->mode, "%s: mode", f->file);
		is_str(e->payment_status, f->payment_status,
		    "%s: payment_status", f->file);
		is_str(e->customer_id, f->customer_id, "%s: customer_id",
		    f->file);
		is_str(e->email, f->email, "%s: email", f->file);
		is_str(e->name, f->name, "%s: name", f->file);
		is_str(e->subscription_id, f->subscription_id,
		    "%s: subscription_id", f->file);
		is_str(e->client_reference_id, f->client_reference_id,
		    "%s: client_reference_id", f->file);
		is_str(e->plan_hint, f->plan_hint, "%s: plan_hint", f->file);
	}
	event_free(e);
	e = NULL;

	/* Every proper prefix is cut JSON (the files end in "}\n"). */
	for (i = 0; i + 1 < len; i++) {
		if (parse_exact(body, i, &e) == LH_OK)
			cut_ok++;
		event_free(e);
		e = NULL;
	}
	is_int(cut_ok, 0, "%s: no proper prefix parses", f->file);

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
