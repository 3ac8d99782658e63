/*
 * The license API's core: a request body to struct lh_api_req, the
 * verdict on a request from what the store says, and the JSON answer.
 * Pure: no I/O, no clock (times arrive in the answer), so unit tests and
 * a fuzz target drive it directly.  The edge (fcgi.c) looks the key and
 * instance up, inserts or deletes the instance, and signs the answer.
 *
 * Field names and the answer's shape follow Lemon Squeezy's License API
 * (docs.lemonsqueezy.com, "License API": activate, validate and
 * deactivate, form-encoded requests, JSON answers), so that clients
 * written for it need only a new base URL.  JSON request bodies are
 * accepted too.
 *
 * The bodies are hostile: nothing is trusted before the key is looked
 * up, and the key is looked up only after the body passed every check
 * below.  Duplicate fields are refused in both encodings, and field
 * names match exactly: cJSON's lookups ignore case and take the first
 * of two duplicates, so they are never used here (see event.c).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "lh.h"

#define API_MT_FORM	"application/x-www-form-urlencoded"
#define API_MT_JSON	"application/json"
/* CONTENT_TYPE is one header field: the same bound as any one field. */
#define API_CTYPE_MAX	LH_API_FIELD_MAX	/* bytes */
/*
 * 2^53: above this a double no longer represents every integer
 * (IEEE 754 binary64), and cJSON prints numbers from doubles.
 */
#define API_INT_MAX	9007199254740992LL
/* "YYYY-MM-DDTHH:MM:SSZ" and NUL; years 1-9999 (ISO 8601 §4.1.2.2). */
#define API_ISO_LEN	21
#define API_YEAR_MAX	9999

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))
#define REQ_STR(m)	offsetof(struct lh_api_req, m), \
			    sizeof(((struct lh_api_req *)NULL)->m)

enum api_media {
	MEDIA_FORM = 0,
	MEDIA_JSON
};

/*
 * The fields a request may carry (Lemon Squeezy's names).  String fields
 * are char arrays in struct lh_api_req; a field's bound is its array's
 * size less the NUL.  "token" is licensehook's own and a boolean.
 */
enum api_field {
	F_LICENSE_KEY = 0,
	F_INSTANCE_NAME,
	F_INSTANCE_ID,
	F_TOKEN
};

static const struct api_field_def {
	const char	*name;
	size_t		 off;		/* of the array; 0 for token */
	size_t		 size;		/* of the array, NUL included */
} api_fields[] = {
	[F_LICENSE_KEY] =	{ "license_key", REQ_STR(license_key) },
	[F_INSTANCE_NAME] =	{ "instance_name", REQ_STR(instance_name) },
	[F_INSTANCE_ID] =	{ "instance_id", REQ_STR(instance_id) },
	[F_TOKEN] =		{ "token", 0, 0 }
};

static const char *const code_names[] = {
	[LH_CODE_VALID] = "valid",
	[LH_CODE_GRACE] = "grace",
	[LH_CODE_NOT_FOUND] = "not_found",
	[LH_CODE_SUSPENDED] = "suspended",
	[LH_CODE_REVOKED] = "revoked",
	[LH_CODE_EXPIRED] = "expired",
	[LH_CODE_NO_INSTANCE] = "no_such_instance",
	[LH_CODE_TOO_MANY] = "too_many_instances",
	[LH_CODE_LIMIT_REACHED] = "activation_limit_reached",
	[LH_CODE_MISSING_FIELD] = "missing_field"
};

/*
 * Per operation: the answer's first key (Lemon Squeezy's), the field
 * required besides license_key, and its error sentence.
 */
static const struct api_op_def {
	const char	*verb;
	enum api_field	 need;
	const char	*need_error;
} api_ops[] = {
	[LH_API_ACTIVATE] =
	    { "activated", F_INSTANCE_NAME, "instance_name is required" },
	[LH_API_VALIDATE] =
	    { "valid", F_LICENSE_KEY, NULL },
	[LH_API_DEACTIVATE] =
	    { "deactivated", F_INSTANCE_ID, "instance_id is required" }
};

