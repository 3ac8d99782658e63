/*
 * cryptobench: what one answer signature and one webhook signature check
 * cost in licensehook's core, with the keys set up once per worker (as
 * licensehook does) and, for comparison, for every call (what a key
 * without token_key_init() or sig_stripe_verify() still costs).  From a
 * plain build tree (not --enable-asan):
 *
 *	cc -O2 -Isrc -o cryptobench bench/cryptobench.c liblhcore.a \
 *	    -lcjson -lcrypto
 *	./cryptobench [N [OP]]
 *
 * Prints microseconds per call (the median of 5 rounds of N calls, N
 * 2000 by default) for every OP, or runs OP alone:
 *
 *   sign-once	   token_sign_b64(), key imported once by token_key_init()
 *   sign-import   token_sign_b64(), key imported for the signature
 *   verify-once   sig_keys_verify(), the secret keyed once by
 *		   sig_keys_new()
 *   verify2-once  the same with two secrets, the second one matching (a
 *		   secret being rolled: both MACs are computed)
 *   verify-rekey  sig_stripe_verify(): the secret keyed for the call
 *
 * The message is 600 bytes, about a validation answer; the body 2263
 * bytes, tests/fixtures/checkout.session.completed.json's size.  Wall
 * time on a shared machine is noisy; instruction counts are not:
 *
 *	valgrind --tool=callgrind --callgrind-out-file=/dev/null \
 *	    --toggle-collect=bench_loop ./cryptobench 100 sign-once
 *
 * prints "Collected : I", and I / 100 is the instructions per call (the
 * keys are set up outside bench_loop).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lh.h"

#define MSG_LEN		600
#define BODY_LEN	2263
#define ROUNDS		5
#define T		1700000000LL

enum op {
	OP_SIGN_ONCE = 0,
	OP_SIGN_IMPORT,
	OP_VERIFY_ONCE,
	OP_VERIFY2_ONCE,
	OP_VERIFY_REKEY,
	OP__COUNT
};

static const char *const op_names[OP__COUNT] = {
	"sign-once", "sign-import", "verify-once", "verify2-once",
	"verify-rekey"
};

/* RFC 8032 §7.1 TEST 1. */
static const uint8_t ed_priv[32] = {
	0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
	0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
	0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
	0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60
};
static const uint8_t ed_pub[32] = {
	0xd7, 0x5a, 0x98, 0x01, 0x82, 0xb1, 0x0a, 0xb7,
	0xd5, 0x4b, 0xfe, 0xd3, 0xc9, 0x64, 0x07, 0x3a,
	0x0e, 0xe1, 0x72, 0xf3, 0xda, 0xa6, 0x23, 0x25,
	0xaf, 0x02, 0x1a, 0x68, 0xf7, 0x07, 0x51, 0x1a
};

static char	 s_new[] = "whsec_bench_00112233445566778899aabbccddeeff";
static char	 s_old[] = "whsec_bench_ffeeddccbbaa99887766554433221100";
static char	*one[] = { s_new };
static char	*two[] = { s_old, s_new };

static struct lh_signkey	 key_once, key_import;
static struct lh_sig_keys	*keys1, *keys2;
static char			 msg[MSG_LEN], body[BODY_LEN];
static char			 hdr[128];

static void	 setup(void);
static void	 bench_loop(enum op, long);
static double	 now_us(void);
static int	 cmp_double(const void *, const void *);

static void
setup(void)
{
	char	 hex[65];

	memset(msg, 'm', sizeof(msg));
	memset(body, 'b', sizeof(body));
	memcpy(key_once.kid, "bench", 6);
	memcpy(key_once.priv, ed_priv, sizeof(ed_priv));
	memcpy(key_once.pub, ed_pub, sizeof(ed_pub));
	key_import = key_once;		/* before pkey is set */
	if (token_key_init(&key_once) != LH_OK ||
	    sig_keys_new(one, 1, &keys1) != LH_OK ||
	    sig_keys_new(two, 2, &keys2) != LH_OK ||
	    sig_stripe_fmt(s_new, T, body, sizeof(body), hex) != LH_OK) {
		fprintf(stderr, "cryptobench: setup failed\n");
		exit(1);
	}
	(void)snprintf(hdr, sizeof(hdr), "t=%lld,v1=%s", T, hex);
}

/* Not inlined: callgrind's --toggle-collect names it. */
static void __attribute__((noinline))
bench_loop(enum op op, long n)
{
	char		 sig[LH_SIG_B64_MAX];
	long		 i;
	enum lh_err	 r = LH_OK;

	for (i = 0; i < n && r == LH_OK; i++) {
		switch (op) {
		case OP_SIGN_ONCE:
			r = token_sign_b64(&key_once, msg, sizeof(msg), sig);
			break;
		case OP_SIGN_IMPORT:
			r = token_sign_b64(&key_import, msg, sizeof(msg), sig);
			break;
		case OP_VERIFY_ONCE:
			r = sig_keys_verify(keys1, hdr, body, sizeof(body),
			    (time_t)T, 300, NULL);
			break;
		case OP_VERIFY2_ONCE:
			r = sig_keys_verify(keys2, hdr, body, sizeof(body),
			    (time_t)T, 300, NULL);
			break;
		case OP_VERIFY_REKEY:
			r = sig_stripe_verify(hdr, body, sizeof(body), one, 1,
			    (time_t)T, 300, NULL);
			break;
		default:
			r = LH_ERR_INTERNAL;
		}
	}
	if (r != LH_OK) {
		fprintf(stderr, "cryptobench: %s: %s\n", op_names[op],
		    lh_err_msg(r));
		exit(1);
	}
}

static double
now_us(void)
{
	struct timespec	 ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char *argv[])
{
	double		 us[ROUNDS], t0;
	long		 n = 2000;
	int		 op, only = -1, k;

	if (argc > 1 && (n = strtol(argv[1], NULL, 10)) <= 0) {
		fprintf(stderr, "usage: cryptobench [N [OP]]\n");
		return 2;
	}
	if (argc > 2) {
		for (only = 0; only < OP__COUNT; only++)
			if (strcmp(argv[2], op_names[only]) == 0)
				break;
		if (only == OP__COUNT) {
			fprintf(stderr, "cryptobench: no such OP: %s\n",
			    argv[2]);
			return 2;
		}
	}
	setup();
	if (only >= 0) {
		bench_loop((enum op)only, n);
		goto out;
	}
	printf("%-14s %10s\n", "op", "us/call");
	for (op = 0; op < OP__COUNT; op++) {
		bench_loop((enum op)op, n / 10 + 1);	/* warm up */
		for (k = 0; k < ROUNDS; k++) {
			t0 = now_us();
			bench_loop((enum op)op, n);
			us[k] = (now_us() - t0) / (double)n;
		}
		qsort(us, ROUNDS, sizeof(us[0]), cmp_double);
		printf("%-14s %10.2f\n", op_names[op], us[ROUNDS / 2]);
	}
 out:
	token_key_free(&key_once);
	token_key_free(&key_import);
	sig_keys_free(keys1);
	sig_keys_free(keys2);
	return 0;
}
