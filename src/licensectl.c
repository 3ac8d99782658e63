/*
 * licensectl: the operator's view of the licensehook store.  Human
 * tables by default, JSON (--json) for scripts.  See licensectl(8).
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "lh.h"
#include "io.h"

struct ctl {
	const struct lh_conf *conf;
	time_t		 now;
	int		 json;
	int		 count;
	cJSON		*array;		/* with --json */
};

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: licensectl [-c file] [--json] [-n limit] [--at time] command [arg ...]\n"
	    "commands:\n"
	    "  list                       licenses, newest first\n"
	    "  show KEY|EMAIL|CUSTOMER_ID  licenses matching, in detail\n"
	    "  events                     webhook events received, newest first\n"
	    "  tick                       record time-driven changes (grace steps,\n"
	    "                             downgrades at period end, expiry) and\n"
	    "                             queue the notices they call for\n"
	    "  deliver                    send due customer notices (-n: at most)\n"
	    "  outbox                     customer notices, newest first\n"
	    "  resend KEY                 queue the key notice for KEY again\n"
	    "  keys generate              make a signing key (active if none is)\n"
	    "  keys list                  signing keys: KID, STATE, CREATED\n"
	    "  keys rotate                make a signing key and sign with it\n"
	    "  keys public [KID]          a public key as PEM (default: the active)\n"
	    "  keys retire KID            delete a standby key's private key\n"
	    "options:\n"
	    "  -c file    configuration file (default: $%s, else %s)\n"
	    "  -j, --json print JSON instead of a table\n"
	    "  -n limit   at most this many rows (list, events, outbox; default\n"
	    "             100) or messages (deliver; default all due)\n"
	    "  --at time  show the state as of this Unix time (default: now)\n"
	    "  -h, --help show this help\n",
	    LH_CONF_ENV, LH_CONF_DEFAULT);
	exit(status);
}

/*
 * s for a terminal: "-" when empty, control bytes as \xNN, so that a
 * customer's name can neither forge lines nor send escape sequences.
 * The result lives in one of a few rotating static buffers.
 */
static const char *
or_dash(const char *s)
{
	static char	 bufs[4][LH_FIELD_MAX * 4 + 1];
	static int	 next;
	char		*b;
	size_t		 o = 0;
	unsigned char	 c;

	if (s == NULL || *s == '\0')
		return "-";
	b = bufs[next];
	next = (next + 1) % 4;
	for (; *s != '\0' && o + 5 < sizeof(bufs[0]); s++) {
		c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f) {
			snprintf(b + o, sizeof(bufs[0]) - o, "\\x%02x", c);
			o += 4;
		} else
			b[o++] = (char)c;
	}
	b[o] = '\0';
	return b;
}

/* UTC, ISO 8601; "-" for 0. */
static const char *
fmt_time(long long t, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 tt = (time_t)t;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL)
		return "-";
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

static void
json_str(cJSON *o, const char *name, const char *s)
{
	if (s != NULL)
		cJSON_AddStringToObject(o, name, s);
	else
		cJSON_AddNullToObject(o, name);
}

/* Where a failed payment stands on the grace schedule; NULL: none. */
static const char *
grace_name(enum lh_grace g)
{
	switch (g) {
	case LH_GRACE_WARNED:
		return "warned";
	case LH_GRACE_REMINDED:
		return "reminded";
	case LH_GRACE_FREE_TIER:
		return "free_tier";
	case LH_GRACE_SUSPENDED:
		return "suspended";
	default:
		return NULL;
	}
}

static void
json_time(cJSON *o, const char *name, long long t)
{
	if (t != 0)
		cJSON_AddNumberToObject(o, name, (double)t);
	else
		cJSON_AddNullToObject(o, name);
}