/* Error sentences: stable, the clients' programmers read them. */
#define API_E_KEY_REQUIRED	"license_key is required"
#define API_E_NOT_FOUND		"license_key not found"
#define API_E_REVOKED		"license_key has been revoked"
#define API_E_SUSPENDED		"license_key is suspended"
#define API_E_EXPIRED		"license_key has expired"
#define API_E_NO_INSTANCE	"instance_id not found"
#define API_E_TOO_MANY		"this license key has more active " \
				"instances than its activation limit"
#define API_E_LIMIT		"this license key has reached its " \
				"activation limit"
#define API_E_INTERNAL		"internal error"

static int		 text_ok(const char *, size_t);
static int		 tchar(int);
static int		 ows(int);
static enum lh_err	 media_parse(const char *, enum api_media *);
static int		 field_find(const char *, size_t);
static enum lh_err	 field_str(struct lh_api_req *, enum api_field,
			    const char *, size_t);
static enum lh_err	 field_seen(unsigned *, int);
static int		 hexval(int);
static enum lh_err	 pct_decode(const char *, size_t, char *, size_t *);
static enum lh_err	 form_parse(const char *, size_t, struct lh_api_req *);
static enum lh_err	 object_parse(const char *, size_t,
			    struct lh_api_req *);
static enum lh_api_code	 state_code(const struct lh_lic_view *);
static const char	*state_error(enum lh_api_code);
static int		 code_usable(enum lh_api_code);
static void		 verdict_set(struct lh_api_verdict *, enum lh_api_code,
			    int, int, const char *);
static enum lh_err	 add_str(cJSON *, const char *, const char *);
static enum lh_err	 add_num(cJSON *, const char *, long long);
static enum lh_err	 add_unix(cJSON *, const char *, long long);
static enum lh_err	 add_iso(cJSON *, const char *, long long);
static enum lh_err	 add_features(cJSON *, const char *);
static enum lh_err	 fmt_license_key(cJSON *, const struct lh_api_answer *);
static enum lh_err	 fmt_instance(cJSON *, const struct lh_api_answer *);
static enum lh_err	 fmt_meta(cJSON *, const struct lh_api_answer *);
static enum lh_err	 fmt_entitlement(cJSON *,
			    const struct lh_api_answer *);

/* ---- request bodies ------------------------------------------------ */

/*
 * A value licensehook keeps: valid UTF-8 without control characters,
 * neither C0 (NUL included) and DEL nor C1 (U+0080..U+009F, UTF-8
 * C2 80..C2 9F).  Instance names end up in logs, the database and
 * licensectl's output, where a control character could forge a line.
 * Returns 1 or 0.
 */
