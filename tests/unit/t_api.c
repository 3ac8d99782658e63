/*
 * t_api: the license API core (api.c).
 *
 *  1. api_parse(): media types (case, parameters, charset), then form
 *     and JSON bodies over a table of valid and invalid input: every
 *     error class, duplicate and case-variant field names, percent and
 *     "+" decoding, NUL and control bytes, bad UTF-8, trailing bytes,
 *     wrong JSON types; each field at its limit and one past it; JSON
 *     nesting at LH_JSON_DEPTH_MAX and one past it.
 *  2. api_decide(): every operation against every key state (not found,
 *     active, trialing, grace, suspended, revoked, expired) and instance
 *     situation (found or not, under, at and over the limit, unlimited,
 *     no tier); required fields; paid under other allowed sets; views
 *     license_view() never makes; NULL arguments.
 *  3. api_fmt(): whole answers against expected JSON text, parsed back
 *     with cJSON, and its failures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lh.h"
#include "tap.h"

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

#define FORM		"application/x-www-form-urlencoded"
#define JSON		"application/json"
#define REQ		LH_ERR_API_REQUEST
#define MEDIA		LH_ERR_API_MEDIA

/* The documented default of [api] allowed. */
#define ALLOW_DEFAULT	(LH_ALLOW(LH_LIC_ACTIVE) | \
			    LH_ALLOW(LH_LIC_TRIALING) | LH_ALLOW(LH_LIC_GRACE))

/* The string (len bytes) with control and high bytes escaped. */
static const char *
vis(const char *s, size_t len)
{
	static char	 buf[160];
	size_t		 i, o = 0;

	if (s == NULL)
		return "(null)";
	for (i = 0; i < len && o + 8 < sizeof(buf); i++) {
		if (s[i] >= 0x20 && s[i] < 0x7f)
			buf[o++] = s[i];
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o,
			    "\\x%02x", (unsigned char)s[i]);
	}
	if (i < len)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "...");
	buf[o] = '\0';
	return buf;
}

/* ---- 1. api_parse() ------------------------------------------------ */

enum kind { K_FORM, K_JSON, K_MEDIA };

static const struct {
	const char	*ct;
	enum kind	 kind;
} media[] = {
	{ JSON,						K_JSON },
	{ "APPLICATION/JSON",				K_JSON },
	{ "Application/Json; charset=utf-8",		K_JSON },
	{ "application/json;charset=UTF-8",		K_JSON },
	{ "application/json ; charset=\"utf-8\"",	K_JSON },
	{ "application/json; charset=us-ascii",		K_JSON },
	{ "application/json; foo=bar; charset=utf-8",	K_JSON },
	{ "application/json; foo=\"a;b\\\"c\"",		K_JSON },
	{ "application/json;",				K_JSON },
	{ "application/json;;",				K_JSON },
	{ " application/json",				K_JSON },
	{ "application/json\t",				K_JSON },
	{ FORM,						K_FORM },
	{ "APPLICATION/X-WWW-FORM-URLENCODED",		K_FORM },
	{ FORM "; charset=utf-8",			K_FORM },
	{ FORM ";charset=UTF-8",			K_FORM },
	{ "application/json; charset=iso-8859-1",	K_MEDIA },
	{ "application/json; charset=utf8",		K_MEDIA },
	{ "application/json; charset=\"utf-16\"",	K_MEDIA },
	{ FORM "; charset=latin1",			K_MEDIA },
	{ "application/json; charset",			K_MEDIA },
	{ "application/json; charset=",			K_MEDIA },
	{ "application/json; =utf-8",			K_MEDIA },
	{ "application/json; charset=\"utf-8",		K_MEDIA },
	{ "application/json; charset=\"utf-8\\",	K_MEDIA },
	{ "application/json x",				K_MEDIA },
	{ "application/json,text/plain",		K_MEDIA },
	{ "application/jsonx",				K_MEDIA },
	{ "application/json/x",				K_MEDIA },
	{ "application/json-patch+json",		K_MEDIA },
	{ "application/ld+json",			K_MEDIA },
	{ "text/json",					K_MEDIA },
	{ "application",				K_MEDIA },
	{ "application/",				K_MEDIA },
	{ "multipart/form-data; boundary=x",		K_MEDIA },
	{ "text/plain",					K_MEDIA },
	{ "application/x-www-form-urlencodedx",		K_MEDIA },
	{ "",						K_MEDIA },
	{ " ",						K_MEDIA },
	{ ";charset=utf-8",				K_MEDIA },
	{ NULL,						K_MEDIA },
};

/*
 * One body, parsed as form (f == 1) or JSON.  len 0 takes strlen();
 * failing rows expect every field empty (out is cleared).
 */
struct pcase {
	int		 f;
	const char	*body;
	size_t		 len;
	enum lh_err	 want;
	const char	*key;
	const char	*name;
	const char	*id;
	int		 token;
};

#define F(b, w, k, n, i, t)	{ 1, b, 0, w, k, n, i, t }
#define FL(b, w, k, n, i, t)	{ 1, b, sizeof(b) - 1, w, k, n, i, t }
#define J(b, w, k, n, i, t)	{ 0, b, 0, w, k, n, i, t }
#define JL(b, w, k, n, i, t)	{ 0, b, sizeof(b) - 1, w, k, n, i, t }
#define FBAD(b)			F(b, REQ, "", "", "", 0)
#define JBAD(b)			J(b, REQ, "", "", "", 0)