static cJSON *
license_json(const struct ctl *ctl, const struct db_license *l)
{
	const struct lh_lic_facts *f = &l->facts;
	struct lh_lic_view	 v;
	cJSON			*o;

	license_view(ctl->conf, f, ctl->now, &v);
	if ((o = cJSON_CreateObject()) == NULL)
		errx(1, "out of memory");
	cJSON_AddStringToObject(o, "key", l->key);
	json_str(o, "status", license_status_name(v.status));
	cJSON_AddBoolToObject(o, "valid", v.valid);
	json_str(o, "tier", v.tier);
	json_str(o, "reason", v.reason && *v.reason ? v.reason : NULL);
	json_time(o, "expires_at", v.expires_at);
	json_str(o, "grace", grace_name(v.grace));
	json_time(o, "grace_deadline", v.grace_deadline);
	json_str(o, "email", l->email);
	json_str(o, "name", l->name);
	json_str(o, "provider", l->provider);
	json_str(o, "customer_id", l->customer_provider_id);
	json_str(o, "subscription_id", l->subscription_id);
	json_str(o, "checkout_session_id", l->checkout_session_id);
	cJSON_AddBoolToObject(o, "livemode", l->livemode);
	cJSON_AddNumberToObject(o, "created_at", (double)l->created_at);
	cJSON_AddNumberToObject(o, "updated_at", (double)l->updated_at);
	json_str(o, "paid_tier", f->tier);
	json_str(o, "pending_tier", f->pending_tier[0] ? f->pending_tier :
	    NULL);
	json_time(o, "pending_at", f->pending_at);
	json_str(o, "subscription_status", license_sub_name(f->sub_status));
	json_time(o, "period_end", f->period_end);
	cJSON_AddBoolToObject(o, "cancel_at_period_end",
	    f->cancel_at_period_end);
	json_time(o, "grace_since", f->grace_since);
	cJSON_AddBoolToObject(o, "disputed", f->disputed);
	json_str(o, "revoked", f->revoked[0] ? f->revoked : NULL);
	return o;
}

static int
list_row(void *arg, const struct db_license *l)
{
	struct ctl		*ctl = arg;
	struct lh_lic_view	 v;
	char			 t[32], e[32];

	if (ctl->json) {
		cJSON_AddItemToArray(ctl->array, license_json(ctl, l));
		ctl->count++;
		return 0;
	}
	license_view(ctl->conf, &l->facts, ctl->now, &v);
	if (ctl->count++ == 0)
		printf("%-28s %-10s %-9s %-20s %-20s %s\n", "KEY", "TIER",
		    "STATUS", "CREATED", "EXPIRES", "EMAIL");
	printf("%-28s %-10s %-9s %-20s %-20s %s\n", l->key, or_dash(v.tier),
	    license_status_name(v.status),
	    fmt_time(l->created_at, t, sizeof(t)),
	    fmt_time(v.expires_at, e, sizeof(e)), or_dash(l->email));
	return 0;
}

static int
show_row(void *arg, const struct db_license *l)
{
	struct ctl		*ctl = arg;
	const struct lh_lic_facts *f = &l->facts;
	struct lh_lic_view	 v;
	char			 t[32];

	if (ctl->json)
		return list_row(arg, l);
	license_view(ctl->conf, f, ctl->now, &v);
	if (ctl->count++ > 0)
		printf("\n");
	printf("key:              %s\n", l->key);
	printf("status:           %s%s%s%s\n", license_status_name(v.status),
	    v.valid ? " (valid)" : " (not valid)",
	    v.reason && *v.reason ? ": " : "", v.reason ? v.reason : "");
	printf("tier:             %s\n", or_dash(v.tier));
	if (strcmp(v.tier ? v.tier : "", f->tier) != 0)
		printf("paid tier:        %s\n", f->tier);
	if (f->pending_tier[0] != '\0')
		printf("pending tier:     %s from %s\n", f->pending_tier,
		    fmt_time(f->pending_at, t, sizeof(t)));
	printf("subscription:     %s %s%s\n", or_dash(l->subscription_id),
	    license_sub_name(f->sub_status),
	    f->cancel_at_period_end ? " (cancels at period end)" : "");
	printf("period end:       %s\n", fmt_time(f->period_end, t,
	    sizeof(t)));
	printf("expires:          %s\n", fmt_time(v.expires_at, t,
	    sizeof(t)));
	if (f->grace_since != 0) {
		printf("payment failed:   %s\n", fmt_time(f->grace_since, t,
		    sizeof(t)));
		printf("grace ends:       %s\n", fmt_time(v.grace_deadline, t,
		    sizeof(t)));
		if (grace_name(v.grace) != NULL)
			printf("grace step:       %s\n", grace_name(v.grace));
	}
	if (f->disputed)
		printf("disputed:         yes\n");
	if (f->revoked[0] != '\0')
		printf("revoked:          %s at %s\n", f->revoked,
		    fmt_time(f->revoked_at, t, sizeof(t)));
	printf("email:            %s\n", or_dash(l->email));
	printf("name:             %s\n", or_dash(l->name));
	printf("customer:         %s\n", or_dash(l->customer_provider_id));
	printf("checkout session: %s\n", or_dash(l->checkout_session_id));
	printf("mode:             %s\n", l->livemode ? "live" : "test");
	printf("created:          %s\n", fmt_time(l->created_at, t,
	    sizeof(t)));
	printf("updated:          %s\n", fmt_time(l->updated_at, t,
	    sizeof(t)));
	return 0;
}