static int
text_ok(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t		 i;

	if (!json_utf8_valid(p, len))
		return 0;
	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
		/* json_utf8_valid() guarantees the continuation byte. */
		if (p[i] == 0xc2 && p[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* RFC 9110 §5.6.2: tchar. */
static int
tchar(int c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 9110 §5.6.3: OWS is spaces and horizontal tabs. */
static int
ows(int c)
{
	return c == ' ' || c == '\t';
}

/*
 * CONTENT_TYPE (RFC 3875 §4.1.3) as RFC 9110 §8.3.1 defines it:
 * type "/" subtype, compared ignoring case, then parameters, each
 * ";" name "=" (token | quoted-string).  Parameters are ignored except
 * charset: both encodings are read as UTF-8, so a body declared in
 * another charset is refused (415) rather than misread; US-ASCII is a
 * subset and passes.  A malformed parameter is refused too.
 */
static enum lh_err
media_parse(const char *ct, enum api_media *out)
{
	const char	*p, *name, *val;
	size_t		 len, nlen, vlen;

	*out = MEDIA_FORM;
	if (ct == NULL)
		return LH_ERR_API_MEDIA;
	len = strnlen(ct, API_CTYPE_MAX + 1);
	if (len > API_CTYPE_MAX)
		return LH_ERR_API_MEDIA;

	for (p = ct; ows(*p); p++)
		continue;
	for (name = p; tchar(*p) || *p == '/'; p++)
		continue;
	nlen = (size_t)(p - name);
	if (nlen == sizeof(API_MT_FORM) - 1 &&
	    strncasecmp(name, API_MT_FORM, nlen) == 0)
		*out = MEDIA_FORM;
	else if (nlen == sizeof(API_MT_JSON) - 1 &&
	    strncasecmp(name, API_MT_JSON, nlen) == 0)
		*out = MEDIA_JSON;
	else
		return LH_ERR_API_MEDIA;

	for (;;) {
		while (ows(*p))
			p++;
		if (*p == '\0')
			break;
		if (*p++ != ';')
			return LH_ERR_API_MEDIA;
		while (ows(*p))
			p++;
		if (*p == ';' || *p == '\0')
			continue;	/* an empty parameter is allowed */
		for (name = p; tchar(*p); p++)
			continue;
		nlen = (size_t)(p - name);
		if (nlen == 0 || *p++ != '=')
			return LH_ERR_API_MEDIA;
		if (*p == '"') {
			/* quoted-string; quoted-pair skips a byte. */
			val = ++p;
			while (*p != '"') {
				if (*p == '\0' || (*p == '\\' && *++p == '\0'))
					return LH_ERR_API_MEDIA;
				p++;
			}
			vlen = (size_t)(p++ - val);
		} else {
			for (val = p; tchar(*p); p++)
				continue;
			vlen = (size_t)(p - val);
			if (vlen == 0)
				return LH_ERR_API_MEDIA;
		}
		if (nlen != 7 || strncasecmp(name, "charset", 7) != 0)
			continue;
		if (!(vlen == 5 && strncasecmp(val, "utf-8", 5) == 0) &&
		    !(vlen == 8 && strncasecmp(val, "us-ascii", 8) == 0))
			return LH_ERR_API_MEDIA;
	}
	return LH_OK;
}

/*
 * The field a name (len bytes, may hold NUL) names exactly, or -1.
 * "License_Key" is not "license_key".
 */
static int
field_find(const char *name, size_t len)
{
	size_t		 i;

	for (i = 0; i < nitems(api_fields); i++)
		if (strlen(api_fields[i].name) == len &&
		    memcmp(api_fields[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/*
 * Note a known field.  A second occurrence is an error whatever the
 * values: form decoders disagree on which one wins (PHP's $_POST keeps
 * the last, others the first or a list), as JSON parsers do (RFC 8259
 * §4), so neither may decide.
 */
static enum lh_err
field_seen(unsigned *seen, int f)
{
	if (*seen & (1u << f))
		return LH_ERR_API_REQUEST;
	*seen |= 1u << f;
	return LH_OK;
}

/* Store a string field: bounded, text_ok(), copied NUL-terminated. */
static enum lh_err
field_str(struct lh_api_req *req, enum api_field f, const char *v,
    size_t len)
{
	const struct api_field_def *d = &api_fields[f];
	char		*dst;

	if (d->size == 0)
		return LH_ERR_INTERNAL;
	if (len > d->size - 1 || !text_ok(v, len))
		return LH_ERR_API_REQUEST;
	dst = (char *)req + d->off;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return LH_OK;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decode one name or value of application/x-www-form-urlencoded (WHATWG
 * URL Standard §5.1): "+" is a space, "%" and two hex digits a byte.
 * Unlike the standard, which keeps a malformed "%" as it is, that is an
 * error: a client that cannot encode would have its key misread.  dst
 * holds LH_API_FIELD_MAX + 1 bytes; a longer result is an error.
 */
static enum lh_err
pct_decode(const char *src, size_t len, char *dst, size_t *outlen)
{
	size_t		 i, o = 0;
	int		 hi, lo;

	*outlen = 0;
	for (i = 0; i < len; i++) {
		if (o >= LH_API_FIELD_MAX)
			return LH_ERR_API_REQUEST;
		if (src[i] == '+')
			dst[o++] = ' ';
		else if (src[i] != '%')
			dst[o++] = src[i];
		else {
			if (len - i < 3 ||
			    (hi = hexval((unsigned char)src[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)src[i + 2])) < 0)
				return LH_ERR_API_REQUEST;
			dst[o++] = (char)(hi << 4 | lo);
			i += 2;
		}
	}
	dst[o] = '\0';
	*outlen = o;
	return LH_OK;
}

/*
 * name=value pairs split on "&", each on its first "=" (WHATWG URL
 * Standard §5.1: empty sequences are skipped, a pair without "=" has an
 * empty value).  Every name and value must decode; unknown fields are
 * then ignored, whatever their bytes.
 */
static enum lh_err
form_parse(const char *body, size_t len, struct lh_api_req *req)
{
	char		 name[LH_API_FIELD_MAX + 1];
	char		 val[LH_API_FIELD_MAX + 1];
	const char	*p, *end, *amp, *eq, *v;
	size_t		 nlen, vlen;
	unsigned	 seen = 0;
	enum lh_err	 r;
	int		 f;

	if (len == 0)
		return LH_OK;
	for (p = body, end = body + len; p < end; p = amp + 1) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p)
			continue;
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		v = eq < amp ? eq + 1 : amp;
		if ((r = pct_decode(p, (size_t)(eq - p), name, &nlen)) != LH_OK)
			return r;
		if ((r = pct_decode(v, (size_t)(amp - v), val, &vlen)) != LH_OK)
			return r;
		if ((f = field_find(name, nlen)) < 0)
			continue;
		if ((r = field_seen(&seen, f)) != LH_OK)
			return r;
		if (f != F_TOKEN) {
			if ((r = field_str(req, (enum api_field)f, val,
			    vlen)) != LH_OK)
				return r;
		} else if (strcmp(val, "1") == 0 || strcmp(val, "true") == 0)
			req->want_token = 1;
		else if (strcmp(val, "0") == 0 || strcmp(val, "false") == 0)
			req->want_token = 0;
		else
			return LH_ERR_API_REQUEST;
		if (amp == end)
			break;
	}
	return LH_OK;
}

/*
 * Exactly one JSON object.  Its members are walked once, matching names
 * exactly; a known field twice is an error.  String fields take strings
 * and "token" takes true or false; null counts as absent, as in event.c.
 * Members of other names may hold anything.
 */
static enum lh_err
object_parse(const char *body, size_t len, struct lh_api_req *req)
{
	const cJSON	*c;
	cJSON		*root = NULL;
	unsigned	 seen = 0;
	enum lh_err	 r;
	int		 f;

	if ((r = json_parse_object(body, len, LH_ERR_API_REQUEST,
	    &root)) != LH_OK)
		goto out;

	for (c = root->child; c != NULL; c = c->next) {
		r = LH_ERR_API_REQUEST;
		if (c->string == NULL)
			goto out;
		if ((f = field_find(c->string, strlen(c->string))) < 0)
			continue;
		if (field_seen(&seen, f) != LH_OK)
			goto out;
		if (cJSON_IsNull(c))
			continue;
		if (f == F_TOKEN) {
			if (!cJSON_IsBool(c))
				goto out;
			req->want_token = cJSON_IsTrue(c) ? 1 : 0;
		} else {
			if (!cJSON_IsString(c) || c->valuestring == NULL)
				goto out;
			if ((r = field_str(req, (enum api_field)f,
			    c->valuestring, strlen(c->valuestring))) != LH_OK)
				goto out;
		}
	}
	r = LH_OK;
 out:
	cJSON_Delete(root);
	return r;
}

enum lh_err
api_parse(const char *content_type, const char *body, size_t len,
    struct lh_api_req *out)
{
	struct lh_api_req req;
	enum api_media	 media;
	enum lh_err	 r = LH_ERR_INTERNAL;

	if (out == NULL)
		return LH_ERR_INTERNAL;
	memset(out, 0, sizeof(*out));
	memset(&req, 0, sizeof(req));
	if (body == NULL && len != 0)
		goto out;
	if ((r = media_parse(content_type, &media)) != LH_OK)
		goto out;
	if (media == MEDIA_FORM)
		r = form_parse(body, len, &req);
	else
		r = object_parse(body, len, &req);
	if (r != LH_OK)
		goto out;
	*out = req;
	r = LH_OK;
 out:
	return r;
}

/* ---- verdicts ------------------------------------------------------ */

const char *
api_code_name(enum lh_api_code c)
{
	if ((size_t)c >= nitems(code_names) || code_names[c] == NULL)
		return "unknown";
	return code_names[c];
}

/*
 * What a found key is worth by its view alone.  A view that calls
 * itself valid with a dead status, or invalid with a live one, is
 * impossible from license_view(); either way the key is not usable
 * (fail closed), as suspended unless the status says otherwise.
 */
static enum lh_api_code
state_code(const struct lh_lic_view *v)
{
	switch (v->status) {
	case LH_LIC_ACTIVE:
	case LH_LIC_TRIALING:
		return v->valid ? LH_CODE_VALID : LH_CODE_SUSPENDED;
	case LH_LIC_GRACE:
		return v->valid ? LH_CODE_GRACE : LH_CODE_SUSPENDED;
	case LH_LIC_REVOKED:
		return LH_CODE_REVOKED;
	case LH_LIC_EXPIRED:
		return LH_CODE_EXPIRED;
	case LH_LIC_SUSPENDED:
	default:
		return LH_CODE_SUSPENDED;
	}
}

static const char *
state_error(enum lh_api_code c)
{
	switch (c) {
	case LH_CODE_REVOKED:
		return API_E_REVOKED;
	case LH_CODE_EXPIRED:
		return API_E_EXPIRED;
	default:
		return API_E_SUSPENDED;
	}
}

/* The key works (and, where one was named, so does the instance). */
static int
code_usable(enum lh_api_code c)
{
	return c == LH_CODE_VALID || c == LH_CODE_GRACE;
}

static void
verdict_set(struct lh_api_verdict *out, enum lh_api_code code, int ok,
    int http, const char *error)
{
	out->code = code;
	out->ok = ok;
	out->http = http;
	out->error = ok ? NULL : error;
}

/*
 * The verdict, first matching row down (limit = the effective tier's
 * max_activations, 0 = unlimited; "inst" = facts->instance_found;
 * <state> = revoked | suspended | expired; v|g = valid or grace):
 *
 *                  activate          validate          deactivate
 * field missing     400 missing_field 400 missing_field 400 missing_field
 * key not found [1] 404 not_found     404 not_found     404 not_found
 * not valid, inst   400 <state>       200 <state> ok 0  200 <state> ok 1
 * not valid, !inst  400 <state>       200 <state> ok 0  404 no_such_instance
 * valid, inst       200 v|g ok 1 [2]  see [3]           200 v|g ok 1
 * valid, !inst      see [4]           see [3]           404 no_such_instance
 *
 * [1] Malformed keys too: the edge passes found = 0 without a lookup,
 *     so the answer does not tell a malformed key from an unknown one.
 * [2] The same instance_name is already active: activation is
 *     idempotent, even when a downgrade left more instances than the
 *     limit (validate then answers too_many_instances).
 * [3] instance_id given and not inst: 200 no_such_instance ok 0;
 *     limit > 0 and instances > limit (after a downgrade): 200
 *     too_many_instances ok 0; else 200 v|g ok 1.
 * [4] limit > 0 and instances >= limit: 400 activation_limit_reached;
 *     else 200 v|g ok 1, and the edge inserts the instance.
 *
 * Required fields: license_key always, and instance_name to activate,
 * instance_id to deactivate.  Deactivating works on a key that is no
 * longer valid: freeing a seat never hurts, and the code still says
 * what the key is.  ok = 0 always comes with an error sentence.
 *
 * The gating rule: paid = the view is valid, its status is one of
 * conf->api.allowed, and the code is valid or grace.
 */
void
api_decide(const struct lh_conf *conf, enum lh_api_op op,
    const struct lh_api_req *req, const struct lh_api_facts *facts,
    struct lh_api_verdict *out)
{
	const struct api_op_def *d;
	const struct lh_lic_view *v;
	enum lh_api_code state;
	int		 limit;

	if (out == NULL)
		return;
	memset(out, 0, sizeof(*out));
	if (conf == NULL || req == NULL || facts == NULL ||
	    (size_t)op >= nitems(api_ops)) {
		/* A bug in the caller: fail closed, and say so. */
		verdict_set(out, LH_CODE_NOT_FOUND, 0, 500, API_E_INTERNAL);
		return;
	}
	d = &api_ops[op];
	limit = facts->tier != NULL ? facts->tier->max_activations : 0;
	if (limit < 0)
		limit = 0;
	out->limit = limit;

	if (req->license_key[0] == '\0') {
		verdict_set(out, LH_CODE_MISSING_FIELD, 0, 400,
		    API_E_KEY_REQUIRED);
		return;
	}
	if (d->need_error != NULL &&
	    ((const char *)req + api_fields[d->need].off)[0] == '\0') {
		verdict_set(out, LH_CODE_MISSING_FIELD, 0, 400, d->need_error);
		return;
	}
	if (!facts->found) {
		verdict_set(out, LH_CODE_NOT_FOUND, 0, 404, API_E_NOT_FOUND);
		return;
	}
	if ((v = facts->view) == NULL) {
		verdict_set(out, LH_CODE_NOT_FOUND, 0, 500, API_E_INTERNAL);
		return;
	}
	state = state_code(v);

	if (!code_usable(state)) {
		switch (op) {
		case LH_API_ACTIVATE:
			verdict_set(out, state, 0, 400, state_error(state));
			break;
		case LH_API_VALIDATE:
			verdict_set(out, state, 0, 200, state_error(state));
			break;
		case LH_API_DEACTIVATE:
			if (facts->instance_found)
				verdict_set(out, state, 1, 200, NULL);
			else
				verdict_set(out, LH_CODE_NO_INSTANCE, 0, 404,
				    API_E_NO_INSTANCE);
			break;
		}
		return;
	}

	switch (op) {
	case LH_API_ACTIVATE:
		if (!facts->instance_found && limit > 0 &&
		    facts->instances >= limit)
			verdict_set(out, LH_CODE_LIMIT_REACHED, 0, 400,
			    API_E_LIMIT);
		else
			verdict_set(out, state, 1, 200, NULL);
		break;
	case LH_API_VALIDATE:
		if (req->instance_id[0] != '\0' && !facts->instance_found)
			verdict_set(out, LH_CODE_NO_INSTANCE, 0, 200,
			    API_E_NO_INSTANCE);
		else if (limit > 0 && facts->instances > limit)
			verdict_set(out, LH_CODE_TOO_MANY, 0, 200,
			    API_E_TOO_MANY);
		else
			verdict_set(out, state, 1, 200, NULL);
		break;
	case LH_API_DEACTIVATE:
		if (facts->instance_found)
			verdict_set(out, state, 1, 200, NULL);
		else
			verdict_set(out, LH_CODE_NO_INSTANCE, 0, 404,
			    API_E_NO_INSTANCE);
		break;
	}

	/* LH_ALLOW() shifts by the status: keep it inside an unsigned. */
	out->paid = v->valid && (unsigned)v->status < 32 &&
	    (LH_ALLOW(v->status) & conf->api.allowed) != 0 &&
	    code_usable(out->code);
}

/* ---- answers ------------------------------------------------------- */

/* A string member, or null for NULL.  Our output stays valid UTF-8. */
static enum lh_err
add_str(cJSON *obj, const char *name, const char *s)
{
	if (s == NULL)
		return cJSON_AddNullToObject(obj, name) != NULL ? LH_OK :
		    LH_ERR_NOMEM;
	if (!json_utf8_valid((const unsigned char *)s, strlen(s)))
		return LH_ERR_INTERNAL;
	return cJSON_AddStringToObject(obj, name, s) != NULL ? LH_OK :
	    LH_ERR_NOMEM;
}

/* An integer member; cJSON holds doubles, exact up to 2^53. */
static enum lh_err
add_num(cJSON *obj, const char *name, long long v)
{
	if (v > API_INT_MAX || v < -API_INT_MAX)
		return LH_ERR_INTERNAL;
	return cJSON_AddNumberToObject(obj, name, (double)v) != NULL ? LH_OK :
	    LH_ERR_NOMEM;
}

/* A Unix time as an integer; 0 (never / none) prints null. */
static enum lh_err
add_unix(cJSON *obj, const char *name, long long t)
{
	if (t == 0)
		return add_str(obj, name, NULL);
	return add_num(obj, name, t);
}

/*
 * A Unix time as an ISO 8601 UTC string, "2026-11-22T13:05:09Z", as
 * Lemon Squeezy prints its times; 0 prints null.  A time outside years
 * 1-9999 cannot be written so and is an internal error.
 */
static enum lh_err
add_iso(cJSON *obj, const char *name, long long t)
{
	char		 buf[API_ISO_LEN];
	struct tm	 tm;
	time_t		 tt = (time_t)t;
	int		 n;

	if (t == 0)
		return add_str(obj, name, NULL);
	if ((long long)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > API_YEAR_MAX)
		return LH_ERR_INTERNAL;
	n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return LH_ERR_INTERNAL;
	return add_str(obj, name, buf);
}

/*
 * "features": the tier's comma-separated list as an array of strings,
 * each trimmed of spaces and tabs; empty items are left out, so NULL,
 * "" and "a,,b," give [], [] and ["a","b"].
 */
static enum lh_err
add_features(cJSON *obj, const char *features)
{
	cJSON		*arr, *item;
	char		*buf = NULL, *p, *q, *e;
	size_t		 n;
	enum lh_err	 r = LH_ERR_NOMEM;

	if ((arr = cJSON_AddArrayToObject(obj, "features")) == NULL)
		goto out;
	if (features == NULL || features[0] == '\0') {
		r = LH_OK;
		goto out;
	}
	n = strlen(features);
	if ((buf = malloc(n + 1)) == NULL)
		goto out;
	memcpy(buf, features, n + 1);
	for (p = buf; p != NULL; p = q) {
		if ((q = strchr(p, ',')) != NULL)
			*q++ = '\0';
		while (ows(*p))
			p++;
		for (e = p + strlen(p); e > p && ows(e[-1]); e--)
			continue;
		*e = '\0';
		if (*p == '\0')
			continue;
		if (!json_utf8_valid((const unsigned char *)p,
		    (size_t)(e - p))) {
			r = LH_ERR_INTERNAL;
			goto out;
		}
		if ((item = cJSON_CreateString(p)) == NULL)
			goto out;
		if (!cJSON_AddItemToArray(arr, item)) {
			cJSON_Delete(item);
			goto out;
		}
	}
	r = LH_OK;
 out:
	free(buf);
	return r;
}

/* "license_key": {...}, or null when no key was found. */
static enum lh_err
fmt_license_key(cJSON *root, const struct lh_api_answer *a)
{
	cJSON		*o;
	enum lh_err	 r;

	if (a->key == NULL)
		return add_str(root, "license_key", NULL);
	if ((o = cJSON_AddObjectToObject(root, "license_key")) == NULL)
		return LH_ERR_NOMEM;
	if ((r = add_num(o, "id", a->license_id)) != LH_OK ||
	    (r = add_str(o, "status", a->status)) != LH_OK ||
	    (r = add_str(o, "key", a->key)) != LH_OK)
		return r;
	/* Unlimited is null, as Lemon Squeezy prints it: not 0 seats. */
	if (a->verdict->limit > 0)
		r = add_num(o, "activation_limit", a->verdict->limit);
	else
		r = add_str(o, "activation_limit", NULL);
	if (r != LH_OK ||
	    (r = add_num(o, "activation_usage", a->activation_usage)) !=
	    LH_OK ||
	    (r = add_iso(o, "created_at", a->created_at)) != LH_OK ||
	    (r = add_iso(o, "expires_at", a->expires_at)) != LH_OK)
		return r;
	return LH_OK;
}

/* "instance": {...}, or null without an instance id. */
static enum lh_err
fmt_instance(cJSON *root, const struct lh_api_answer *a)
{
	cJSON		*o;
	enum lh_err	 r;

	if (a->instance_id == NULL)
		return add_str(root, "instance", NULL);
	if ((o = cJSON_AddObjectToObject(root, "instance")) == NULL)
		return LH_ERR_NOMEM;
	if ((r = add_str(o, "id", a->instance_id)) != LH_OK ||
	    (r = add_str(o, "name", a->instance_name)) != LH_OK ||
	    (r = add_iso(o, "created_at", a->instance_created_at)) != LH_OK)
		return r;
	return LH_OK;
}

/* "meta": always an object; Lemon Squeezy's store/order ids are left out. */
static enum lh_err
fmt_meta(cJSON *root, const struct lh_api_answer *a)
{
	cJSON		*o;
	enum lh_err	 r;

	if ((o = cJSON_AddObjectToObject(root, "meta")) == NULL)
		return LH_ERR_NOMEM;
	if ((r = add_str(o, "customer_name", a->customer_name)) != LH_OK ||
	    (r = add_str(o, "customer_email", a->customer_email)) != LH_OK)
		return r;
	return LH_OK;
}

/* "entitlement": licensehook's own summary, with Unix times. */
static enum lh_err
fmt_entitlement(cJSON *root, const struct lh_api_answer *a)
{
	cJSON		*o;
	enum lh_err	 r;

	if ((o = cJSON_AddObjectToObject(root, "entitlement")) == NULL)
		return LH_ERR_NOMEM;
	if (cJSON_AddBoolToObject(o, "valid",
	    code_usable(a->verdict->code)) == NULL ||
	    cJSON_AddBoolToObject(o, "paid", a->verdict->paid != 0) == NULL)
		return LH_ERR_NOMEM;
	if ((r = add_str(o, "status", a->status)) != LH_OK ||
	    (r = add_unix(o, "expires_at", a->expires_at)) != LH_OK ||
	    (r = add_unix(o, "grace_deadline", a->grace_deadline)) != LH_OK)
		return r;
	/* When the answer was made: a signed answer replayed later shows
	 * its age. */
	if (a->checked_at != 0 &&
	    (r = add_unix(o, "checked_at", a->checked_at)) != LH_OK)
		return r;
	return LH_OK;
}

/*
 * The answer, members in this order (Lemon Squeezy's five first, then
 * licensehook's):
 *
 *   "activated" | "valid" | "deactivated": verdict->ok
 *   "error":        verdict->error, or null
 *   "license_key":  { "id", "status", "key", "activation_limit" (null:
 *                   unlimited), "activation_usage", "created_at",
 *                   "expires_at" (ISO 8601 UTC strings or null) }, or
 *                   null when key is NULL
 *   "instance":     { "id", "name", "created_at" (ISO 8601) }, or null
 *                   when instance_id is NULL
 *   "meta":         { "customer_name", "customer_email" }
 *   "code":         api_code_name(verdict->code)
 *   "tier":         string or null
 *   "features":     [ strings ]
 *   "entitlement":  { "valid": code is valid or grace, "paid":
 *                   verdict->paid, "status", "expires_at",
 *                   "grace_deadline" (Unix seconds or null),
 *                   "checked_at" (Unix seconds, when not 0) }
 *   "token":        only when answer->token is not NULL
 *
 * Any absent string and any time of 0 prints null.
 */
enum lh_err
api_fmt(const struct lh_api_answer *a, char **out, size_t *len)
{
	cJSON		*root = NULL;
	char		*s = NULL, *buf = NULL;
	size_t		 n;
	enum lh_err	 r = LH_ERR_INTERNAL;

	if (out != NULL)
		*out = NULL;
	if (len != NULL)
		*len = 0;
	if (a == NULL || out == NULL || len == NULL || a->verdict == NULL ||
	    (size_t)a->op >= nitems(api_ops))
		goto out;

	r = LH_ERR_NOMEM;
	if ((root = cJSON_CreateObject()) == NULL)
		goto out;
	if (cJSON_AddBoolToObject(root, api_ops[a->op].verb,
	    a->verdict->ok != 0) == NULL)
		goto out;
	if ((r = add_str(root, "error", a->verdict->error)) != LH_OK ||
	    (r = fmt_license_key(root, a)) != LH_OK ||
	    (r = fmt_instance(root, a)) != LH_OK ||
	    (r = fmt_meta(root, a)) != LH_OK ||
	    (r = add_str(root, "code", api_code_name(a->verdict->code))) !=
	    LH_OK ||
	    (r = add_str(root, "tier", a->tier)) != LH_OK ||
	    (r = add_features(root, a->features)) != LH_OK ||
	    (r = fmt_entitlement(root, a)) != LH_OK)
		goto out;
	if (a->token != NULL && (r = add_str(root, "token", a->token)) != LH_OK)
		goto out;

	r = LH_ERR_NOMEM;
	if ((s = cJSON_PrintUnformatted(root)) == NULL)
		goto out;
	/* A copy of our own: the caller frees it with free(), hooks or not. */
	n = strlen(s);
	if ((buf = malloc(n + 1)) == NULL)
		goto out;
	memcpy(buf, s, n + 1);
	*out = buf;
	buf = NULL;	/* transferred */
	*len = n;
	r = LH_OK;
 out:
	free(buf);
	cJSON_free(s);
	cJSON_Delete(root);
	return r;
}
