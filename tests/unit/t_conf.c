/*
 * t_conf: conf_parse() on valid text, each error class and the exact
 * limits; the shipped sample configuration must parse too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lh.h"
#include "tap.h"

#define ERRLEN	256

/* The test secrets contain this, so that any echo of one is caught. */
#define LEAK	"SUPERSECRET"

#define DB	"[licensehook]\n" \
	"database = /var/lib/licensehook/licensehook.db\n"
#define SEC	"[stripe]\nwebhook_secret = whsec_" LEAK "ok\n"
#define MIN	DB SEC
/* One more webhook_secret line. */
#define S(n)	"webhook_secret = whsec_" LEAK #n "\n"
/* A [lifecycle] section after the minimal file (line 5 is the header). */
#define LIFE	MIN "[lifecycle]\n"
/* A duration that must be refused. */
#define BADDUR(v) { "expiry_slack " v, LIFE "expiry_slack = " v "\n", 0, \
	"line 6: lifecycle.expiry_slack: must be a duration from 0 to 366d" }
/* An [api] section after the minimal file (line 5 is the header). */
#define API	MIN "[api]\n"
/* A token_ttl that must be refused. */
#define BADTTL(v) { "token_ttl " v, API "token_ttl = " v "\n", 0, \
	"line 6: api.token_ttl: must be a duration from 1s to 366d" }
/* A [mail] section after the minimal file (line 5 is the header). */
#define MAILS	MIN "[mail]\n"
/* The same with mail on. */
#define MAILON	MAILS "from = shop@example.com\n"
/* An expiry_notice that must be refused (line 6). */
#define BADNOTICE(v) { "expiry_notice " v, MAILS "expiry_notice = " v "\n", \
	0, "line 6: mail.expiry_notice: must be a duration from 0 to 366d" }
/* The default api.allowed_statuses: active, trialing, grace. */
#define ALLOW_DEFAULT	(LH_ALLOW(LH_LIC_ACTIVE) | \
	LH_ALLOW(LH_LIC_TRIALING) | LH_ALLOW(LH_LIC_GRACE))
#define ALLOW_ALL	(ALLOW_DEFAULT | LH_ALLOW(LH_LIC_SUSPENDED) | \
	LH_ALLOW(LH_LIC_EXPIRED) | LH_ALLOW(LH_LIC_REVOKED))

/*
 * The first example in licensehook.conf(5); test_manpage() checks that
 * the two stay the same.
 */
static const char full[] =
    "# licensehook.conf for shop.example.com\n"
    "[licensehook]\n"
    "database = /var/lib/licensehook/licensehook.db\n"
    "mode = live\n"
    "body_limit = 65536\n"
    "log = /var/log/licensehook.log\n"
    "busy_timeout = 2000\n"
    "\n"
    "[stripe]\n"
    "webhook_secret = whsec_" LEAK "old0123456789abcdefABCDEF\n"
    "webhook_secret = whsec_" LEAK "new0123456789abcdefABCDEF\n"
    "tolerance = 600\n"
    "\n"
    "[keys]\n"
    "prefix = acme\n"
    "groups = 5\n"
    "group_length = 5\n"
    "\n"
    "[tiers]\n"
    "default = basic\n"
    "\n"
    "[tier basic]\n"
    "prices = price_1BasicMonthly, price_1BasicYearly\n"
    "max_activations = 1\n"
    "features = core\n"
    "\n"
    "[tier pro]\n"
    "prices = price_1ProMonthly\n"
    "max_activations = 3\n"
    "features = core, export, sync\n"
    "\n"
    "[tier team]\n"
    "prices = price_1TeamMonthly\n"
    "rank = 1\n"
    "max_activations = 10\n"
    "features = core, export, sync\n"
    "\n"
    "[tier free]\n"
    "rank = 0\n"
    "features = viewer\n"
    "\n"
    "[lifecycle]\n"
    "expiry_slack = 2d\n"
    "grace_reminder = 3d\n"
    "grace_free_tier = 7d\n"
    "grace_suspend = 21d\n"
    "free_tier = free\n"
    "on_cancel = free_tier\n"
    "on_refund = revoke\n"
    "on_dispute_lost = revoke\n"
    "\n"
    "[api]\n"
    "keys_dir = /etc/licensehook/keys\n"
    "token_ttl = 14d\n"
    "allowed_statuses = active, trialing\n"
    "rate_limit_address = 300\n"
    "rate_limit_key = 30\n"
    "\n"
    "[mail]\n"
    "from = \"Acme, Inc.\" <billing@acme.example>\n"
    "vendor_name = Acme Tools\n"
    "support_email = help@acme.example\n"
    "portal_url = https://billing.acme.example/portal\n"
    "sendmail = /usr/sbin/sendmail -t -i -f bounces@acme.example\n"
    "templates_dir = /etc/licensehook/templates\n"
    "expiry_notice = 10d\n"
    "deliver_after = 5\n"
    "timeout = 20\n";

struct bad {
	const char	*name;
	const char	*text;
	size_t		 len;		/* 0: strlen(text) */
	const char	*want;		/* expected in errbuf */
};

