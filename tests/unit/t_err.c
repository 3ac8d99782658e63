/*
 * err.c: every error has a code, a message and an HTTP status; codes are
 * unique, since logs and JSON answers are keyed on them.
 */
#include <string.h>

#include "lh.h"
#include "tap.h"

static const struct {
	enum lh_err	 e;
	const char	*code;
	int		 http;
} cases[] = {
	{ LH_OK,		"ok",				200 },
	{ LH_ERR_INTERNAL,	"internal_error",		500 },
	{ LH_ERR_NOMEM,		"out_of_memory",		500 },
	{ LH_ERR_METHOD,	"method_not_allowed",		405 },
	{ LH_ERR_NOT_FOUND,	"not_found",			404 },
	{ LH_ERR_LENGTH_MISSING, "length_required",		411 },
	{ LH_ERR_LENGTH_BAD,	"bad_content_length",		400 },
	{ LH_ERR_BODY_TOO_LARGE, "body_too_large",		413 },
	{ LH_ERR_BODY_SHORT,	"body_short",			400 },
	{ LH_ERR_SIG_MISSING,	"missing_signature",		401 },
	{ LH_ERR_SIG_HEADER,	"malformed_signature_header",	400 },
	{ LH_ERR_SIG_NO_V1,	"no_v1_signature",		401 },
	{ LH_ERR_SIG_MISMATCH,	"bad_signature",		401 },
	{ LH_ERR_SIG_STALE,	"stale_timestamp",		401 },
	{ LH_ERR_SIG_FUTURE,	"future_timestamp",		401 },
	{ LH_ERR_JSON,		"invalid_json",			400 },
	{ LH_ERR_EVENT_FIELD,	"invalid_event",		400 },
	{ LH_ERR_TIER_UNKNOWN,	"unknown_tier",			500 },
	{ LH_ERR_DB_BUSY,	"storage_busy",			503 },
	{ LH_ERR_DB_FULL,	"storage_full",			503 },
	{ LH_ERR_DB_IO,		"storage_io",			503 },
	{ LH_ERR_DB_READONLY,	"storage_readonly",		503 },
	{ LH_ERR_DB_CORRUPT,	"storage_corrupt",		503 },
	{ LH_ERR_DB,		"storage_error",		503 },
	{ LH_ERR_KEYGEN,	"keygen_failed",		500 },
	{ LH_ERR_CONF,		"bad_config",			500 },
	{ LH_ERR_API_REQUEST,	"bad_request",			400 },
	{ LH_ERR_API_MEDIA,	"unsupported_media_type",	415 },
	{ LH_ERR_RATE_LIMITED,	"rate_limited",			429 },
	{ LH_ERR_SIGNING,	"signing_unavailable",		500 },
};

static int
code_ok(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') ||
		    (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

int
main(void)
{
	size_t	 i;
	int	 e, f, unique;

	is_int(sizeof(cases) / sizeof(cases[0]), LH_ERR__COUNT,
	    "expectation table covers every enum lh_err value");

	for (e = 0; e < LH_ERR__COUNT; e++) {
		const char *c = lh_err_code((enum lh_err)e);
		const char *m = lh_err_msg((enum lh_err)e);
		int h = lh_err_http((enum lh_err)e);

		ok(code_ok(c), "%d: code \"%s\" is non-empty snake_case",
		    e, c ? c : "(null)");
		ok(m != NULL && *m != '\0', "%d: message non-empty", e);
		ok(h >= 200 && h <= 599, "%d: status %d in 200..599", e, h);
		unique = 1;
		for (f = 0; f < e; f++)
			if (strcmp(c, lh_err_code((enum lh_err)f)) == 0)
				unique = 0;
		ok(unique, "%d: code \"%s\" is unique", e, c);
	}

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		is_str(lh_err_code(cases[i].e), cases[i].code,
		    "code of %d", (int)cases[i].e);
		is_int(lh_err_http(cases[i].e), cases[i].http,
		    "status of %s", cases[i].code);
	}

	/* Out-of-range values answer as internal errors, never NULL. */
	is_str(lh_err_code(LH_ERR__COUNT), "internal_error",
	    "LH_ERR__COUNT maps to internal_error");
	is_int(lh_err_http((enum lh_err)-1), 500, "-1 maps to 500");
	ok(lh_err_msg((enum lh_err)1000) != NULL, "1000 has a message");

	return done_testing();
}