static const struct pcase pcases[] = {
	/* Form: valid. */
	F("", LH_OK, "", "", "", 0),
	F("license_key=LH-ABCD", LH_OK, "LH-ABCD", "", "", 0),
	F("license_key=LH-ABCD&instance_name=My+Laptop&instance_id=i_1"
	    "&token=1", LH_OK, "LH-ABCD", "My Laptop", "i_1", 1),
	F("instance_id=i_1&license_key=k", LH_OK, "k", "", "i_1", 0),
	F("instance_name=a+b%2Bc%20d", LH_OK, "", "a b+c d", "", 0),
	F("license_key=%41%42%43", LH_OK, "ABC", "", "", 0),
	F("instance_name=%c3%a9t%C3%A9", LH_OK, "", "\xc3\xa9t\xc3\xa9", "",
	    0),
	F("instance_name=%E2%9C%93%F0%9F%98%80", LH_OK, "",
	    "\xe2\x9c\x93\xf0\x9f\x98\x80", "", 0),
	F("instance_name=\xc3\xa9", LH_OK, "", "\xc3\xa9", "", 0),
	F("license_key=+k+", LH_OK, " k ", "", "", 0),
	F("license_key=%20k%20", LH_OK, " k ", "", "", 0),
	F("license_key=lh-abcd", LH_OK, "lh-abcd", "", "", 0),
	F("license_key=a=b", LH_OK, "a=b", "", "", 0),
	F("license_key", LH_OK, "", "", "", 0),
	F("license_key=", LH_OK, "", "", "", 0),
	F("&&license_key=k&", LH_OK, "k", "", "", 0),
	F("&", LH_OK, "", "", "", 0),
	F("=", LH_OK, "", "", "", 0),
	F("=k", LH_OK, "", "", "", 0),
	F("license%5Fkey=k", LH_OK, "k", "", "", 0),
	F("license%5fkey=k", LH_OK, "k", "", "", 0),
	F("instance_name=a%26b%3Dc", LH_OK, "", "a&b=c", "", 0),
	F("token=true", LH_OK, "", "", "", 1),
	F("token=0", LH_OK, "", "", "", 0),
	F("token=false", LH_OK, "", "", "", 0),
	/* Unknown fields are ignored, whatever they decode to. */
	F("x=1&license_key=k&y", LH_OK, "k", "", "", 0),
	F("x=1&x=2&license_key=k", LH_OK, "k", "", "", 0),
	F("x=%FF%00%0A&license_key=k", LH_OK, "k", "", "", 0),
	F("x=\xff&license_key=k", LH_OK, "k", "", "", 0),
	/* Names match exactly: a variant is an unknown field. */
	F("License_Key=k", LH_OK, "", "", "", 0),
	F("LICENSE_KEY=k", LH_OK, "", "", "", 0),
	F("license_key=a&License_Key=b", LH_OK, "a", "", "", 0),
	F("license_key+=k", LH_OK, "", "", "", 0),
	F("+license_key=k", LH_OK, "", "", "", 0),
	F("license-key=k", LH_OK, "", "", "", 0),
	F("Token=1", LH_OK, "", "", "", 0),
	FL("license_key%00=k", LH_OK, "", "", "", 0),
	FL("license_key\0=k", LH_OK, "", "", "", 0),
	F("license_key=k&license_key%00x=j", LH_OK, "k", "", "", 0),
	/* Form: a known field twice, whatever the values. */
	FBAD("license_key=a&license_key=b"),
	FBAD("license_key=a&license_key=a"),
	FBAD("license_key=&license_key=b"),
	FBAD("license_key&license_key"),
	FBAD("license_key=a&license%5Fkey=b"),
	FBAD("instance_id=a&instance_id=b"),
	FBAD("instance_name=a&x=1&instance_name=b"),
	FBAD("token=1&token=1"),
	FBAD("token=0&token=1"),
	/* Form: bad percent-encoding, in a known or unknown name or value. */
	FBAD("license_key=%"),
	FBAD("license_key=%4"),
	FBAD("license_key=%4G"),
	FBAD("license_key=%G4"),
	FBAD("license_key=%%41"),
	FBAD("license_key=k%"),
	FBAD("license_key=%+1"),
	FBAD("license_key=%-1"),
	FBAD("x=%zz&license_key=k"),
	FBAD("lic%ZZ=1"),
	FBAD("license_key%=k"),
	FBAD("%"),
	/* Form: values licensehook keeps must be clean text. */
	FBAD("license_key=%00"),
	FBAD("license_key=k%00"),
	FL("license_key=k\0", REQ, "", "", "", 0),
	FL("instance_name=a\0b", REQ, "", "", "", 0),
	FBAD("instance_name=a%0Ab"),
	FBAD("instance_name=a%0D"),
	FBAD("instance_name=%09tab"),
	FBAD("license_key=k\n"),
	FBAD("license_key=k\r\n"),
	FBAD("instance_name=%1B[31m"),
	FBAD("instance_name=%7F"),
	FBAD("instance_name=%C2%85"),
	FBAD("instance_name=%C2%9F"),
	F("instance_name=%C2%A0", LH_OK, "", "\xc2\xa0", "", 0),
	FBAD("instance_name=%C3"),
	FBAD("instance_name=%C3%28"),
	FBAD("instance_name=%C0%AF"),
	FBAD("instance_name=%E0%80%AF"),
	FBAD("instance_name=%ED%A0%80"),
	FBAD("instance_name=%F4%90%80%80"),
	FBAD("instance_name=%FF"),
	FBAD("instance_name=\xff"),
	FBAD("instance_id=\xc3"),
	/* Form: token takes 1, true, 0 or false, nothing else. */
	FBAD("token="),
	FBAD("token"),
	FBAD("token=yes"),
	FBAD("token=TRUE"),
	FBAD("token=True"),
	FBAD("token=2"),
	FBAD("token=01"),
	FBAD("token=+1"),
	FBAD("token=1+"),
	FBAD("token=on"),

	/* JSON: valid. */
	J("{}", LH_OK, "", "", "", 0),
	J("{\"license_key\":\"LH-ABCD\"}", LH_OK, "LH-ABCD", "", "", 0),
	J(" {\"license_key\" : \"k\" , \"instance_name\":\"My Laptop\","
	    "\"instance_id\":\"i_1\",\"token\":true}\r\n\t ", LH_OK, "k",
	    "My Laptop", "i_1", 1),
	J("{\"token\":false}", LH_OK, "", "", "", 0),
	J("{\"token\":null,\"license_key\":null}", LH_OK, "", "", "", 0),
	J("{\"license_key\":\"\"}", LH_OK, "", "", "", 0),
	J("{\"license_key\":\" k \"}", LH_OK, " k ", "", "", 0),
	J("{\"license\\u005fkey\":\"k\"}", LH_OK, "k", "", "", 0),
	J("{\"instance_name\":\"caf\\u00e9 \\ud83d\\ude00\"}", LH_OK, "",
	    "caf\xc3\xa9 \xf0\x9f\x98\x80", "", 0),
	J("{\"instance_name\":\"caf\xc3\xa9\"}", LH_OK, "", "caf\xc3\xa9", "",
	    0),
	J("{\"instance_name\":\"a\\\"b\\\\c\\/d\"}", LH_OK, "", "a\"b\\c/d",
	    "", 0),
	/* Unknown members may hold anything, even duplicates. */
	J("{\"x\":1,\"y\":{\"z\":[1,{\"license_key\":2}]},\"license_key\":"
	    "\"k\",\"w\":null}", LH_OK, "k", "", "", 0),
	J("{\"x\":1,\"x\":\"2\",\"license_key\":\"k\"}", LH_OK, "k", "", "",
	    0),
	J("{\"x\":\"a\\nb\\u0001\",\"license_key\":\"k\"}", LH_OK, "k", "",
	    "", 0),
	J("{\"x\":\"\\\\u0000\"}", LH_OK, "", "", "", 0),
	/* Names match exactly: cJSON's lookups would take these. */
	J("{\"License_Key\":\"k\"}", LH_OK, "", "", "", 0),
	J("{\"LICENSE_KEY\":\"k\"}", LH_OK, "", "", "", 0),
	J("{\"license_key\":\"a\",\"License_Key\":\"b\"}", LH_OK, "a", "", "",
	    0),
	J("{\"License_Key\":\"b\",\"license_key\":\"a\"}", LH_OK, "a", "", "",
	    0),
	J("{\"Token\":true}", LH_OK, "", "", "", 0),
	J("{\"license_key \":\"k\"}", LH_OK, "", "", "", 0),
	/* JSON: a known member twice, whatever the values. */
	JBAD("{\"license_key\":\"a\",\"license_key\":\"b\"}"),
	JBAD("{\"license_key\":\"a\",\"license_key\":\"a\"}"),
	JBAD("{\"license_key\":null,\"license_key\":\"a\"}"),
	JBAD("{\"license_key\":\"a\",\"license\\u005fkey\":\"b\"}"),
	JBAD("{\"instance_id\":\"a\",\"x\":1,\"instance_id\":\"b\"}"),
	JBAD("{\"token\":true,\"token\":true}"),
	/* JSON: wrong types. */
	JBAD("{\"license_key\":123}"),
	JBAD("{\"license_key\":1.5}"),
	JBAD("{\"license_key\":true}"),
	JBAD("{\"license_key\":[\"k\"]}"),
	JBAD("{\"license_key\":{\"k\":1}}"),
	JBAD("{\"instance_name\":0}"),
	JBAD("{\"instance_id\":7}"),
	JBAD("{\"token\":1}"),
	JBAD("{\"token\":\"true\"}"),
	JBAD("{\"token\":\"1\"}"),
	JBAD("{\"token\":[]}"),
	/* JSON: values licensehook keeps must be clean text. */
	JBAD("{\"instance_name\":\"a\\nb\"}"),
	JBAD("{\"instance_name\":\"a\\tb\"}"),
	JBAD("{\"instance_name\":\"\\u0001\"}"),
	JBAD("{\"instance_name\":\"\\u007f\"}"),
	JBAD("{\"instance_name\":\"\\u0085\"}"),
	JBAD("{\"license_key\":\"k\\u0000x\"}"),
	JBAD("{\"license_key\\u0000x\":\"k\"}"),
	JBAD("{\"x\":\"\\u0000\",\"license_key\":\"k\"}"),
	JBAD("{\"instance_name\":\"\\ud800\"}"),
	JBAD("{\"instance_name\":\"\\udc00\"}"),
	JBAD("{\"instance_name\":\"\\ud83d\\u0041\"}"),
	/* JSON: raw bytes RFC 8259 forbids, and bad UTF-8 anywhere. */
	JBAD("{\"instance_name\":\"a\tb\"}"),
	JBAD("{\"x\":\"a\nb\"}"),
	JL("{\"license_key\":\"k\0\"}", REQ, "", "", "", 0),
	JL("{\"license_key\":\"k\"}\0", REQ, "", "", "", 0),
	JBAD("{\"x\":\"\xff\"}"),
	JBAD("{\"x\":\"\xc0\xaf\"}"),
	JBAD("{\"x\":\"\xed\xa0\x80\"}"),
	JBAD("{\"x\":\"\xc3\"}"),
	JBAD("\xef\xbb\xbf{}"),
	JBAD("{\"license_key\":\"k\"}\x0b"),
	JBAD("\x0c{}"),
	/* JSON: exactly one object, nothing after it but whitespace. */
	JBAD(""),
	JBAD(" "),
	JBAD("{"),
	JBAD("}"),
	JBAD("{}x"),
	JBAD("{}{}"),
	JBAD("{} {}"),
	JBAD("{\"license_key\":\"k\"}x"),
	JBAD("{\"license_key\":\"k\"},"),
	JBAD("{\"license_key\":\"k\"}]"),
	JBAD("{\"license_key\":\"k\"}\"\""),
	JBAD("[]"),
	JBAD("[{\"license_key\":\"k\"}]"),
	JBAD("\"license_key\""),
	JBAD("1"),
	JBAD("null"),
	JBAD("true"),
	JBAD("{license_key:\"k\"}"),
	JBAD("{'license_key':'k'}"),
	JBAD("{\"license_key\":\"k\",}"),
	JBAD("{\"license_key\" \"k\"}"),
	JBAD("{\"license_key\":\"k\""),
	JBAD("{\"license_key\":\"k}"),
	JBAD("{\"license_key\":\"\\x41\"}"),
	JBAD("{\"license_key\":\"k\"/*c*/}"),
	/* A form body is no JSON, and the other way round. */
	JBAD("license_key=k"),
	F("{\"license_key\":\"k\"}", LH_OK, "", "", "", 0),
};