static int
event_row(void *arg, const struct db_event *e)
{
	struct ctl	*ctl = arg;
	cJSON		*o;
	char		 t[32];

	if (ctl->json) {
		if ((o = cJSON_CreateObject()) == NULL)
			errx(1, "out of memory");
		json_str(o, "provider", e->provider);
		json_str(o, "id", e->id);
		json_str(o, "type", e->type);
		json_str(o, "outcome", e->outcome);
		json_str(o, "license", e->key[0] ? e->key : NULL);
		cJSON_AddNumberToObject(o, "created", (double)e->created);
		cJSON_AddNumberToObject(o, "received_at",
		    (double)e->received_at);
		cJSON_AddBoolToObject(o, "livemode", e->livemode);
		cJSON_AddItemToArray(ctl->array, o);
		ctl->count++;
		return 0;
	}
	if (ctl->count++ == 0)
		printf("%-20s %-30s %-34s %-26s %s\n", "RECEIVED", "EVENT",
		    "TYPE", "OUTCOME", "LICENSE");
	printf("%-20s %-30s %-34s %-26s %s\n",
	    fmt_time(e->received_at, t, sizeof(t)), or_dash(e->id),
	    or_dash(e->type), or_dash(e->outcome), or_dash(e->key));
	return 0;
}

/* A license whose derived state moved on since it was last written. */
struct tick_change {
	int64_t		 id;
	char		 old_status[16];
	char		 old_tier[LH_NAME_MAX + 1];
	long long	 old_expires_at;
	struct lh_lic_view view;
	char		 tier[LH_NAME_MAX + 1];	/* view.tier's copy */
};

struct tick {
	const struct lh_conf *conf;
	time_t		 now;
	struct tick_change *v;
	size_t		 n, cap;
	struct db	*db;
	struct mail	*mail;		/* NULL: mail is off */
	int		 queued;	/* notices queued */
	enum lh_err	 err;		/* a storage error queueing them */
};

static int
tick_row(void *arg, const struct db_license *l)
{
	struct tick		*t = arg;
	struct tick_change	*c;
	struct lh_lic_view	 v;
	const char		*tier;
	int			 q;

	license_view(t->conf, &l->facts, t->now, &v);
	/*
	 * The notices time calls for (a grace step, a downgrade at period
	 * end, an expiry coming), in the transaction of the snapshot
	 * writes; the outbox's dedup key makes a second run queue nothing.
	 * A license without a usable address is passed over quietly: it
	 * was logged when its first notice was refused, and this runs
	 * every minute.
	 */
	if (t->mail != NULL && l->email != NULL &&
	    mailfmt_addr_valid(l->email)) {
		if ((t->err = mail_queue_due(t->mail, t->db, t->conf, l, &v,
		    t->now, &q)) != LH_OK)
			return 1;
		t->queued += q;
	}
	tier = v.tier != NULL ? v.tier : "";
	if (strcmp(license_status_name(v.status), l->snap_status) == 0 &&
	    strcmp(tier, l->snap_tier) == 0 &&
	    v.expires_at == l->snap_expires_at)
		return 0;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		if ((t->v = reallocarray(t->v, t->cap, sizeof(*t->v))) == NULL)
			errx(1, "out of memory");
	}
	c = &t->v[t->n++];
	memset(c, 0, sizeof(*c));
	c->id = l->id;
	snprintf(c->old_status, sizeof(c->old_status), "%s", l->snap_status);
	snprintf(c->old_tier, sizeof(c->old_tier), "%s", l->snap_tier);
	c->old_expires_at = l->snap_expires_at;
	c->view = v;
	snprintf(c->tier, sizeof(c->tier), "%s", tier);
	c->view.tier = c->tier;
	return 0;
}