static const struct bad bad[] = {
	{ "empty text", "", 0, "licensehook.database: required" },
	{ "unknown key", DB "databse = /x\n" SEC, 0,
	    "line 3: unknown key 'databse' in [licensehook]" },
	{ "unknown key in tier", MIN "[tier pro]\nprice = p\n", 0,
	    "line 6: unknown key 'price' in [tier pro]" },
	{ "unknown section", MIN "[strpe]\n", 0,
	    "line 5: unknown section [strpe]" },
	{ "key outside section", "database = /x\n" MIN, 0,
	    "line 1: key 'database' outside any section" },
	{ "missing secret", DB, 0, "stripe.webhook_secret: required" },
	{ "missing secret, empty section", DB "[stripe]\ntolerance = 5\n", 0,
	    "stripe.webhook_secret: required" },
	{ "missing database", SEC, 0, "licensehook.database: required" },
	{ "relative database", "[licensehook]\ndatabase = lh.db\n" SEC, 0,
	    "line 2: licensehook.database: must be an absolute path" },
	{ "relative usage_database", DB "usage_database = usage.db\n" SEC, 0,
	    "line 3: licensehook.usage_database: must be an absolute path" },
	{ "usage_database empty", DB "usage_database =\n" SEC, 0,
	    "line 3: licensehook.usage_database: must be an absolute path" },
	{ "usage_database is the database", DB "usage_database = "
	    "/var/lib/licensehook/licensehook.db\n" SEC, 0,
	    "line 3: licensehook.usage_database: must not be the database "
	    "itself" },
	{ "usage_database twice", DB "usage_database = /u1\n"
	    "usage_database = /u2\n" SEC, 0,
	    "line 4: licensehook.usage_database: duplicate key" },
	{ "section repeated", MIN "[licensehook]\n", 0, "line 5: section "
	    "[licensehook] appears twice" },
	{ "bad mode value", DB "mode = prod\n" SEC, 0,
	    "line 3: licensehook.mode: must be test or live" },
	{ "mode is case-sensitive", DB "mode = Live\n" SEC, 0,
	    "licensehook.mode: must be test or live" },
	{ "duplicate key", DB "mode = test\nmode = live\n" SEC, 0,
	    "line 4: licensehook.mode: duplicate key" },
	{ "body_limit 0", DB "body_limit = 0\n" SEC, 0,
	    "licensehook.body_limit: must be a number from 1 to 16777216" },
	{ "body_limit max+1", DB "body_limit = 16777217\n" SEC, 0,
	    "licensehook.body_limit: must be a number from 1 to 16777216" },
	{ "body_limit sign", DB "body_limit = +5\n" SEC, 0,
	    "licensehook.body_limit: must be a number" },
	{ "body_limit negative", DB "body_limit = -1\n" SEC, 0,
	    "licensehook.body_limit: must be a number" },
	{ "body_limit hex", DB "body_limit = 0x100\n" SEC, 0,
	    "licensehook.body_limit: must be a number" },
	{ "body_limit inner space", DB "body_limit = 10 24\n" SEC, 0,
	    "licensehook.body_limit: must be a number" },
	{ "body_limit overflow", DB "body_limit = 99999999999999999999999\n"
	    SEC, 0, "licensehook.body_limit: must be a number" },
	{ "body_limit empty", DB "body_limit =\n" SEC, 0,
	    "licensehook.body_limit: must be a number" },
	{ "busy_timeout max+1", DB "busy_timeout = 600001\n" SEC, 0,
	    "licensehook.busy_timeout: must be a number from 0 to 600000" },
	{ "log relative", DB "log = licensehook.log\n" SEC, 0,
	    "licensehook.log: must be stderr, syslog or an absolute" },
	{ "tolerance 0", MIN "tolerance = 0\n", 0,
	    "stripe.tolerance: must be a number from 1 to 86400" },
	{ "tolerance max+1", MIN "tolerance = 86401\n", 0,
	    "stripe.tolerance: must be a number from 1 to 86400" },
	{ "bad secret prefix", DB "[stripe]\nwebhook_secret = sk_test_" LEAK
	    "\n", 0, "line 4: stripe.webhook_secret: must start with whsec_" },
	{ "secret with a space", DB "[stripe]\nwebhook_secret = whsec_" LEAK
	    "_bad value\n", 0, "stripe.webhook_secret: must be printable "
	    "ASCII without spaces" },
	{ "secret prefix only", DB "[stripe]\nwebhook_secret = whsec_\n", 0,
	    "stripe.webhook_secret: nothing after whsec_" },
	{ "secret empty", DB "[stripe]\nwebhook_secret =\n", 0,
	    "stripe.webhook_secret: must start with whsec_" },
	{ "nine secrets", MIN S(2) S(3) S(4) S(5) S(6) S(7) S(8) S(9), 0,
	    "line 12: stripe.webhook_secret: more than 8 secrets" },
	{ "secret pasted as a key", MIN "whsec_" LEAK " = 1\n", 0,
	    "unknown key '(not shown)' in [stripe]" },
	{ "secret pasted alone", MIN "whsec_" LEAK "\n", 0,
	    "line 5: expected 'key = value' or '[section]'" },
	{ "secret as a section", MIN "[whsec_" LEAK "]\n", 0,
	    "unknown section [(not shown)]" },
	{ "secret as a price", MIN "[tier a]\nprices = whsec_" LEAK " x\n", 0,
	    "price id '(not shown)' must be printable" },
	{ "bits below 80", MIN "[keys]\ngroups = 3\ngroup_length = 4\n", 0,
	    "keys.groups, keys.group_length: 3 groups of 4 symbols carry 60 "
	    "bits, fewer than 80" },
	{ "bits 40", MIN "[keys]\ngroups = 1\ngroup_length = 8\n", 0,
	    "keys.groups, keys.group_length" },
	{ "groups 0", MIN "[keys]\ngroups = 0\n", 0,
	    "keys.groups: must be a number from 1 to 8" },
	{ "groups 9", MIN "[keys]\ngroups = 9\n", 0,
	    "keys.groups: must be a number from 1 to 8" },
	{ "group_length 9", MIN "[keys]\ngroup_length = 9\n", 0,
	    "keys.group_length: must be a number from 1 to 8" },
	{ "prefix 17", MIN "[keys]\nprefix = ABCDEFGHIJKLMNOPQ\n", 0,
	    "keys.prefix: longer than 16 characters" },
	{ "prefix dash", MIN "[keys]\nprefix = L-H\n", 0,
	    "keys.prefix: only letters A-Z and digits 0-9 allowed" },
	{ "default tier not defined", MIN "[tiers]\ndefault = gold\n"
	    "[tier pro]\n", 0,
	    "line 6: tiers.default: no [tier gold] section" },
	{ "default tier bad name", MIN "[tiers]\ndefault = a b\n", 0,
	    "line 6: tiers.default: not a tier name" },
	{ "duplicate tier", MIN "[tier pro]\n[tier PRO]\n", 0,
	    "line 6: duplicate tier 'PRO'" },
	{ "tier without name", MIN "[tier]\n", 0,
	    "tier section without a name" },
	{ "tier name with space", MIN "[tier pro plus]\n", 0,
	    "tier name 'pro plus' must be 1 to 64" },
	{ "tier name 65", MIN "[tier "
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa]\n", 0, "must be 1 to 64" },
	{ "price in two tiers", MIN "[tier a]\nprices = p1, p2\n"
	    "[tier b]\nprices = P2\n", 0,
	    "line 8: tier.b.prices: price id 'P2' is already in tier 'a'" },
	{ "price twice in a tier", MIN "[tier a]\nprices = p1, P1\n", 0,
	    "tier.a.prices: price id 'P1' listed twice" },
	{ "price names another tier", MIN "[tier a]\nprices = B\n[tier b]\n",
	    0, "line 6: tier.a.prices: 'B' is also the name of tier 'b'" },
	{ "empty price in list", MIN "[tier a]\nprices = p1,,p2\n", 0,
	    "tier.a.prices: empty price id in the list" },
	{ "empty prices", MIN "[tier a]\nprices =\n", 0,
	    "tier.a.prices: no price ids" },
	{ "max_activations max+1", MIN "[tier a]\nmax_activations = 100001\n",
	    0, "tier.a.max_activations: must be a number from 0 to 100000" },
	{ "duplicate tier key", MIN "[tier a]\nfeatures = x\nfeatures = y\n",
	    0, "line 7: tier.a.features: duplicate key" },
	{ "NUL byte", MIN "\0mode = test\n", sizeof(MIN "\0mode = test\n") - 1,
	    "line 5: NUL byte" },
	{ "control character", MIN "tolerance = 3\x1b" "00\n", 0,
	    "line 5: control character 0x1b in column 14" },
	{ "bare CR inside a line", MIN "tolerance\r= 300\n", 0,
	    "line 5: control character 0x0d" },
	{ "text after section header", MIN "[keys] x\n", 0,
	    "line 5: text after section header" },
	{ "comment glued to header", MIN "[keys]# x\n", 0,
	    "line 5: text after section header" },
	{ "unclosed section header", MIN "[keys\n", 0,
	    "line 5: section header without ']'" },
	{ "no key before =", MIN "= 300\n", 0, "line 5: no key before '='" },
	{ "'#' after no space is no comment", DB "mode = live# x\n" SEC, 0,
	    "line 3: licensehook.mode: must be test or live" },

	/* [lifecycle] */
	{ "lifecycle twice", LIFE "[lifecycle]\n", 0,
	    "line 6: section [lifecycle] appears twice" },
	{ "lifecycle unknown key", LIFE "grace = 3d\n", 0,
	    "line 6: unknown key 'grace' in [lifecycle]" },
	{ "lifecycle key in [tiers]", MIN "[tiers]\nfree_tier = a\n", 0,
	    "line 6: unknown key 'free_tier' in [tiers]" },
	{ "lifecycle duplicate key", LIFE "on_refund = record\n"
	    "on_refund = revoke\n", 0,
	    "line 7: lifecycle.on_refund: duplicate key" },
	BADDUR("1w"),
	BADDUR("1D"),
	BADDUR("-1d"),
	BADDUR("+1d"),
	BADDUR("1.5d"),
	BADDUR("1 d"),
	BADDUR("d"),
	BADDUR("1dd"),
	BADDUR("d1"),
	BADDUR("0x10"),
	BADDUR("1s1"),
	BADDUR("367d"),
	BADDUR("8785h"),
	BADDUR("527041m"),
	BADDUR("31622401"),
	BADDUR("31622401s"),
	BADDUR("9999999999"),
	BADDUR("99999999999999999999999d"),
	{ "expiry_slack empty", LIFE "expiry_slack =\n", 0,
	    "lifecycle.expiry_slack: must be a duration" },
	{ "grace_reminder bad", LIFE "grace_reminder = 3days\n", 0,
	    "line 6: lifecycle.grace_reminder: must be a duration" },
	{ "grace_free_tier bad", LIFE "grace_free_tier = 1y\n", 0,
	    "line 6: lifecycle.grace_free_tier: must be a duration" },
	{ "grace_suspend bad", LIFE "grace_suspend = 400d\n", 0,
	    "line 6: lifecycle.grace_suspend: must be a duration" },
	{ "reminder after free (default 7d)", LIFE "grace_reminder = 8d\n", 0,
	    "line 6: lifecycle.grace_reminder, lifecycle.grace_free_tier: "
	    "691200 s is more than 604800 s; grace_reminder <= "
	    "grace_free_tier <= grace_suspend" },
	{ "free after suspend (default 14d)", LIFE "grace_free_tier = 15d\n",
	    0, "line 6: lifecycle.grace_free_tier, lifecycle.grace_suspend: "
	    "1296000 s is more than 1209600 s" },
	{ "suspend before free (default 7d)", LIFE "grace_suspend = 6d\n", 0,
	    "line 6: lifecycle.grace_free_tier, lifecycle.grace_suspend: "
	    "604800 s is more than 518400 s" },
	{ "order by one second, later line named", LIFE
	    "grace_free_tier = 100000\ngrace_reminder = 100001\n", 0,
	    "line 7: lifecycle.grace_reminder, lifecycle.grace_free_tier: "
	    "100001 s is more than 100000 s" },
	{ "free_tier not a name", LIFE "free_tier = a b\n", 0,
	    "line 6: lifecycle.free_tier: not a tier name" },
	{ "free_tier empty", LIFE "free_tier =\n", 0,
	    "line 6: lifecycle.free_tier: not a tier name" },
	{ "free_tier no such tier", LIFE "free_tier = gratis\n[tier pro]\n",
	    0, "line 6: lifecycle.free_tier: no [tier gratis] section" },
	{ "on_cancel free_tier without free_tier", LIFE
	    "on_cancel = free_tier\n", 0,
	    "line 6: lifecycle.on_cancel: free_tier needs "
	    "lifecycle.free_tier" },
	{ "on_cancel record", LIFE "on_cancel = record\n", 0,
	    "line 6: lifecycle.on_cancel: must be revoke or free_tier" },
	{ "on_cancel is case-sensitive", LIFE "on_cancel = Revoke\n", 0,
	    "lifecycle.on_cancel: must be revoke or free_tier" },
	{ "on_refund free_tier", LIFE "on_refund = free_tier\n", 0,
	    "line 6: lifecycle.on_refund: must be revoke or record" },
	{ "on_refund empty", LIFE "on_refund =\n", 0,
	    "lifecycle.on_refund: must be revoke or record" },
	{ "on_dispute_lost ignore", LIFE "on_dispute_lost = ignore\n", 0,
	    "line 6: lifecycle.on_dispute_lost: must be revoke or record" },

	/* [tier NAME] rank */
	{ "rank max+1", MIN "[tier a]\nrank = 1001\n", 0,
	    "line 6: tier.a.rank: must be a number from 0 to 1000" },
	{ "rank negative", MIN "[tier a]\nrank = -1\n", 0,
	    "tier.a.rank: must be a number from 0 to 1000" },
	{ "rank empty", MIN "[tier a]\nrank =\n", 0,
	    "tier.a.rank: must be a number from 0 to 1000" },
	{ "rank word", MIN "[tier a]\nrank = top\n", 0,
	    "tier.a.rank: must be a number from 0 to 1000 (digits only)" },
	{ "rank twice", MIN "[tier a]\nrank = 1\nrank = 2\n", 0,
	    "line 7: tier.a.rank: duplicate key" },
	{ "rank in [tiers]", MIN "[tiers]\nrank = 1\n", 0,
	    "unknown key 'rank' in [tiers]" },

	/* [api] */
	{ "api twice", API "[api]\n", 0,
	    "line 6: section [api] appears twice" },
	{ "api unknown key", API "key_dir = /k\n", 0,
	    "line 6: unknown key 'key_dir' in [api]" },
	{ "api key in [lifecycle]", LIFE "keys_dir = /k\n", 0,
	    "line 6: unknown key 'keys_dir' in [lifecycle]" },
	{ "keys_dir relative", API "keys_dir = keys\n", 0,
	    "line 6: api.keys_dir: must be an absolute path" },
	{ "keys_dir dot-relative", API "keys_dir = ./keys\n", 0,
	    "line 6: api.keys_dir: must be an absolute path" },
	{ "keys_dir empty", API "keys_dir =\n", 0,
	    "line 6: api.keys_dir: must be an absolute path" },
	{ "keys_dir twice", API "keys_dir = /a\nkeys_dir = /b\n", 0,
	    "line 7: api.keys_dir: duplicate key" },
	BADTTL("0"),
	BADTTL("0s"),
	BADTTL("0d"),
	BADTTL("367d"),
	BADTTL("31622401"),
	BADTTL("1w"),
	BADTTL("-1"),
	BADTTL("7 d"),
	BADTTL("7D"),
	{ "token_ttl empty", API "token_ttl =\n", 0,
	    "line 6: api.token_ttl: must be a duration from 1s to 366d" },
	{ "token_ttl twice", API "token_ttl = 1d\ntoken_ttl = 2d\n", 0,
	    "line 7: api.token_ttl: duplicate key" },
	{ "allowed_statuses empty", API "allowed_statuses =\n", 0,
	    "line 6: api.allowed_statuses: no statuses" },
	{ "allowed_statuses empty item", API
	    "allowed_statuses = active,,grace\n", 0,
	    "line 6: api.allowed_statuses: empty status in the list" },
	{ "allowed_statuses trailing comma", API
	    "allowed_statuses = active,\n", 0,
	    "api.allowed_statuses: empty status in the list" },
	{ "allowed_statuses only a comma", API "allowed_statuses = ,\n", 0,
	    "api.allowed_statuses: empty status in the list" },
	{ "allowed_statuses unknown", API "allowed_statuses = active, paid\n",
	    0, "line 6: api.allowed_statuses: unknown status 'paid' (one of "
	    "active, trialing, grace, suspended, expired, revoked)" },
	{ "allowed_statuses case", API "allowed_statuses = Active\n", 0,
	    "api.allowed_statuses: unknown status 'Active'" },
	{ "allowed_statuses provider word", API
	    "allowed_statuses = past_due\n", 0,
	    "api.allowed_statuses: unknown status 'past_due'" },
	{ "allowed_statuses space-separated", API
	    "allowed_statuses = active grace\n", 0,
	    "api.allowed_statuses: unknown status 'active grace'" },
	{ "allowed_statuses secret", API "allowed_statuses = whsec_" LEAK
	    "\n", 0, "api.allowed_statuses: unknown status '(not shown)'" },
	{ "allowed_statuses twice in the list", API
	    "allowed_statuses = grace, active, grace\n", 0,
	    "line 6: api.allowed_statuses: status 'grace' listed twice" },
	{ "allowed_statuses key twice", API "allowed_statuses = active\n"
	    "allowed_statuses = grace\n", 0,
	    "line 7: api.allowed_statuses: duplicate key" },
	{ "rate_limit_address max+1", API "rate_limit_address = 1000001\n", 0,
	    "line 6: api.rate_limit_address: must be a number from 0 to "
	    "1000000" },
	{ "rate_limit_address negative", API "rate_limit_address = -1\n", 0,
	    "api.rate_limit_address: must be a number from 0 to 1000000" },
	{ "rate_limit_address empty", API "rate_limit_address =\n", 0,
	    "api.rate_limit_address: must be a number from 0 to 1000000" },
	{ "rate_limit_address with unit", API "rate_limit_address = 120/m\n",
	    0, "api.rate_limit_address: must be a number from 0 to 1000000 "
	    "(digits only)" },
	{ "rate_limit_key max+1", API "rate_limit_key = 1000001\n", 0,
	    "line 6: api.rate_limit_key: must be a number from 0 to 1000000" },
	{ "rate_limit_key overflow", API
	    "rate_limit_key = 99999999999999999999999\n", 0,
	    "api.rate_limit_key: must be a number from 0 to 1000000" },
	{ "rate_limit_key twice", API "rate_limit_key = 1\n"
	    "rate_limit_key = 2\n", 0, "line 7: api.rate_limit_key: "
	    "duplicate key" },

	/* [mail] */
	{ "mail twice", MAILS "[mail]\n", 0,
	    "line 6: section [mail] appears twice" },
	{ "mail unknown key", MAILS "form = shop@example.com\n", 0,
	    "line 6: unknown key 'form' in [mail]" },
	{ "mail key in [api]", API "from = shop@example.com\n", 0,
	    "line 6: unknown key 'from' in [api]" },
	{ "from empty", MAILS "from =\n", 0,
	    "line 6: mail.from: empty (leave the key out to turn mail off)" },
	{ "from twice", MAILON "from = b@example.com\n", 0,
	    "line 7: mail.from: duplicate key" },
	{ "from without @", MAILS "from = shop\n", 0,
	    "line 6: mail.from: 'shop' is not an address licensehook mails "
	    "from" },
	{ "from without a dotted domain", MAILS "from = shop@localhost\n", 0,
	    "mail.from: '(not shown)' is not an address" },
	{ "from starting with -", MAILS "from = -f@example.com\n", 0,
	    "mail.from: '(not shown)' is not an address" },
	{ "from with a blank in the address", MAILS
	    "from = Shop <shop @example.com>\n", 0,
	    "mail.from: '(not shown)' is not an address" },
	{ "from with a CR", MAILS "from = shop@example.com\rBcc: x@y.example\n",
	    0, "line 6: control character 0x0d" },
	{ "from without the closing >", MAILS
	    "from = Shop <shop@example.com\n", 0,
	    "line 6: mail.from: must be an address, or a name and <address>" },
	{ "from with a > in the address", MAILS
	    "from = Shop <a>b@example.com>\n", 0,
	    "mail.from: must be an address, or a name and <address>" },
	{ "from with two <", MAILS "from = Shop <<shop@example.com>\n", 0,
	    "mail.from: the name before <address> must be ASCII" },
	{ "from bare with >", MAILS "from = shop@example.com>\n", 0,
	    "mail.from: must be an address, or a name and <address>" },
	{ "from name with a comma", MAILS
	    "from = Acme, Inc. <billing@acme.example>\n", 0,
	    "line 6: mail.from: the name before <address> must be ASCII" },
	{ "from name with a quote inside", MAILS
	    "from = \"Acme \"Tools\"\" <billing@acme.example>\n", 0,
	    "mail.from: the name before <address> must be ASCII" },
	{ "from name half quoted", MAILS
	    "from = \"Acme <billing@acme.example>\n", 0,
	    "mail.from: the name before <address> must be ASCII" },
	{ "from name not ASCII", MAILS
	    "from = Caf\xc3\xa9 <billing@acme.example>\n", 0,
	    "mail.from: the name before <address> must be ASCII" },
	{ "vendor_name empty", MAILS "vendor_name =\n", 0,
	    "line 6: mail.vendor_name: empty (leave the key out instead)" },
	{ "support_email not an address", MAILS "support_email = help\n", 0,
	    "line 6: mail.support_email: not an email address" },
	{ "support_email with a name", MAILS
	    "support_email = Help <help@example.com>\n", 0,
	    "mail.support_email: not an email address" },
	{ "portal_url ftp", MAILS "portal_url = ftp://example.com/\n", 0,
	    "line 6: mail.portal_url: must start with https:// or http://" },
	{ "portal_url without scheme", MAILS "portal_url = example.com\n", 0,
	    "mail.portal_url: must start with https:// or http://" },
	{ "portal_url with a blank", MAILS
	    "portal_url = https://example.com/a b\n", 0,
	    "mail.portal_url: must be printable ASCII without spaces" },
	{ "portal_url not ASCII", MAILS
	    "portal_url = https://example.com/\xc3\xa9\n", 0,
	    "mail.portal_url: must be printable ASCII without spaces" },
	{ "sendmail relative", MAILS "sendmail = sendmail -t -i\n", 0,
	    "line 6: mail.sendmail: must start with the command's absolute "
	    "path" },
	{ "sendmail empty", MAILS "sendmail =\n", 0,
	    "mail.sendmail: must start with the command's absolute path" },
	{ "sendmail 17 words", MAILS "sendmail = /s 2 3 4 5 6 7 8 9 10 11 12 "
	    "13 14 15 16 17\n", 0, "line 6: mail.sendmail: more than 16 "
	    "words" },
	{ "templates_dir relative", MAILS "templates_dir = templates\n", 0,
	    "line 6: mail.templates_dir: must be an absolute path" },
	{ "templates_dir empty", MAILS "templates_dir =\n", 0,
	    "mail.templates_dir: must be an absolute path" },
	BADNOTICE("367d"),
	BADNOTICE("31622401"),
	BADNOTICE("1w"),
	BADNOTICE("-1"),
	BADNOTICE(""),
	{ "deliver_after max+1", MAILS "deliver_after = 101\n", 0,
	    "line 6: mail.deliver_after: must be a number from 0 to 100" },
	{ "deliver_after negative", MAILS "deliver_after = -1\n", 0,
	    "mail.deliver_after: must be a number from 0 to 100 (digits "
	    "only)" },
	{ "timeout 0", MAILS "timeout = 0\n", 0,
	    "line 6: mail.timeout: must be a number from 1 to 600" },
	{ "timeout max+1", MAILS "timeout = 601\n", 0,
	    "mail.timeout: must be a number from 1 to 600" },
	{ "timeout with a unit", MAILS "timeout = 30s\n", 0,
	    "mail.timeout: must be a number from 1 to 600 (digits only)" },
};