/* Parse body as the media type the case names; check out. */
static void
parse_check(const char *ct, const char *body, size_t len, enum lh_err want,
    const char *key, const char *name, const char *id, int token,
    const char *label)
{
	struct lh_api_req req;

	memset(&req, 'x', sizeof(req));
	req.want_token = 7;
	is_int(api_parse(ct, body, len, &req), want, "%s: %s", label,
	    want == LH_OK ? "ok" : want == REQ ? "bad request" :
	    want == MEDIA ? "bad media type" : "error");
	is_str(req.license_key, key, "%s: license_key", label);
	is_str(req.instance_name, name, "%s: instance_name", label);
	is_str(req.instance_id, id, "%s: instance_id", label);
	is_int(req.want_token, token, "%s: token", label);
}

static void
test_media(void)
{
	char		 label[200];
	const char	*fb = "license_key=k", *jb = "{\"license_key\":\"j\"}";
	size_t		 i;

	for (i = 0; i < nitems(media); i++) {
		(void)snprintf(label, sizeof(label), "media \"%s\"",
		    media[i].ct ? vis(media[i].ct, strlen(media[i].ct)) :
		    "(null)");
		switch (media[i].kind) {
		case K_FORM:
			parse_check(media[i].ct, fb, strlen(fb), LH_OK, "k",
			    "", "", 0, label);
			/* JSON text is one unknown form field. */
			parse_check(media[i].ct, jb, strlen(jb), LH_OK, "",
			    "", "", 0, label);
			break;
		case K_JSON:
			parse_check(media[i].ct, jb, strlen(jb), LH_OK, "j",
			    "", "", 0, label);
			parse_check(media[i].ct, fb, strlen(fb), REQ, "",
			    "", "", 0, label);
			break;
		case K_MEDIA:
			parse_check(media[i].ct, jb, strlen(jb), MEDIA, "",
			    "", "", 0, label);
			parse_check(media[i].ct, "", 0, MEDIA, "", "", "", 0,
			    label);
			break;
		}
	}
}

static void
test_bodies(void)
{
	const struct pcase *c;
	char		 label[200];
	size_t		 i, len;

	for (i = 0; i < nitems(pcases); i++) {
		c = &pcases[i];
		len = c->len != 0 ? c->len : strlen(c->body);
		(void)snprintf(label, sizeof(label), "%s \"%s\"",
		    c->f ? "form" : "json", vis(c->body, len));
		parse_check(c->f ? FORM : JSON, c->body, len, c->want, c->key,
		    c->name, c->id, c->token, label);
	}
}

/*
 * Each field at its limit and one past it, in both encodings, and the
 * same for an unknown form field's name and value (LH_API_FIELD_MAX).
 * Percent-encoded bytes count once decoded.
 */
static void
test_limits(void)
{
	static const struct {
		const char	*name;
		size_t		 max;
	} lim[] = {
		{ "license_key",	LH_KEY_MAX - 1 },
		{ "instance_name",	LH_INSTANCE_NAME_MAX },
		{ "instance_id",	LH_INSTANCE_ID_MAX },
	};
	struct lh_api_req req;
	char		 body[4 * LH_API_FIELD_MAX + 64];
	char		 val[LH_API_FIELD_MAX + 2];
	char		 label[100];
	const char	*got;
	size_t		 i, n, k, o;
	int		 enc;

	for (i = 0; i < nitems(lim); i++) {
		for (n = lim[i].max; n <= lim[i].max + 1; n++) {
			memset(val, 'A', n);
			val[n] = '\0';
			/* Form, plain and every byte percent-encoded. */
			for (enc = 0; enc <= 1; enc++) {
				o = (size_t)snprintf(body, sizeof(body), "%s=",
				    lim[i].name);
				for (k = 0; k < n; k++)
					o += (size_t)snprintf(body + o,
					    sizeof(body) - o, "%s",
					    enc ? "%41" : "A");
				(void)snprintf(label, sizeof(label),
				    "form %s%s of %zu bytes", lim[i].name,
				    enc ? " (encoded)" : "", n);
				is_int(api_parse(FORM, body, o, &req),
				    n <= lim[i].max ? LH_OK : REQ, "%s", label);
				got = i == 0 ? req.license_key : i == 1 ?
				    req.instance_name : req.instance_id;
				is_str(got, n <= lim[i].max ? val : "",
				    "%s: value", label);
			}
			/* JSON, plain and with a two-byte character last. */
			o = (size_t)snprintf(body, sizeof(body),
			    "{\"%s\":\"%s\"}", lim[i].name, val);
			is_int(api_parse(JSON, body, o, &req),
			    n <= lim[i].max ? LH_OK : REQ,
			    "json %s of %zu bytes", lim[i].name, n);
			val[n - 2] = '\0';
			o = (size_t)snprintf(body, sizeof(body),
			    "{\"%s\":\"%s\\u00e9\"}", lim[i].name, val);
			is_int(api_parse(JSON, body, o, &req),
			    n <= lim[i].max ? LH_OK : REQ,
			    "json %s of %zu bytes, last escaped", lim[i].name,
			    n);
		}
	}

	/* An unknown form field: name, then value, at the bound and past. */
	for (n = LH_API_FIELD_MAX; n <= LH_API_FIELD_MAX + 1; n++) {
		memset(body, 'x', n);
		o = n + (size_t)snprintf(body + n, sizeof(body) - n,
		    "=1&license_key=k");
		is_int(api_parse(FORM, body, o, &req),
		    n <= LH_API_FIELD_MAX ? LH_OK : REQ,
		    "form unknown name of %zu bytes", n);
		o = (size_t)snprintf(body, sizeof(body), "x=");
		for (k = 0; k < n; k++)
			o += (size_t)snprintf(body + o, sizeof(body) - o,
			    "%s", k % 2 ? "%7e" : "+");
		o += (size_t)snprintf(body + o, sizeof(body) - o,
		    "&license_key=k");
		is_int(api_parse(FORM, body, o, &req),
		    n <= LH_API_FIELD_MAX ? LH_OK : REQ,
		    "form unknown value of %zu decoded bytes", n);
		is_str(req.license_key, n <= LH_API_FIELD_MAX ? "k" : "",
		    "form unknown value of %zu decoded bytes: key", n);
	}
}

