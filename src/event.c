/*
 * Stripe event bodies to struct lh_event.  The body has passed the
 * signature check but is still parsed as hostile: it must be exactly one
 * strict JSON object, and every field licensehook reads is type-checked
 * and bounded.  Nothing from the cJSON tree outlives event_parse().
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lh.h"

/*
 * 2^53: above this a double no longer represents every integer
 * (IEEE 754 binary64), so a larger "created" could not be exact.
 */
#define EVENT_INT_MAX		9007199254740992.0

#define EVENT_TYPE_CHECKOUT	"checkout.session.completed"

static int		 utf8_valid(const unsigned char *, size_t);
static int		 json_scan(const unsigned char *, size_t);
static int		 json_tail_blank(const char *, const char *);
static enum lh_err	 obj_get(const cJSON *, const char *, const cJSON **);
static enum lh_err	 str_copy(const cJSON *, char **);
static enum lh_err	 get_id(const cJSON *, const char *, char **);
static enum lh_err	 get_str(const cJSON *, const char *, char **);
static enum lh_err	 get_ref(const cJSON *, const char *, char **);
static enum lh_err	 get_obj(const cJSON *, const char *, const cJSON **);
static enum lh_err	 get_const(const cJSON *, const char *, const char *);
static enum lh_err	 get_created(const cJSON *, long long *);
static enum lh_err	 get_livemode(const cJSON *, int *);
static void		 pick(char **, char **);
static enum lh_err	 event_checkout(const cJSON *, struct lh_event *);

/*
 * Strict UTF-8 (Unicode 15, table 3-7): no overlong forms, no UTF-16
 * surrogates (U+D800..U+DFFF), nothing above U+10FFFF.  Returns 1 or 0.
 */
