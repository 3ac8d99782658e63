/*
 * Error codes: one table gives each enum lh_err its stable code (for
 * logs and JSON bodies), a human message and the HTTP status that
 * answers it, so fcgi.c and licensectl never keep their own mapping.
 */
#include "lh.h"

struct err_entry {
	const char	*code;
	const char	*msg;
	int		 http;
};

static const struct err_entry err_table[] = {
	[LH_OK] =
	    { "ok", "success", 200 },
	[LH_ERR_INTERNAL] =
	    { "internal_error", "internal error", 500 },
	[LH_ERR_NOMEM] =
	    { "out_of_memory", "out of memory", 500 },
	[LH_ERR_METHOD] =
	    { "method_not_allowed", "method not allowed on this resource",
	    405 },
	[LH_ERR_NOT_FOUND] =
	    { "not_found", "no such resource", 404 },
	[LH_ERR_LENGTH_MISSING] =
	    { "length_required", "request has no Content-Length", 411 },
	[LH_ERR_LENGTH_BAD] =
	    { "bad_content_length", "Content-Length is not a decimal number",
	    400 },
	[LH_ERR_BODY_TOO_LARGE] =
	    { "body_too_large", "request body exceeds the configured limit",
	    413 },
	[LH_ERR_BODY_SHORT] =
	    { "body_short", "request body is shorter than Content-Length",
	    400 },
	[LH_ERR_SIG_MISSING] =
	    { "missing_signature", "no Stripe-Signature header", 401 },
	[LH_ERR_SIG_HEADER] =
	    { "malformed_signature_header",
	    "Stripe-Signature header is malformed", 400 },
	[LH_ERR_SIG_NO_V1] =
	    { "no_v1_signature",
	    "no v1 signature in the Stripe-Signature header", 401 },
	[LH_ERR_SIG_MISMATCH] =
	    { "bad_signature", "signature does not match", 401 },
	[LH_ERR_SIG_STALE] =
	    { "stale_timestamp", "signature timestamp is too old", 401 },
	[LH_ERR_SIG_FUTURE] =
	    { "future_timestamp", "signature timestamp is in the future", 401 },
	[LH_ERR_JSON] =
	    { "invalid_json", "body is not a single JSON object", 400 },
	[LH_ERR_EVENT_FIELD] =
	    { "invalid_event", "event field is missing, mistyped or too long",
	    400 },
	[LH_ERR_TIER_UNKNOWN] =
	    { "unknown_tier", "purchase maps to no configured tier", 500 },
	[LH_ERR_DB_BUSY] =
	    { "storage_busy", "database is locked", 503 },
	[LH_ERR_DB_FULL] =
	    { "storage_full", "database disk is full", 503 },
	[LH_ERR_DB_IO] =
	    { "storage_io", "database I/O error", 503 },
	[LH_ERR_DB_READONLY] =
	    { "storage_readonly", "database is read-only", 503 },
	[LH_ERR_DB_CORRUPT] =
	    { "storage_corrupt", "database image is malformed", 503 },
	[LH_ERR_DB] =
	    { "storage_error", "database error", 503 },
	[LH_ERR_KEYGEN] =
	    { "keygen_failed", "could not generate a unique license key", 500 },
	[LH_ERR_CONF] =
	    { "bad_config", "configuration is invalid", 500 },
	[LH_ERR_API_REQUEST] =
	    { "bad_request", "request body is malformed", 400 },
	[LH_ERR_API_MEDIA] =
	    { "unsupported_media_type", "send application/json or "
	    "application/x-www-form-urlencoded", 415 },
	[LH_ERR_RATE_LIMITED] =
	    { "rate_limited", "too many requests", 429 },
	[LH_ERR_SIGNING] =
	    { "signing_unavailable", "no response signing key", 500 },
};

/*
 * A new enum value without a row here shrinks the table only when it is
 * the last one; a gap in the middle leaves a zeroed row, which
 * err_lookup() answers as an internal error and t_err reports.
 */
_Static_assert(sizeof(err_table) / sizeof(err_table[0]) == LH_ERR__COUNT,
    "err_table must have one row per enum lh_err value");

static const struct err_entry *
err_lookup(enum lh_err e)
{
	/* The cast also catches negative values from a corrupted variable. */
	if ((unsigned int)e >= LH_ERR__COUNT || err_table[e].code == NULL)
		return &err_table[LH_ERR_INTERNAL];
	return &err_table[e];
}

const char *
lh_err_code(enum lh_err e)
{
	return err_lookup(e)->code;
}

const char *
lh_err_msg(enum lh_err e)
{
	return err_lookup(e)->msg;
}

int
lh_err_http(enum lh_err e)
{
	return err_lookup(e)->http;
}