/* The status named s, for the audit row of what was stored. */
static enum lh_lic_status
status_parse(const char *s)
{
	int	 i;

	for (i = LH_LIC_ACTIVE; i <= LH_LIC_REVOKED; i++)
		if (strcmp(s, license_status_name((enum lh_lic_status)i)) == 0)
			return (enum lh_lic_status)i;
	return LH_LIC_ACTIVE;
}

/*
 * tick: derived state is always computed at read time, so nothing here
 * changes what a license is; it writes down (snapshot + audit row) the
 * moments time moved a license on, for listings and the audit trail,
 * and queues the customer notices time calls for.
 */
static enum lh_err
tick_run(struct db *db, const struct lh_conf *conf, time_t now, int *changed,
    int *queued)
{
	struct tick		 t;
	struct lh_lic_view	 old;
	enum lh_err		 r;
	size_t			 i;

	memset(&t, 0, sizeof(t));
	t.conf = conf;
	t.now = now;
	t.db = db;
	*changed = *queued = 0;
	if (mail_on(conf) && (t.mail = mail_new(conf)) == NULL)
		errx(1, "out of memory");
	if ((r = db_begin(db)) != LH_OK)
		goto out;
	/* XXX scans every license; an index on the next moment a license
	 * can change would make this cheap for very large stores. */
	if ((r = db_license_each(db, NULL, 0, tick_row, &t)) != LH_OK)
		goto out;
	if ((r = t.err) != LH_OK)
		goto out;
	for (i = 0; i < t.n; i++) {
		memset(&old, 0, sizeof(old));
		old.status = status_parse(t.v[i].old_status);
		old.tier = t.v[i].old_tier;
		old.expires_at = t.v[i].old_expires_at;
		if ((r = db_license_snapshot(db, t.v[i].id, &t.v[i].view,
		    now)) != LH_OK ||
		    (r = db_audit_put(db, t.v[i].id, now, "tick", &old,
		    &t.v[i].view)) != LH_OK)
			goto out;
	}
	if ((r = db_commit(db)) == LH_OK) {
		*changed = (int)t.n;
		*queued = t.queued;
	}
 out:
	if (r != LH_OK) {
		/* Say why before ROLLBACK replaces SQLite's message. */
		warnx("tick: %s", db_errmsg(db));
		db_rollback(db);
	}
	mail_free(t.mail);
	free(t.v);
	return r;
}

static int
outbox_row(void *arg, const struct db_outbox *o)
{
	struct ctl	*ctl = arg;
	cJSON		*obj;
	char		 t[32];
	int		 pending = strcmp(o->state, "pending") == 0;

	if (ctl->json) {
		if ((obj = cJSON_CreateObject()) == NULL)
			errx(1, "out of memory");
		cJSON_AddNumberToObject(obj, "id", (double)o->id);
		json_str(obj, "license", o->key[0] ? o->key : NULL);
		json_str(obj, "notice", o->notice);
		json_str(obj, "rcpt", o->rcpt);
		json_str(obj, "state", o->state);
		cJSON_AddNumberToObject(obj, "attempts", (double)o->attempts);
		json_time(obj, "next_at", pending ? o->next_at : 0);
		json_time(obj, "claimed_until",
		    strcmp(o->state, "sending") == 0 ? o->claimed_until : 0);
		json_str(obj, "last_error", o->last_error[0] ?
		    o->last_error : NULL);
		cJSON_AddNumberToObject(obj, "anchor", (double)o->anchor);
		cJSON_AddNumberToObject(obj, "created_at",
		    (double)o->created_at);
		json_time(obj, "sent_at", o->sent_at);
		cJSON_AddItemToArray(ctl->array, obj);
		ctl->count++;
		return 0;
	}
	if (ctl->count++ == 0)
		printf("%-6s %-16s %-32s %-8s %-8s %-20s %s\n", "ID", "NOTICE",
		    "RCPT", "STATE", "ATTEMPTS", "NEXT_TRY", "LAST_ERROR");
	printf("%-6lld %-16s %-32s %-8s %-8d %-20s %s\n", (long long)o->id,
	    o->notice, o->rcpt, o->state, o->attempts,
	    pending ? fmt_time(o->next_at, t, sizeof(t)) : "-",
	    or_dash(o->last_error));
	return 0;
}

