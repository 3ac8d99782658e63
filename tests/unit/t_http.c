/*
 * http.c: routing by path tail (the Stripe webhook and the three license
 * API routes) and strict CONTENT_LENGTH parsing, including the limit and
 * one past it.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define WH		"/api/v1/webhooks/stripe"
#define ACT		"/api/v1/licenses/activate"
#define VAL		"/api/v1/licenses/validate"
#define DEA		"/api/v1/licenses/deactivate"

static const struct {
	const char	*path;
	enum lh_route	 want;
} routes[] = {
	{ WH,					LH_ROUTE_STRIPE_WEBHOOK },
	{ "/billing" WH,			LH_ROUTE_STRIPE_WEBHOOK },
	{ "/a/b/c" WH,				LH_ROUTE_STRIPE_WEBHOOK },
	{ "/" WH,				LH_ROUTE_STRIPE_WEBHOOK },
	{ WH "/",				LH_ROUTE_NONE },
	{ WH "?x=1",				LH_ROUTE_NONE },
	{ WH "x",				LH_ROUTE_NONE },
	{ "/billing" WH "/",			LH_ROUTE_NONE },
	{ "api/v1/webhooks/stripe",		LH_ROUTE_NONE },
	{ "/xapi/v1/webhooks/stripe",		LH_ROUTE_NONE },
	{ "/api/v1/webhooks/Stripe",		LH_ROUTE_NONE },
	{ "/API/V1/WEBHOOKS/STRIPE",		LH_ROUTE_NONE },
	{ "/api/v1/webhooks",			LH_ROUTE_NONE },
	{ "/api/v1/webhooks/stripes",		LH_ROUTE_NONE },
	{ "/api/v2/webhooks/stripe",		LH_ROUTE_NONE },
	{ "/webhooks/stripe",			LH_ROUTE_NONE },
	{ "/stripe",				LH_ROUTE_NONE },
	{ "/",					LH_ROUTE_NONE },
	{ "",					LH_ROUTE_NONE },
	{ NULL,					LH_ROUTE_NONE },
	/* The license API: the same suffix rules. */
	{ ACT,					LH_ROUTE_ACTIVATE },
	{ VAL,					LH_ROUTE_VALIDATE },
	{ DEA,					LH_ROUTE_DEACTIVATE },
	{ "/billing" ACT,			LH_ROUTE_ACTIVATE },
	{ "/a/b/c" VAL,				LH_ROUTE_VALIDATE },
	{ "/" DEA,				LH_ROUTE_DEACTIVATE },
	{ "/billing" WH "/x" VAL,		LH_ROUTE_VALIDATE },
	{ ACT "/",				LH_ROUTE_NONE },
	{ VAL "/",				LH_ROUTE_NONE },
	{ DEA "/",				LH_ROUTE_NONE },
	{ ACT "?x=1",				LH_ROUTE_NONE },
	{ ACT "d",				LH_ROUTE_NONE },
	{ "/api/v1/licenses/Activate",		LH_ROUTE_NONE },
	{ "/API/V1/LICENSES/VALIDATE",		LH_ROUTE_NONE },
	{ "/api/v1/licenses",			LH_ROUTE_NONE },
	{ "/api/v1/licenses/",			LH_ROUTE_NONE },
	{ "/api/v1/licenses/revoke",		LH_ROUTE_NONE },
	{ "/api/v1/license/activate",		LH_ROUTE_NONE },
	{ "/api/v2/licenses/activate",		LH_ROUTE_NONE },
	{ "/xapi/v1/licenses/activate",		LH_ROUTE_NONE },
	{ "/api/v1/licenses/xvalidate",		LH_ROUTE_NONE },
	{ "/api/v1/licenses/deactivatex",	LH_ROUTE_NONE },
	{ "/v1/licenses/activate",		LH_ROUTE_NONE },
	{ "/licenses/validate",			LH_ROUTE_NONE },
	{ "/activate",				LH_ROUTE_NONE },
	{ "api/v1/licenses/activate",		LH_ROUTE_NONE },
	{ "/api/v1/licenses/activate\n",	LH_ROUTE_NONE },
	{ "/api/v1/licenses/validate ",		LH_ROUTE_NONE },
};

