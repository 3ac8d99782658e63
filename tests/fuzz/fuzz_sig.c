/*
 * Fuzz target: Stripe-Signature verification, sig_stripe_verify() and
 * sig_stripe_fmt() (sig.c).
 *
 * Input: the first line is the Stripe-Signature header, everything after
 * the first newline the raw body.  Verified with two secrets (a rolled
 * pair, as in stripe-go's tests) at a fixed now and tolerance, so that
 * the seeds made from Stripe's own test vectors (t=1234567890 under
 * whsec_test_secret) verify and mutations explore every way to fail.
 *
 * Then two round trips that must always pass: the body signed by
 * sig_stripe_fmt() under each secret at now verifies and names that
 * secret; and a timestamp taken from the input's first 8 bytes is
 * accepted by sig_stripe_fmt() exactly when it is 0 to 10^18 - 1, and
 * its signature verifies at that time with tolerance 0, but not one
 * second past the tolerance either way.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lh.h"

#define FUZZ_NAME	sig
#include "fuzz.h"

#define SIG_NOW		1234567890	/* the Stripe vectors' t */
#define SIG_TOL		300		/* seconds, Stripe's */
#define SIG_T_MAX	999999999999999999LL	/* sig.c: 18 digits */
#define SIG_HDR_LEN	128		/* "t=<19>,v1=<64>" and NUL */

static char sig_secret0[] = "whsec_test_secret";
static char sig_secret1[] = "whsec_test_secret_rolled_key";
static char *const sig_secrets[] = { sig_secret0, sig_secret1 };

static void	sig_check_hex(const char *);
static void	sig_roundtrip_now(const uint8_t *, size_t);
static void	sig_roundtrip_t(long long, const uint8_t *, size_t);

/* 64 lowercase hex digits, as lh.h promises for sig_stripe_fmt(). */
static void
sig_check_hex(const char *hex)
{
	size_t	 i;

	FUZZ_ASSERT(strlen(hex) == 64);
	for (i = 0; i < 64; i++)
		FUZZ_ASSERT((hex[i] >= '0' && hex[i] <= '9') ||
		    (hex[i] >= 'a' && hex[i] <= 'f'));
}

static void
sig_roundtrip_now(const uint8_t *body, size_t blen)
{
	char		 hex[65], hdr[SIG_HDR_LEN];
	size_t		 i, m;
	enum lh_err	 rc;

	for (i = 0; i < 2; i++) {
		rc = sig_stripe_fmt(sig_secrets[i], SIG_NOW, body, blen, hex);
		FUZZ_ASSERT(rc == LH_OK);
		sig_check_hex(hex);
		(void)snprintf(hdr, sizeof(hdr), "t=%d,v1=%s", SIG_NOW, hex);
		m = 99;
		rc = sig_stripe_verify(hdr, body, blen, sig_secrets, 2,
		    SIG_NOW, SIG_TOL, &m);
		FUZZ_ASSERT(rc == LH_OK);
		FUZZ_ASSERT(m == i);
	}
}

static void
sig_roundtrip_t(long long t, const uint8_t *body, size_t blen)
{
	char		 hex[65], hdr[SIG_HDR_LEN];
	enum lh_err	 rc;

	hex[0] = 'x';
	rc = sig_stripe_fmt(sig_secrets[0], t, body, blen, hex);
	if (t < 0 || t > SIG_T_MAX) {
		FUZZ_ASSERT(rc == LH_ERR_INTERNAL);
		FUZZ_ASSERT(hex[0] == '\0');
		return;
	}
	FUZZ_ASSERT(rc == LH_OK);
	sig_check_hex(hex);
	(void)snprintf(hdr, sizeof(hdr), "t=%lld,v1=%s", t, hex);
	FUZZ_ASSERT(sig_stripe_verify(hdr, body, blen, sig_secrets, 2,
	    (time_t)t, 0, NULL) == LH_OK);
	FUZZ_ASSERT(sig_stripe_verify(hdr, body, blen, sig_secrets, 2,
	    (time_t)(t + SIG_TOL + 1), SIG_TOL, NULL) == LH_ERR_SIG_STALE);
	FUZZ_ASSERT(sig_stripe_verify(hdr, body, blen, sig_secrets, 2,
	    (time_t)(t - SIG_TOL - 1), SIG_TOL, NULL) == LH_ERR_SIG_FUTURE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t	*body;
	char		*hdr;
	size_t		 hlen, blen, m;
	uint64_t	 u = 0;
	enum lh_err	 rc;

	fuzz_split(data, size, &hlen, &body, &blen);
	if ((hdr = fuzz_cstr(data, hlen)) == NULL)
		return 0;

	m = 99;
	rc = sig_stripe_verify(hdr, body, blen, sig_secrets, 2, SIG_NOW,
	    SIG_TOL, &m);
	FUZZ_ASSERT(rc == LH_OK || rc == LH_ERR_SIG_HEADER ||
	    rc == LH_ERR_SIG_NO_V1 || rc == LH_ERR_SIG_MISMATCH ||
	    rc == LH_ERR_SIG_STALE || rc == LH_ERR_SIG_FUTURE ||
	    rc == LH_ERR_NOMEM);
	FUZZ_ASSERT(rc == LH_OK ? m < 2 : m == 0);
	FUZZ_ASSERT(sig_stripe_verify(NULL, body, blen, sig_secrets, 2,
	    SIG_NOW, SIG_TOL, NULL) == LH_ERR_SIG_MISSING);
	free(hdr);

	sig_roundtrip_now(body, blen);
	if (size >= sizeof(u)) {
		memcpy(&u, data, sizeof(u));
		sig_roundtrip_t((long long)u, body, blen);
	}
	return 0;
}