/* Boundaries and variants that must parse, each with what to check. */
static int	chk_body_max(const struct lh_conf *);
static int	chk_busy0(const struct lh_conf *);
static int	chk_busy_max(const struct lh_conf *);
static int	chk_tol_max(const struct lh_conf *);
static int	chk_eight(const struct lh_conf *);
static int	chk_hash_in_secret(const struct lh_conf *);
static int	chk_bits80(const struct lh_conf *);
static int	chk_prefix16(const struct lh_conf *);
static int	chk_prefix_empty(const struct lh_conf *);
static int	chk_syslog(const struct lh_conf *);
static int	chk_usage_db(const struct lh_conf *);
static int	chk_usage_db_first(const struct lh_conf *);
static int	chk_comments(const struct lh_conf *);
static int	chk_default_fwd(const struct lh_conf *);
static int	chk_act_max(const struct lh_conf *);
static int	chk_three_tiers(const struct lh_conf *);
static int	chk_nothing(const struct lh_conf *);
static int	chk_dur_zero(const struct lh_conf *);
static int	chk_dur_max_d(const struct lh_conf *);
static int	chk_dur_max_h(const struct lh_conf *);
static int	chk_dur_max_m(const struct lh_conf *);
static int	chk_dur_max_s(const struct lh_conf *);
static int	chk_dur_units(const struct lh_conf *);
static int	chk_grace_equal(const struct lh_conf *);
static int	chk_free_fwd(const struct lh_conf *);
static int	chk_policies(const struct lh_conf *);
static int	chk_ranks(const struct lh_conf *);
static int	chk_free_only(const struct lh_conf *);
static int	chk_keys_dir(const struct lh_conf *);
static int	chk_keys_dir_slashes(const struct lh_conf *);
static int	chk_keys_dir_root(const struct lh_conf *);
static int	chk_ttl_min(const struct lh_conf *);
static int	chk_ttl_max(const struct lh_conf *);
static int	chk_ttl_hours(const struct lh_conf *);
static int	chk_allow_active(const struct lh_conf *);
static int	chk_allow_all(const struct lh_conf *);
static int	chk_allow_default(const struct lh_conf *);
static int	chk_rates_off(const struct lh_conf *);
static int	chk_rates_max(const struct lh_conf *);
static int	chk_api_only_rates(const struct lh_conf *);
static int	chk_mail_bare(const struct lh_conf *);
static int	chk_mail_named(const struct lh_conf *);
static int	chk_mail_quoted(const struct lh_conf *);
static int	chk_mail_brackets(const struct lh_conf *);
static int	chk_mail_off(const struct lh_conf *);
static int	chk_mail_mins(const struct lh_conf *);
static int	chk_mail_maxes(const struct lh_conf *);
static int	chk_mail_words(const struct lh_conf *);
static int	chk_mail_dir(const struct lh_conf *);
static int	chk_mail_vendor(const struct lh_conf *);