/* Each route's tail, for the length boundary. */
static const struct {
	const char	*tail;
	enum lh_route	 want;
} tails[] = {
	{ WH,		LH_ROUTE_STRIPE_WEBHOOK },
	{ ACT,		LH_ROUTE_ACTIVATE },
	{ VAL,		LH_ROUTE_VALIDATE },
	{ DEA,		LH_ROUTE_DEACTIVATE },
};

static const struct {
	const char	*s;
	size_t		 max;
	enum lh_err	 want;
	size_t		 v;
} lengths[] = {
	{ "0",		100,		LH_OK,			0 },
	{ "1",		100,		LH_OK,			1 },
	{ "100",	100,		LH_OK,			100 },
	{ "101",	100,		LH_ERR_BODY_TOO_LARGE,	0 },
	{ "0100",	100,		LH_OK,			100 },
	{ "1048576",	LH_BODY_MAX_DEFAULT, LH_OK,		1048576 },
	{ "1048577",	LH_BODY_MAX_DEFAULT, LH_ERR_BODY_TOO_LARGE, 0 },
	{ "0",		0,		LH_OK,			0 },
	{ "1",		0,		LH_ERR_BODY_TOO_LARGE,	0 },
	{ NULL,		100,		LH_ERR_LENGTH_MISSING,	0 },
	{ "",		100,		LH_ERR_LENGTH_MISSING,	0 },
	{ "-1",		100,		LH_ERR_LENGTH_BAD,	0 },
	{ "-0",		100,		LH_ERR_LENGTH_BAD,	0 },
	{ "+5",		100,		LH_ERR_LENGTH_BAD,	0 },
	{ " 5",		100,		LH_ERR_LENGTH_BAD,	0 },
	{ "5 ",		100,		LH_ERR_LENGTH_BAD,	0 },
	{ " ",		100,		LH_ERR_LENGTH_BAD,	0 },
	{ "5\n",	100,		LH_ERR_LENGTH_BAD,	0 },
	{ "5\r\n",	100,		LH_ERR_LENGTH_BAD,	0 },
	{ "0x10",	100,		LH_ERR_LENGTH_BAD,	0 },
	{ "1e3",	10000,		LH_ERR_LENGTH_BAD,	0 },
	{ "1.0",	100,		LH_ERR_LENGTH_BAD,	0 },
	{ "5,5",	100,		LH_ERR_LENGTH_BAD,	0 },
	{ "abc",	100,		LH_ERR_LENGTH_BAD,	0 },
	/* 19 digits are parsed; 20 are junk whatever their value. */
	{ "9999999999999999999", 100,	LH_ERR_BODY_TOO_LARGE,	0 },
	{ "0000000000000000005", 100,	LH_OK,			5 },
	{ "00000000000000000005", 100,	LH_ERR_LENGTH_BAD,	0 },
	{ "18446744073709551616", SIZE_MAX, LH_ERR_LENGTH_BAD,	0 },
	{ "99999999999999999999999", SIZE_MAX, LH_ERR_LENGTH_BAD, 0 },
};

/* The string with control bytes escaped, so TAP lines stay whole. */
static const char *
vis(const char *s)
{
	static char	 buf[64];
	size_t		 o = 0;

	if (s == NULL)
		return "(null)";
	for (; *s != '\0' && o + 5 < sizeof(buf); s++) {
		if (*s >= 0x20 && *s < 0x7f)
			buf[o++] = *s;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", (unsigned char)*s);
	}
	buf[o] = '\0';
	return buf;
}

