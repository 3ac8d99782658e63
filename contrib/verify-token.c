/*
 * verify-token: check a licensehook offline token, or a signed license
 * API answer, with the vendor's Ed25519 public key and nothing but
 * OpenSSL (1.1.1 or 3.x).  It is meant to be copied into an application:
 * every function below stands alone.
 *
 *	cc -o verify-token verify-token.c -lcrypto
 *
 *	verify-token token PUB.pem TOKEN
 *	verify-token response PUB.pem BODY-FILE HEADER-VALUE
 *
 * Exit status: 0 valid, 1 not valid (bad signature, malformed, expired),
 * 2 usage or I/O error.  A valid token's payload is printed on stdout.
 *
 * Formats (see also licensehook's src/token.c).  All base64url is RFC
 * 4648 §5 without '=' padding, and canonical: unused low bits are zero.
 *
 * An offline token is
 *
 *	base64url(payload) "." base64url(64-byte Ed25519 signature)
 *
 * and the signature covers the ASCII text of the first part.  The
 * payload is compact JSON, members in this order, "inst" only when the
 * token is bound to an instance:
 *
 *	{"kid":"k1","lic":"LH-...","tier":"pro","features":["core"],
 *	 "inst":"...","iat":1700000000,"exp":1700604800}
 *
 * Times are Unix seconds; a token is good up to and including exp.
 *
 * Every license API answer carries the header
 *
 *	Licensehook-Signature: kid=<kid>, ed25519=<86 base64url symbols>
 *
 * signed over the exact bytes of the response body.  HEADER-VALUE is
 * the text after "Licensehook-Signature: ".  The kid is not signed: it
 * only says which of the vendor's public keys to try.  Save the body
 * byte for byte (curl -o), not re-encoded JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#define ED25519_SIG_LEN	64	/* bytes */
#define SIG_B64_LEN	86	/* base64url symbols for 64 bytes */
#define TOKEN_MAX	4096	/* bytes, as licensehook's LH_TOKEN_MAX */
#define BODY_MAX	(16 * 1024 * 1024)	/* bytes, an answer we read */

static int	b64url_value(unsigned char);
static int	b64url_decode(const char *, size_t, unsigned char *, size_t,
		    size_t *);
static EVP_PKEY	*load_public_key(const char *);
static int	ed25519_verify(EVP_PKEY *, const void *, size_t,
		    const unsigned char *);
static int	payload_exp(const char *, size_t, long long *);
static int	verify_token(EVP_PKEY *, const char *);
static int	header_signature(const char *, char *, size_t,
		    unsigned char *);
static int	read_file(const char *, unsigned char **, size_t *);
static int	verify_response(EVP_PKEY *, const char *, const char *);
static void	usage(void);

/* The 6-bit value of a base64url symbol, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * Decode len symbols of unpadded base64url into out (max bytes) and set
 * *outlen.  Refuses padding, other symbols, a length of 4n+1 and
 * non-zero unused bits.  Returns 0 on success, -1 otherwise.
 */
static int
b64url_decode(const char *s, size_t len, unsigned char *out, size_t max,
    size_t *outlen)
{
	unsigned long	 acc = 0;
	size_t		 i, n = 0;
	int		 v, bits = 0;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		if ((v = b64url_value((unsigned char)s[i])) < 0)
			return -1;
		acc = (acc << 6 | (unsigned long)v) & 0xffff;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == max)
				return -1;
			out[n++] = (unsigned char)(acc >> bits);
		}
	}
	/* The bits left over must be zero (RFC 4648 §3.5). */
	if ((acc & ((1UL << bits) - 1)) != 0)
		return -1;
	*outlen = n;
	return 0;
}

