/*
 * HTTP request shape: which route a path names and a strict
 * CONTENT_LENGTH (RFC 3875 §4.1.2; RFC 9110 §8.6 allows only digits).
 * Pure string checks, so fcgi.c can answer 404/405/411/413 before
 * reading a byte of the body.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "lh.h"

#define HTTP_LENGTH_DIGITS_MAX	19	/* digits in CONTENT_LENGTH */

#define nitems(a)		(sizeof(a) / sizeof((a)[0]))

/*
 * Each route's path tail.  None is a suffix of another, so at most one
 * matches.  The license API's tails mirror Lemon Squeezy's
 * /v1/licenses/{activate,validate,deactivate} under our /api prefix.
 */
static const struct http_route_def {
	const char	*tail;
	size_t		 len;
	enum lh_route	 route;
	const char	*allow;
} http_routes[] = {
#define R(tail, route)	{ tail, sizeof(tail) - 1, route, "POST" }
	R("/api/v1/webhooks/stripe",		LH_ROUTE_STRIPE_WEBHOOK),
	R("/api/v1/licenses/activate",		LH_ROUTE_ACTIVATE),
	R("/api/v1/licenses/validate",		LH_ROUTE_VALIDATE),
	R("/api/v1/licenses/deactivate",	LH_ROUTE_DEACTIVATE),
#undef R
};

/*
 * A route sits under whatever prefix the vhost mounts us at, so only
 * the path's tail is matched; the tail starts with '/', so a suffix
 * match always begins at a segment boundary.  A trailing slash is a
 * different path and is not accepted, and case matters (RFC 3986
 * §6.2.2.1: the path is case-sensitive).
 */
enum lh_route
http_route(const char *path, const char **allow)
{
	const struct http_route_def *r;
	size_t		 len, i;

	if (allow != NULL)
		*allow = NULL;
	if (path == NULL || path[0] != '/')
		return LH_ROUTE_NONE;
	len = strnlen(path, LH_PATH_MAX + 1);
	if (len > LH_PATH_MAX)
		return LH_ROUTE_NONE;
	for (i = 0; i < nitems(http_routes); i++) {
		r = &http_routes[i];
		if (len < r->len ||
		    memcmp(path + len - r->len, r->tail, r->len) != 0)
			continue;
		if (allow != NULL)
			*allow = r->allow;
		return r->route;
	}
	return LH_ROUTE_NONE;
}

enum lh_err
http_content_length(const char *s, size_t max, size_t *out)
{
	size_t		 v = 0, len, i, d;
	enum lh_err	 rc = LH_ERR_LENGTH_BAD;

	if (out != NULL)
		*out = 0;
	if (out == NULL) {
		rc = LH_ERR_INTERNAL;
		goto out;
	}
	if (s == NULL || s[0] == '\0') {
		rc = LH_ERR_LENGTH_MISSING;
		goto out;
	}
	len = strnlen(s, HTTP_LENGTH_DIGITS_MAX + 1);
	if (len > HTTP_LENGTH_DIGITS_MAX)
		goto out;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			goto out;
		d = (size_t)(s[i] - '0');
		/* 19 digits fit a 64-bit size_t but not a 32-bit one. */
		if (v > (SIZE_MAX - d) / 10)
			goto out;
		v = v * 10 + d;
	}
	if (v > max) {
		rc = LH_ERR_BODY_TOO_LARGE;
		goto out;
	}
	*out = v;
	rc = LH_OK;
 out:
	return rc;
}
