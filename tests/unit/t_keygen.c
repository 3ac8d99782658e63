/*
 * keygen.c: key formats, the 5-bit symbol stream, shape checks and the
 * log mask.  Random bytes are crafted so every expected key is exact.
 */
#include <stdint.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))
#define ALPHA		LH_KEY_ALPHABET

static const struct lh_keyfmt	F_DEF = { "LH", 4, 4 };		/* 80 bits */
static const struct lh_keyfmt	F_NOPFX = { "", 4, 4 };
static const struct lh_keyfmt	F_LOWER = { "lh", 4, 4 };
static const struct lh_keyfmt	F_WALK = { "", 8, 4 };		/* 32 symbols */
static const struct lh_keyfmt	F_BIG = { "ABCDEFGHIJKLMNOP", 8, 8 };
static const struct lh_keyfmt	F_2x8 = { "K", 2, 8 };		/* 80 bits */
static const struct lh_keyfmt	F_8x2 = { "K", 8, 2 };		/* 80 bits */
static const struct lh_keyfmt	F_75 = { "LH", 3, 5 };		/* 75 bits */
static const struct lh_keyfmt	F_DASH = { "L-H", 4, 4 };
static const struct lh_keyfmt	F_SPACE = { "L H", 4, 4 };
static const struct lh_keyfmt	F_G0 = { "", 0, 4 };
static const struct lh_keyfmt	F_G9 = { "", 9, 4 };
static const struct lh_keyfmt	F_L0 = { "", 4, 0 };
static const struct lh_keyfmt	F_L9 = { "", 4, 9 };
static const struct lh_keyfmt	F_NEG = { "", -1, 4 };

static const struct {
	const struct lh_keyfmt	*kf;
	int			 bits;
	size_t			 rndlen;
} sizes[] = {
	{ &F_DEF,	80,	10 },
	{ &F_WALK,	160,	20 },
	{ &F_BIG,	320,	40 },
	{ &F_2x8,	80,	10 },
	{ &F_8x2,	80,	10 },
	{ &F_75,	75,	10 },
	{ &F_G0,	0,	0 },
	{ &F_G9,	0,	0 },
	{ &F_L0,	0,	0 },
	{ &F_L9,	0,	0 },
	{ &F_NEG,	0,	0 },
	{ NULL,		0,	0 },
};