/* JSON nesting: the root object counts; LH_JSON_DEPTH_MAX and one more. */
static void
test_depth(void)
{
	struct lh_api_req req;
	char		 body[2 * LH_JSON_DEPTH_MAX + 64];
	size_t		 depth, o, k;

	for (depth = LH_JSON_DEPTH_MAX; depth <= LH_JSON_DEPTH_MAX + 1;
	    depth++) {
		o = (size_t)snprintf(body, sizeof(body),
		    "{\"license_key\":\"k\",\"x\":");
		for (k = 1; k < depth; k++)
			body[o++] = '[';
		for (k = 1; k < depth; k++)
			body[o++] = ']';
		body[o++] = '}';
		is_int(api_parse(JSON, body, o, &req),
		    depth <= LH_JSON_DEPTH_MAX ? LH_OK : REQ,
		    "json nested %zu deep", depth);
		is_str(req.license_key, depth <= LH_JSON_DEPTH_MAX ? "k" : "",
		    "json nested %zu deep: key", depth);
	}
}

static void
test_parse_misc(void)
{
	struct lh_api_req req;
	const char	*b = "license_key=k&instance_name=n";

	is_int(api_parse(FORM, "x", 1, NULL), LH_ERR_INTERNAL, "NULL out");
	memset(&req, 'x', sizeof(req));
	is_int(api_parse(FORM, NULL, 5, &req), LH_ERR_INTERNAL,
	    "NULL body with a length");
	is_str(req.license_key, "", "NULL body: out cleared");
	is_int(api_parse(FORM, NULL, 0, &req), LH_OK, "form NULL body, 0");
	is_int(api_parse(JSON, NULL, 0, &req), REQ, "json NULL body, 0");
	/* Only len bytes are read: the rest is not the body. */
	is_int(api_parse(FORM, b, 13, &req), LH_OK, "form prefix");
	is_str(req.license_key, "k", "form prefix: key");
	is_str(req.instance_name, "", "form prefix: name not read");
	is_int(api_parse(JSON, "{}garbage", 2, &req), LH_OK, "json prefix");
	/* A failure leaves nothing behind, not even the fields before it. */
	is_int(api_parse(FORM, "license_key=k&token=1&x=%", 25, &req), REQ,
	    "form fails late");
	is_str(req.license_key, "", "form fails late: key cleared");
	is_int(req.want_token, 0, "form fails late: token cleared");
}

/* ---- 2. api_decide() ----------------------------------------------- */

static void
test_codes(void)
{
	static const struct {
		enum lh_api_code c;
		const char	*name;
	} names[] = {
		{ LH_CODE_VALID,		"valid" },
		{ LH_CODE_GRACE,		"grace" },
		{ LH_CODE_NOT_FOUND,		"not_found" },
		{ LH_CODE_SUSPENDED,		"suspended" },
		{ LH_CODE_REVOKED,		"revoked" },
		{ LH_CODE_EXPIRED,		"expired" },
		{ LH_CODE_NO_INSTANCE,		"no_such_instance" },
		{ LH_CODE_TOO_MANY,		"too_many_instances" },
		{ LH_CODE_LIMIT_REACHED,	"activation_limit_reached" },
		{ LH_CODE_MISSING_FIELD,	"missing_field" },
	};
	size_t		 i;

	for (i = 0; i < nitems(names); i++)
		is_str(api_code_name(names[i].c), names[i].name,
		    "code %d name", (int)names[i].c);
	is_str(api_code_name((enum lh_api_code)99), "unknown",
	    "code out of range");
	is_str(api_code_name((enum lh_api_code)-1), "unknown",
	    "negative code");
}

enum state { S_NF, S_ACT, S_TRI, S_GRC, S_SUS, S_REV, S_EXP };

static const char *const state_names[] = {
	"not found", "active", "trialing", "grace", "suspended", "revoked",
	"expired"
};

/* Where the instance stands; the tier allows 2 unless said otherwise. */
enum sit {
	I_NONE,		/* 0 active, this one not among them */
	I_IN,		/* 1 active, this one */
	I_OUT,		/* 1 active, another */
	I_AT_IN,	/* 2 active (at the limit), this one among them */
	I_AT_OUT,	/* 2 active, not this one */
	I_OV_IN,	/* 3 active (over, after a downgrade), this one */
	I_OV_OUT,	/* 3 active, not this one */
	I_UNL_IN,	/* unlimited tier, 50 active, this one */
	I_UNL_OUT,	/* unlimited tier, 50 active, not this one */
	I_NOTIER	/* no tier known, 5 active, not this one */
};

static const struct {
	const char	*name;
	int		 instances;
	int		 found;
	int		 tier;		/* 0: limit 2, 1: unlimited, 2: NULL */
} sits[] = {
	[I_NONE] =	{ "none active",		0, 0, 0 },
	[I_IN] =	{ "1 of 2, this one",		1, 1, 0 },
	[I_OUT] =	{ "1 of 2, another",		1, 0, 0 },
	[I_AT_IN] =	{ "2 of 2, this one",		2, 1, 0 },
	[I_AT_OUT] =	{ "2 of 2, others",		2, 0, 0 },
	[I_OV_IN] =	{ "3 of 2, this one",		3, 1, 0 },
	[I_OV_OUT] =	{ "3 of 2, others",		3, 0, 0 },
	[I_UNL_IN] =	{ "50 unlimited, this one",	50, 1, 1 },
	[I_UNL_OUT] =	{ "50 unlimited, others",	50, 0, 1 },
	[I_NOTIER] =	{ "5, no tier, others",		5, 0, 2 },
};

struct want {
	int		 http;
	enum lh_api_code code;
	int		 ok;
	int		 paid;
};

#define W(h, c, o, p)	{ h, LH_CODE_##c, o, p }
/* Shorthands for the common expectations. */
#define V	W(200, VALID, 1, 1)
#define G	W(200, GRACE, 1, 1)
#define NOI4	W(404, NO_INSTANCE, 0, 0)
#define NOI2	W(200, NO_INSTANCE, 0, 0)
#define MANY	W(200, TOO_MANY, 0, 0)
#define LIM	W(400, LIMIT_REACHED, 0, 0)
#define NF	W(404, NOT_FOUND, 0, 0)

/*
 * Every (key state, instance situation): activate (key, name), validate
 * with an instance_id, validate with the key alone, deactivate (key, id).
 * Allowed: the default (active, trialing, grace).
 */