struct good {
	const char	*name;
	const char	*text;
	int		(*check)(const struct lh_conf *);
};

static const struct good good[] = {
	{ "body_limit max", DB "body_limit = 16777216\n" SEC, chk_body_max },
	{ "busy_timeout 0", DB "busy_timeout = 0\n" SEC, chk_busy0 },
	{ "busy_timeout max", DB "busy_timeout = 600000\n" SEC, chk_busy_max },
	{ "tolerance max", MIN "tolerance = 86400\n", chk_tol_max },
	{ "eight secrets (rotation)", DB "[stripe]\n" S(1) S(2) S(3) S(4) S(5)
	    S(6) S(7) S(8), chk_eight },
	{ "secret with '#' and '='", DB "[stripe]\n"
	    "webhook_secret = whsec_" LEAK "#a/b+c==   # comment\n",
	    chk_hash_in_secret },
	{ "bits exactly 80 (2 x 8)", MIN "[keys]\ngroups = 2\n"
	    "group_length = 8\n", chk_bits80 },
	{ "prefix 16, folded", MIN "[keys]\nprefix = abcdefghijklmno9\n",
	    chk_prefix16 },
	{ "prefix empty", MIN "[keys]\nprefix =\n", chk_prefix_empty },
	{ "log syslog", DB "log = syslog\n" SEC, chk_syslog },
	{ "usage_database", DB "usage_database = /var/lib/lh-usage/u.db\n"
	    SEC, chk_usage_db },
	{ "usage_database before database", "[licensehook]\n"
	    "usage_database = /srv/usage\ndatabase = /srv/lh.db\n" SEC,
	    chk_usage_db_first },
	{ "comments, valid", "\xef\xbb\xbf; BOM, then a comment\n"
	    "  # indented comment\n\n"
	    "\t[ licensehook ]   # header comment\n"
	    "\tdatabase=/db#1   # '#' after no space is kept\n"
	    "mode\t=\tlive\t# tab before the comment\n"
	    SEC "[tier pro]\nfeatures = a#b, c   ; d # e\n", chk_comments },
	{ "default names a later tier", MIN "[tiers]\ndefault = PRO\n"
	    "[tier Pro]\n", chk_default_fwd },
	{ "tier name is its own price", MIN "[tier pro]\nprices = pro\n",
	    chk_nothing },
	{ "max_activations max", MIN "[tier a]\nmax_activations = 100000\n",
	    chk_act_max },
	{ "tiers without prices", MIN "[tier a]\n[tier b]\n[tier c]\n",
	    chk_three_tiers },
	{ "durations 0", LIFE "expiry_slack = 0\ngrace_reminder = 0d\n"
	    "grace_free_tier = 0h\ngrace_suspend = 0m\n", chk_dur_zero },
	{ "duration 366d", LIFE "expiry_slack = 366d\ngrace_suspend = 366d\n",
	    chk_dur_max_d },
	{ "duration 8784h", LIFE "expiry_slack = 8784h\n", chk_dur_max_h },
	{ "duration 527040m", LIFE "expiry_slack = 527040m\n",
	    chk_dur_max_m },
	{ "duration 31622400 and ...s", LIFE "expiry_slack = 31622400\n"
	    "grace_suspend = 31622400s\n", chk_dur_max_s },
	{ "duration units", LIFE "expiry_slack = 90s\ngrace_reminder = 45m\n"
	    "grace_free_tier = 2h\ngrace_suspend = 007d   # comment\n",
	    chk_dur_units },
	{ "grace steps equal", LIFE "grace_reminder = 5d\n"
	    "grace_free_tier = 120h\ngrace_suspend = 432000\n",
	    chk_grace_equal },
	{ "free_tier before its tier, other case", LIFE "free_tier = GRATIS\n"
	    "on_cancel = free_tier\n[tier Gratis]\n", chk_free_fwd },
	{ "record policies", LIFE "on_refund = record\n"
	    "on_dispute_lost = record\non_cancel = revoke\n", chk_policies },
	{ "ranks", MIN "[tier a]\n[tier b]\nrank = 1000\n[tier c]\n"
	    "[tier d]\nrank = 0\n", chk_ranks },
	{ "free tier without a cancel policy", LIFE "free_tier = a\n"
	    "[tier a]\n", chk_free_only },
	{ "keys_dir", API "keys_dir = /etc/licensehook/keys\n",
	    chk_keys_dir },
	{ "keys_dir trailing slashes dropped", API
	    "keys_dir = /etc/licensehook/keys///   # comment\n",
	    chk_keys_dir_slashes },
	{ "keys_dir root stays", API "keys_dir = //\n", chk_keys_dir_root },
	{ "token_ttl 1 (seconds)", API "token_ttl = 1\n", chk_ttl_min },
	{ "token_ttl 1s", API "token_ttl = 1s\n", chk_ttl_min },
	{ "token_ttl 366d", API "token_ttl = 366d\n", chk_ttl_max },
	{ "token_ttl 31622400", API "token_ttl = 31622400\n", chk_ttl_max },
	{ "token_ttl 36h", API "token_ttl = 36h\n", chk_ttl_hours },
	{ "allowed_statuses active only", API "allowed_statuses = active\n",
	    chk_allow_active },
	{ "allowed_statuses all six, any order and spacing", API
	    "allowed_statuses = revoked,expired ,\tsuspended,  grace,"
	    "trialing,active\n", chk_allow_all },
	{ "allowed_statuses the default, spelled out", API
	    "allowed_statuses = grace, trialing, active\n", chk_allow_default },
	{ "rate limits 0 (off)", API "rate_limit_address = 0\n"
	    "rate_limit_key = 0\n", chk_rates_off },
	{ "rate limits max", API "rate_limit_address = 1000000\n"
	    "rate_limit_key = 1000000\n", chk_rates_max },
	{ "api settings without keys_dir", API "rate_limit_key = 5\n",
	    chk_api_only_rates },
	{ "from, a bare address", MAILON, chk_mail_bare },
	{ "from, name and address", MAILS
	    "from = Acme Tools Ltd. <billing@acme.example>   # comment\n",
	    chk_mail_named },
	{ "from, quoted name", MAILS
	    "from = \"Acme, Inc. <sales>\"<billing@acme.example>\n",
	    chk_mail_quoted },
	{ "from, address in brackets only", MAILS
	    "from = <billing@acme.example>\n", chk_mail_brackets },
	{ "mail settings without from", MAILS "vendor_name = Acme\n"
	    "timeout = 5\n", chk_mail_off },
	{ "mail minimums", MAILON "expiry_notice = 0\ndeliver_after = 0\n"
	    "timeout = 1\n", chk_mail_mins },
	{ "mail maximums", MAILON "expiry_notice = 366d\n"
	    "deliver_after = 100\ntimeout = 600\n", chk_mail_maxes },
	{ "sendmail 16 words, tabs", MAILON "sendmail = /usr/lib/sendmail"
	    "\t-t -i 4 5 6 7 8 9 10 11 12 13 14 15 16\n", chk_mail_words },
	{ "templates_dir trailing slashes dropped", MAILON
	    "templates_dir = /etc/licensehook/templates//\n", chk_mail_dir },
	{ "vendor_name UTF-8, with '#'", MAILON
	    "vendor_name = Caf\xc3\xa9 No#1   # comment\n", chk_mail_vendor },
};