/* rnd is fill repeated, with rnd[at] = set when at >= 0. */
static const struct {
	const char		*name;
	const struct lh_keyfmt	*kf;
	uint8_t			 fill;
	int			 at;
	uint8_t			 set;
	size_t			 rndlen;
	size_t			 outlen;
	enum lh_err		 want;
	const char		*key;
} fmts[] = {
	{ "all zero", &F_DEF, 0x00, -1, 0, 10, LH_KEY_MAX, LH_OK,
	    "LH-2222-2222-2222-2222" },
	{ "all 0xff", &F_DEF, 0xff, -1, 0, 10, LH_KEY_MAX, LH_OK,
	    "LH-ZZZZ-ZZZZ-ZZZZ-ZZZZ" },
	{ "empty prefix", &F_NOPFX, 0x00, -1, 0, 10, LH_KEY_MAX, LH_OK,
	    "2222-2222-2222-2222" },
	{ "prefix case kept", &F_LOWER, 0xff, -1, 0, 10, LH_KEY_MAX, LH_OK,
	    "lh-ZZZZ-ZZZZ-ZZZZ-ZZZZ" },
	/* 0x80: first symbol 10000 = 16 = 'J'; the stream is MSB first. */
	{ "first bit", &F_DEF, 0x00, 0, 0x80, 10, LH_KEY_MAX, LH_OK,
	    "LH-J222-2222-2222-2222" },
	{ "last bit", &F_DEF, 0x00, 9, 0x01, 10, LH_KEY_MAX, LH_OK,
	    "LH-2222-2222-2222-2223" },
	/* 0x07 0x00: symbol 1 is bits 5..9 = 11100 = 28 = 'W'. */
	{ "symbol across bytes", &F_DEF, 0x00, 0, 0x07, 10, LH_KEY_MAX, LH_OK,
	    "LH-2W22-2222-2222-2222" },
	/* 0x00 0x40: symbol 1 is 00001, symbol 2 is 00000. */
	{ "low bit of symbol 1", &F_DEF, 0x00, 1, 0x40, 10, LH_KEY_MAX, LH_OK,
	    "LH-2322-2222-2222-2222" },
	{ "2 groups of 8", &F_2x8, 0xff, -1, 0, 10, LH_KEY_MAX, LH_OK,
	    "K-ZZZZZZZZ-ZZZZZZZZ" },
	{ "8 groups of 2", &F_8x2, 0x00, -1, 0, 10, LH_KEY_MAX, LH_OK,
	    "K-22-22-22-22-22-22-22-22" },
	{ "largest format", &F_BIG, 0xff, -1, 0, 40, 89, LH_OK,
	    "ABCDEFGHIJKLMNOP-ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ-"
	    "ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ-ZZZZZZZZ" },
	{ "largest format, outlen one short", &F_BIG, 0xff, -1, 0, 40, 88,
	    LH_ERR_INTERNAL, "" },
	{ "outlen exact", &F_DEF, 0x00, -1, 0, 10, 23, LH_OK,
	    "LH-2222-2222-2222-2222" },
	{ "outlen one short", &F_DEF, 0x00, -1, 0, 10, 22, LH_ERR_INTERNAL,
	    "" },
	{ "extra random bytes ignored", &F_DEF, 0x00, 10, 0xff, 11, LH_KEY_MAX,
	    LH_OK, "LH-2222-2222-2222-2222" },
	{ "random one byte short", &F_DEF, 0x00, -1, 0, 9, LH_KEY_MAX,
	    LH_ERR_INTERNAL, "" },
	{ "75 bits rejected", &F_75, 0x00, -1, 0, 10, LH_KEY_MAX,
	    LH_ERR_INTERNAL, "" },
	{ "prefix with dash", &F_DASH, 0x00, -1, 0, 10, LH_KEY_MAX,
	    LH_ERR_INTERNAL, "" },
	{ "prefix with space", &F_SPACE, 0x00, -1, 0, 10, LH_KEY_MAX,
	    LH_ERR_INTERNAL, "" },
	{ "0 groups", &F_G0, 0x00, -1, 0, 40, LH_KEY_MAX, LH_ERR_INTERNAL, "" },
	{ "9 groups", &F_G9, 0x00, -1, 0, 40, LH_KEY_MAX, LH_ERR_INTERNAL, "" },
	{ "group length 0", &F_L0, 0x00, -1, 0, 40, LH_KEY_MAX,
	    LH_ERR_INTERNAL, "" },
	{ "group length 9", &F_L9, 0x00, -1, 0, 40, LH_KEY_MAX,
	    LH_ERR_INTERNAL, "" },
	{ "NULL format", NULL, 0x00, -1, 0, 40, LH_KEY_MAX, LH_ERR_INTERNAL,
	    "" },
};