static const struct {
	enum state	 st;
	enum sit	 sit;
	struct want	 act, val_id, val, deact;
} matrix[] = {
	{ S_NF, I_NONE,		NF, NF, NF, NF },
	{ S_NF, I_IN,		NF, NF, NF, NF },
	{ S_NF, I_OUT,		NF, NF, NF, NF },
	{ S_NF, I_AT_IN,	NF, NF, NF, NF },
	{ S_NF, I_AT_OUT,	NF, NF, NF, NF },
	{ S_NF, I_OV_IN,	NF, NF, NF, NF },
	{ S_NF, I_OV_OUT,	NF, NF, NF, NF },
	{ S_NF, I_UNL_IN,	NF, NF, NF, NF },
	{ S_NF, I_UNL_OUT,	NF, NF, NF, NF },
	{ S_NF, I_NOTIER,	NF, NF, NF, NF },

	{ S_ACT, I_NONE,	V, NOI2, V, NOI4 },
	{ S_ACT, I_IN,		V, V, V, V },
	{ S_ACT, I_OUT,		V, NOI2, V, NOI4 },
	{ S_ACT, I_AT_IN,	V, V, V, V },
	{ S_ACT, I_AT_OUT,	LIM, NOI2, V, NOI4 },
	{ S_ACT, I_OV_IN,	V, MANY, MANY, V },
	{ S_ACT, I_OV_OUT,	LIM, NOI2, MANY, NOI4 },
	{ S_ACT, I_UNL_IN,	V, V, V, V },
	{ S_ACT, I_UNL_OUT,	V, NOI2, V, NOI4 },
	{ S_ACT, I_NOTIER,	V, NOI2, V, NOI4 },

	{ S_TRI, I_NONE,	V, NOI2, V, NOI4 },
	{ S_TRI, I_IN,		V, V, V, V },
	{ S_TRI, I_OUT,		V, NOI2, V, NOI4 },
	{ S_TRI, I_AT_IN,	V, V, V, V },
	{ S_TRI, I_AT_OUT,	LIM, NOI2, V, NOI4 },
	{ S_TRI, I_OV_IN,	V, MANY, MANY, V },
	{ S_TRI, I_OV_OUT,	LIM, NOI2, MANY, NOI4 },
	{ S_TRI, I_UNL_IN,	V, V, V, V },
	{ S_TRI, I_UNL_OUT,	V, NOI2, V, NOI4 },
	{ S_TRI, I_NOTIER,	V, NOI2, V, NOI4 },

	{ S_GRC, I_NONE,	G, NOI2, G, NOI4 },
	{ S_GRC, I_IN,		G, G, G, G },
	{ S_GRC, I_OUT,		G, NOI2, G, NOI4 },
	{ S_GRC, I_AT_IN,	G, G, G, G },
	{ S_GRC, I_AT_OUT,	LIM, NOI2, G, NOI4 },
	{ S_GRC, I_OV_IN,	G, MANY, MANY, G },
	{ S_GRC, I_OV_OUT,	LIM, NOI2, MANY, NOI4 },
	{ S_GRC, I_UNL_IN,	G, G, G, G },
	{ S_GRC, I_UNL_OUT,	G, NOI2, G, NOI4 },
	{ S_GRC, I_NOTIER,	G, NOI2, G, NOI4 },

/* A key that does not work: deactivate still frees a seat it holds. */
#define BAD(st, c, sit, deact)						\
	{ st, sit, W(400, c, 0, 0), W(200, c, 0, 0), W(200, c, 0, 0), deact }
#define BADS(st, c)							\
	BAD(st, c, I_NONE, NOI4),					\
	BAD(st, c, I_IN, W(200, c, 1, 0)),				\
	BAD(st, c, I_OUT, NOI4),					\
	BAD(st, c, I_AT_IN, W(200, c, 1, 0)),				\
	BAD(st, c, I_AT_OUT, NOI4),					\
	BAD(st, c, I_OV_IN, W(200, c, 1, 0)),				\
	BAD(st, c, I_OV_OUT, NOI4),					\
	BAD(st, c, I_UNL_IN, W(200, c, 1, 0)),				\
	BAD(st, c, I_UNL_OUT, NOI4),					\
	BAD(st, c, I_NOTIER, NOI4)
	BADS(S_SUS, SUSPENDED),
	BADS(S_REV, REVOKED),
	BADS(S_EXP, EXPIRED),
#undef BADS
#undef BAD
};

static struct lh_tier	 tier_two = { .name = "two", .max_activations = 2 };
static struct lh_tier	 tier_unl = { .name = "unl", .max_activations = 0 };

static void
view_make(enum state st, struct lh_lic_view *v)
{
	memset(v, 0, sizeof(*v));
	v->reason = "";
	v->tier = "two";
	switch (st) {
	case S_NF:
	case S_ACT:
		v->status = LH_LIC_ACTIVE;
		v->valid = 1;
		break;
	case S_TRI:
		v->status = LH_LIC_TRIALING;
		v->valid = 1;
		break;
	case S_GRC:
		v->status = LH_LIC_GRACE;
		v->valid = 1;
		v->grace = LH_GRACE_WARNED;
		v->grace_deadline = 1795352709;
		break;
	case S_SUS:
		v->status = LH_LIC_SUSPENDED;
		v->reason = "disputed";
		break;
	case S_REV:
		v->status = LH_LIC_REVOKED;
		v->reason = "refunded";
		break;
	case S_EXP:
		v->status = LH_LIC_EXPIRED;
		v->reason = "expired";
		break;
	}
}

static void
facts_make(enum state st, enum sit s, const struct lh_lic_view *v,
    struct lh_api_facts *f)
{
	memset(f, 0, sizeof(*f));
	f->found = st != S_NF;
	f->view = f->found ? v : NULL;
	f->tier = sits[s].tier == 0 ? &tier_two : sits[s].tier == 1 ?
	    &tier_unl : NULL;
	f->instances = sits[s].instances;
	f->instance_found = sits[s].found;
}

static void
req_make(enum lh_api_op op, int with_id, struct lh_api_req *r)
{
	memset(r, 0, sizeof(*r));
	(void)snprintf(r->license_key, sizeof(r->license_key),
	    "LH-ABCD-EFGH-JKLM-NPQR");
	if (op == LH_API_ACTIVATE)
		(void)snprintf(r->instance_name, sizeof(r->instance_name),
		    "laptop");
	if (with_id)
		(void)snprintf(r->instance_id, sizeof(r->instance_id),
		    "inst_1");
}

/* The sentence that goes with a code (when not ok). */
static const char *
want_error(enum lh_api_code c)
{
	switch (c) {
	case LH_CODE_NOT_FOUND:
		return "license_key not found";
	case LH_CODE_SUSPENDED:
		return "license_key is suspended";
	case LH_CODE_REVOKED:
		return "license_key has been revoked";
	case LH_CODE_EXPIRED:
		return "license_key has expired";
	case LH_CODE_NO_INSTANCE:
		return "instance_id not found";
	case LH_CODE_TOO_MANY:
		return "this license key has more active instances than "
		    "its activation limit";
	case LH_CODE_LIMIT_REACHED:
		return "this license key has reached its activation limit";
	default:
		return "?";
	}
}

static void
decide_check(const struct lh_conf *conf, enum lh_api_op op, int with_id,
    enum state st, enum sit s, const struct want *w, const char *opname)
{
	struct lh_api_verdict out;
	struct lh_api_facts facts;
	struct lh_api_req req;
	struct lh_lic_view v;
	char		 label[160];

	view_make(st, &v);
	facts_make(st, s, &v, &facts);
	req_make(op, with_id, &req);
	(void)snprintf(label, sizeof(label), "%s, %s, %s", opname,
	    state_names[st], sits[s].name);
	memset(&out, 0x55, sizeof(out));
	api_decide(conf, op, &req, &facts, &out);
	is_str(api_code_name(out.code), api_code_name(w->code),
	    "%s: code", label);
	is_int(out.http, w->http, "%s: http", label);
	is_int(out.ok, w->ok, "%s: ok", label);
	is_int(out.paid, w->paid, "%s: paid", label);
	is_int(out.limit, sits[s].tier == 0 ? 2 : 0, "%s: limit", label);
	if (w->ok)
		ok(out.error == NULL, "%s: no error", label);
	else
		is_str(out.error, want_error(w->code), "%s: error", label);
}