static int
chk_body_max(const struct lh_conf *c)
{
	return c->body_max == LH_BODY_MAX_LIMIT;
}

static int
chk_busy0(const struct lh_conf *c)
{
	return c->busy_timeout == 0;
}

static int
chk_busy_max(const struct lh_conf *c)
{
	return c->busy_timeout == 600000;
}

static int
chk_tol_max(const struct lh_conf *c)
{
	return c->tolerance == LH_TOLERANCE_MAX;
}

static int
chk_eight(const struct lh_conf *c)
{
	return c->nstripe_secrets == LH_SECRETS_MAX &&
	    strcmp(c->stripe_secrets[0], "whsec_" LEAK "1") == 0 &&
	    strcmp(c->stripe_secrets[7], "whsec_" LEAK "8") == 0;
}

static int
chk_hash_in_secret(const struct lh_conf *c)
{
	return c->nstripe_secrets == 1 &&
	    strcmp(c->stripe_secrets[0], "whsec_" LEAK "#a/b+c==") == 0;
}

static int
chk_bits80(const struct lh_conf *c)
{
	return c->keyfmt.groups == 2 && c->keyfmt.group_len == 8;
}

static int
chk_prefix16(const struct lh_conf *c)
{
	return strcmp(c->keyfmt.prefix, "ABCDEFGHIJKLMNO9") == 0;
}

static int
chk_prefix_empty(const struct lh_conf *c)
{
	return c->keyfmt.prefix[0] == '\0';
}

static int
chk_syslog(const struct lh_conf *c)
{
	return c->log_target == LH_LOG_SYSLOG && c->log_file == NULL;
}

static int
chk_usage_db(const struct lh_conf *c)
{
	return strcmp(c->usage_database, "/var/lib/lh-usage/u.db") == 0 &&
	    strcmp(c->database, "/var/lib/licensehook/licensehook.db") == 0;
}

static int
chk_usage_db_first(const struct lh_conf *c)
{
	return strcmp(c->usage_database, "/srv/usage") == 0 &&
	    strcmp(c->database, "/srv/lh.db") == 0;
}

static int
chk_comments(const struct lh_conf *c)
{
	return strcmp(c->database, "/db#1") == 0 && c->mode == LH_MODE_LIVE &&
	    c->ntiers == 1 && strcmp(c->tiers[0].features, "a#b, c   ; d") == 0;
}

static int
chk_default_fwd(const struct lh_conf *c)
{
	/* The default is stored as the tier section spells it. */
	return c->default_tier != NULL &&
	    strcmp(c->default_tier, "Pro") == 0;
}

static int
chk_act_max(const struct lh_conf *c)
{
	return c->tiers[0].max_activations == 100000;
}

static int
chk_three_tiers(const struct lh_conf *c)
{
	return c->ntiers == 3 && c->tiers[2].nprices == 0 &&
	    strcmp(c->tiers[2].features, "") == 0;
}

static int
chk_nothing(const struct lh_conf *c)
{
	(void)c;
	return 1;
}

static int
chk_dur_zero(const struct lh_conf *c)
{
	return c->life.expiry_slack == 0 && c->life.grace_reminder == 0 &&
	    c->life.grace_free == 0 && c->life.grace_suspend == 0;
}

static int
chk_dur_max_d(const struct lh_conf *c)
{
	return c->life.expiry_slack == 366 * 86400L &&
	    c->life.grace_suspend == 366 * 86400L;
}

static int
chk_dur_max_h(const struct lh_conf *c)
{
	return c->life.expiry_slack == 8784 * 3600L;
}

static int
chk_dur_max_m(const struct lh_conf *c)
{
	return c->life.expiry_slack == 527040 * 60L;
}

static int
chk_dur_max_s(const struct lh_conf *c)
{
	return c->life.expiry_slack == 31622400L &&
	    c->life.grace_suspend == 31622400L;
}

static int
chk_dur_units(const struct lh_conf *c)
{
	return c->life.expiry_slack == 90 && c->life.grace_reminder == 2700 &&
	    c->life.grace_free == 7200 && c->life.grace_suspend == 7 * 86400L;
}

static int
chk_grace_equal(const struct lh_conf *c)
{
	return c->life.grace_reminder == 432000 &&
	    c->life.grace_free == 432000 && c->life.grace_suspend == 432000;
}

static int
chk_free_fwd(const struct lh_conf *c)
{
	/* Stored as the tier section spells it, like tiers.default. */
	return c->life.free_tier != NULL &&
	    strcmp(c->life.free_tier, "Gratis") == 0 &&
	    c->life.on_cancel == LH_POL_FREE_TIER;
}

static int
chk_policies(const struct lh_conf *c)
{
	return c->life.on_refund == LH_POL_RECORD &&
	    c->life.on_dispute_lost == LH_POL_RECORD &&
	    c->life.on_cancel == LH_POL_REVOKE && c->life.free_tier == NULL;
}

static int
chk_ranks(const struct lh_conf *c)
{
	/* Unset ranks are the position in the file, from 0. */
	return c->ntiers == 4 && c->tiers[0].rank == 0 &&
	    c->tiers[1].rank == 1000 && c->tiers[2].rank == 2 &&
	    c->tiers[3].rank == 0;
}

static int
chk_free_only(const struct lh_conf *c)
{
	return strcmp(c->life.free_tier, "a") == 0 &&
	    c->life.on_cancel == LH_POL_REVOKE;
}

static int
chk_keys_dir(const struct lh_conf *c)
{
	return c->api.keys_dir != NULL &&
	    strcmp(c->api.keys_dir, "/etc/licensehook/keys") == 0;
}

static int
chk_keys_dir_slashes(const struct lh_conf *c)
{
	return chk_keys_dir(c);
}

static int
chk_keys_dir_root(const struct lh_conf *c)
{
	return c->api.keys_dir != NULL && strcmp(c->api.keys_dir, "/") == 0;
}

static int
chk_ttl_min(const struct lh_conf *c)
{
	return c->api.token_ttl == 1;
}

static int
chk_ttl_max(const struct lh_conf *c)
{
	return c->api.token_ttl == 366 * 86400L;
}

static int
chk_ttl_hours(const struct lh_conf *c)
{
	return c->api.token_ttl == 36 * 3600L;
}

static int
chk_allow_active(const struct lh_conf *c)
{
	return c->api.allowed == LH_ALLOW(LH_LIC_ACTIVE);
}

static int
chk_allow_all(const struct lh_conf *c)
{
	return c->api.allowed == ALLOW_ALL;
}

static int
chk_allow_default(const struct lh_conf *c)
{
	return c->api.allowed == ALLOW_DEFAULT;
}

static int
chk_rates_off(const struct lh_conf *c)
{
	return c->api.rate_address == 0 && c->api.rate_key == 0;
}

static int
chk_rates_max(const struct lh_conf *c)
{
	return c->api.rate_address == 1000000 && c->api.rate_key == 1000000;
}

static int
chk_api_only_rates(const struct lh_conf *c)
{
	/* The API stays off; the other settings are kept for when it is on. */
	return c->api.keys_dir == NULL && c->api.rate_key == 5 &&
	    c->api.rate_address == 120;
}

static int
chk_mail_bare(const struct lh_conf *c)
{
	return c->mail.from != NULL &&
	    strcmp(c->mail.from, "shop@example.com") == 0;
}

static int
chk_mail_named(const struct lh_conf *c)
{
	return c->mail.from != NULL &&
	    strcmp(c->mail.from, "Acme Tools Ltd. <billing@acme.example>") == 0;
}

static int
chk_mail_quoted(const struct lh_conf *c)
{
	return c->mail.from != NULL && strcmp(c->mail.from,
	    "\"Acme, Inc. <sales>\"<billing@acme.example>") == 0;
}

static int
chk_mail_brackets(const struct lh_conf *c)
{
	return c->mail.from != NULL &&
	    strcmp(c->mail.from, "<billing@acme.example>") == 0;
}

static int
chk_mail_off(const struct lh_conf *c)
{
	/* Mail stays off; the other settings are kept for when it is on. */
	return c->mail.from == NULL && c->mail.vendor_name != NULL &&
	    strcmp(c->mail.vendor_name, "Acme") == 0 && c->mail.timeout == 5;
}

static int
chk_mail_mins(const struct lh_conf *c)
{
	return c->mail.expiry_notice == 0 && c->mail.deliver_after == 0 &&
	    c->mail.timeout == 1;
}

static int
chk_mail_maxes(const struct lh_conf *c)
{
	return c->mail.expiry_notice == 366 * 86400L &&
	    c->mail.deliver_after == 100 && c->mail.timeout == 600;
}

static int
chk_mail_words(const struct lh_conf *c)
{
	return strcmp(c->mail.sendmail, "/usr/lib/sendmail\t-t -i 4 5 6 7 8 "
	    "9 10 11 12 13 14 15 16") == 0;
}

static int
chk_mail_dir(const struct lh_conf *c)
{
	return c->mail.templates_dir != NULL &&
	    strcmp(c->mail.templates_dir, "/etc/licensehook/templates") == 0;
}

static int
chk_mail_vendor(const struct lh_conf *c)
{
	return c->mail.vendor_name != NULL &&
	    strcmp(c->mail.vendor_name, "Caf\xc3\xa9 No#1") == 0;
}

static void
test_bad(void)
{
	struct lh_conf	*c;
	char		 err[ERRLEN];
	size_t		 i, len;
	enum lh_err	 r;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = bad[i].len ? bad[i].len : strlen(bad[i].text);
		c = (struct lh_conf *)1;
		r = conf_parse(bad[i].text, len, &c, err, sizeof(err));
		is_int(r, LH_ERR_CONF, "%s: rejected", bad[i].name);
		ok(c == NULL, "%s: no conf", bad[i].name);
		if (!ok(strstr(err, bad[i].want) != NULL, "%s: message",
		    bad[i].name))
			printf("#   got \"%s\"\n#   want \"%s\"\n", err,
			    bad[i].want);
		ok(strstr(err, LEAK) == NULL, "%s: no secret in message",
		    bad[i].name);
		conf_free(c);
	}
}