/* Read a PEM public key ("-----BEGIN PUBLIC KEY-----"); Ed25519 only. */
static EVP_PKEY *
load_public_key(const char *path)
{
	EVP_PKEY	*pkey;
	FILE		*fp;

	if ((fp = fopen(path, "r")) == NULL) {
		perror(path);
		return NULL;
	}
	pkey = PEM_read_PUBKEY(fp, NULL, NULL, NULL);
	fclose(fp);
	if (pkey == NULL || EVP_PKEY_id(pkey) != EVP_PKEY_ED25519) {
		fprintf(stderr, "%s: not an Ed25519 public key\n", path);
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/*
 * Ed25519 takes the whole message at once and no digest, so the digest
 * argument is NULL and the one-shot EVP_DigestVerify() is used.
 * Returns 1 if sig (64 bytes) is valid for msg, 0 otherwise.
 */
static int
ed25519_verify(EVP_PKEY *pkey, const void *msg, size_t len,
    const unsigned char *sig)
{
	EVP_MD_CTX	*ctx;
	int		 ok = 0;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return 0;
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
	    EVP_DigestVerify(ctx, sig, ED25519_SIG_LEN,
	    (const unsigned char *)msg, len) == 1)
		ok = 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/*
 * exp from a verified payload.  licensehook writes exp as the last
 * member, so the payload ends in ,"exp":<digits>}.  An application with
 * a JSON parser should read the payload with it instead.  Returns 0 on
 * success, -1 otherwise.
 */
static int
payload_exp(const char *p, size_t len, long long *exp)
{
	static const char	 key[] = ",\"exp\":";
	size_t			 i, start;
	long long		 v = 0;

	if (len < sizeof(key) + 1 || p[len - 1] != '}')
		return -1;
	for (start = len - 1; start > 0 && p[start - 1] >= '0' &&
	    p[start - 1] <= '9'; start--)
		;
	if (start == len - 1 || len - 1 - start > 12 ||
	    start < sizeof(key) - 1 ||
	    memcmp(p + start - (sizeof(key) - 1), key, sizeof(key) - 1) != 0)
		return -1;
	for (i = start; i < len - 1; i++)
		v = v * 10 + (p[i] - '0');
	*exp = v;
	return 0;
}

/* Returns 0 for a valid, unexpired token, 1 otherwise. */
static int
verify_token(EVP_PKEY *pkey, const char *token)
{
	unsigned char	 sig[ED25519_SIG_LEN];
	char		 payload[TOKEN_MAX];
	const char	*dot;
	size_t		 len, p1len, n;
	long long	 exp;

	if ((len = strlen(token)) >= TOKEN_MAX ||
	    (dot = strchr(token, '.')) == NULL) {
		fprintf(stderr, "token: malformed\n");
		return 1;
	}
	p1len = (size_t)(dot - token);
	if (p1len == 0 || len - p1len - 1 != SIG_B64_LEN ||
	    b64url_decode(dot + 1, SIG_B64_LEN, sig, sizeof(sig), &n) != 0 ||
	    n != sizeof(sig)) {
		fprintf(stderr, "token: malformed signature part\n");
		return 1;
	}
	/* The signature covers the base64url text, not the JSON. */
	if (!ed25519_verify(pkey, token, p1len, sig)) {
		fprintf(stderr, "token: signature does not match\n");
		return 1;
	}
	if (b64url_decode(token, p1len, (unsigned char *)payload,
	    sizeof(payload) - 1, &n) != 0 || payload_exp(payload, n,
	    &exp) != 0) {
		fprintf(stderr, "token: malformed payload\n");
		return 1;
	}
	payload[n] = '\0';
	if ((long long)time(NULL) > exp) {
		fprintf(stderr, "token: expired at %lld\n", exp);
		return 1;
	}
	printf("%s\n", payload);
	return 0;
}

/*
 * Split "kid=<kid>, ed25519=<sig>" into the kid (kidsz bytes with the
 * NUL) and the decoded signature.  Parameters are separated by ',' and
 * optional spaces; unknown ones are skipped, so new ones can be added.
 * Returns 0 on success, -1 otherwise.
 */
static int
header_signature(const char *h, char *kid, size_t kidsz, unsigned char *sig)
{
	const char	*p, *end, *eq;
	size_t		 vlen, n;
	int		 have_sig = 0;

	kid[0] = '\0';
	for (p = h; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		while (*p == ' ' || *p == '\t')
			p++;
		end = p + strcspn(p, ",");
		if ((eq = memchr(p, '=', (size_t)(end - p))) == NULL)
			continue;
		for (vlen = (size_t)(end - eq - 1); vlen > 0 &&
		    (eq[vlen] == ' ' || eq[vlen] == '\t'); vlen--)
			;
		if (eq - p == 3 && memcmp(p, "kid", 3) == 0) {
			if (vlen >= kidsz)
				return -1;
			memcpy(kid, eq + 1, vlen);
			kid[vlen] = '\0';
		} else if (eq - p == 7 && memcmp(p, "ed25519", 7) == 0) {
			if (have_sig || vlen != SIG_B64_LEN ||
			    b64url_decode(eq + 1, vlen, sig, ED25519_SIG_LEN,
			    &n) != 0 || n != ED25519_SIG_LEN)
				return -1;
			have_sig = 1;
		}
	}
	return have_sig ? 0 : -1;
}

/* Read a whole file of at most BODY_MAX bytes.  Returns 0 or -1. */
static int
read_file(const char *path, unsigned char **out, size_t *outlen)
{
	unsigned char	*buf;
	size_t		 n;
	FILE		*fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	if ((buf = malloc(BODY_MAX + 1)) == NULL) {
		fclose(fp);
		perror("malloc");
		return -1;
	}
	n = fread(buf, 1, BODY_MAX + 1, fp);
	if (ferror(fp) || n > BODY_MAX) {
		fprintf(stderr, "%s: unreadable or too large\n", path);
		fclose(fp);
		free(buf);
		return -1;
	}
	fclose(fp);
	*out = buf;
	*outlen = n;
	return 0;
}

/* Returns 0 for a body the header's signature matches, 1 or 2 otherwise. */
static int
verify_response(EVP_PKEY *pkey, const char *path, const char *header)
{
	unsigned char	 sig[ED25519_SIG_LEN], *body;
	char		 kid[64];
	size_t		 len;
	int		 rc;

	if (header_signature(header, kid, sizeof(kid), sig) != 0) {
		fprintf(stderr, "response: malformed Licensehook-Signature\n");
		return 1;
	}
	if (read_file(path, &body, &len) != 0)
		return 2;
	rc = ed25519_verify(pkey, body, len, sig) ? 0 : 1;
	free(body);
	if (rc != 0)
		fprintf(stderr, "response: signature does not match (kid %s)\n",
		    kid);
	else
		printf("valid, kid %s\n", kid);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: verify-token token PUB.pem TOKEN\n"
	    "       verify-token response PUB.pem BODY-FILE HEADER-VALUE\n");
}

int
main(int argc, char *argv[])
{
	EVP_PKEY	*pkey;
	int		 rc;

	if (argc == 4 && strcmp(argv[1], "token") == 0) {
		if ((pkey = load_public_key(argv[2])) == NULL)
			return 2;
		rc = verify_token(pkey, argv[3]);
	} else if (argc == 5 && strcmp(argv[1], "response") == 0) {
		if ((pkey = load_public_key(argv[2])) == NULL)
			return 2;
		rc = verify_response(pkey, argv[3], argv[4]);
	} else {
		usage();
		return 2;
	}
	EVP_PKEY_free(pkey);
	return rc;
}