static const struct {
	const struct lh_keyfmt	*kf;
	const char		*key;
	int			 want;
} valids[] = {
	{ &F_DEF,	"LH-2345-6789-ABCD-WXYZ",	1 },
	{ &F_DEF,	"lh-2345-6789-abcd-wxyz",	1 },
	{ &F_DEF,	"Lh-2345-6789-aBcD-wXyZ",	1 },
	{ &F_DEF,	"LH-2345-6789-ABCD-WXY",	0 },
	{ &F_DEF,	"LH-2345-6789-ABCD-WXYZ2",	0 },
	{ &F_DEF,	"LH-2345-6789-ABCD-WXYZ-",	0 },
	{ &F_DEF,	"LH-2345-6789-ABCDW-XYZ",	0 },
	{ &F_DEF,	"LH-2345-6789-ABCD-WXY ",	0 },
	{ &F_DEF,	" LH-2345-6789-ABCD-WXY",	0 },
	{ &F_DEF,	"LH_2345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-O345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-0345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-I345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-1345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-o345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-i345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LH-2345-6789-ABC\xc3\x89-WXY",	0 },
	{ &F_DEF,	"XX-2345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"LHX2345-6789-ABCD-WXYZ",	0 },
	{ &F_DEF,	"2345-6789-ABCD-WXYZ",		0 },
	{ &F_DEF,	"",				0 },
	{ &F_DEF,	NULL,				0 },
	{ &F_NOPFX,	"2345-6789-ABCD-WXYZ",		1 },
	{ &F_NOPFX,	"LH-2345-6789-ABCD-WXYZ",	0 },
	{ &F_NOPFX,	"-2345-6789-ABCD-WXYZ",		0 },
	{ &F_2x8,	"k-23456789-abcdefgh",		1 },
	{ &F_8x2,	"K-23-45-67-89-AB-CD-EF-GH",	1 },
	{ &F_75,	"LH-23456-789AB-CDEFG",		0 },
	{ &F_DASH,	"L-H-2345-6789-ABCD-WXYZ",	0 },
	{ NULL,		"LH-2345-6789-ABCD-WXYZ",	0 },
};

static const struct {
	const char	*key;
	size_t		 outlen;
	const char	*want;
} masks[] = {
	{ "LH-2345-6789-ABCD-7KQX", LH_KEY_MAX, "LH-****-****-****-7KQX" },
	{ "lh-2345-6789-abcd-7kqx", LH_KEY_MAX, "lh-****-****-****-7kqx" },
	{ "2345-6789-ABCD-7KQX", LH_KEY_MAX, "****-****-****-7KQX" },
	{ "K-23-45-67-89-AB-CD-EF-GH", LH_KEY_MAX,
	    "K-**-**-**-**-**-**-**-GH" },
	/* At most 4 characters of the last group show. */
	{ "K-23456789-ABCDEFGH", LH_KEY_MAX, "K-********-****EFGH" },
	/* A prefix shaped like a group is hidden: over-masking is safe. */
	{ "ABCD-2345-6789-EFGH-7KQX", LH_KEY_MAX, "****-****-****-****-7KQX" },
	{ "LIC1-2345-6789-EFGH-7KQX", LH_KEY_MAX, "LIC1-****-****-****-7KQX" },
	{ "ABCDEFGHIJKLMNOP-23456789-23456789-23456789-23456789-"
	    "23456789-23456789-23456789-ABCDWXYZ", LH_KEY_MAX,
	    "ABCDEFGHIJKLMNOP-********-********-********-********-"
	    "********-********-********-****WXYZ" },
	{ "LH-2345-6789-ABCD-7KQX", 23, "LH-****-****-****-7KQX" },
	/* Not key-shaped, or no room: hidden whole. */
	{ "LH-2345-6789-ABCD-7KQX", 22, "***" },
	{ "LH-2345-6789-ABCD-7KQX", 3, "**" },
	{ "LH-2345-6789-ABCD-7KQX", 1, "" },
	{ "", LH_KEY_MAX, "***" },
	{ "hello", LH_KEY_MAX, "***" },
	{ "LH-7KQX", LH_KEY_MAX, "***" },
	{ "LH-2345-6789-7KQX", LH_KEY_MAX, "***" },	/* 60 bits */
	{ "LH-2345-6789-ABCD-7KQ", LH_KEY_MAX, "***" },
	{ "LH-2345-6789-ABCD-7KQXY", LH_KEY_MAX, "***" },
	{ "LH--2345-6789-ABCD-7KQX", LH_KEY_MAX, "***" },
	{ "-2345-6789-ABCD-7KQX", LH_KEY_MAX, "***" },
	{ "LH-2345-6789-ABCD-7KQX-", LH_KEY_MAX, "***" },
	{ "LH-2345-6789-ABC0-7KQX", LH_KEY_MAX, "***" },
	{ "LH-2345-6789-ABCD-7KQ1", LH_KEY_MAX, "***" },
	{ "L_H-2345-6789-ABCD-7KQX", LH_KEY_MAX, "***" },
	{ "ABCDEFGHIJKLMNOPQ-2345-6789-ABCD-7KQX", LH_KEY_MAX, "***" },
	{ "LH-234567892-234567892-7KQX", LH_KEY_MAX, "***" },
	{ "LH-23-45-67-89-AB-CD-EF-GH-JK", LH_KEY_MAX, "***" },
	{ "23-45-67-89-AB-CD-EF-GH-JK", LH_KEY_MAX, "***" },
	{ "whsec_test_secret", LH_KEY_MAX, "***" },
	{ "sk_live_2345-6789-ABCD-7KQX", LH_KEY_MAX, "***" },
	{ NULL, LH_KEY_MAX, "***" },
};

/* Pack 5-bit symbols MSB first, the order keygen_fmt() reads them. */
static void
pack(const int *sym, size_t n, uint8_t *rnd, size_t rndlen)
{
	size_t	 i, b, bit;

	memset(rnd, 0, rndlen);
	for (i = 0; i < n; i++)
		for (b = 0; b < 5; b++)
			if (sym[i] & (0x10 >> b)) {
				bit = i * 5 + b;
				rnd[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
			}
}

static void
test_sizes(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(sizes); i++) {
		is_int(keygen_bits(sizes[i].kf), sizes[i].bits, "bits %zu", i);
		is_int(keygen_random_len(sizes[i].kf), sizes[i].rndlen,
		    "random_len %zu", i);
	}
}

static void
test_fmt(void)
{
	uint8_t	 rnd[64];
	char	 out[LH_KEY_MAX + 8];
	size_t	 i;

	for (i = 0; i < NELEM(fmts); i++) {
		memset(rnd, fmts[i].fill, sizeof(rnd));
		if (fmts[i].at >= 0)
			rnd[fmts[i].at] = fmts[i].set;
		memset(out, 'x', sizeof(out));
		is_int(keygen_fmt(fmts[i].kf, rnd, fmts[i].rndlen, out,
		    fmts[i].outlen), fmts[i].want, "fmt %s: %s", fmts[i].name,
		    lh_err_code(fmts[i].want));
		is_str(out, fmts[i].key, "fmt %s: key", fmts[i].name);
		if (fmts[i].want == LH_OK)
			ok(keygen_valid(fmts[i].kf, out), "fmt %s: valid",
			    fmts[i].name);
	}
	is_int(keygen_fmt(&F_DEF, NULL, 10, out, sizeof(out)),
	    LH_ERR_INTERNAL, "fmt NULL random");
	is_int(keygen_fmt(&F_DEF, rnd, 10, NULL, sizeof(out)),
	    LH_ERR_INTERNAL, "fmt NULL out");
}

/* Every symbol in order, then every symbol in every position. */
static void
test_alphabet(void)
{
	int	 sym[32];
	uint8_t	 rnd[20];
	char	 out[LH_KEY_MAX], want[LH_KEY_MAX];
	size_t	 i, j, o;

	for (i = 0; i < 32; i++)
		sym[i] = (int)i;
	pack(sym, 32, rnd, sizeof(rnd));
	is_int(keygen_fmt(&F_WALK, rnd, sizeof(rnd), out, sizeof(out)), LH_OK,
	    "alphabet walk: ok");
	is_str(out, "2345-6789-ABCD-EFGH-JKLM-NPQR-STUV-WXYZ",
	    "alphabet walk: every symbol once, in order");

	for (i = 0; i < 32; i++) {
		for (j = 0; j < 32; j++)
			sym[j] = (int)i;
		pack(sym, 32, rnd, sizeof(rnd));
		for (o = 0, j = 0; j < 32; j++) {
			if (j > 0 && j % 4 == 0)
				want[o++] = '-';
			want[o++] = ALPHA[i];
		}
		want[o] = '\0';
		(void)keygen_fmt(&F_WALK, rnd, sizeof(rnd), out, sizeof(out));
		is_str(out, want, "symbol %zu (%c) in every position", i,
		    ALPHA[i]);
	}
}

/* Keys from arbitrary bytes always have the format's shape. */
static void
test_roundtrip(void)
{
	uint8_t		 rnd[40];
	char		 out[LH_KEY_MAX];
	uint32_t	 x = 12345;
	size_t		 i, j;
	int		 good = 1;

	for (i = 0; i < 1000 && good; i++) {
		for (j = 0; j < sizeof(rnd); j++) {
			x = x * 1103515245 + 12345;	/* any bytes will do */
			rnd[j] = (uint8_t)(x >> 16);
		}
		good = keygen_fmt(&F_BIG, rnd, sizeof(rnd), out,
		    sizeof(out)) == LH_OK && keygen_valid(&F_BIG, out) &&
		    keygen_fmt(&F_DEF, rnd, sizeof(rnd), out,
		    sizeof(out)) == LH_OK && keygen_valid(&F_DEF, out);
	}
	ok(good, "1000 pseudo-random keys are valid (last \"%s\")", out);
}

static void
test_valid(void)
{
	size_t	 i;

	for (i = 0; i < NELEM(valids); i++)
		is_int(keygen_valid(valids[i].kf, valids[i].key),
		    valids[i].want, "valid \"%s\"",
		    valids[i].key ? valids[i].key : "(null)");
}

static void
test_mask(void)
{
	char	 out[LH_KEY_MAX];
	size_t	 i;

	for (i = 0; i < NELEM(masks); i++) {
		memset(out, 'x', sizeof(out));
		keygen_mask(masks[i].key, out, masks[i].outlen);
		is_str(out, masks[i].want, "mask \"%s\" in %zu",
		    masks[i].key ? masks[i].key : "(null)", masks[i].outlen);
	}
	out[0] = 'x';
	keygen_mask("LH-2345-6789-ABCD-7KQX", out, 0);
	is_int(out[0], 'x', "mask with outlen 0 writes nothing");
	keygen_mask("LH-2345-6789-ABCD-7KQX", NULL, 10);
	ok(1, "mask with NULL out does not crash");
}

int
main(void)
{
	test_sizes();
	test_fmt();
	test_alphabet();
	test_roundtrip();
	test_valid();
	test_mask();
	return done_testing();
}