/*
 * resend KEY: queue the key notice again, anchored on now so that it is
 * a new notice, and print its outbox id.  deliver (or a worker) sends it.
 */
static int
resend_main(struct db *db, const struct lh_conf *conf, const char *arg,
    time_t now)
{
	struct db_keyinfo	 ki;
	struct mail		*m;
	const char		*skipped = NULL;
	char			 key[LH_KEY_MAX];
	int64_t			 id = 0;
	size_t			 i;
	int			 found = 0;
	enum lh_err		 r;

	if (!mail_on(conf))
		errx(1, "resend: mail is off (no from in the [mail] section)");
	if (strlen(arg) >= sizeof(key))
		errx(1, "resend: %s: no license has this key", arg);
	for (i = 0; arg[i] != '\0'; i++)
		key[i] = arg[i] >= 'a' && arg[i] <= 'z' ?
		    (char)(arg[i] - 'a' + 'A') : arg[i];
	key[i] = '\0';
	if ((m = mail_new(conf)) == NULL)
		errx(1, "out of memory");
	if ((r = db_begin(db)) != LH_OK ||
	    (r = db_license_by_key(db, key, &ki, &found)) != LH_OK)
		goto out;
	if (found) {
		ki.lic.email = ki.email[0] != '\0' ? ki.email : NULL;
		ki.lic.name = ki.name[0] != '\0' ? ki.name : NULL;
		if ((r = mail_queue(m, db, conf, &ki.lic, LH_NOTICE_KEY,
		    (long long)now, now, &id, &skipped)) != LH_OK)
			goto out;
	}
	r = db_commit(db);
 out:
	if (r != LH_OK) {
		warnx("resend: %s: %s", lh_err_msg(r), db_errmsg(db));
		db_rollback(db);
	}
	OPENSSL_cleanse(&ki, sizeof(ki));
	mail_free(m);
	if (r != LH_OK)
		return 1;
	if (!found) {
		warnx("%s: no license has this key", arg);
		return 1;
	}
	if (id == 0) {
		warnx("resend: %s: not queued: %s", arg, skipped ? skipped :
		    "unknown reason");
		return 1;
	}
	printf("%lld\n", (long long)id);
	return 0;
}

/* What "keys list" prints a key as. */
static const char *
keys_state(const struct signkeys_entry *e)
{
	if (e->retired)
		return "retired";
	if (e->active)
		return "active";
	if (!e->has_private || !e->has_public)
		return "incomplete";
	return "standby";
}

static int
keys_row(void *arg, const struct signkeys_entry *e)
{
	struct ctl	*ctl = arg;
	cJSON		*o;
	char		 t[32];

	if (ctl->json) {
		if ((o = cJSON_CreateObject()) == NULL)
			errx(1, "out of memory");
		cJSON_AddStringToObject(o, "kid", e->kid);
		cJSON_AddStringToObject(o, "state", keys_state(e));
		json_time(o, "created_at", (long long)e->created);
		cJSON_AddItemToArray(ctl->array, o);
		ctl->count++;
		return 0;
	}
	if (ctl->count++ == 0)
		printf("%-16s %-10s %s\n", "KID", "STATE", "CREATED");
	printf("%-16s %-10s %s\n", e->kid, keys_state(e),
	    fmt_time((long long)e->created, t, sizeof(t)));
	return 0;
}

/*
 * keys: the response signing keys in [api] keys_dir (signkeys.c).  Runs
 * without the database, so that keys can be made before the first
 * webhook creates it.  Each command that changes a key prints one
 * "KID STATE" line per key whose state it changed.
 */