static void
test_matrix(struct lh_conf *conf)
{
	size_t		 i;

	conf->api.allowed = ALLOW_DEFAULT;
	for (i = 0; i < nitems(matrix); i++) {
		decide_check(conf, LH_API_ACTIVATE, 0, matrix[i].st,
		    matrix[i].sit, &matrix[i].act, "activate");
		decide_check(conf, LH_API_VALIDATE, 1, matrix[i].st,
		    matrix[i].sit, &matrix[i].val_id, "validate id");
		decide_check(conf, LH_API_VALIDATE, 0, matrix[i].st,
		    matrix[i].sit, &matrix[i].val, "validate");
		decide_check(conf, LH_API_DEACTIVATE, 1, matrix[i].st,
		    matrix[i].sit, &matrix[i].deact, "deactivate");
	}
}

/*
 * Required fields come first, before the key is looked at: even an
 * unknown key with a field missing is missing_field.  Whitespace is a
 * value (nothing is trimmed).
 */
static void
test_missing(struct lh_conf *conf)
{
	static const struct {
		enum lh_api_op	 op;
		const char	*key, *name, *id;
		int		 found;
		const char	*error;		/* NULL: not missing */
	} rows[] = {
		{ LH_API_ACTIVATE, "", "n", "", 1, "license_key is required" },
		{ LH_API_ACTIVATE, "", "", "", 0, "license_key is required" },
		{ LH_API_ACTIVATE, "k", "", "i", 1,
		    "instance_name is required" },
		{ LH_API_ACTIVATE, "k", "", "", 0,
		    "instance_name is required" },
		{ LH_API_ACTIVATE, "k", " ", "", 1, NULL },
		{ LH_API_VALIDATE, "", "n", "i", 1, "license_key is required" },
		{ LH_API_VALIDATE, "", "", "", 0, "license_key is required" },
		{ LH_API_VALIDATE, "k", "", "", 1, NULL },
		{ LH_API_VALIDATE, " ", "", "", 1, NULL },
		{ LH_API_DEACTIVATE, "", "", "i", 1,
		    "license_key is required" },
		{ LH_API_DEACTIVATE, "k", "n", "", 1,
		    "instance_id is required" },
		{ LH_API_DEACTIVATE, "k", "", "", 0,
		    "instance_id is required" },
		{ LH_API_DEACTIVATE, "k", "", " ", 1, NULL },
	};
	static const char *const ops[] = { "activate", "validate",
	    "deactivate" };
	struct lh_api_verdict out;
	struct lh_api_facts facts;
	struct lh_api_req req;
	struct lh_lic_view v;
	size_t		 i;

	conf->api.allowed = ALLOW_DEFAULT;
	view_make(S_ACT, &v);
	for (i = 0; i < nitems(rows); i++) {
		memset(&req, 0, sizeof(req));
		(void)snprintf(req.license_key, sizeof(req.license_key), "%s",
		    rows[i].key);
		(void)snprintf(req.instance_name, sizeof(req.instance_name),
		    "%s", rows[i].name);
		(void)snprintf(req.instance_id, sizeof(req.instance_id), "%s",
		    rows[i].id);
		memset(&facts, 0, sizeof(facts));
		facts.found = rows[i].found;
		facts.view = rows[i].found ? &v : NULL;
		facts.tier = &tier_two;
		facts.instance_found = 1;
		facts.instances = 1;
		api_decide(conf, rows[i].op, &req, &facts, &out);
		if (rows[i].error == NULL) {
			is_str(api_code_name(out.code), "valid",
			    "%s key \"%s\" name \"%s\" id \"%s\": present",
			    ops[rows[i].op], rows[i].key, rows[i].name,
			    rows[i].id);
			continue;
		}
		is_str(api_code_name(out.code), "missing_field",
		    "%s key \"%s\" name \"%s\" id \"%s\": code",
		    ops[rows[i].op], rows[i].key, rows[i].name, rows[i].id);
		is_int(out.http, 400, "%s: http 400", rows[i].error);
		is_int(out.ok, 0, "%s: not ok", rows[i].error);
		is_int(out.paid, 0, "%s: not paid", rows[i].error);
		is_str(out.error, rows[i].error, "%s: error", ops[rows[i].op]);
	}
}

/*
 * The gating rule under other allowed sets: paid needs a valid view, an
 * allowed status and a valid or grace code.  Validate with the key
 * alone, 1 of 2 instances active, unless said otherwise.
 */
static void
test_paid(struct lh_conf *conf)
{
	static const struct {
		unsigned	 allowed;
		enum state	 st;
		enum lh_api_op	 op;
		enum sit	 sit;
		enum lh_api_code code;
		int		 ok;
		int		 paid;
	} rows[] = {
#define A(s)	LH_ALLOW(LH_LIC_##s)
		{ A(ACTIVE), S_ACT, LH_API_VALIDATE, I_IN, LH_CODE_VALID, 1,
		    1 },
		{ A(ACTIVE), S_TRI, LH_API_VALIDATE, I_IN, LH_CODE_VALID, 1,
		    0 },
		{ A(ACTIVE), S_GRC, LH_API_VALIDATE, I_IN, LH_CODE_GRACE, 1,
		    0 },
		{ A(ACTIVE), S_ACT, LH_API_ACTIVATE, I_OUT, LH_CODE_VALID, 1,
		    1 },
		{ A(ACTIVE), S_ACT, LH_API_DEACTIVATE, I_IN, LH_CODE_VALID, 1,
		    1 },
		{ A(TRIALING) | A(SUSPENDED), S_TRI, LH_API_VALIDATE, I_IN,
		    LH_CODE_VALID, 1, 1 },
		{ A(TRIALING) | A(SUSPENDED), S_ACT, LH_API_VALIDATE, I_IN,
		    LH_CODE_VALID, 1, 0 },
		{ A(TRIALING) | A(SUSPENDED), S_SUS, LH_API_VALIDATE, I_IN,
		    LH_CODE_SUSPENDED, 0, 0 },
		{ A(GRACE), S_GRC, LH_API_VALIDATE, I_IN, LH_CODE_GRACE, 1, 1 },
		{ A(GRACE), S_ACT, LH_API_VALIDATE, I_IN, LH_CODE_VALID, 1, 0 },
		{ 0, S_ACT, LH_API_VALIDATE, I_IN, LH_CODE_VALID, 1, 0 },
		{ 0, S_GRC, LH_API_ACTIVATE, I_NONE, LH_CODE_GRACE, 1, 0 },
		/* Every status allowed: a key that does not work is unpaid. */
		{ 0x3f, S_ACT, LH_API_VALIDATE, I_IN, LH_CODE_VALID, 1, 1 },
		{ 0x3f, S_SUS, LH_API_VALIDATE, I_IN, LH_CODE_SUSPENDED, 0, 0 },
		{ 0x3f, S_REV, LH_API_VALIDATE, I_IN, LH_CODE_REVOKED, 0, 0 },
		{ 0x3f, S_EXP, LH_API_VALIDATE, I_IN, LH_CODE_EXPIRED, 0, 0 },
		{ 0x3f, S_REV, LH_API_DEACTIVATE, I_IN, LH_CODE_REVOKED, 1, 0 },
		{ 0x3f, S_NF, LH_API_VALIDATE, I_IN, LH_CODE_NOT_FOUND, 0, 0 },
		/* Allowed and valid, but the seat is not. */
		{ 0x3f, S_ACT, LH_API_VALIDATE, I_OV_IN, LH_CODE_TOO_MANY, 0,
		    0 },
		{ 0x3f, S_ACT, LH_API_ACTIVATE, I_AT_OUT,
		    LH_CODE_LIMIT_REACHED, 0, 0 },
		{ 0x3f, S_ACT, LH_API_DEACTIVATE, I_OUT, LH_CODE_NO_INSTANCE,
		    0, 0 },
		{ ~0u, S_GRC, LH_API_VALIDATE, I_IN, LH_CODE_GRACE, 1, 1 },
#undef A
	};
	struct lh_api_verdict out;
	struct lh_api_facts facts;
	struct lh_api_req req;
	struct lh_lic_view v;
	size_t		 i;

	for (i = 0; i < nitems(rows); i++) {
		conf->api.allowed = rows[i].allowed;
		view_make(rows[i].st, &v);
		facts_make(rows[i].st, rows[i].sit, &v, &facts);
		req_make(rows[i].op, rows[i].op == LH_API_DEACTIVATE, &req);
		api_decide(conf, rows[i].op, &req, &facts, &out);
		is_str(api_code_name(out.code), api_code_name(rows[i].code),
		    "allowed %#x, %s, op %d: code", rows[i].allowed,
		    state_names[rows[i].st], (int)rows[i].op);
		is_int(out.ok, rows[i].ok, "allowed %#x, %s, op %d: ok",
		    rows[i].allowed, state_names[rows[i].st], (int)rows[i].op);
		is_int(out.paid, rows[i].paid, "allowed %#x, %s, op %d: paid",
		    rows[i].allowed, state_names[rows[i].st], (int)rows[i].op);
	}
}