static void
test_good(void)
{
	struct lh_conf	*c;
	char		 err[ERRLEN];
	size_t		 i;
	enum lh_err	 r;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		c = NULL;
		r = conf_parse(good[i].text, strlen(good[i].text), &c, err,
		    sizeof(err));
		if (!ok(r == LH_OK && c != NULL, "%s: parses", good[i].name))
			printf("#   error \"%s\"\n", err);
		ok(c != NULL && good[i].check(c), "%s: value", good[i].name);
		is_str(err, "", "%s: errbuf empty", good[i].name);
		conf_free(c);
	}
}

/* Every field of the full example. */
static void
check_full(const struct lh_conf *c, const char *how)
{
	const struct lh_tier *t;

	is_str(c->database, "/var/lib/licensehook/licensehook.db",
	    "%s: database", how);
	is_str(c->usage_database, "/var/lib/licensehook/licensehook.db-usage",
	    "%s: usage_database from database", how);
	is_int(c->mode, LH_MODE_LIVE, "%s: mode", how);
	is_int(c->body_max, 65536, "%s: body_max", how);
	is_int(c->log_target, LH_LOG_FILE, "%s: log target", how);
	is_str(c->log_file, "/var/log/licensehook.log", "%s: log_file", how);
	is_int(c->busy_timeout, 2000, "%s: busy_timeout", how);
	is_int(c->nstripe_secrets, 2, "%s: two secrets", how);
	is_str(c->stripe_secrets[0], "whsec_" LEAK "old0123456789abcdefABCDEF",
	    "%s: secret 0", how);
	is_str(c->stripe_secrets[1], "whsec_" LEAK "new0123456789abcdefABCDEF",
	    "%s: secret 1", how);
	ok(c->stripe_secrets[2] == NULL, "%s: no third secret", how);
	is_int(c->tolerance, 600, "%s: tolerance", how);
	is_str(c->keyfmt.prefix, "ACME", "%s: prefix folded", how);
	is_int(c->keyfmt.groups, 5, "%s: groups", how);
	is_int(c->keyfmt.group_len, 5, "%s: group_len", how);
	is_str(c->default_tier, "basic", "%s: default tier", how);
	t = &c->tiers[0];
	is_str(t->name, "basic", "%s: tier 0 name", how);
	is_int(t->nprices, 2, "%s: tier 0 prices", how);
	is_str(t->prices[0], "price_1BasicMonthly", "%s: tier 0 price 0", how);
	is_str(t->prices[1], "price_1BasicYearly", "%s: tier 0 price 1", how);
	is_int(t->max_activations, 1, "%s: tier 0 activations", how);
	is_str(t->features, "core", "%s: tier 0 features", how);
	t = &c->tiers[1];
	is_str(t->name, "pro", "%s: tier 1 name", how);
	is_int(t->nprices, 1, "%s: tier 1 prices", how);
	is_str(t->prices[0], "price_1ProMonthly", "%s: tier 1 price 0", how);
	is_int(t->max_activations, 3, "%s: tier 1 activations", how);
	is_str(t->features, "core, export, sync", "%s: tier 1 features", how);
	is_int(c->ntiers, 4, "%s: four tiers", how);
	is_int(c->tiers[0].rank, 0, "%s: basic rank by position", how);
	is_int(c->tiers[1].rank, 1, "%s: pro rank by position", how);
	is_int(c->tiers[2].rank, 1, "%s: team rank 1, sideways", how);
	is_int(c->tiers[3].rank, 0, "%s: free rank 0", how);
	is_int(c->life.expiry_slack, 2 * 86400, "%s: expiry_slack", how);
	is_int(c->life.grace_reminder, 3 * 86400, "%s: grace_reminder", how);
	is_int(c->life.grace_free, 7 * 86400, "%s: grace_free", how);
	is_int(c->life.grace_suspend, 21 * 86400, "%s: grace_suspend", how);
	is_str(c->life.free_tier, "free", "%s: free_tier", how);
	is_int(c->life.on_cancel, LH_POL_FREE_TIER, "%s: on_cancel", how);
	is_int(c->life.on_refund, LH_POL_REVOKE, "%s: on_refund", how);
	is_int(c->life.on_dispute_lost, LH_POL_REVOKE, "%s: on_dispute_lost",
	    how);
	is_str(c->api.keys_dir, "/etc/licensehook/keys", "%s: keys_dir", how);
	is_int(c->api.token_ttl, 14 * 86400, "%s: token_ttl", how);
	is_int(c->api.allowed, LH_ALLOW(LH_LIC_ACTIVE) |
	    LH_ALLOW(LH_LIC_TRIALING), "%s: allowed_statuses", how);
	is_int(c->api.rate_address, 300, "%s: rate_limit_address", how);
	is_int(c->api.rate_key, 30, "%s: rate_limit_key", how);
	is_str(c->mail.from, "\"Acme, Inc.\" <billing@acme.example>",
	    "%s: mail from", how);
	is_str(c->mail.vendor_name, "Acme Tools", "%s: vendor_name", how);
	is_str(c->mail.support_email, "help@acme.example",
	    "%s: support_email", how);
	is_str(c->mail.portal_url, "https://billing.acme.example/portal",
	    "%s: portal_url", how);
	is_str(c->mail.sendmail, "/usr/sbin/sendmail -t -i -f "
	    "bounces@acme.example", "%s: sendmail", how);
	is_str(c->mail.templates_dir, "/etc/licensehook/templates",
	    "%s: templates_dir", how);
	is_int(c->mail.expiry_notice, 10 * 86400, "%s: expiry_notice", how);
	is_int(c->mail.deliver_after, 5, "%s: deliver_after", how);
	is_int(c->mail.timeout, 20, "%s: mail timeout", how);
}

/* [mail] defaults, as licensehook.conf(5) states them: mail is off. */
static void
check_mail_defaults(const struct lh_conf *c, const char *how)
{
	ok(c->mail.from == NULL, "%s: no from (mail off)", how);
	ok(c->mail.vendor_name == NULL, "%s: no vendor_name", how);
	ok(c->mail.support_email == NULL, "%s: no support_email", how);
	ok(c->mail.portal_url == NULL, "%s: no portal_url", how);
	is_str(c->mail.sendmail, "/usr/sbin/sendmail -t -i",
	    "%s: sendmail /usr/sbin/sendmail -t -i", how);
	ok(c->mail.templates_dir == NULL,
	    "%s: templates_dir the shipped one", how);
	is_int(c->mail.expiry_notice, 7 * 86400, "%s: expiry_notice 7d", how);
	is_int(c->mail.deliver_after, 3, "%s: deliver_after 3", how);
	is_int(c->mail.timeout, 30, "%s: mail timeout 30", how);
}

/* [api] defaults, as licensehook.conf(5) states them: the API is off. */
static void
check_api_defaults(const struct lh_conf *c, const char *how)
{
	ok(c->api.keys_dir == NULL, "%s: no keys_dir (API off)", how);
	is_int(c->api.token_ttl, 7 * 86400, "%s: token_ttl 7d", how);
	is_int(c->api.allowed, ALLOW_DEFAULT,
	    "%s: allowed_statuses active, trialing, grace", how);
	is_int(c->api.rate_address, 120, "%s: rate_limit_address 120", how);
	is_int(c->api.rate_key, 60, "%s: rate_limit_key 60", how);
}

/* [lifecycle] defaults, as licensehook.conf(5) states them. */
static void
check_life_defaults(const struct lh_conf *c, const char *how)
{
	is_int(c->life.expiry_slack, 86400, "%s: expiry_slack 1d", how);
	is_int(c->life.grace_reminder, 3 * 86400, "%s: grace_reminder 3d",
	    how);
	is_int(c->life.grace_free, 7 * 86400, "%s: grace_free_tier 7d", how);
	is_int(c->life.grace_suspend, 14 * 86400, "%s: grace_suspend 14d",
	    how);
	ok(c->life.free_tier == NULL, "%s: no free tier", how);
	is_int(c->life.on_cancel, LH_POL_REVOKE, "%s: on_cancel revoke", how);
	is_int(c->life.on_refund, LH_POL_REVOKE, "%s: on_refund revoke", how);
	is_int(c->life.on_dispute_lost, LH_POL_REVOKE,
	    "%s: on_dispute_lost revoke", how);
}

static void
test_full(void)
{
	struct lh_conf	*c = NULL;
	char		 err[ERRLEN], *crlf;
	size_t		 i, n;
	enum lh_err	 r;

	r = conf_parse(full, strlen(full), &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "full: parses"))
		printf("#   error \"%s\"\n", err);
	if (c != NULL)
		check_full(c, "full");
	conf_free(c);

	/* The same text as a Windows editor would save it. */
	if ((crlf = malloc(2 * sizeof(full))) == NULL)
		abort();
	for (i = n = 0; full[i] != '\0'; i++) {
		if (full[i] == '\n')
			crlf[n++] = '\r';
		crlf[n++] = full[i];
	}
	c = NULL;
	r = conf_parse(crlf, n, &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "crlf: parses"))
		printf("#   error \"%s\"\n", err);
	if (c != NULL)
		check_full(c, "crlf");
	conf_free(c);
	free(crlf);
}

