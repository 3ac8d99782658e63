/*
 * Fuzz target: license API request bodies, api_parse(), and answers,
 * api_fmt() (api.c).
 *
 * Input: parsed three times, as a form body, as a JSON body, and split
 * at its first newline into a CONTENT_TYPE (the first line) and a body
 * (the rest), so that the media type parser is fuzzed too.  A failed
 * parse must leave the request zeroed ("absent fields are ''").  A
 * request that parsed becomes an answer: its fields fill the key,
 * instance, customer and features of a struct lh_api_answer (with an
 * operation, code and times chosen from the input), and api_fmt() must
 * succeed, since api_parse() refuses bad UTF-8 and api_fmt() fails only
 * on that, on times outside years 1-9999 and on lack of memory.  The
 * answer must be one JSON object that gives the key and instance back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lh.h"

#define FUZZ_NAME	api
#include "fuzz.h"

#define API_FORM	"application/x-www-form-urlencoded"
#define API_JSON	"application/json"
#define API_T_LAST	253402300799LL	/* 9999-12-31T23:59:59Z */
#define API_CODES	(LH_CODE_MISSING_FIELD + 1)

static const char *api_member_str(const cJSON *, const char *);
static void	api_check_answer(const struct lh_api_req *, unsigned);
static void	api_check(enum lh_err, const struct lh_api_req *, int,
		    unsigned);

/* The string member name of obj, or NULL if absent or not a string. */
static const char *
api_member_str(const cJSON *obj, const char *name)
{
	const cJSON	*item;

	item = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(item) ? item->valuestring : NULL;
}

static void
api_check_answer(const struct lh_api_req *req, unsigned sel)
{
	static const char *const verbs[] =
	    { "activated", "valid", "deactivated" };
	struct lh_api_verdict	 v;
	struct lh_api_answer	 a;
	const cJSON		*lk, *inst;
	cJSON			*root;
	const char		*s;
	char			*out = NULL;
	size_t			 len = 0;
	enum lh_err		 rc;

	memset(&v, 0, sizeof(v));
	v.code = (enum lh_api_code)(sel % API_CODES);
	v.ok = (sel >> 4) & 1;
	v.paid = (sel >> 5) & 1;
	v.limit = (int)(sel >> 6) % 4;
	v.http = 200;
	v.error = v.ok ? NULL : "license_key not found";

	memset(&a, 0, sizeof(a));
	a.op = (enum lh_api_op)(sel % 3);
	a.verdict = &v;
	a.license_id = (long long)sel;
	a.key = req->license_key[0] != '\0' ? req->license_key : NULL;
	a.status = "active";
	a.activation_usage = (int)(sel % 7);
	a.created_at = 1700000000;
	a.expires_at = (sel & 0x100) ? 0 : API_T_LAST;
	a.instance_id = req->instance_id[0] != '\0' ? req->instance_id : NULL;
	a.instance_name = req->instance_name;
	a.instance_created_at = 1;
	a.customer_name = req->instance_name;
	a.customer_email = req->license_key;
	a.tier = (sel & 0x200) ? NULL : "pro";
	a.features = req->instance_name;
	a.grace_deadline = (sel & 0x400) ? 0 : 1700000000;
	a.token = req->want_token ? req->instance_id : NULL;

	rc = api_fmt(&a, &out, &len);
	FUZZ_ASSERT(rc == LH_OK || rc == LH_ERR_NOMEM);
	if (rc != LH_OK) {
		FUZZ_ASSERT(out == NULL && len == 0);
		return;
	}
	FUZZ_ASSERT(out != NULL && strlen(out) == len);
	root = cJSON_ParseWithLength(out, len);
	FUZZ_ASSERT(cJSON_IsObject(root));
	FUZZ_ASSERT(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(root,
	    verbs[a.op])));
	lk = cJSON_GetObjectItemCaseSensitive(root, "license_key");
	if (a.key == NULL)
		FUZZ_ASSERT(cJSON_IsNull(lk));
	else {
		FUZZ_ASSERT(cJSON_IsObject(lk));
		s = api_member_str(lk, "key");
		FUZZ_ASSERT(s != NULL && strcmp(s, a.key) == 0);
	}
	inst = cJSON_GetObjectItemCaseSensitive(root, "instance");
	if (a.instance_id == NULL)
		FUZZ_ASSERT(cJSON_IsNull(inst));
	else {
		FUZZ_ASSERT(cJSON_IsObject(inst));
		s = api_member_str(inst, "id");
		FUZZ_ASSERT(s != NULL && strcmp(s, a.instance_id) == 0);
		s = api_member_str(inst, "name");
		FUZZ_ASSERT(s != NULL && strcmp(s, a.instance_name) == 0);
	}
	FUZZ_ASSERT(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root,
	    "features")));
	cJSON_Delete(root);
	free(out);
}

static void
api_check(enum lh_err rc, const struct lh_api_req *req, int media_may_fail,
    unsigned sel)
{
	if (rc != LH_OK) {
		FUZZ_ASSERT(rc == LH_ERR_API_REQUEST || rc == LH_ERR_NOMEM ||
		    (media_may_fail && rc == LH_ERR_API_MEDIA));
		FUZZ_ASSERT(fuzz_zero(req, sizeof(*req)));
		return;
	}
	FUZZ_ASSERT(fuzz_terminated(req->license_key,
	    sizeof(req->license_key)));
	FUZZ_ASSERT(fuzz_terminated(req->instance_name,
	    sizeof(req->instance_name)));
	FUZZ_ASSERT(fuzz_terminated(req->instance_id,
	    sizeof(req->instance_id)));
	FUZZ_ASSERT(req->want_token == 0 || req->want_token == 1);
	api_check_answer(req, sel);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lh_api_req req;
	const uint8_t	*body;
	char		*ct;
	size_t		 ctlen, blen, i;
	unsigned	 sel = 0;
	enum lh_err	 rc;

	/* The answer's knobs: a cheap hash of the input. */
	for (i = 0; i < size; i++)
		sel = sel * 31 + data[i];

	memset(&req, 0xa5, sizeof(req));
	rc = api_parse(API_FORM, (const char *)data, size, &req);
	api_check(rc, &req, 0, sel);

	memset(&req, 0xa5, sizeof(req));
	rc = api_parse(API_JSON "; charset=utf-8", (const char *)data, size,
	    &req);
	api_check(rc, &req, 0, sel >> 3);

	fuzz_split(data, size, &ctlen, &body, &blen);
	if ((ct = fuzz_cstr(data, ctlen)) == NULL)
		return 0;
	memset(&req, 0xa5, sizeof(req));
	rc = api_parse(ct, (const char *)body, blen, &req);
	api_check(rc, &req, 1, sel >> 7);
	free(ct);

	memset(&req, 0xa5, sizeof(req));
	FUZZ_ASSERT(api_parse(NULL, (const char *)data, size, &req) ==
	    LH_ERR_API_MEDIA);
	FUZZ_ASSERT(fuzz_zero(&req, sizeof(req)));
	return 0;
}