/*
 * Views license_view() never makes, and callers' bugs: each fails
 * closed (not ok, not paid).
 */
static void
test_decide_odd(struct lh_conf *conf)
{
	static const struct {
		enum lh_lic_status status;
		int		 valid;
		enum lh_api_code code;
	} odd[] = {
		{ LH_LIC_ACTIVE,	0, LH_CODE_SUSPENDED },
		{ LH_LIC_TRIALING,	0, LH_CODE_SUSPENDED },
		{ LH_LIC_GRACE,		0, LH_CODE_SUSPENDED },
		{ LH_LIC_REVOKED,	1, LH_CODE_REVOKED },
		{ LH_LIC_EXPIRED,	1, LH_CODE_EXPIRED },
		{ LH_LIC_SUSPENDED,	1, LH_CODE_SUSPENDED },
		{ (enum lh_lic_status)40, 1, LH_CODE_SUSPENDED },
	};
	struct lh_api_verdict out;
	struct lh_api_facts facts;
	struct lh_api_req req;
	struct lh_lic_view v;
	struct lh_tier	 neg = { .name = "neg", .max_activations = -3 };
	size_t		 i;

	conf->api.allowed = ~0u;
	for (i = 0; i < nitems(odd); i++) {
		view_make(S_ACT, &v);
		v.status = odd[i].status;
		v.valid = odd[i].valid;
		facts_make(S_ACT, I_IN, &v, &facts);
		req_make(LH_API_VALIDATE, 1, &req);
		api_decide(conf, LH_API_VALIDATE, &req, &facts, &out);
		is_str(api_code_name(out.code), api_code_name(odd[i].code),
		    "odd view status %d valid %d: code", (int)odd[i].status,
		    odd[i].valid);
		ok(!out.ok && !out.paid && out.error != NULL,
		    "odd view status %d valid %d: not ok, not paid",
		    (int)odd[i].status, odd[i].valid);
	}

	/* A negative limit is no limit. */
	view_make(S_ACT, &v);
	facts_make(S_ACT, I_OV_OUT, &v, &facts);
	facts.tier = &neg;
	req_make(LH_API_ACTIVATE, 0, &req);
	api_decide(conf, LH_API_ACTIVATE, &req, &facts, &out);
	is_int(out.limit, 0, "negative limit: 0");
	is_int(out.ok, 1, "negative limit: activates");

	req_make(LH_API_VALIDATE, 0, &req);
	facts_make(S_ACT, I_IN, &v, &facts);
	api_decide(NULL, LH_API_VALIDATE, &req, &facts, &out);
	ok(out.http == 500 && !out.ok && !out.paid && out.error != NULL,
	    "NULL conf: 500");
	api_decide(conf, LH_API_VALIDATE, NULL, &facts, &out);
	ok(out.http == 500 && !out.ok && !out.paid, "NULL req: 500");
	api_decide(conf, LH_API_VALIDATE, &req, NULL, &out);
	ok(out.http == 500 && !out.ok && !out.paid, "NULL facts: 500");
	api_decide(conf, (enum lh_api_op)3, &req, &facts, &out);
	ok(out.http == 500 && !out.ok && !out.paid, "op out of range: 500");
	facts.view = NULL;
	api_decide(conf, LH_API_VALIDATE, &req, &facts, &out);
	ok(out.http == 500 && !out.ok && !out.paid,
	    "found without a view: 500");
	api_decide(conf, LH_API_VALIDATE, &req, &facts, NULL);
	ok(1, "NULL out: no crash");
}

/* ---- 3. api_fmt() -------------------------------------------------- */

/* A member of an object, matched exactly (the test's own obj_get). */
static const cJSON *
member(const cJSON *o, const char *name)
{
	const cJSON	*c;

	for (c = o != NULL ? o->child : NULL; c != NULL; c = c->next)
		if (c->string != NULL && strcmp(c->string, name) == 0)
			return c;
	return NULL;
}

static void
fmt_check(const struct lh_api_answer *a, const char *want, const char *label)
{
	char		*out = NULL;
	size_t		 len = 99;
	cJSON		*root;
	const cJSON	*lk, *ent, *feat;

	is_int(api_fmt(a, &out, &len), LH_OK, "fmt %s", label);
	is_str(out, want, "fmt %s: text", label);
	is_int(len, out != NULL ? strlen(out) : 0, "fmt %s: length", label);
	root = cJSON_Parse(out != NULL ? out : "");
	ok(cJSON_IsObject(root), "fmt %s: parses back", label);
	lk = member(root, "license_key");
	ent = member(root, "entitlement");
	feat = member(root, "features");
	ok(cJSON_IsBool(root != NULL ? root->child : NULL),
	    "fmt %s: first member is a bool", label);
	is_str(cJSON_GetStringValue(member(root, "code")),
	    api_code_name(a->verdict->code), "fmt %s: code", label);
	if (a->key != NULL)
		is_str(cJSON_GetStringValue(member(lk, "key")),
		    a->key, "fmt %s: license_key.key", label);
	else
		ok(cJSON_IsNull(lk), "fmt %s: license_key null", label);
	ok(cJSON_IsArray(feat), "fmt %s: features array", label);
	ok(cJSON_IsBool(member(ent, "paid")) &&
	    cJSON_IsTrue(member(ent, "paid")) == (a->verdict->paid != 0),
	    "fmt %s: entitlement.paid", label);
	ok((member(root, "token") != NULL) == (a->token != NULL),
	    "fmt %s: token iff asked", label);
	cJSON_Delete(root);
	free(out);
}

