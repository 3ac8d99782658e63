/*
 * Fuzz target: configuration text, conf_parse() and conf_free()
 * (conf.c).
 *
 * Input: the whole file.  A failure must leave *out NULL and write a
 * one-line reason.  A configuration that parsed must be one the rest of
 * licensehook can use as it is: a database, 1 to LH_SECRETS_MAX secrets
 * that sig_stripe_fmt() accepts, limits in their documented ranges,
 * grace steps in order, every tier and price findable again, default
 * and free tiers that exist, and a key format keygen_fmt() can fill and
 * keygen_valid() accepts back.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"

#define FUZZ_NAME	conf
#include "fuzz.h"

#define CONF_WHSEC	"whsec_"
#define CONF_RND_MAX	64	/* bytes, more than a key format takes */

static void	conf_check_tiers(const struct lh_conf *);
static void	conf_check_key(const struct lh_conf *, const uint8_t *,
		    size_t);
static void	conf_check(const struct lh_conf *, const uint8_t *, size_t);

static void
conf_check_tiers(const struct lh_conf *conf)
{
	const struct lh_tier	*t;
	size_t			 i, j;

	FUZZ_ASSERT(conf->ntiers <= LH_TIERS_MAX);
	for (i = 0; i < conf->ntiers; i++) {
		t = &conf->tiers[i];
		FUZZ_ASSERT(t->name != NULL);
		FUZZ_ASSERT(strnlen(t->name, LH_NAME_MAX + 1) <= LH_NAME_MAX);
		FUZZ_ASSERT(conf_tier_by_name(conf, t->name) != NULL);
		FUZZ_ASSERT(t->nprices <= LH_TIER_PRICES_MAX);
		FUZZ_ASSERT(t->max_activations >= 0);
		for (j = 0; j < t->nprices; j++) {
			FUZZ_ASSERT(t->prices[j] != NULL);
			FUZZ_ASSERT(conf_tier_by_price(conf, t->prices[j]) !=
			    NULL);
		}
	}
	if (conf->default_tier != NULL)
		FUZZ_ASSERT(conf_tier_by_name(conf, conf->default_tier) !=
		    NULL);
	if (conf->life.free_tier != NULL)
		FUZZ_ASSERT(conf_tier_by_name(conf, conf->life.free_tier) !=
		    NULL);
}

/* A key of the configured format, from random bytes taken from data. */
static void
conf_check_key(const struct lh_conf *conf, const uint8_t *data, size_t size)
{
	uint8_t		 rnd[CONF_RND_MAX];
	char		 key[LH_KEY_MAX], masked[LH_KEY_MAX];
	size_t		 i, n;

	FUZZ_ASSERT(keygen_bits(&conf->keyfmt) >= LH_KEY_BITS_MIN);
	n = keygen_random_len(&conf->keyfmt);
	FUZZ_ASSERT(n > 0 && n <= sizeof(rnd));
	for (i = 0; i < n; i++)
		rnd[i] = size > 0 ? data[i % size] : 0xff;
	FUZZ_ASSERT(keygen_fmt(&conf->keyfmt, rnd, n, key, sizeof(key)) ==
	    LH_OK);
	FUZZ_ASSERT(keygen_valid(&conf->keyfmt, key) == 1);
	keygen_mask(key, masked, sizeof(masked));
	FUZZ_ASSERT(fuzz_terminated(masked, sizeof(masked)));
}

static void
conf_check(const struct lh_conf *conf, const uint8_t *data, size_t size)
{
	char		 hex[65];
	size_t		 i;

	FUZZ_ASSERT(conf->database != NULL && conf->database[0] == '/');
	FUZZ_ASSERT(conf->usage_database != NULL &&
	    conf->usage_database[0] == '/' &&
	    strcmp(conf->usage_database, conf->database) != 0);
	FUZZ_ASSERT(conf->mode == LH_MODE_TEST || conf->mode == LH_MODE_LIVE);
	FUZZ_ASSERT(conf->body_max >= 1 &&
	    conf->body_max <= LH_BODY_MAX_LIMIT);
	FUZZ_ASSERT(conf->tolerance >= 1 &&
	    conf->tolerance <= LH_TOLERANCE_MAX);
	FUZZ_ASSERT(conf->nstripe_secrets >= 1 &&
	    conf->nstripe_secrets <= LH_SECRETS_MAX);
	for (i = 0; i < conf->nstripe_secrets; i++) {
		FUZZ_ASSERT(strncmp(conf->stripe_secrets[i], CONF_WHSEC,
		    sizeof(CONF_WHSEC) - 1) == 0);
		FUZZ_ASSERT(sig_stripe_fmt(conf->stripe_secrets[i], 0, "", 0,
		    hex) == LH_OK);
	}
	FUZZ_ASSERT(conf->log_target != LH_LOG_FILE ||
	    (conf->log_file != NULL && conf->log_file[0] == '/'));
	FUZZ_ASSERT(conf->busy_timeout >= 0);
	FUZZ_ASSERT(conf->life.grace_reminder <= conf->life.grace_free &&
	    conf->life.grace_free <= conf->life.grace_suspend);
	FUZZ_ASSERT(conf->life.on_cancel != LH_POL_FREE_TIER ||
	    conf->life.free_tier != NULL);
	FUZZ_ASSERT(conf->api.token_ttl >= 0);
	FUZZ_ASSERT(conf->api.rate_address >= 0 && conf->api.rate_key >= 0);
	conf_check_tiers(conf);
	conf_check_key(conf, data, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct lh_conf sentinel;	/* conf_parse() clears it */
	struct lh_conf	*conf = &sentinel;
	char		 errbuf[256];
	enum lh_err	 rc;

	memset(errbuf, 'x', sizeof(errbuf));
	rc = conf_parse((const char *)data, size, &conf, errbuf,
	    sizeof(errbuf));
	FUZZ_ASSERT(fuzz_terminated(errbuf, sizeof(errbuf)));
	if (rc != LH_OK) {
		FUZZ_ASSERT(rc == LH_ERR_CONF || rc == LH_ERR_NOMEM);
		FUZZ_ASSERT(conf == NULL);
		FUZZ_ASSERT(errbuf[0] != '\0');
		FUZZ_ASSERT(strchr(errbuf, '\n') == NULL);
		return 0;
	}
	FUZZ_ASSERT(conf != NULL);
	conf_check(conf, data, size);
	conf_free(conf);
	return 0;
}