static int
utf8_valid(const unsigned char *p, size_t len)
{
	size_t		 i, k, n;
	unsigned char	 c, lo, hi;

	for (i = 0; i < len; i += n + 1) {
		c = p[i];
		n = 0;
		if (c < 0x80)
			continue;
		lo = 0x80;
		hi = 0xbf;
		if (c >= 0xc2 && c <= 0xdf)
			n = 1;
		else if (c == 0xe0) {
			n = 2;
			lo = 0xa0;
		} else if (c == 0xed) {
			n = 2;
			hi = 0x9f;
		} else if (c >= 0xe1 && c <= 0xef)
			n = 2;
		else if (c == 0xf0) {
			n = 3;
			lo = 0x90;
		} else if (c >= 0xf1 && c <= 0xf3)
			n = 3;
		else if (c == 0xf4) {
			n = 3;
			hi = 0x8f;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		if (p[i + 1] < lo || p[i + 1] > hi)
			return 0;
		for (k = 2; k <= n; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return 0;
	}
	return 1;
}

/*
 * One cheap pass over the raw body before cJSON sees it.  Returns 1 if
 * the body may be handed to the parser, 0 to reject it.
 *
 * - Nesting: cJSON recurses once per level and allows 1000 levels; we
 *   allow LH_JSON_DEPTH_MAX, counting [ and { outside strings.
 * - Control bytes: RFC 8259 §7 requires them escaped inside strings, and
 *   only space, tab, LF and CR are whitespace (§2).  cJSON skips any byte
 *   up to 0x20 as whitespace and copies raw control bytes into strings,
 *   so it would accept both.  A raw NUL is rejected here too.
 * - Bytes above 0x7e outside strings are never valid JSON; this also
 *   refuses a byte order mark, which cJSON would skip (RFC 8259 §8.1).
 * - "\u0000": cJSON decodes it into a NUL inside a C string, silently
 *   cutting the value (or a key: "id\u0000x" would read as "id").  No
 *   Stripe field needs a NUL, so a body holding that escape in any string
 *   is refused.  Tracking escapes keeps "\\u0000" (a backslash followed
 *   by the text u0000) legal.
 */
static int
json_scan(const unsigned char *p, size_t len)
{
	size_t	 i, depth = 0;
	int	 instr = 0;

	for (i = 0; i < len; i++) {
		if (instr) {
			if (p[i] < 0x20)
				return 0;
			if (p[i] == '"')
				instr = 0;
			else if (p[i] == '\\') {
				if (len - i < 2)
					return 0;
				if (p[i + 1] == 'u' && len - i >= 6 &&
				    memcmp(p + i + 2, "0000", 4) == 0)
					return 0;
				i++;
			}
			continue;
		}
		switch (p[i]) {
		case '"':
			instr = 1;
			break;
		case '[':
		case '{':
			if (++depth > LH_JSON_DEPTH_MAX)
				return 0;
			break;
		case ']':
		case '}':
			if (depth == 0)
				return 0;
			depth--;
			break;
		case ' ':
		case '\t':
		case '\n':
		case '\r':
			break;
		default:
			if (p[i] < 0x20 || p[i] > 0x7e)
				return 0;
			break;
		}
	}
	return 1;
}

/* Only JSON whitespace (RFC 8259 §2) may follow the object.  1 or 0. */
static int
json_tail_blank(const char *p, const char *end)
{
	for (; p < end; p++)
		if (*p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
			return 0;
	return 1;
}

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

/*
 * A required identifier: a string of 1..LH_FIELD_MAX bytes of graphic
 * ASCII.  Stripe ids and type names are [a-z0-9_.]; refusing spaces and
 * everything else keeps them safe to put in logs and key=value lines.
 */
static enum lh_err
get_id(const cJSON *obj, const char *key, char **out)
{
	const cJSON	*item;
	const char	*s;
	enum lh_err	 r;

	*out = NULL;
	if ((r = obj_get(obj, key, &item)) != LH_OK)
		return r;
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
 * "Expanding responses"); then its "id" is required.
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
		return str_copy(item, out);
	if ((r = obj_get(item, "id", &id)) != LH_OK)
		return r;
	return str_copy(id, out);
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
 * "created": a whole number of seconds in 0..2^53.  cJSON keeps only the
 * double, so 1.0 passes as 1; 1.5, negative numbers and 1e300 do not.
 * The range check comes first: converting an out-of-range double to an
 * integer is undefined (C11 6.3.1.4).
 */
static enum lh_err
get_created(const cJSON *obj, long long *out)
{
	const cJSON	*item;
	double		 d;
	enum lh_err	 r;

	*out = 0;
	if ((r = obj_get(obj, "created", &item)) != LH_OK)
		return r;
	if (!cJSON_IsNumber(item))
		return LH_ERR_EVENT_FIELD;
	d = item->valuedouble;
	if (!(d >= 0.0 && d <= EVENT_INT_MAX))
		return LH_ERR_EVENT_FIELD;
	if ((double)(long long)d != d)
		return LH_ERR_EVENT_FIELD;
	*out = (long long)d;
	return LH_OK;
}

/* "livemode": a JSON boolean, not "false" or 0. */
static enum lh_err
get_livemode(const cJSON *obj, int *out)
{
	const cJSON	*item;
	enum lh_err	 r;

	*out = 0;
	if ((r = obj_get(obj, "livemode", &item)) != LH_OK)
		return r;
	if (!cJSON_IsBool(item))
		return LH_ERR_EVENT_FIELD;
	*out = cJSON_IsTrue(item) ? 1 : 0;
	return LH_OK;
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
 * checkout.session.completed: data.object is a Checkout Session (Stripe
 * API reference, "The Checkout Session object").
 */
static enum lh_err
event_checkout(const cJSON *root, struct lh_event *e)
{
	const cJSON	*data, *obj, *details, *meta;
	char		*cust_email = NULL, *tier = NULL;
	enum lh_err	 r;

	if ((r = obj_get(root, "data", &data)) != LH_OK)
		goto out;
	r = LH_ERR_EVENT_FIELD;
	if (!cJSON_IsObject(data))
		goto out;
	if ((r = obj_get(data, "object", &obj)) != LH_OK)
		goto out;
	r = LH_ERR_EVENT_FIELD;
	if (!cJSON_IsObject(obj))
		goto out;
	if ((r = get_const(obj, "object", "checkout.session")) != LH_OK)
		goto out;
	if ((r = get_id(obj, "id", &e->object_id)) != LH_OK)
		goto out;
	if ((r = get_str(obj, "mode", &e->mode)) != LH_OK)
		goto out;
	if ((r = get_str(obj, "payment_status", &e->payment_status)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "customer", &e->customer_id)) != LH_OK)
		goto out;
	if ((r = get_ref(obj, "subscription", &e->subscription_id)) != LH_OK)
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

	/*
	 * Stripe metadata values are always strings (API reference,
	 * "Metadata"); anything else did not come from Stripe.
	 */
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

enum lh_err
event_parse(const char *body, size_t len, struct lh_event **out)
{
	struct lh_event	*e = NULL;
	cJSON		*root = NULL;
	char		*buf = NULL;
	const char	*end = NULL;
	enum lh_err	 r = LH_ERR_INTERNAL;

	if (out == NULL)
		return LH_ERR_INTERNAL;
	*out = NULL;
	if (body == NULL && len != 0)
		goto out;

	r = LH_ERR_JSON;
	if (len == 0)
		goto out;
	if (!utf8_valid((const unsigned char *)body, len))
		goto out;
	if (!json_scan((const unsigned char *)body, len))
		goto out;

	/*
	 * Reads past buffer_length have been reported against cJSON's
	 * length-bounded parser (cJSON issues #804 and #778; not reproduced
	 * with 1.7.15 here).  Our body need not be NUL-terminated, so cJSON
	 * parses a terminated copy of exactly len bytes: a stray read then
	 * meets the NUL instead of leaving the buffer.
	 */
	if ((buf = malloc(len + 1)) == NULL) {
		r = LH_ERR_NOMEM;
		goto out;
	}
	memcpy(buf, body, len);
	buf[len] = '\0';

	/* cJSON gives no reason on failure; a malformed body is likelier. */
	if ((root = cJSON_ParseWithLengthOpts(buf, len, &end, 0)) == NULL)
		goto out;
	if (!cJSON_IsObject(root) || end == NULL || end < buf ||
	    end > buf + len || !json_tail_blank(end, buf + len))
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

	/*
	 * Only the types licensehook acts on are looked into; the rest are
	 * recorded by id and ignored, whatever their data holds.
	 */
	if (strcmp(e->type_name, EVENT_TYPE_CHECKOUT) == 0) {
		e->type = LH_EVT_CHECKOUT_COMPLETED;
		if ((r = event_checkout(root, e)) != LH_OK)
			goto out;
	} else
		e->type = LH_EVT_OTHER;

	*out = e;
	e = NULL;	/* transferred */
	r = LH_OK;
 out:
	event_free(e);
	cJSON_Delete(root);
	free(buf);
	return r;
}

void
event_free(struct lh_event *e)
{
	if (e == NULL)
		return;
	free(e->id);
	free(e->type_name);
	free(e->object_id);
	free(e->mode);
	free(e->payment_status);
	free(e->customer_id);
	free(e->email);
	free(e->name);
	free(e->subscription_id);
	free(e->client_reference_id);
	free(e->plan_hint);
	free(e);
}