static void
test_defaults(void)
{
	struct lh_conf	*c = NULL;
	char		 err[ERRLEN];
	enum lh_err	 r;

	r = conf_parse(MIN, strlen(MIN), &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "minimal: parses"))
		printf("#   error \"%s\"\n", err);
	if (c == NULL)
		return;
	is_str(c->usage_database, "/var/lib/licensehook/licensehook.db-usage",
	    "minimal: usage_database is database + -usage");
	is_int(c->mode, LH_MODE_TEST, "minimal: mode test");
	is_int(c->body_max, LH_BODY_MAX_DEFAULT, "minimal: body_max");
	is_int(c->log_target, LH_LOG_STDERR, "minimal: log stderr");
	ok(c->log_file == NULL, "minimal: no log_file");
	is_int(c->busy_timeout, LH_BUSY_TIMEOUT_DEFAULT, "minimal: busy");
	is_int(c->nstripe_secrets, 1, "minimal: one secret");
	is_str(c->stripe_secrets[0], "whsec_" LEAK "ok", "minimal: secret");
	is_int(c->tolerance, LH_TOLERANCE_DEFAULT, "minimal: tolerance");
	is_str(c->keyfmt.prefix, "LH", "minimal: prefix");
	is_int(c->keyfmt.groups, 4, "minimal: groups");
	is_int(c->keyfmt.group_len, 4, "minimal: group_len");
	is_int(c->ntiers, 0, "minimal: no tiers");
	ok(c->default_tier == NULL, "minimal: no default tier");
	ok(conf_tier_by_name(c, "basic") == NULL, "minimal: no tier found");
	check_life_defaults(c, "minimal");
	check_api_defaults(c, "minimal");
	check_mail_defaults(c, "minimal");
	conf_free(c);

	/* An empty [lifecycle] section changes nothing. */
	c = NULL;
	r = conf_parse(LIFE, strlen(LIFE), &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "empty lifecycle: parses"))
		printf("#   error \"%s\"\n", err);
	if (c != NULL)
		check_life_defaults(c, "empty lifecycle");
	conf_free(c);

	/* Nor does an empty [mail] section: mail stays off. */
	c = NULL;
	r = conf_parse(MAILS, strlen(MAILS), &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "empty mail: parses"))
		printf("#   error \"%s\"\n", err);
	if (c != NULL)
		check_mail_defaults(c, "empty mail");
	conf_free(c);

	/* Nor does an empty [api] section: the API stays off. */
	c = NULL;
	r = conf_parse(API, strlen(API), &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "empty api: parses"))
		printf("#   error \"%s\"\n", err);
	if (c != NULL)
		check_api_defaults(c, "empty api");
	conf_free(c);
}

/*
 * Each allowed_statuses word sets the bit of its enum lh_lic_status, the
 * value license_status_name() gives that word (license.c).
 */
static void
test_statuses(void)
{
	static const struct {
		const char		*name;
		enum lh_lic_status	 st;
	} names[] = {
		{ "active", LH_LIC_ACTIVE },
		{ "trialing", LH_LIC_TRIALING },
		{ "grace", LH_LIC_GRACE },
		{ "suspended", LH_LIC_SUSPENDED },
		{ "expired", LH_LIC_EXPIRED },
		{ "revoked", LH_LIC_REVOKED },
	};
	struct lh_conf	*c;
	char		 err[ERRLEN], text[256];
	size_t		 i;
	enum lh_err	 r;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(text, sizeof(text), API "allowed_statuses = %s\n",
		    names[i].name);
		c = NULL;
		r = conf_parse(text, strlen(text), &c, err, sizeof(err));
		if (!ok(r == LH_OK && c != NULL, "allowed_statuses = %s: "
		    "parses", names[i].name))
			printf("#   error \"%s\"\n", err);
		if (c != NULL)
			is_int(c->api.allowed, LH_ALLOW(names[i].st),
			    "allowed_statuses = %s: its bit only",
			    names[i].name);
		conf_free(c);
	}
}

/* A keys_dir of 960 bytes (the limit), then 961. */
static void
test_keys_dir_len(void)
{
	struct lh_conf	*c;
	char		 err[ERRLEN], text[2048], dir[1024];
	size_t		 n, max = LH_PATH_MAX - LH_KID_MAX - 32;
	enum lh_err	 r;

	for (n = max; n <= max + 1; n++) {
		memset(dir, 'k', n);
		dir[0] = '/';
		dir[n] = '\0';
		snprintf(text, sizeof(text), API "keys_dir = %s\n", dir);
		c = NULL;
		r = conf_parse(text, strlen(text), &c, err, sizeof(err));
		if (n == max) {
			ok(r == LH_OK && c != NULL &&
			    strlen(c->api.keys_dir) == n,
			    "keys_dir of %zu bytes: accepted", n);
		} else {
			ok(r == LH_ERR_CONF && c == NULL,
			    "keys_dir of %zu bytes: rejected", n);
			is_str(err, "line 6: api.keys_dir: longer than 960 "
			    "bytes", "keys_dir of %zu bytes: message", n);
		}
		conf_free(c);
	}
}

/*
 * [mail] lengths at the limit and one past it: from and vendor_name 256
 * bytes, templates_dir 960, portal_url and sendmail 1024 (the line limit
 * leaves room for them only without the "key = " around them, so the
 * longest that fit a line are tried).
 */
static void
test_mail_len(void)
{
	static const struct {
		const char	*key;
		const char	*head;	/* before the filler */
		const char	*tail;	/* after it */
		size_t		 max;	/* the whole value, 0: no limit hit */
		const char	*want;	/* past the max */
	} lens[] = {
		{ "from", "", " <shop@example.com>", 256,
		    "line 6: mail.from: longer than 256 bytes" },
		{ "vendor_name", "", "", 256,
		    "line 6: mail.vendor_name: longer than 256 bytes" },
		{ "templates_dir", "/", "", LH_PATH_MAX - 64,
		    "line 6: mail.templates_dir: longer than 960 bytes" },
	};
	struct lh_conf	*c;
	char		 err[ERRLEN], text[2048], val[1200];
	size_t		 i, n, hl, tl;
	enum lh_err	 r;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		hl = strlen(lens[i].head);
		tl = strlen(lens[i].tail);
		for (n = lens[i].max; n <= lens[i].max + 1; n++) {
			memcpy(val, lens[i].head, hl);
			memset(val + hl, 'a', n - hl - tl);
			memcpy(val + n - tl, lens[i].tail, tl);
			val[n] = '\0';
			snprintf(text, sizeof(text), MAILS "%s = %s\n",
			    lens[i].key, val);
			c = NULL;
			r = conf_parse(text, strlen(text), &c, err,
			    sizeof(err));
			if (n == lens[i].max)
				ok(r == LH_OK && c != NULL, "%s of %zu bytes: "
				    "accepted", lens[i].key, n);
			else {
				ok(r == LH_ERR_CONF && c == NULL, "%s of %zu "
				    "bytes: rejected", lens[i].key, n);
				is_str(err, lens[i].want, "%s of %zu bytes: "
				    "message", lens[i].key, n);
			}
			conf_free(c);
		}
	}
}

/* Exactly LH_CONF_LINE_MAX bytes, then one more; CR LF is not counted. */
static void
test_long(void)
{
	struct lh_conf	*c;
	char		 err[ERRLEN], *buf, *p;
	size_t		 pre = strlen(MIN), n;
	enum lh_err	 r;
	int		 extra, crlf;

	if ((buf = malloc(pre + LH_CONF_LINE_MAX + 8)) == NULL)
		abort();
	for (extra = 0; extra <= 1; extra++) {
		for (crlf = 0; crlf <= 1; crlf++) {
			memcpy(buf, MIN, pre);
			p = buf + pre;
			n = LH_CONF_LINE_MAX + (size_t)extra;
			*p = '#';
			memset(p + 1, 'x', n - 1);
			p += n;
			if (crlf)
				*p++ = '\r';
			*p++ = '\n';
			c = NULL;
			r = conf_parse(buf, (size_t)(p - buf), &c, err,
			    sizeof(err));
			if (extra == 0) {
				ok(r == LH_OK && c != NULL, "line of %zu "
				    "bytes%s: accepted", n, crlf ? " + CRLF" :
				    "");
			} else {
				ok(r == LH_ERR_CONF && c == NULL, "line of "
				    "%zu bytes%s: rejected", n, crlf ?
				    " + CRLF" : "");
				is_str(err, "line 5: longer than 1024 bytes",
				    "line of %zu bytes: message", n);
			}
			conf_free(c);
		}
	}
	free(buf);
}

/* A secret of LH_SECRET_MAX bytes, then one more. */
static void
test_secret_len(void)
{
	struct lh_conf	*c;
	char		 err[ERRLEN], text[512];
	char		 secret[LH_SECRET_MAX + 2];
	size_t		 n;
	enum lh_err	 r;

	for (n = LH_SECRET_MAX; n <= LH_SECRET_MAX + 1; n++) {
		memset(secret, 'Q', n);
		memcpy(secret, "whsec_" LEAK, strlen("whsec_" LEAK));
		secret[n] = '\0';
		snprintf(text, sizeof(text), DB "[stripe]\nwebhook_secret = "
		    "%s\n", secret);
		c = NULL;
		r = conf_parse(text, strlen(text), &c, err, sizeof(err));
		if (n == LH_SECRET_MAX) {
			ok(r == LH_OK && c != NULL &&
			    strlen(c->stripe_secrets[0]) == n,
			    "secret of %zu bytes: accepted", n);
		} else {
			ok(r == LH_ERR_CONF && c == NULL,
			    "secret of %zu bytes: rejected", n);
			is_str(err, "line 4: stripe.webhook_secret: longer "
			    "than 256 bytes", "secret of %zu bytes: message",
			    n);
		}
		conf_free(c);
	}
}