static void
test_fmt(void)
{
	struct lh_api_verdict v_ok = { LH_CODE_VALID, 1, 1, 3, 200, NULL };
	struct lh_api_verdict v_nf = { LH_CODE_NOT_FOUND, 0, 0, 0, 404,
	    "license_key not found" };
	struct lh_api_verdict v_grace = { LH_CODE_GRACE, 1, 0, 0, 200, NULL };
	struct lh_api_verdict v_rev = { LH_CODE_REVOKED, 0, 0, 2, 200,
	    "license_key has been revoked" };
	struct lh_api_answer a;
	char		*out;
	size_t		 len;

	memset(&a, 0, sizeof(a));
	a.op = LH_API_ACTIVATE;
	a.verdict = &v_ok;
	a.license_id = 42;
	a.key = "LH-ABCD-EFGH-JKLM-NPQR";
	a.status = license_status_name(LH_LIC_ACTIVE);
	a.activation_usage = 2;
	a.created_at = 1795352709;
	a.expires_at = 1798000000;
	a.instance_id = "inst_7";
	a.instance_name = "My Laptop";
	a.instance_created_at = 1795352710;
	a.customer_name = "Ada Lovelace";
	a.customer_email = "ada@example.com";
	a.tier = "pro";
	a.features = "export, sync ,api";
	a.token = "eyJhIjoxfQ.c2ln";
	fmt_check(&a,
	    "{\"activated\":true,\"error\":null,"
	    "\"license_key\":{\"id\":42,\"status\":\"active\","
	    "\"key\":\"LH-ABCD-EFGH-JKLM-NPQR\",\"activation_limit\":3,"
	    "\"activation_usage\":2,\"created_at\":\"2026-11-22T13:05:09Z\","
	    "\"expires_at\":\"2026-12-23T04:26:40Z\"},"
	    "\"instance\":{\"id\":\"inst_7\",\"name\":\"My Laptop\","
	    "\"created_at\":\"2026-11-22T13:05:10Z\"},"
	    "\"meta\":{\"customer_name\":\"Ada Lovelace\","
	    "\"customer_email\":\"ada@example.com\"},"
	    "\"code\":\"valid\",\"tier\":\"pro\","
	    "\"features\":[\"export\",\"sync\",\"api\"],"
	    "\"entitlement\":{\"valid\":true,\"paid\":true,"
	    "\"status\":\"active\",\"expires_at\":1798000000,"
	    "\"grace_deadline\":null},"
	    "\"token\":\"eyJhIjoxfQ.c2ln\"}", "activate ok");

	memset(&a, 0, sizeof(a));
	a.op = LH_API_VALIDATE;
	a.verdict = &v_nf;
	fmt_check(&a,
	    "{\"valid\":false,\"error\":\"license_key not found\","
	    "\"license_key\":null,\"instance\":null,"
	    "\"meta\":{\"customer_name\":null,\"customer_email\":null},"
	    "\"code\":\"not_found\",\"tier\":null,\"features\":[],"
	    "\"entitlement\":{\"valid\":false,\"paid\":false,"
	    "\"status\":null,\"expires_at\":null,\"grace_deadline\":null}}",
	    "validate not found");

	/* Unlimited prints null; a time past 2038 prints whole. */
	memset(&a, 0, sizeof(a));
	a.op = LH_API_DEACTIVATE;
	a.verdict = &v_grace;
	a.license_id = 7;
	a.key = "k";
	a.status = license_status_name(LH_LIC_GRACE);
	a.expires_at = 4102444800LL;
	a.grace_deadline = 4102444799LL;
	a.instance_id = "i";
	a.customer_name = "Zo\xc3\xab \"Z\"\n\\";
	a.features = " , ,, ";
	fmt_check(&a,
	    "{\"deactivated\":true,\"error\":null,"
	    "\"license_key\":{\"id\":7,\"status\":\"grace\",\"key\":\"k\","
	    "\"activation_limit\":null,\"activation_usage\":0,"
	    "\"created_at\":null,\"expires_at\":\"2100-01-01T00:00:00Z\"},"
	    "\"instance\":{\"id\":\"i\",\"name\":null,\"created_at\":null},"
	    "\"meta\":{\"customer_name\":\"Zo\xc3\xab \\\"Z\\\"\\n\\\\\","
	    "\"customer_email\":null},"
	    "\"code\":\"grace\",\"tier\":null,\"features\":[],"
	    "\"entitlement\":{\"valid\":true,\"paid\":false,"
	    "\"status\":\"grace\",\"expires_at\":4102444800,"
	    "\"grace_deadline\":4102444799}}", "deactivate grace");

	/* Not ok for the key's state; the boundary years. */
	memset(&a, 0, sizeof(a));
	a.op = LH_API_VALIDATE;
	a.verdict = &v_rev;
	a.license_id = 1;
	a.key = "k";
	a.status = license_status_name(LH_LIC_REVOKED);
	a.activation_usage = 5;
	a.created_at = -62135596800LL;		/* 0001-01-01 */
	a.expires_at = 253402300799LL;		/* 9999-12-31 23:59:59 */
	a.tier = "team";
	a.features = "a,b,";
	fmt_check(&a,
	    "{\"valid\":false,\"error\":\"license_key has been revoked\","
	    "\"license_key\":{\"id\":1,\"status\":\"revoked\",\"key\":\"k\","
	    "\"activation_limit\":2,\"activation_usage\":5,"
	    "\"created_at\":\"0001-01-01T00:00:00Z\","
	    "\"expires_at\":\"9999-12-31T23:59:59Z\"},\"instance\":null,"
	    "\"meta\":{\"customer_name\":null,\"customer_email\":null},"
	    "\"code\":\"revoked\",\"tier\":\"team\",\"features\":[\"a\",\"b\"],"
	    "\"entitlement\":{\"valid\":false,\"paid\":false,"
	    "\"status\":\"revoked\",\"expires_at\":253402300799,"
	    "\"grace_deadline\":null}}", "validate revoked");

	/* Failures: nothing is returned. */
	out = (char *)"junk";
	len = 5;
	is_int(api_fmt(NULL, &out, &len), LH_ERR_INTERNAL, "fmt NULL answer");
	ok(out == NULL && len == 0, "fmt NULL answer: out cleared");
	is_int(api_fmt(&a, NULL, &len), LH_ERR_INTERNAL, "fmt NULL out");
	is_int(api_fmt(&a, &out, NULL), LH_ERR_INTERNAL, "fmt NULL len");
	a.verdict = NULL;
	is_int(api_fmt(&a, &out, &len), LH_ERR_INTERNAL, "fmt NULL verdict");
	a.verdict = &v_rev;
	a.op = (enum lh_api_op)3;
	is_int(api_fmt(&a, &out, &len), LH_ERR_INTERNAL, "fmt bad op");
	a.op = LH_API_VALIDATE;
	a.expires_at = 253402300800LL;		/* year 10000 */
	is_int(api_fmt(&a, &out, &len), LH_ERR_INTERNAL, "fmt year 10000");
	ok(out == NULL && len == 0, "fmt year 10000: out cleared");
	a.expires_at = 0;
	a.license_id = 9007199254740993LL;	/* 2^53 + 1 */
	is_int(api_fmt(&a, &out, &len), LH_ERR_INTERNAL, "fmt id over 2^53");
	a.license_id = 9007199254740992LL;
	is_int(api_fmt(&a, &out, &len), LH_OK, "fmt id of 2^53");
	free(out);
	a.license_id = 1;
	a.customer_email = "bad\xff";
	is_int(api_fmt(&a, &out, &len), LH_ERR_INTERNAL, "fmt bad UTF-8");
	ok(out == NULL, "fmt bad UTF-8: no output");
	a.customer_email = NULL;
	a.features = "ok,\xc3";
	is_int(api_fmt(&a, &out, &len), LH_ERR_INTERNAL,
	    "fmt bad UTF-8 feature");
}

int
main(void)
{
	static const char text[] =
	    "[licensehook]\n"
	    "database = /var/lib/licensehook/t_api.db\n"
	    "[stripe]\n"
	    "webhook_secret = whsec_t_api\n"
	    "[tier two]\n"
	    "max_activations = 2\n";
	struct lh_conf	*conf = NULL;
	char		 errbuf[256];

	if (conf_parse(text, sizeof(text) - 1, &conf, errbuf,
	    sizeof(errbuf)) != LH_OK) {
		printf("Bail out! conf_parse: %s\n", errbuf);
		return 2;
	}
	test_media();
	test_bodies();
	test_limits();
	test_depth();
	test_parse_misc();
	test_codes();
	test_matrix(conf);
	test_missing(conf);
	test_paid(conf);
	test_decide_odd(conf);
	test_fmt();
	conf_free(conf);
	return done_testing();
}