static void
test_routes(void)
{
	char		 path[LH_PATH_MAX + 2];
	const char	*allow;
	size_t		 i, pad, tl;

	for (i = 0; i < NELEM(routes); i++) {
		allow = "junk";
		is_int(http_route(routes[i].path, &allow), routes[i].want,
		    "route \"%s\"", vis(routes[i].path));
		if (routes[i].want != LH_ROUTE_NONE)
			is_str(allow, "POST", "route \"%s\": allow",
			    vis(routes[i].path));
		else
			ok(allow == NULL, "route \"%s\": no allow",
			    vis(routes[i].path));
	}
	is_int(http_route(WH, NULL), LH_ROUTE_STRIPE_WEBHOOK,
	    "allow may be NULL");
	is_int(http_route(ACT, NULL), LH_ROUTE_ACTIVATE,
	    "allow may be NULL: activate");

	/* Each route under a path of LH_PATH_MAX bytes, then one more. */
	for (i = 0; i < NELEM(tails); i++) {
		tl = strlen(tails[i].tail);
		pad = LH_PATH_MAX - tl;
		memset(path, 'p', pad);
		path[0] = '/';
		(void)snprintf(path + pad, sizeof(path) - pad, "%s",
		    tails[i].tail);
		is_int(strlen(path), LH_PATH_MAX,
		    "%s: long path is LH_PATH_MAX bytes", tails[i].tail);
		allow = NULL;
		is_int(http_route(path, &allow), tails[i].want,
		    "%s: path of LH_PATH_MAX bytes", tails[i].tail);
		is_str(allow, "POST", "%s: path of LH_PATH_MAX bytes: allow",
		    tails[i].tail);
		memset(path, 'p', pad + 1);
		path[0] = '/';
		(void)snprintf(path + pad + 1, sizeof(path) - pad - 1, "%s",
		    tails[i].tail);
		allow = "junk";
		is_int(http_route(path, &allow), LH_ROUTE_NONE,
		    "%s: path of LH_PATH_MAX + 1 bytes", tails[i].tail);
		ok(allow == NULL, "%s: path of LH_PATH_MAX + 1 bytes: no allow",
		    tails[i].tail);
	}
}

static void
test_lengths(void)
{
	char	 s[32];
	size_t	 i, v;

	for (i = 0; i < NELEM(lengths); i++) {
		v = 12345;
		is_int(http_content_length(lengths[i].s, lengths[i].max, &v),
		    lengths[i].want, "length \"%s\" max %zu: %s",
		    vis(lengths[i].s), lengths[i].max,
		    lh_err_code(lengths[i].want));
		is_int(v, lengths[i].v, "length \"%s\": value",
		    vis(lengths[i].s));
	}

	/*
	 * The largest 19-digit value fits a 64-bit size_t; a 32-bit one
	 * overflows, which is junk rather than too large.
	 */
	if (SIZE_MAX == UINT64_MAX) {
		is_int(http_content_length("9999999999999999999", SIZE_MAX,
		    &v), LH_OK, "19 digits under SIZE_MAX");
		ok(v == 9999999999999999999ULL, "19 digits: value");
		(void)snprintf(s, sizeof(s), "%zu", (size_t)SIZE_MAX);
		is_int(http_content_length(s, SIZE_MAX, &v),
		    LH_ERR_LENGTH_BAD, "20-digit SIZE_MAX is junk by length");
	} else {
		(void)snprintf(s, sizeof(s), "%zu", (size_t)SIZE_MAX);
		is_int(http_content_length(s, SIZE_MAX, &v), LH_OK,
		    "SIZE_MAX");
		is_int(http_content_length("9999999999999999999", SIZE_MAX,
		    &v), LH_ERR_LENGTH_BAD, "19 digits overflow size_t");
		ok(1, "# SKIP size_t is not 64 bits");
	}
	is_int(http_content_length("5", 100, NULL), LH_ERR_INTERNAL,
	    "NULL out");
}

int
main(void)
{
	test_routes();
	test_lengths();
	return done_testing();
}