static void
test_limits(void)
{
	struct lh_conf	*c;
	char		 err[ERRLEN], *buf, *p;
	size_t		 len, i, j;
	enum lh_err	 r;

	/* The text itself: LH_CONF_MAX bytes of comments pass. */
	if ((buf = malloc(LH_CONF_MAX + 64)) == NULL)
		abort();
	memcpy(buf, MIN, strlen(MIN));
	for (p = buf + strlen(MIN); p < buf + LH_CONF_MAX; p += 64) {
		memset(p, '#', 63);
		p[63] = '\n';
	}
	for (len = LH_CONF_MAX; len <= LH_CONF_MAX + 1; len++) {
		buf[LH_CONF_MAX] = '\n';
		c = NULL;
		r = conf_parse(buf, len, &c, err, sizeof(err));
		if (len == LH_CONF_MAX)
			ok(r == LH_OK && c != NULL, "text of %zu bytes: "
			    "accepted", len);
		else
			ok(r == LH_ERR_CONF && c == NULL &&
			    strstr(err, "more than 262144") != NULL,
			    "text of %zu bytes: rejected", len);
		conf_free(c);
	}
	free(buf);

	/* LH_TIERS_MAX tiers, then one more. */
	len = strlen(MIN) + (LH_TIERS_MAX + 1) * 16;
	if ((buf = malloc(len)) == NULL)
		abort();
	memcpy(buf, MIN, strlen(MIN));
	p = buf + strlen(MIN);
	for (i = 0; i < LH_TIERS_MAX; i++)
		p += snprintf(p, 16, "[tier t%zu]\n", i);
	c = NULL;
	r = conf_parse(buf, (size_t)(p - buf), &c, err, sizeof(err));
	ok(r == LH_OK && c != NULL && c->ntiers == LH_TIERS_MAX,
	    "%d tiers: accepted", LH_TIERS_MAX);
	conf_free(c);
	p += snprintf(p, 16, "[tier t%d]\n", LH_TIERS_MAX);
	c = NULL;
	r = conf_parse(buf, (size_t)(p - buf), &c, err, sizeof(err));
	ok(r == LH_ERR_CONF && c == NULL &&
	    strstr(err, "more than 64 tiers") != NULL,
	    "%d tiers: rejected", LH_TIERS_MAX + 1);
	conf_free(c);
	free(buf);

	/* LH_TIER_PRICES_MAX prices in one tier, then one more. */
	len = strlen(MIN) + 32 + (LH_TIER_PRICES_MAX + 1) * 8;
	if ((buf = malloc(len)) == NULL)
		abort();
	for (i = LH_TIER_PRICES_MAX; i <= LH_TIER_PRICES_MAX + 1; i++) {
		p = buf;
		p += snprintf(p, len, "%s[tier a]\nprices = p0", MIN);
		for (j = 1; j < i; j++)
			p += snprintf(p, 8, ",p%zu", j);
		*p++ = '\n';
		c = NULL;
		r = conf_parse(buf, (size_t)(p - buf), &c, err, sizeof(err));
		if (i == LH_TIER_PRICES_MAX)
			ok(r == LH_OK && c != NULL &&
			    c->tiers[0].nprices == i, "%zu prices: accepted",
			    i);
		else
			ok(r == LH_ERR_CONF && c == NULL &&
			    strstr(err, "more than 32 price ids") != NULL,
			    "%zu prices: rejected", i);
		conf_free(c);
	}
	free(buf);
}

static void
test_lookup(void)
{
	struct lh_conf	*c = NULL;
	char		 err[ERRLEN];
	const struct lh_tier *t;

	if (conf_parse(full, strlen(full), &c, err, sizeof(err)) != LH_OK) {
		ok(0, "lookup: full parses (%s)", err);
		return;
	}
	t = conf_tier_by_name(c, "PRO");
	ok(t == &c->tiers[1], "by_name: PRO is pro");
	t = conf_tier_by_name(c, "Basic");
	ok(t == &c->tiers[0], "by_name: Basic is basic");
	ok(conf_tier_by_name(c, "gold") == NULL, "by_name: gold is none");
	ok(conf_tier_by_name(c, "pr") == NULL, "by_name: no prefix match");
	ok(conf_tier_by_name(c, NULL) == NULL, "by_name: NULL name");
	ok(conf_tier_by_name(NULL, "pro") == NULL, "by_name: NULL conf");
	t = conf_tier_by_price(c, "PRICE_1PROMONTHLY");
	ok(t == &c->tiers[1], "by_price: upper case finds pro");
	t = conf_tier_by_price(c, "price_1basicyearly");
	ok(t == &c->tiers[0], "by_price: lower case finds basic");
	ok(conf_tier_by_price(c, "pro") == NULL,
	    "by_price: a tier name is not a price");
	ok(conf_tier_by_price(c, "price_1") == NULL,
	    "by_price: no prefix match");
	ok(conf_tier_by_price(c, NULL) == NULL, "by_price: NULL price");
	ok(conf_tier_by_price(NULL, "price_1ProMonthly") == NULL,
	    "by_price: NULL conf");
	conf_free(c);
}

static void
test_args(void)
{
	struct lh_conf	*c = (struct lh_conf *)1;
	char		 err[ERRLEN];

	is_int(conf_parse(NULL, 0, &c, err, sizeof(err)), LH_ERR_CONF,
	    "NULL text, length 0: empty configuration");
	ok(c == NULL, "NULL text: out cleared");
	is_int(conf_parse(NULL, 5, &c, err, sizeof(err)), LH_ERR_INTERNAL,
	    "NULL text, length 5: internal error");
	is_int(conf_parse(MIN, strlen(MIN), NULL, err, sizeof(err)),
	    LH_ERR_INTERNAL, "NULL out: internal error");
	is_int(conf_parse("x", 1, &c, NULL, 0), LH_ERR_CONF,
	    "NULL errbuf: still fails cleanly");
	err[0] = 'Z';
	is_int(conf_parse("x", 1, &c, err, 0), LH_ERR_CONF,
	    "errlen 0: fails");
	ok(err[0] == 'Z', "errlen 0: errbuf untouched");
	is_int(conf_parse("[keys]\nprefix = x\n", 18, &c, err, 8),
	    LH_ERR_CONF, "short errbuf: fails");
	ok(strlen(err) == 7, "short errbuf: message truncated, terminated");
	conf_free(NULL);
	ok(1, "conf_free(NULL) is a no-op");
}

/*
 * Read top_srcdir/rel (top_srcdir from the environment, as automake's
 * test harness sets it) into a new buffer.  Returns its length, or 0.
 */
static size_t
read_srcfile(const char *rel, char **out)
{
	const char	*top;
	char		 path[1024], *buf;
	size_t		 n;
	FILE		*f;

	*out = NULL;
	if ((top = getenv("top_srcdir")) == NULL || *top == '\0')
		top = ".";
	snprintf(path, sizeof(path), "%s/%s", top, rel);
	if ((buf = malloc(LH_CONF_MAX + 1)) == NULL)
		abort();
	if ((f = fopen(path, "r")) == NULL) {
		ok(0, "open %s", path);
		free(buf);
		return 0;
	}
	n = fread(buf, 1, LH_CONF_MAX, f);
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	return n;
}

/* The shipped sample must parse, since the docs tell people to copy it. */
static void
test_sample(void)
{
	struct lh_conf	*c = NULL;
	char		 err[ERRLEN], *buf;
	size_t		 n;
	enum lh_err	 r;

	if ((n = read_srcfile("contrib/licensehook.conf.sample", &buf)) == 0)
		return;
	r = conf_parse(buf, n, &c, err, sizeof(err));
	if (!ok(r == LH_OK && c != NULL, "sample: parses"))
		printf("#   error \"%s\"\n", err);
	if (c != NULL) {
		is_str(c->database, "/var/lib/licensehook/licensehook.db",
		    "sample: database");
		is_str(c->usage_database,
		    "/var/lib/licensehook/licensehook.db-usage",
		    "sample: usage_database is the default");
		is_int(c->mode, LH_MODE_TEST, "sample: mode test");
		is_int(c->nstripe_secrets, 1, "sample: one secret");
		is_str(c->stripe_secrets[0], "whsec_REPLACE_ME",
		    "sample: placeholder secret");
		is_str(c->default_tier, "basic", "sample: default tier");
		ok(c->ntiers >= 1, "sample: has tiers");
		is_int(c->body_max, LH_BODY_MAX_DEFAULT,
		    "sample: body_limit is the default");
		is_int(c->tolerance, LH_TOLERANCE_DEFAULT,
		    "sample: tolerance is the default");
		is_int(c->busy_timeout, LH_BUSY_TIMEOUT_DEFAULT,
		    "sample: busy_timeout is the default");
		check_life_defaults(c, "sample");
		check_api_defaults(c, "sample");
		check_mail_defaults(c, "sample");
		ok(c->ntiers >= 2 && c->tiers[0].rank < c->tiers[1].rank,
		    "sample: basic ranks below pro");
	}
	conf_free(c);
	free(buf);
}

/*
 * The configurations in the EXAMPLES section of licensehook.conf(5) are
 * the ones tested here: the first literal display is the full example,
 * the second the smallest file.
 */
static void
test_manpage(void)
{
	static const char bd[] = ".Bd -literal -offset indent\n";
	struct lh_conf	*c;
	char		 err[ERRLEN], *buf, *p, *e;
	enum lh_err	 r;
	int		 i;

	if (read_srcfile("man/licensehook.conf.5", &buf) == 0)
		return;
	if ((p = strstr(buf, "\n.Sh EXAMPLES\n")) == NULL) {
		ok(0, "man page: has EXAMPLES");
		free(buf);
		return;
	}
	for (i = 0; i < 2; i++) {
		if ((p = strstr(p, bd)) == NULL ||
		    (e = strstr(p, "\n.Ed\n")) == NULL) {
			ok(0, "man page: example %d found", i);
			break;
		}
		p += sizeof(bd) - 1;
		e[1] = '\0';
		if (i == 0)
			is_str(p, full, "man page: full example is the "
			    "tested one");
		c = NULL;
		r = conf_parse(p, strlen(p), &c, err, sizeof(err));
		if (!ok(r == LH_OK && c != NULL, "man page: example %d "
		    "parses", i))
			printf("#   error \"%s\"\n", err);
		conf_free(c);
		p = e + 2;
	}
	free(buf);
}

int
main(void)
{
	test_bad();
	test_good();
	test_full();
	test_defaults();
	test_long();
	test_secret_len();
	test_statuses();
	test_keys_dir_len();
	test_mail_len();
	test_limits();
	test_lookup();
	test_args();
	test_sample();
	test_manpage();
	return done_testing();
}
