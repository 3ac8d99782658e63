/*
 * json.c: strict UTF-8, the pre-parse scan, the blank tail and
 * json_parse_object(), at their boundaries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lh.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct bytes_case {
	const char	*name;
	const char	*s;
	size_t		 len;
	int		 want;
};

#define B(name, lit, want)	{ name, lit, sizeof(lit) - 1, want }

static void
test_utf8(void)
{
	static const struct bytes_case cases[] = {
		B("empty", "", 1),
		B("ASCII and NUL", "a\0b", 1),
		B("U+0080 C2 80", "\xc2\x80", 1),
		B("overlong C1 BF", "\xc1\xbf", 0),
		B("overlong C0 80", "\xc0\x80", 0),
		B("U+07FF DF BF", "\xdf\xbf", 1),
		B("U+0800 E0 A0 80", "\xe0\xa0\x80", 1),
		B("overlong E0 9F BF", "\xe0\x9f\xbf", 0),
		B("U+D7FF ED 9F BF", "\xed\x9f\xbf", 1),
		B("surrogate ED A0 80", "\xed\xa0\x80", 0),
		B("surrogate ED BF BF", "\xed\xbf\xbf", 0),
		B("U+FFFF EF BF BF", "\xef\xbf\xbf", 1),
		B("U+10000 F0 90 80 80", "\xf0\x90\x80\x80", 1),
		B("overlong F0 8F BF BF", "\xf0\x8f\xbf\xbf", 0),
		B("U+10FFFF F4 8F BF BF", "\xf4\x8f\xbf\xbf", 1),
		B("U+110000 F4 90 80 80", "\xf4\x90\x80\x80", 0),
		B("F5 lead", "\xf5\x80\x80\x80", 0),
		B("FF", "\xff", 0),
		B("lone continuation", "\x80", 0),
		B("truncated 2-byte", "a\xc2", 0),
		B("truncated 3-byte", "\xe2\x82", 0),
		B("truncated 4-byte", "\xf0\x9f\x98", 0),
		B("bad 3rd byte", "\xe2\x82\x41", 0),
		B("bad 4th byte", "\xf0\x9f\x98\x41", 0),
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		is_int(json_utf8_valid((const unsigned char *)cases[i].s,
		    cases[i].len), cases[i].want, "utf8: %s", cases[i].name);
}

static void
test_scan(void)
{
	static const struct bytes_case cases[] = {
		B("empty", "", 1),
		B("object", "{\"a\":[1,2]}", 1),
		B("JSON whitespace", " \t\r\n{}\n", 1),
		B("raw NUL outside", "{}\0", 0),
		B("form feed outside", "\f{}", 0),
		B("DEL outside", "{}\x7f", 0),
		B("byte order mark", "\xef\xbb\xbf{}", 0),
		B("UTF-8 in a string", "{\"a\":\"\xc3\xa9\"}", 1),
		B("raw tab in a string", "{\"a\":\"\t\"}", 0),
		B("raw NUL in a string", "{\"a\":\"\0\"}", 0),
		B("\\u0000 in a value", "{\"a\":\"x\\u0000\"}", 0),
		B("\\u0000 in a key", "{\"id\\u0000x\":1}", 0),
		B("\\u0001", "{\"a\":\"\\u0001\"}", 1),
		B("escaped backslash then u0000", "{\"a\":\"\\\\u0000\"}", 1),
		B("escaped quote", "{\"a\":\"\\\"}\"}", 1),
		B("backslash as last byte", "{\"a\":\"\\", 0),
		B("short \\u000 at end", "\"\\u000", 1),
		B("brackets in a string", "\"[[[{{{\"", 1),
		B("close before open", "}{", 0),
		B("unbalanced close", "[]]", 0),
	};
	char	 deep[LH_JSON_DEPTH_MAX + 2];
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		is_int(json_scan((const unsigned char *)cases[i].s,
		    cases[i].len), cases[i].want, "scan: %s", cases[i].name);

	memset(deep, '[', sizeof(deep));
	is_int(json_scan((const unsigned char *)deep, LH_JSON_DEPTH_MAX), 1,
	    "scan: %d levels pass", LH_JSON_DEPTH_MAX);
	is_int(json_scan((const unsigned char *)deep, LH_JSON_DEPTH_MAX + 1),
	    0, "scan: %d levels fail", LH_JSON_DEPTH_MAX + 1);
	deep[0] = '{';
	deep[LH_JSON_DEPTH_MAX] = '{';
	is_int(json_scan((const unsigned char *)deep, LH_JSON_DEPTH_MAX + 1),
	    0, "scan: { counts as a level");
}

static void
test_tail(void)
{
	static const struct bytes_case cases[] = {
		B("nothing", "", 1),
		B("space tab LF CR", " \t\n\r", 1),
		B("NUL", " \0", 0),
		B("form feed", "\f", 0),
		B("vertical tab", "\v", 0),
		B("a second value", " {}", 0),
	};
	size_t	 i;

	for (i = 0; i < NELEM(cases); i++)
		is_int(json_tail_blank(cases[i].s, cases[i].s + cases[i].len),
		    cases[i].want, "tail: %s", cases[i].name);
}

static void
test_parse(void)
{
	static const struct bytes_case cases[] = {
		B("object", "{\"a\":1}", LH_OK),
		B("object, blank tail", " {\"a\":1} \r\n", LH_OK),
		B("empty", "", LH_ERR_JSON),
		B("array", "[1]", LH_ERR_JSON),
		B("string", "\"a\"", LH_ERR_JSON),
		B("null", "null", LH_ERR_JSON),
		B("two objects", "{}{}", LH_ERR_JSON),
		B("trailing comma", "{\"a\":1,}", LH_ERR_JSON),
		B("trailing NUL", "{}\0", LH_ERR_JSON),
		B("truncated", "{\"a\":", LH_ERR_JSON),
		B("bad UTF-8", "{\"a\":\"\xc0\x80\"}", LH_ERR_JSON),
		B("\\u0000", "{\"a\":\"\\u0000\"}", LH_ERR_JSON),
	};
	cJSON	*root;
	char	 buf[16];
	size_t	 i;
	int	 r;

	for (i = 0; i < NELEM(cases); i++) {
		root = (cJSON *)1;
		r = json_parse_object(cases[i].s, cases[i].len, LH_ERR_JSON,
		    &root);
		is_int(r, cases[i].want, "parse: %s", cases[i].name);
		ok((r == LH_OK) == (root != NULL), "parse: %s: tree iff LH_OK",
		    cases[i].name);
		cJSON_Delete(root);
	}

	/* The caller's error code is passed through; NOMEM is not asked. */
	root = NULL;
	is_int(json_parse_object("[]", 2, LH_ERR_API_REQUEST, &root),
	    LH_ERR_API_REQUEST, "parse: the caller's code for bad input");
	is_int(json_parse_object(NULL, 0, LH_ERR_API_REQUEST, &root),
	    LH_ERR_API_REQUEST, "parse: NULL, 0 is empty input");
	is_int(json_parse_object(NULL, 1, LH_ERR_JSON, &root),
	    LH_ERR_INTERNAL, "parse: NULL with a length");
	is_int(json_parse_object("{}", 2, LH_ERR_JSON, NULL),
	    LH_ERR_INTERNAL, "parse: no out-parameter");

	/* Not NUL-terminated: only len bytes are read. */
	memcpy(buf, "{\"k\":\"v\"}xxxxxx", 15);
	r = json_parse_object(buf, 9, LH_ERR_JSON, &root);
	is_int(r, LH_OK, "parse: unterminated body of len bytes");
	ok(root != NULL && cJSON_IsString(cJSON_GetObjectItem(root, "k")),
	    "parse: its member is read");
	cJSON_Delete(root);
}

int
main(void)
{
	test_utf8();
	test_scan();
	test_tail();
	test_parse();
	return done_testing();
}
