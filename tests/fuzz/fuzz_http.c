/*
 * Fuzz target: the request's shape, http_content_length() and
 * http_route() (http.c).
 *
 * Input: one string (cut at a NUL, as the web server's variables are),
 * read both as CONTENT_LENGTH under several maxima and as a request
 * path.  A length that parses is all digits and prints back as the same
 * number, and a larger maximum never turns an answer into an error.  A
 * path that routes keeps its route under any mount prefix, loses it with
 * a trailing slash, and allows POST.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"

#define FUZZ_NAME	http
#include "fuzz.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define HTTP_PREFIX	"/mount"

/* In increasing order. */
static const size_t http_maxima[] = {
	0, 1, 65535, LH_BODY_MAX_DEFAULT, LH_BODY_MAX_LIMIT, SIZE_MAX
};

static void	http_check_number(const char *, size_t);
static void	http_check_length(const char *);
static void	http_check_route(const char *);

/* v printed in decimal is s without its leading zeros ("0" for zeros). */
static void
http_check_number(const char *s, size_t v)
{
	char	 buf[32];

	while (s[0] == '0' && s[1] != '\0')
		s++;
	(void)snprintf(buf, sizeof(buf), "%zu", v);
	FUZZ_ASSERT(strcmp(buf, s) == 0);
}

static void
http_check_length(const char *s)
{
	size_t		 i, v, okv = 0;
	enum lh_err	 rc;
	int		 was_ok = 0;

	for (i = 0; i < nitems(http_maxima); i++) {
		v = 12345;
		rc = http_content_length(s, http_maxima[i], &v);
		FUZZ_ASSERT(rc == LH_OK || rc == LH_ERR_LENGTH_MISSING ||
		    rc == LH_ERR_LENGTH_BAD || rc == LH_ERR_BODY_TOO_LARGE);
		FUZZ_ASSERT((rc == LH_ERR_LENGTH_MISSING) == (s[0] == '\0'));
		if (rc != LH_OK) {
			FUZZ_ASSERT(v == 0);
			FUZZ_ASSERT(!was_ok);
			continue;
		}
		FUZZ_ASSERT(v <= http_maxima[i]);
		FUZZ_ASSERT(!was_ok || v == okv);
		FUZZ_ASSERT(strspn(s, "0123456789") == strlen(s));
		http_check_number(s, v);
		was_ok = 1;
		okv = v;
	}
	FUZZ_ASSERT(http_content_length(s, SIZE_MAX, NULL) == LH_ERR_INTERNAL);
}

static void
http_check_route(const char *s)
{
	const char	*allow = "x";
	char		*p;
	size_t		 len;
	enum lh_route	 r;

	r = http_route(s, &allow);
	FUZZ_ASSERT(r >= LH_ROUTE_NONE && r <= LH_ROUTE_DEACTIVATE);
	if (r == LH_ROUTE_NONE) {
		FUZZ_ASSERT(allow == NULL);
		return;
	}
	FUZZ_ASSERT(allow != NULL && strcmp(allow, "POST") == 0);
	FUZZ_ASSERT(s[0] == '/');
	len = strlen(s);
	FUZZ_ASSERT(len <= LH_PATH_MAX);
	FUZZ_ASSERT(http_route(s, NULL) == r);

	if ((p = malloc(sizeof(HTTP_PREFIX) + len + 1)) == NULL)
		return;
	memcpy(p, HTTP_PREFIX, sizeof(HTTP_PREFIX) - 1);
	memcpy(p + sizeof(HTTP_PREFIX) - 1, s, len + 1);
	if (len + sizeof(HTTP_PREFIX) - 1 <= LH_PATH_MAX)
		FUZZ_ASSERT(http_route(p, NULL) == r);
	memcpy(p, s, len);
	memcpy(p + len, "/", 2);
	FUZZ_ASSERT(http_route(p, NULL) == LH_ROUTE_NONE);
	free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*allow = "x";
	char		*s;
	size_t		 v = 1;

	FUZZ_ASSERT(http_content_length(NULL, SIZE_MAX, &v) ==
	    LH_ERR_LENGTH_MISSING && v == 0);
	FUZZ_ASSERT(http_route(NULL, &allow) == LH_ROUTE_NONE &&
	    allow == NULL);
	if ((s = fuzz_cstr(data, size)) == NULL)
		return 0;
	http_check_length(s);
	http_check_route(s);
	free(s);
	return 0;
}