static int
keys_main(struct ctl *ctl, const char *path, int argc, char *argv[])
{
	struct lh_signkey key;
	const char	*dir, *sub;
	char		 errbuf[512], kid[LH_KID_MAX + 1];
	char		 old[LH_KID_MAX + 1], *out;
	enum lh_err	 r;

	if (argc < 1)
		usage(2);
	sub = argv[0];
	if (!((strcmp(sub, "generate") == 0 && argc == 1) ||
	    (strcmp(sub, "list") == 0 && argc == 1) ||
	    (strcmp(sub, "rotate") == 0 && argc == 1) ||
	    (strcmp(sub, "public") == 0 && argc <= 2) ||
	    (strcmp(sub, "retire") == 0 && argc == 2)))
		usage(2);
	if ((dir = ctl->conf->api.keys_dir) == NULL)
		errx(1, "keys: no keys_dir in the [api] section of %s", path);

	if (strcmp(sub, "generate") == 0) {
		if ((r = signkeys_generate(dir, 0, kid, errbuf,
		    sizeof(errbuf))) != LH_OK ||
		    (r = signkeys_active(dir, old, errbuf, sizeof(errbuf))) !=
		    LH_OK)
			errx(1, "keys generate: %s", errbuf);
		printf("%s %s\n", kid, strcmp(kid, old) == 0 ? "active" :
		    "standby");
	} else if (strcmp(sub, "rotate") == 0) {
		if ((r = signkeys_active(dir, old, errbuf, sizeof(errbuf))) !=
		    LH_OK && r != LH_ERR_SIGNING)
			errx(1, "keys rotate: %s", errbuf);
		/* A missing directory is made below; nothing was active. */
		if (r != LH_OK)
			old[0] = '\0';
		if (signkeys_rotate(dir, kid, errbuf, sizeof(errbuf)) != LH_OK)
			errx(1, "keys rotate: %s", errbuf);
		printf("%s active\n", kid);
		if (old[0] != '\0')
			printf("%s standby\n", old);
	} else if (strcmp(sub, "retire") == 0) {
		if (signkeys_retire(dir, argv[1], errbuf, sizeof(errbuf)) !=
		    LH_OK)
			errx(1, "keys retire: %s", errbuf);
		printf("%s retired\n", argv[1]);
	} else if (strcmp(sub, "public") == 0) {
		if (signkeys_public_pem(dir, argc == 2 ? argv[1] : NULL,
		    stdout, errbuf, sizeof(errbuf)) != LH_OK)
			errx(1, "keys public: %s", errbuf);
	} else {
		if (ctl->json && (ctl->array = cJSON_CreateArray()) == NULL)
			errx(1, "out of memory");
		if (signkeys_list(dir, keys_row, ctl, errbuf,
		    sizeof(errbuf)) != LH_OK)
			errx(1, "keys list: %s", errbuf);
		if (ctl->json) {
			if ((out = cJSON_Print(ctl->array)) == NULL)
				errx(1, "out of memory");
			printf("%s\n", out);
			cJSON_free(out);
			cJSON_Delete(ctl->array);
			ctl->array = NULL;
		} else if (ctl->count == 0)
			printf("(none)\n");
		/*
		 * Load the active key as licensehook would, so that a key
		 * it would refuse (permissions, owner, a public file that
		 * does not match) shows here, before a deployment.
		 */
		if (ctl->count > 0) {
			r = signkeys_load_active(dir, &key, errbuf,
			    sizeof(errbuf));
			token_key_free(&key);
			if (r != LH_OK) {
				fflush(stdout);
				warnx("keys list: the active key cannot sign: "
				    "%s", errbuf);
				return 1;
			}
		}
	}
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "stdout");
	return 0;
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "at", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct ctl	 ctl;
	struct lh_conf	*conf = NULL;
	struct db	*db = NULL;
	const char	*opt_conf = NULL, *cmd, *path, *errstr = NULL;
	char		 errbuf[512], *out;
	enum lh_err	 r = LH_OK;
	long long	 limit = 100, at = 0;
	int		 ch, limit_set = 0, sent, failed, queued, rc = 0;

	memset(&ctl, 0, sizeof(ctl));
	while ((ch = getopt_long(argc, argv, "a:c:hjn:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			opt_conf = optarg;
			break;
		case 'j':
			ctl.json = 1;
			break;
		case 'a':
			at = strtoll(optarg, &out, 10);
			if (*optarg == '\0' || *out != '\0' || at <= 0 ||
			    at > 253402300799LL)
				errx(2, "--at: want a Unix time in seconds");
			break;
		case 'n':
			limit = strtoll(optarg, &out, 10);
			if (*optarg == '\0' || *out != '\0' || limit < 0 ||
			    limit > 1000000)
				errx(2, "-n: want a number from 0 to 1000000");
			limit_set = 1;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(2);
	cmd = argv[0];

	path = cfgfile_path(opt_conf);
	if (cfgfile_load(path, &conf, errbuf, sizeof(errbuf)) != LH_OK)
		errx(1, "%s", errbuf);
	if (strcmp(cmd, "keys") == 0) {
		ctl.conf = conf;
		ch = keys_main(&ctl, path, argc - 1, argv + 1);
		conf_free(conf);
		return ch;
	}
	/* An upgrade from schema 1 moves the usage log to the usage
	 * database, which is made for it if need be. */
	if (db_open(conf->database, conf->usage_database, conf->busy_timeout,
	    0, &db, errbuf, sizeof(errbuf)) != LH_OK)
		errx(1, "database: %s", errbuf);
	ctl.conf = conf;
	ctl.now = at != 0 ? (time_t)at : time(NULL);
	if (ctl.json && (ctl.array = cJSON_CreateArray()) == NULL)
		errx(1, "out of memory");

	if (strcmp(cmd, "list") == 0 && argc == 1)
		r = db_license_each(db, NULL, (int)limit, list_row, &ctl);
	else if (strcmp(cmd, "show") == 0 && argc == 2) {
		r = db_license_each(db, argv[1], 0, show_row, &ctl);
		if (r == LH_OK && ctl.count == 0)
			errstr = "no license matches";
	} else if (strcmp(cmd, "events") == 0 && argc == 1)
		r = db_event_each(db, (int)limit, event_row, &ctl);
	else if (strcmp(cmd, "tick") == 0 && argc == 1) {
		r = tick_run(db, conf, ctl.now, &ctl.count, &queued);
		if (r == LH_OK && !ctl.json) {
			printf("%d license%s changed\n", ctl.count,
			    ctl.count == 1 ? "" : "s");
			if (mail_on(conf))
				printf("%d notice%s queued\n", queued,
				    queued == 1 ? "" : "s");
		}
		ctl.count = 1;
	} else if (strcmp(cmd, "outbox") == 0 && argc == 1)
		r = db_outbox_each(db, (int)limit, outbox_row, &ctl);
	else if (strcmp(cmd, "deliver") == 0 && argc == 1) {
		if (!mail_on(conf))
			errx(1, "deliver: mail is off (no from in the [mail] "
			    "section)");
		r = mail_deliver(db, conf, limit_set ? (int)limit : 0,
		    ctl.now, &sent, &failed);
		if (r == LH_OK && !ctl.json)
			printf("%d sent, %d failed\n", sent, failed);
		ctl.count = 1;
		/* A failed attempt is news for cron or a timer unit; the
		 * message stays queued for its retry. */
		if (r == LH_OK && failed > 0)
			rc = 1;
	} else if (strcmp(cmd, "resend") == 0 && argc == 2) {
		ch = resend_main(db, conf, argv[1], ctl.now);
		cJSON_Delete(ctl.array);
		db_close(db);
		conf_free(conf);
		return ch;
	} else
		usage(2);

	if (r != LH_OK)
		errx(1, "%s: %s", lh_err_msg(r), db_errmsg(db));
	if (ctl.json) {
		if ((out = cJSON_Print(ctl.array)) == NULL)
			errx(1, "out of memory");
		printf("%s\n", out);
		cJSON_free(out);
		cJSON_Delete(ctl.array);
	} else if (ctl.count == 0 && errstr == NULL)
		printf("(none)\n");
	db_close(db);
	conf_free(conf);
	if (errstr != NULL) {
		warnx("%s: %s", argv[1], errstr);
		return 1;
	}
	return rc;
}
