/*
 * The SQLite store.  One connection per process, reused; every statement
 * is prepared once on first use and kept (SQLITE_PREPARE_PERSISTENT).
 * All SQL lives in this file and takes values only as bound parameters.
 */
#include <sys/stat.h>

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "lh.h"
#include "io.h"

enum db_stmt {
	ST_BEGIN,
	ST_BEGIN_READ,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_EVENT_SEEN,
	ST_EVENT_PUT,
	ST_EVENT_OUTCOME,
	ST_DEFERRED,
	ST_DEFERRED_ANY,
	ST_CUSTOMER_FIND,
	ST_CUSTOMER_INSERT,
	ST_CUSTOMER_UPDATE,
	ST_LICENSE_BY_SESSION,
	ST_LICENSE_BY_SUB,
	ST_LICENSE_BY_PAYMENT,
	ST_LICENSE_BY_CUSTOMER,
	ST_PAYMENT_PUT,
	ST_LICENSE_GET,
	ST_KEY_EXISTS,
	ST_LICENSE_PUT,
	ST_LICENSE_UPDATE,
	ST_LICENSE_SNAPSHOT,
	ST_LICENSE_LINK,
	ST_AUDIT_PUT,
	ST_LICENSE_EACH,
	ST_LICENSE_MATCH,
	ST_EVENT_EACH,
	ST_LICENSE_BY_KEY,
	ST_INSTANCE_COUNT,
	ST_INSTANCE_BY_NAME,
	ST_INSTANCE_BY_ID,
	ST_INSTANCE_PUT,
	ST_INSTANCE_OFF,
	ST_INSTANCE_SEEN,
	ST_OUTBOX_EXISTS,
	ST_OUTBOX_PUT,
	ST_OUTBOX_DUE,
	ST_OUTBOX_CLAIM,
	ST_OUTBOX_SENT,
	ST_OUTBOX_RETRY,
	ST_OUTBOX_EACH,
	ST__COUNT
};

/* The facts columns, in the order db_bind_facts() and db_col_facts()
 * use them. */
#define FACT_COLUMNS \
	"tier, pending_tier, pending_at, sub_status, period_end," \
	" cancel_at_period_end, trial_end, sub_event_at, paid_at," \
	" grace_since, disputed, dispute_at, ended_at, revoked, revoked_at"

#define LICENSE_SELECT \
	"SELECT l.id, l.key, l.provider, l.checkout_session_id," \
	" l.subscription_id, c.provider_customer_id, c.email, c.name," \
	" l.livemode, l.created_at, l.updated_at," \
	" l.tier, l.pending_tier, l.pending_at, l.sub_status, l.period_end," \
	" l.cancel_at_period_end, l.trial_end, l.sub_event_at, l.paid_at," \
	" l.grace_since, l.disputed, l.dispute_at, l.ended_at, l.revoked," \
	" l.revoked_at, l.status, l.eff_tier, coalesce(l.expires_at, 0)" \
	" FROM licenses l LEFT JOIN customers c ON c.id = l.customer_id"
#define LICENSE_FACTS_COL	11	/* first facts column in LICENSE_SELECT */
#define LICENSE_SNAP_COL	26	/* first snapshot column */

/* An outbox row as db_col_outbox() reads it (the license key last). */
#define OUTBOX_COLUMNS \
	"id, license_id, notice, anchor, rcpt, state, attempts, next_at," \
	" claimed_until, last_error, created_at, coalesce(sent_at, 0)," \
	" (SELECT key FROM licenses WHERE id = license_id)"

static const char *const db_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	/* A snapshot for reads, taken at the first SELECT; no write lock. */
	[ST_BEGIN_READ] = "BEGIN DEFERRED",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_EVENT_SEEN] =
	    "SELECT 1 FROM events WHERE provider = ?1 AND id = ?2",
	[ST_EVENT_PUT] =
	    "INSERT INTO events (provider, id, type, created, livemode,"
	    " received_at, outcome, license_id, ref, body)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, nullif(?8, 0), ?9, ?10)",
	[ST_EVENT_OUTCOME] =
	    "UPDATE events SET outcome = ?3, license_id = nullif(?4, 0),"
	    " ref = NULL WHERE provider = ?1 AND id = ?2",
	[ST_DEFERRED] =
	    "SELECT id, body FROM events"
	    " WHERE provider = ?1 AND ref = ?2"
	    " ORDER BY created, rowid LIMIT ?3",
	/* Through the partial index: no rows to read when none waits. */
	[ST_DEFERRED_ANY] =
	    "SELECT 1 FROM events WHERE provider = ?1 AND ref IS NOT NULL"
	    " LIMIT 1",
	[ST_CUSTOMER_FIND] =
	    "SELECT id FROM customers"
	    " WHERE provider = ?1 AND provider_customer_id = ?2",
	[ST_CUSTOMER_INSERT] =
	    "INSERT INTO customers (provider, provider_customer_id, email,"
	    " name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	[ST_CUSTOMER_UPDATE] =
	    "UPDATE customers SET"
	    " email = CASE WHEN ?5 THEN coalesce(?2, email)"
	    "  ELSE coalesce(email, ?2) END,"
	    " name = CASE WHEN ?5 THEN coalesce(?3, name)"
	    "  ELSE coalesce(name, ?3) END,"
	    " updated_at = ?4 WHERE id = ?1",
	[ST_LICENSE_BY_SESSION] =
	    "SELECT id FROM licenses"
	    " WHERE provider = ?1 AND checkout_session_id = ?2",
	[ST_LICENSE_BY_SUB] =
	    "SELECT id FROM licenses"
	    " WHERE provider = ?1 AND subscription_id = ?2",
	[ST_LICENSE_BY_PAYMENT] =
	    "SELECT license_id FROM payments WHERE provider = ?1 AND ref = ?2",
	[ST_LICENSE_BY_CUSTOMER] =
	    "SELECT min(l.id), count(*) FROM licenses l"
	    " JOIN customers c ON c.id = l.customer_id"
	    " WHERE c.provider = ?1 AND c.provider_customer_id = ?2",
	[ST_PAYMENT_PUT] =
	    "INSERT OR IGNORE INTO payments (provider, ref, license_id)"
	    " VALUES (?1, ?2, ?3)",
	[ST_LICENSE_GET] = LICENSE_SELECT " WHERE l.id = ?1",
	[ST_KEY_EXISTS] = "SELECT 1 FROM licenses WHERE key = ?1",
	[ST_LICENSE_PUT] =
	    "INSERT INTO licenses (key, customer_id, provider,"
	    " checkout_session_id, subscription_id, livemode, created_at,"
	    " updated_at, status, expires_at, " FACT_COLUMNS ", eff_tier)"
	    " VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, ?6, ?7, ?7, ?8,"
	    " nullif(?9, 0), ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
	    " ?19, ?20, ?21, ?22, ?23, ?24, ?25)",
	[ST_LICENSE_UPDATE] =
	    "UPDATE licenses SET updated_at = ?7, status = ?8,"
	    " expires_at = nullif(?9, 0),"
	    " tier = ?10, pending_tier = ?11, pending_at = ?12,"
	    " sub_status = ?13, period_end = ?14, cancel_at_period_end = ?15,"
	    " trial_end = ?16, sub_event_at = ?17, paid_at = ?18,"
	    " grace_since = ?19, disputed = ?20, dispute_at = ?21,"
	    " ended_at = ?22, revoked = ?23, revoked_at = ?24, eff_tier = ?25"
	    " WHERE id = ?1",
	[ST_LICENSE_SNAPSHOT] =
	    "UPDATE licenses SET status = ?2, eff_tier = ?3,"
	    " expires_at = nullif(?4, 0), updated_at = ?5 WHERE id = ?1",
	[ST_LICENSE_LINK] =
	    "UPDATE licenses SET"
	    " checkout_session_id = coalesce(checkout_session_id, ?2),"
	    " subscription_id = coalesce(subscription_id, ?3),"
	    " customer_id = coalesce(customer_id, nullif(?4, 0)),"
	    " updated_at = ?5 WHERE id = ?1"
	    /* Only when it fills a gap: an UPDATE rewrites the row and its
	     * index entries even when no value changes. */
	    " AND ((checkout_session_id IS NULL AND ?2 IS NOT NULL)"
	    "  OR (subscription_id IS NULL AND ?3 IS NOT NULL)"
	    "  OR (customer_id IS NULL AND nullif(?4, 0) IS NOT NULL))",
	[ST_AUDIT_PUT] =
	    "INSERT INTO audit (license_id, at, cause, old_status, new_status,"
	    " old_tier, new_tier, old_expires_at, new_expires_at)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, nullif(?8, 0),"
	    " nullif(?9, 0))",
	[ST_LICENSE_EACH] = LICENSE_SELECT " ORDER BY l.id DESC LIMIT ?1",
	[ST_LICENSE_MATCH] = LICENSE_SELECT
	    " WHERE l.key = upper(?2) OR c.email = ?2 COLLATE NOCASE"
	    " OR c.provider_customer_id = ?2 OR l.subscription_id = ?2"
	    " ORDER BY l.id DESC LIMIT ?1",
	[ST_LICENSE_BY_KEY] = LICENSE_SELECT " WHERE l.key = ?1",
	[ST_INSTANCE_COUNT] =
	    "SELECT count(*) FROM instances"
	    " WHERE license_id = ?1 AND deactivated_at IS NULL",
	[ST_INSTANCE_BY_NAME] =
	    "SELECT id, name, created_at, last_seen_at FROM instances"
	    " WHERE license_id = ?1 AND name = ?2 AND deactivated_at IS NULL",
	[ST_INSTANCE_BY_ID] =
	    "SELECT id, name, created_at, last_seen_at FROM instances"
	    " WHERE license_id = ?1 AND id = ?2 AND deactivated_at IS NULL",
	[ST_INSTANCE_PUT] =
	    "INSERT INTO instances (id, license_id, name, created_at,"
	    " last_seen_at) VALUES (?1, ?2, ?3, ?4, ?4)",
	[ST_INSTANCE_OFF] =
	    "UPDATE instances SET deactivated_at = ?3"
	    " WHERE license_id = ?1 AND id = ?2 AND deactivated_at IS NULL",
	[ST_INSTANCE_SEEN] =
	    "UPDATE instances SET last_seen_at = ?2 WHERE id = ?1",
	[ST_EVENT_EACH] =
	    "SELECT e.provider, e.id, e.type, e.outcome, l.key, e.created,"
	    " e.received_at, e.livemode FROM events e"
	    " LEFT JOIN licenses l ON l.id = e.license_id"
	    " ORDER BY e.rowid DESC LIMIT ?1",
	[ST_OUTBOX_EXISTS] = "SELECT id FROM outbox WHERE dedup = ?1",
	/* The dedup key makes queueing the same notice twice a no-op. */
	[ST_OUTBOX_PUT] =
	    "INSERT OR IGNORE INTO outbox (license_id, notice, anchor, dedup,"
	    " rcpt, message, state, attempts, next_at, claimed_until,"
	    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', 0, ?7, 0,"
	    " ?7)",
	/* Due: pending and its time has come, or claimed by a worker whose
	 * lease ran out (it died while sendmail ran). */
	[ST_OUTBOX_DUE] =
	    "SELECT 1 FROM outbox WHERE (state = 'pending' AND next_at <= ?1)"
	    " OR (state = 'sending' AND claimed_until < ?1) LIMIT 1",
	[ST_OUTBOX_CLAIM] =
	    "UPDATE outbox SET state = 'sending', claimed_until = ?2,"
	    " attempts = attempts + 1 WHERE id = (SELECT id FROM outbox"
	    "  WHERE (state = 'pending' AND next_at <= ?1)"
	    "  OR (state = 'sending' AND claimed_until < ?1)"
	    "  ORDER BY next_at, id LIMIT 1)"
	    " RETURNING " OUTBOX_COLUMNS ", message",
	/* Only while our claim stands: attempts tells it from a later one. */
	[ST_OUTBOX_SENT] =
	    "UPDATE outbox SET state = 'sent', sent_at = ?3, claimed_until = 0,"
	    " last_error = NULL"
	    " WHERE id = ?1 AND state = 'sending' AND attempts = ?2",
	[ST_OUTBOX_RETRY] =
	    "UPDATE outbox SET state = ?3, next_at = ?4, last_error = ?5,"
	    " claimed_until = 0"
	    " WHERE id = ?1 AND state = 'sending' AND attempts = ?2",
	[ST_OUTBOX_EACH] =
	    "SELECT " OUTBOX_COLUMNS " FROM outbox ORDER BY id DESC LIMIT ?1",
};

/*
 * Schema migrations: entry i brings a database from user_version i to
 * i + 1.  Append only; never edit a shipped step.
 */
static const char *const db_migrations[LH_SCHEMA_VERSION] = {
	/* 0 -> 1 */
	"CREATE TABLE events ("
	"  provider TEXT NOT NULL,"
	"  id TEXT NOT NULL,"
	"  type TEXT NOT NULL,"
	"  created INTEGER NOT NULL,"
	"  livemode INTEGER NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  outcome TEXT NOT NULL,"
	"  license_id INTEGER REFERENCES licenses(id),"
	"  ref TEXT,"			/* set while deferred */
	"  body BLOB NOT NULL,"
	"  PRIMARY KEY (provider, id)"
	");"
	"CREATE INDEX events_received ON events (received_at);"
	"CREATE INDEX events_deferred ON events (provider, ref)"
	"  WHERE ref IS NOT NULL;"
	"CREATE TABLE customers ("
	"  id INTEGER PRIMARY KEY,"
	"  provider TEXT NOT NULL,"
	"  provider_customer_id TEXT,"
	"  email TEXT,"
	"  name TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  UNIQUE (provider, provider_customer_id)"
	");"
	"CREATE INDEX customers_email ON customers (email COLLATE NOCASE);"
	"CREATE TABLE licenses ("
	"  id INTEGER PRIMARY KEY,"
	"  key TEXT NOT NULL UNIQUE,"
	"  customer_id INTEGER REFERENCES customers(id),"
	"  provider TEXT NOT NULL,"
	"  checkout_session_id TEXT,"
	"  subscription_id TEXT,"
	"  livemode INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	/* The view when last written, for listings; reads derive it anew. */
	"  status TEXT NOT NULL,"
	"  eff_tier TEXT NOT NULL DEFAULT '',"
	"  expires_at INTEGER,"
	/* Facts (struct lh_lic_facts). */
	"  tier TEXT NOT NULL,"
	"  pending_tier TEXT NOT NULL DEFAULT '',"
	"  pending_at INTEGER NOT NULL DEFAULT 0,"
	"  sub_status TEXT NOT NULL DEFAULT 'none',"
	"  period_end INTEGER NOT NULL DEFAULT 0,"
	"  cancel_at_period_end INTEGER NOT NULL DEFAULT 0,"
	"  trial_end INTEGER NOT NULL DEFAULT 0,"
	"  sub_event_at INTEGER NOT NULL DEFAULT 0,"
	"  paid_at INTEGER NOT NULL DEFAULT 0,"
	"  grace_since INTEGER NOT NULL DEFAULT 0,"
	"  disputed INTEGER NOT NULL DEFAULT 0,"
	"  dispute_at INTEGER NOT NULL DEFAULT 0,"
	"  ended_at INTEGER NOT NULL DEFAULT 0,"
	"  revoked TEXT NOT NULL DEFAULT '',"
	"  revoked_at INTEGER NOT NULL DEFAULT 0,"
	"  UNIQUE (provider, checkout_session_id),"
	"  UNIQUE (provider, subscription_id)"
	");"
	"CREATE INDEX licenses_customer ON licenses (customer_id);"
	"CREATE TABLE payments ("
	"  provider TEXT NOT NULL,"
	"  ref TEXT NOT NULL,"
	"  license_id INTEGER NOT NULL REFERENCES licenses(id),"
	"  PRIMARY KEY (provider, ref)"
	");"
	"CREATE TABLE audit ("
	"  id INTEGER PRIMARY KEY,"
	"  license_id INTEGER NOT NULL REFERENCES licenses(id),"
	"  at INTEGER NOT NULL,"
	"  cause TEXT NOT NULL,"
	"  old_status TEXT,"
	"  new_status TEXT,"
	"  old_tier TEXT,"
	"  new_tier TEXT,"
	"  old_expires_at INTEGER,"
	"  new_expires_at INTEGER"
	");"
	"CREATE INDEX audit_license ON audit (license_id);"
	"CREATE TABLE instances ("
	"  id TEXT PRIMARY KEY,"
	"  license_id INTEGER NOT NULL REFERENCES licenses(id),"
	"  name TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  last_seen_at INTEGER NOT NULL,"
	"  deactivated_at INTEGER"
	");"
	/* One active seat per name: activating twice is idempotent. */
	"CREATE UNIQUE INDEX instances_active ON instances (license_id, name)"
	"  WHERE deactivated_at IS NULL;"
	"CREATE TABLE rate_limits ("
	"  bucket TEXT PRIMARY KEY,"
	"  win INTEGER NOT NULL,"
	"  hits INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/* The usage log for abuse detection: compact, one row a request. */
	"CREATE TABLE validations ("
	"  at INTEGER NOT NULL,"
	"  license_id INTEGER,"
	"  instance_id TEXT,"
	"  op INTEGER NOT NULL,"
	"  code INTEGER NOT NULL,"
	"  addr TEXT,"
	"  country TEXT,"
	"  origin TEXT"
	");"
	"CREATE INDEX validations_license ON validations (license_id, at);"
	/*
	 * Customer notices, written in the transaction of the change that
	 * causes them and sent afterwards (mail.c).  message is the whole
	 * rendered message, never changed once written; dedup is
	 * "<notice>:<license id>:<anchor>", so a notice about one fact is
	 * queued once however often it is found due.
	 */
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  license_id INTEGER NOT NULL REFERENCES licenses(id),"
	"  notice TEXT NOT NULL,"
	"  anchor INTEGER NOT NULL,"
	"  dedup TEXT NOT NULL UNIQUE,"
	"  rcpt TEXT NOT NULL,"
	"  message BLOB NOT NULL,"
	"  state TEXT NOT NULL CHECK (state IN"
	"   ('pending', 'sending', 'sent', 'failed')),"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_at INTEGER NOT NULL,"
	"  claimed_until INTEGER NOT NULL DEFAULT 0,"
	"  last_error TEXT,"
	"  created_at INTEGER NOT NULL,"
	"  sent_at INTEGER"
	");"
	"CREATE INDEX outbox_due ON outbox (state, next_at);",
	/*
	 * 1 -> 2: the rate counters and the usage log move to the usage
	 * database (usage.c), so that a validation writes nothing here.
	 * db_migrate() has copied the log's rows there first; the counters
	 * of the current minute are let go.
	 */
	"DROP TABLE rate_limits;"
	"DROP TABLE validations;",
	/*
	 * 2 -> 3: events are never deleted, so their rowids follow the
	 * order they were received in, and `licensectl events` sorts by
	 * rowid: an index on received_at was one more page written for
	 * every event.
	 */
	"DROP INDEX events_received;",
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__COUNT];
	struct walsync	*ws;		/* group commit; NULL: FULL commits */
	int		 light;		/* synchronous = NORMAL now */
	int		 durable;	/* this transaction's COMMIT is flushed */
	struct db_busy	 busy;
	char		 flush_err[96];	/* why the last WAL flush failed */
};

static enum lh_err
db_err(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return LH_OK;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return LH_ERR_DB_BUSY;
	case SQLITE_FULL:
		return LH_ERR_DB_FULL;
	case SQLITE_IOERR:
		return LH_ERR_DB_IO;
	case SQLITE_READONLY:
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
		return LH_ERR_DB_READONLY;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		return LH_ERR_DB_CORRUPT;
	case SQLITE_NOMEM:
		return LH_ERR_NOMEM;
	default:
		return LH_ERR_DB;
	}
}

enum lh_err
db_sqlite_err(int rc)
{
	return db_err(rc);
}

const char *
db_errmsg(struct db *db)
{
	if (db == NULL || db->h == NULL)
		return "no database";
	return db->flush_err[0] != '\0' ? db->flush_err :
	    sqlite3_errmsg(db->h);
}

/* The statement for id, prepared on first use, reset and unbound. */
static sqlite3_stmt *
db_stmt(struct db *db, enum db_stmt id)
{
	sqlite3_stmt	*st = db->st[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(db->h, db_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
			return NULL;
		db->st[id] = st;
	}
	return st;
}

/* Reset after use so a statement never holds a read snapshot open. */
static void
db_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Run a statement that returns no rows. */
static enum lh_err
db_step_done(sqlite3_stmt *st)
{
	int	 rc;

	rc = sqlite3_step(st);
	db_done(st);
	return rc == SQLITE_DONE ? LH_OK :
	    (db_err(rc) == LH_OK ? LH_ERR_DB : db_err(rc));
}

/* Run a one-column integer query: *val = the value, *found = row seen. */
static enum lh_err
db_step_int(sqlite3_stmt *st, int64_t *val, int *found)
{
	int	 rc;

	*found = 0;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*val = sqlite3_column_int64(st, 0);
		*found = 1;
		db_done(st);
		return LH_OK;
	}
	db_done(st);
	return rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

static enum lh_err
db_exec(struct db *db, const char *sql)
{
	return db_err(sqlite3_exec(db->h, sql, NULL, NULL, NULL));
}

static enum lh_err
db_user_version(struct db *db, int *version)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	rc = sqlite3_prepare_v2(db->h, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return db_err(rc);
}

/* The one value of a one-row, one-column query; 0 when it has no row. */
static enum lh_err
db_query_int(struct db *db, const char *sql, int64_t *val)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	*val = 0;
	rc = sqlite3_prepare_v2(db->h, sql, -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*val = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

/* The usage log's columns, as schema 1 had them here and usage.c keeps
 * them. */
#define USAGE_LOG_COLUMNS \
	"at, license_id, instance_id, op, code, addr, country, origin"

/*
 * Schema 1 kept the usage log in this file; step 1 -> 2 drops it.  Its
 * rows are copied to the usage database first, in a transaction of their
 * own that commits, synced, before the one that drops them: SQLite
 * commits a transaction over two WAL files one file at a time, this one
 * first, so copy and drop in one transaction could drop rows that never
 * reached the usage database (a crash between the two, or a full disk
 * under the usage database).  Each row keeps its rowid as its id there,
 * so that a copy made again, after a drop that failed, adds nothing
 * twice.  The usage database stays attached as "usage" until
 * db_migrate() is done; *attached says so.  An empty log is not copied,
 * and no usage database is made for it.
 */
static enum lh_err
db_usage_copy(struct db *db, const char *usage_path, int busy_timeout,
    int *attached, char *errbuf, size_t errlen)
{
	struct usage	*u = NULL;
	sqlite3_stmt	*st = NULL;
	enum lh_err	 r;
	char		 why[256];
	int64_t		 rows = 0;
	int		 rc, version;

	*attached = 0;
	/* Another process may have migrated since: the transaction that
	 * drops the log reads the version again and decides. */
	if (db_query_int(db, "SELECT EXISTS (SELECT 1 FROM validations)",
	    &rows) != LH_OK || rows == 0)
		return LH_OK;
	if (usage_path == NULL) {
		snprintf(errbuf, errlen, "migration 1 -> 2: no usage database "
		    "to move the usage log to");
		return LH_ERR_DB;
	}
	/* Made, or brought to its own schema, by its owner. */
	if ((r = usage_open(usage_path, busy_timeout, &u, why,
	    sizeof(why))) != LH_OK) {
		snprintf(errbuf, errlen, "migration 1 -> 2: usage database "
		    "%s", why);
		return r;
	}
	usage_close(u);
	rc = sqlite3_prepare_v2(db->h, "ATTACH DATABASE ?1 AS usage", -1, &st,
	    NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, usage_path, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		snprintf(errbuf, errlen, "attach %s: %s", usage_path,
		    sqlite3_errmsg(db->h));
		return db_err(rc) == LH_OK ? LH_ERR_DB : db_err(rc);
	}
	*attached = 1;
	if ((r = db_exec(db, "PRAGMA usage.synchronous = FULL")) != LH_OK ||
	    (r = db_exec(db, "BEGIN IMMEDIATE")) != LH_OK) {
		snprintf(errbuf, errlen, "migration 1 -> 2: %s",
		    sqlite3_errmsg(db->h));
		return r;
	}
	if ((r = db_user_version(db, &version)) == LH_OK && version == 1)
		r = db_exec(db, "INSERT OR IGNORE INTO usage.validations"
		    " (id, " USAGE_LOG_COLUMNS ") SELECT rowid, "
		    USAGE_LOG_COLUMNS " FROM main.validations");
	if (r == LH_OK)
		r = db_exec(db, "COMMIT");
	if (r != LH_OK) {
		snprintf(errbuf, errlen, "migration 1 -> 2: copy the usage "
		    "log to %s: %s", usage_path, sqlite3_errmsg(db->h));
		db_exec(db, "ROLLBACK");
	}
	return r;
}

/*
 * In the transaction that drops it: every row of the usage log is in the
 * usage database, unchanged.  A row that is not (a release before this
 * one still writing the log, or a usage database that held other rows
 * under the same ids) stops the migration rather than being lost.
 */
static enum lh_err
db_usage_copied(struct db *db, int attached, char *errbuf, size_t errlen)
{
	enum lh_err	 r;
	int64_t		 left = 0;

	r = db_query_int(db, attached ?
	    "SELECT count(*) FROM main.validations v WHERE NOT EXISTS"
	    " (SELECT 1 FROM usage.validations u WHERE u.id = v.rowid"
	    "  AND u.at IS v.at AND u.license_id IS v.license_id"
	    "  AND u.instance_id IS v.instance_id AND u.op IS v.op"
	    "  AND u.code IS v.code AND u.addr IS v.addr"
	    "  AND u.country IS v.country AND u.origin IS v.origin)" :
	    "SELECT count(*) FROM validations", &left);
	if (r != LH_OK) {
		snprintf(errbuf, errlen, "migration 1 -> 2: %s",
		    sqlite3_errmsg(db->h));
		return r;
	}
	if (left > 0) {
		snprintf(errbuf, errlen, "migration 1 -> 2: %lld usage log "
		    "row%s not in the usage database: not dropping the log",
		    (long long)left, left == 1 ? " is" : "s are");
		return LH_ERR_DB_BUSY;
	}
	return LH_OK;
}

/*
 * Apply every migration the file lacks, all in one transaction (after
 * the copy of the usage log, for a file at schema 1).
 */
static enum lh_err
db_migrate(struct db *db, const char *usage_path, int busy_timeout,
    char *errbuf, size_t errlen)
{
	enum lh_err	 r;
	char		 sql[64];
	int		 version = -1, v, attached = 0;

	/* The common case, an up-to-date file, takes no write lock. */
	if (db_user_version(db, &version) == LH_OK &&
	    version == LH_SCHEMA_VERSION)
		return LH_OK;
	if (version == 1 && (r = db_usage_copy(db, usage_path, busy_timeout,
	    &attached, errbuf, errlen)) != LH_OK)
		goto out;
	if ((r = db_exec(db, "BEGIN IMMEDIATE")) != LH_OK) {
		snprintf(errbuf, errlen, "begin: %s", sqlite3_errmsg(db->h));
		return r;
	}
	if ((r = db_user_version(db, &version)) != LH_OK) {
		snprintf(errbuf, errlen, "schema version: %s",
		    sqlite3_errmsg(db->h));
		goto fail;
	}
	if (version > LH_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "database schema version %d is newer "
		    "than this licensehook knows (%d): refusing to touch it",
		    version, LH_SCHEMA_VERSION);
		r = LH_ERR_DB;
		goto fail;
	}
	if (version == 1 &&
	    (r = db_usage_copied(db, attached, errbuf, errlen)) != LH_OK)
		goto fail;
	for (v = version; v < LH_SCHEMA_VERSION; v++) {
		if ((r = db_exec(db, db_migrations[v])) != LH_OK) {
			snprintf(errbuf, errlen, "migration %d -> %d: %s",
			    v, v + 1, sqlite3_errmsg(db->h));
			goto fail;
		}
	}
	if (version != LH_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    LH_SCHEMA_VERSION);
		if ((r = db_exec(db, sql)) != LH_OK) {
			snprintf(errbuf, errlen, "set version: %s",
			    sqlite3_errmsg(db->h));
			goto fail;
		}
	}
	if ((r = db_exec(db, "COMMIT")) != LH_OK) {
		snprintf(errbuf, errlen, "commit: %s", sqlite3_errmsg(db->h));
		goto fail;
	}
	goto out;
 fail:
	db_exec(db, "ROLLBACK");
 out:
	if (attached)
		db_exec(db, "DETACH DATABASE usage");
	return r;
}

/*
 * Open an SQLite file as both databases are: never recreate one that
 * vanished or was corrupted (create only when asked and no file is
 * there), mode 0640 at most, through walvfs, extended result codes,
 * db_busy_handler() with busy.
 */
enum lh_err
db_sqlite_open(const char *path, int create, int busy_timeout,
    struct db_busy *busy, struct sqlite3 **h, char *errbuf, size_t errlen)
{
	struct stat	 st;
	mode_t		 omask;
	int		 flags, rc;

	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create && stat(path, &st) == -1)
		flags |= SQLITE_OPEN_CREATE;
	omask = umask(027);
	rc = sqlite3_open_v2(path, h, flags, walvfs_name());
	umask(omask);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
		    *h != NULL ? sqlite3_errmsg(*h) : "cannot open");
		return db_err(rc);
	}
	sqlite3_extended_result_codes(*h, 1);
	busy->timeout_ms = busy_timeout > 0 ? busy_timeout : 0;
	sqlite3_busy_handler(*h, db_busy_handler, busy);
	return LH_OK;
}

/* Take this process's turn for the write lock in ws's queue (none when
 * NULL): the busy handler then has what is left of busy_timeout. */
void
db_busy_queue(struct db_busy *busy, struct walsync *ws)
{
	if (ws == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &busy->since);
	busy->queued = 1;
	walsync_enter(ws);
}

void
db_busy_unqueue(struct db_busy *busy, struct walsync *ws)
{
	busy->queued = 0;
	walsync_leave(ws);
}

/*
 * Wait for a lock held by another process.  Writers queue for the write
 * lock in walsync_enter(), so this is mostly a wait for one that does
 * not (an sqlite3 shell, a backup) or for SQLite's own locks (WAL
 * recovery, a checkpoint).  SQLite's own handler sleeps 1, 2, 5, 10 ms
 * and more, far longer than a write transaction here holds the lock:
 * poll at 50 us at first, backing off to 2 ms, until busy_timeout is
 * spent, counted from when the request began to wait, in the queue or
 * here.
 */
int
db_busy_handler(void *arg, int count)
{
	struct db_busy	*b = arg;
	struct timespec	 now, nap;
	long long	 spent_us, nap_us, left_us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (count == 0 && !b->queued)
		b->since = now;
	spent_us = (long long)(now.tv_sec - b->since.tv_sec) * 1000000 +
	    (now.tv_nsec - b->since.tv_nsec) / 1000;
	left_us = (long long)b->timeout_ms * 1000 - spent_us;
	if (left_us <= 0)
		return 0;
	nap_us = count < 40 ? 50 : count < 80 ? 500 : 2000;
	if (nap_us > left_us)
		nap_us = left_us;
	nap.tv_sec = 0;
	nap.tv_nsec = (long)nap_us * 1000;
	while (nanosleep(&nap, &nap) == -1 && errno == EINTR)
		;
	return 1;
}

/* Flush the WAL file through SQLite's own handle on it. */
static enum lh_err
db_flush(void *arg)
{
	struct db	*db = arg;
	sqlite3_file	*f = NULL;
	int		 rc;

	if (sqlite3_file_control(db->h, "main", SQLITE_FCNTL_JOURNAL_POINTER,
	    &f) != SQLITE_OK || f == NULL || f->pMethods == NULL) {
		snprintf(db->flush_err, sizeof(db->flush_err),
		    "disk I/O error: no WAL file to flush");
		return LH_ERR_DB_IO;
	}
	errno = 0;
	if ((rc = f->pMethods->xSync(f, SQLITE_SYNC_NORMAL)) != SQLITE_OK) {
		snprintf(db->flush_err, sizeof(db->flush_err),
		    "disk I/O error flushing the WAL: %s",
		    errno != 0 ? strerror(errno) : sqlite3_errstr(rc));
		return LH_ERR_DB_IO;
	}
	return LH_OK;
}

/*
 * Open the file; with migrate, also make it WAL and bring its schema up
 * to date.  A schema newer than ours is refused before anything is
 * written to the file.
 */
static enum lh_err
db_open_mode(const char *path, const char *usage_path, int busy_timeout,
    int create, int migrate, struct db **out, char *errbuf, size_t errlen)
{
	enum lh_err	 r = LH_ERR_INTERNAL;
	struct db	*db = NULL;
	int		 version = 0;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		r = LH_ERR_NOMEM;
		goto out;
	}
	/* The store holds customer data and keys. */
	if ((r = db_sqlite_open(path, create, busy_timeout, &db->busy, &db->h,
	    errbuf, errlen)) != LH_OK)
		goto out;
	if ((r = db_user_version(db, &version)) != LH_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
		    sqlite3_errmsg(db->h));
		goto out;
	}
	if (version > LH_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "database schema version %d is newer "
		    "than this licensehook knows (%d): refusing to touch it",
		    version, LH_SCHEMA_VERSION);
		r = LH_ERR_DB;
		goto out;
	}
	if (!migrate)
		goto done;
	/*
	 * Durability first: a 2xx goes out only after a synced COMMIT.
	 * A page cache of 1.5 MiB (SQLite's default is 2), so that a
	 * worker stays within 10 MiB: another worker's commit empties it
	 * before nearly every webhook under load anyway, and it still holds
	 * the inner pages a key lookup in a million licenses walks through.
	 */
	if ((r = db_exec(db, "PRAGMA journal_mode = WAL")) != LH_OK ||
	    (r = db_exec(db, "PRAGMA synchronous = FULL")) != LH_OK ||
	    (r = db_exec(db, "PRAGMA foreign_keys = ON")) != LH_OK ||
	    (r = db_exec(db, "PRAGMA cache_size = -1536")) != LH_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
		    sqlite3_errmsg(db->h));
		goto out;
	}
	if ((r = db_migrate(db, usage_path, busy_timeout, errbuf, errlen)) !=
	    LH_OK)
		goto out;
	/* Group commit (walsync.c) where the shared file can be had; else
	 * every durable COMMIT flushes by itself, as FULL does. */
	if ((db->ws = walsync_open(path, errbuf, errlen)) != NULL &&
	    (r = db_exec(db, "PRAGMA synchronous = NORMAL")) != LH_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
		    sqlite3_errmsg(db->h));
		goto out;
	}
	errbuf[0] = '\0';
 done:
	*out = db;
	db = NULL;	/* transferred */
	r = LH_OK;
 out:
	db_close(db);
	return r;
}

enum lh_err
db_open(const char *path, const char *usage_path, int busy_timeout,
    int create, struct db **out, char *errbuf, size_t errlen)
{
	return db_open_mode(path, usage_path, busy_timeout, create, 1, out,
	    errbuf, errlen);
}

enum lh_err
db_inspect(const char *path, int busy_timeout, struct db **out,
    char *errbuf, size_t errlen)
{
	return db_open_mode(path, NULL, busy_timeout, 0, 0, out, errbuf,
	    errlen);
}

void
db_close(struct db *db)
{
	size_t	 i;

	if (db == NULL)
		return;
	for (i = 0; i < ST__COUNT; i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->h);
	walsync_close(db->ws);
	free(db);
}

/*
 * What db_check() and usage_check() share: the file open at h, whose
 * user_version read gave r and version, against want; what names the
 * file in errbuf ("database", "usage database").
 */
enum lh_err
db_sqlite_check(struct sqlite3 *h, enum lh_err r, int version, int want,
    const char *what, char *errbuf, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*text;
	int		 rc;

	errbuf[0] = '\0';
	if (r == LH_OK && version < want) {
		/* Not ours to change here: the workers upgrade it when they
		 * open it, in one transaction. */
		snprintf(errbuf, errlen, "schema version %d is upgraded to %d "
		    "(and switched to WAL) when licensehook next opens it",
		    version, want);
		return sqlite3_db_readonly(h, "main") != 0 ?
		    LH_ERR_DB_READONLY : LH_OK;
	}
	if (r != LH_OK || version != want) {
		snprintf(errbuf, errlen, "schema version %d, want %d", version,
		    want);
		return r != LH_OK ? r : LH_ERR_DB;
	}
	rc = sqlite3_prepare_v2(h, "PRAGMA journal_mode", -1, &st, NULL);
	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 0);
		if (text == NULL || strcmp(text, "wal") != 0) {
			snprintf(errbuf, errlen, "journal mode is %s, not wal",
			    text != NULL ? text : "unknown");
			sqlite3_finalize(st);
			return LH_ERR_DB;
		}
	}
	sqlite3_finalize(st);
	st = NULL;
	if (sqlite3_db_readonly(h, "main") != 0) {
		snprintf(errbuf, errlen, "%s is read-only", what);
		return LH_ERR_DB_READONLY;
	}
	rc = sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		text = (const char *)sqlite3_column_text(st, 0);
		if (text == NULL || strcmp(text, "ok") != 0) {
			snprintf(errbuf, errlen, "integrity check: %s",
			    text != NULL ? text : "failed");
			sqlite3_finalize(st);
			return LH_ERR_DB_CORRUPT;
		}
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errlen, "integrity check: %s",
		    sqlite3_errmsg(h));
		sqlite3_finalize(st);
		return db_err(rc);
	}
	sqlite3_finalize(st);
	return LH_OK;
}

enum lh_err
db_check(struct db *db, char *errbuf, size_t errlen)
{
	enum lh_err	 r;
	int		 version = -1;

	r = db_user_version(db, &version);
	return db_sqlite_check(db->h, r, version, LH_SCHEMA_VERSION,
	    "database", errbuf, errlen);
}

static enum lh_err
db_run(struct db *db, enum db_stmt id)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, id)) == NULL)
		return db_err(sqlite3_errcode(db->h));
	return db_step_done(st);
}

/* BEGIN IMMEDIATE, in the writers' queue until COMMIT or ROLLBACK. */
static enum lh_err
db_begin_write(struct db *db)
{
	enum lh_err	 r;

	db_busy_queue(&db->busy, db->ws);
	if ((r = db_run(db, ST_BEGIN)) != LH_OK)
		db_busy_unqueue(&db->busy, db->ws);
	return r;
}

enum lh_err
db_begin(struct db *db)
{
	return db_begin_durable(db);
}

/*
 * COMMIT; a durable transaction returns only once its frames are on
 * stable storage.  Its sequence number is taken while the write lock is
 * still held, so the numbers follow the order of the commits.
 */
enum lh_err
db_commit(struct db *db)
{
	uint64_t	 seq;
	enum lh_err	 r;

	db->flush_err[0] = '\0';
	if (db->ws == NULL)
		return db_run(db, ST_COMMIT);
	if (!db->durable) {
		if ((r = db_run(db, ST_COMMIT)) == LH_OK ||
		    sqlite3_get_autocommit(db->h))
			db_busy_unqueue(&db->busy, db->ws);
		return r;
	}
	seq = walsync_issue(db->ws);
	if ((r = db_run(db, ST_COMMIT)) != LH_OK) {
		/* Still open: db_rollback() leaves the queue. */
		if (sqlite3_get_autocommit(db->h))
			db_busy_unqueue(&db->busy, db->ws);
		return r;
	}
	walsync_written(db->ws, seq);
	/* The next writer goes on while this one waits for the disk. */
	db_busy_unqueue(&db->busy, db->ws);
	return walsync_wait(db->ws, seq, db_flush, db);
}

/*
 * Before acknowledging what a read found (a duplicate event): what it
 * read may come from a commit that is written but not yet flushed.  The
 * flush made here covers it; a flush begun after every number issued so
 * far does too.
 */
enum lh_err
db_sync_read(struct db *db)
{
	uint64_t	 need;

	db->flush_err[0] = '\0';
	if (db->ws == NULL)
		return LH_OK;	/* FULL: nothing visible is unflushed */
	need = walsync_horizon(db->ws);
	return walsync_wait(db->ws, need > 0 ? need : 1, db_flush, db);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)db_run(db, ST_ROLLBACK);
	db_busy_unqueue(&db->busy, db->ws);
}

/* Prepare-or-fail shorthand for the functions below. */
#define STMT(db, id, st) do {						\
	if (((st) = db_stmt((db), (id))) == NULL)			\
		return db_err(sqlite3_errcode((db)->h)) == LH_OK ?	\
		    LH_ERR_DB : db_err(sqlite3_errcode((db)->h));	\
} while (0)

enum lh_err
db_event_seen(struct db *db, const char *provider, const char *id,
    int *seen)
{
	sqlite3_stmt	*st;
	int64_t		 one;

	STMT(db, ST_EVENT_SEEN, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, id);
	return db_step_int(st, &one, seen);
}

enum lh_err
db_event_put(struct db *db, const char *provider, const struct lh_event *ev,
    const void *body, size_t bodylen, time_t now, const char *outcome,
    int64_t license_id, const char *ref)
{
	sqlite3_stmt	*st;

	STMT(db, ST_EVENT_PUT, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, ev->id);
	bind_text(st, 3, ev->type_name);
	sqlite3_bind_int64(st, 4, ev->created);
	sqlite3_bind_int(st, 5, ev->livemode);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)now);
	bind_text(st, 7, outcome);
	sqlite3_bind_int64(st, 8, license_id);
	bind_text(st, 9, ref);
	sqlite3_bind_blob64(st, 10, body, bodylen, SQLITE_STATIC);
	return db_step_done(st);
}

enum lh_err
db_event_outcome(struct db *db, const char *provider, const char *id,
    const char *outcome, int64_t license_id)
{
	sqlite3_stmt	*st;

	STMT(db, ST_EVENT_OUTCOME, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, id);
	bind_text(st, 3, outcome);
	sqlite3_bind_int64(st, 4, license_id);
	return db_step_done(st);
}

enum lh_err
db_deferred_any(struct db *db, const char *provider, int *any)
{
	sqlite3_stmt	*st;
	int64_t		 one;

	STMT(db, ST_DEFERRED_ANY, st);
	bind_text(st, 1, provider);
	return db_step_int(st, &one, any);
}

void
db_deferred_free(struct db_deferred *d, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		free(d[i].id);
		free(d[i].body);
		d[i].id = d[i].body = NULL;
	}
}

enum lh_err
db_deferred_get(struct db *db, const char *provider, const char *ref,
    struct db_deferred *out, size_t max, size_t *n)
{
	sqlite3_stmt	*st;
	const void	*blob;
	size_t		 len;
	int		 rc;

	*n = 0;
	STMT(db, ST_DEFERRED, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, ref);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		blob = sqlite3_column_blob(st, 1);
		len = (size_t)sqlite3_column_bytes(st, 1);
		out[*n].id = strdup((const char *)sqlite3_column_text(st, 0));
		out[*n].body = malloc(len + 1);
		if (out[*n].id == NULL || out[*n].body == NULL) {
			(*n)++;
			db_deferred_free(out, *n);
			*n = 0;
			db_done(st);
			return LH_ERR_NOMEM;
		}
		if (len > 0)
			memcpy(out[*n].body, blob, len);
		out[*n].body[len] = '\0';
		out[*n].bodylen = len;
		(*n)++;
	}
	db_done(st);
	if (rc != SQLITE_DONE) {
		db_deferred_free(out, *n);
		*n = 0;
		return db_err(rc);
	}
	return LH_OK;
}

enum lh_err
db_customer_put(struct db *db, const char *provider, const char *provider_id,
    const char *email, const char *name, int overwrite, time_t now,
    int64_t *rowid)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;
	int		 found = 0;

	*rowid = 0;
	if (provider_id == NULL && email == NULL && name == NULL)
		return LH_OK;
	if (provider_id != NULL) {
		STMT(db, ST_CUSTOMER_FIND, st);
		bind_text(st, 1, provider);
		bind_text(st, 2, provider_id);
		if ((r = db_step_int(st, rowid, &found)) != LH_OK)
			return r;
	}
	if (found) {
		STMT(db, ST_CUSTOMER_UPDATE, st);
		sqlite3_bind_int64(st, 1, *rowid);
		bind_text(st, 2, email);
		bind_text(st, 3, name);
		sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
		sqlite3_bind_int(st, 5, overwrite);
		return db_step_done(st);
	}
	STMT(db, ST_CUSTOMER_INSERT, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, provider_id);
	bind_text(st, 3, email);
	bind_text(st, 4, name);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	if ((r = db_step_done(st)) != LH_OK)
		return r;
	*rowid = sqlite3_last_insert_rowid(db->h);
	return LH_OK;
}

/* One text lookup returning a license id. */
static enum lh_err
db_find_by(struct db *db, enum db_stmt id, const char *provider,
    const char *value, int64_t *out)
{
	sqlite3_stmt	*st;
	int		 found;

	*out = 0;
	if (value == NULL)
		return LH_OK;
	STMT(db, id, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, value);
	return db_step_int(st, out, &found);
}

enum lh_err
db_license_find(struct db *db, const char *provider, const char *session_id,
    const char *subscription_id, int64_t *id)
{
	enum lh_err	 r;

	if ((r = db_find_by(db, ST_LICENSE_BY_SUB, provider, subscription_id,
	    id)) != LH_OK || *id != 0)
		return r;
	return db_find_by(db, ST_LICENSE_BY_SESSION, provider, session_id, id);
}

enum lh_err
db_license_by_payment(struct db *db, const char *provider, const char *ref,
    int64_t *id)
{
	return db_find_by(db, ST_LICENSE_BY_PAYMENT, provider, ref, id);
}

enum lh_err
db_license_by_customer(struct db *db, const char *provider,
    const char *customer_id, int64_t *id)
{
	sqlite3_stmt	*st;
	int		 rc;

	*id = 0;
	if (customer_id == NULL)
		return LH_OK;
	STMT(db, ST_LICENSE_BY_CUSTOMER, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, customer_id);
	rc = sqlite3_step(st);
	/* Only an unambiguous match: a refund must not hit another product. */
	if (rc == SQLITE_ROW && sqlite3_column_int64(st, 1) == 1)
		*id = sqlite3_column_int64(st, 0);
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

enum lh_err
db_payment_put(struct db *db, const char *provider, const char *ref,
    int64_t license_id)
{
	sqlite3_stmt	*st;

	if (ref == NULL)
		return LH_OK;
	STMT(db, ST_PAYMENT_PUT, st);
	bind_text(st, 1, provider);
	bind_text(st, 2, ref);
	sqlite3_bind_int64(st, 3, license_id);
	return db_step_done(st);
}

enum lh_err
db_key_exists(struct db *db, const char *key, int *exists)
{
	sqlite3_stmt	*st;
	int64_t		 one;

	STMT(db, ST_KEY_EXISTS, st);
	bind_text(st, 1, key);
	return db_step_int(st, &one, exists);
}

/* Bind the view snapshot (?8, ?9, ?25) and the facts (?10..?24). */
static void
db_bind_facts(sqlite3_stmt *st, const struct lh_lic_facts *f,
    const struct lh_lic_view *v)
{
	bind_text(st, 8, license_status_name(v->status));
	sqlite3_bind_int64(st, 9, v->expires_at);
	bind_text(st, 10, f->tier);
	bind_text(st, 11, f->pending_tier);
	sqlite3_bind_int64(st, 12, f->pending_at);
	bind_text(st, 13, license_sub_name(f->sub_status));
	sqlite3_bind_int64(st, 14, f->period_end);
	sqlite3_bind_int(st, 15, f->cancel_at_period_end);
	sqlite3_bind_int64(st, 16, f->trial_end);
	sqlite3_bind_int64(st, 17, f->sub_event_at);
	sqlite3_bind_int64(st, 18, f->paid_at);
	sqlite3_bind_int64(st, 19, f->grace_since);
	sqlite3_bind_int(st, 20, f->disputed);
	sqlite3_bind_int64(st, 21, f->dispute_at);
	sqlite3_bind_int64(st, 22, f->ended_at);
	bind_text(st, 23, f->revoked);
	sqlite3_bind_int64(st, 24, f->revoked_at);
	bind_text(st, 25, v->tier != NULL ? v->tier : "");
}

static void
col_copy(sqlite3_stmt *st, int i, char *dst, size_t len)
{
	const char	*s = (const char *)sqlite3_column_text(st, i);

	snprintf(dst, len, "%s", s != NULL ? s : "");
}

/* Read the facts starting at column c (the FACT_COLUMNS order). */
static void
db_col_facts(sqlite3_stmt *st, int c, struct lh_lic_facts *f)
{
	const char	*sub;

	memset(f, 0, sizeof(*f));
	col_copy(st, c, f->tier, sizeof(f->tier));
	col_copy(st, c + 1, f->pending_tier, sizeof(f->pending_tier));
	f->pending_at = sqlite3_column_int64(st, c + 2);
	sub = (const char *)sqlite3_column_text(st, c + 3);
	if (sub == NULL || license_sub_parse(sub, &f->sub_status) != 0)
		f->sub_status = LH_SUB_NONE;
	f->period_end = sqlite3_column_int64(st, c + 4);
	f->cancel_at_period_end = sqlite3_column_int(st, c + 5);
	f->trial_end = sqlite3_column_int64(st, c + 6);
	f->sub_event_at = sqlite3_column_int64(st, c + 7);
	f->paid_at = sqlite3_column_int64(st, c + 8);
	f->grace_since = sqlite3_column_int64(st, c + 9);
	f->disputed = sqlite3_column_int(st, c + 10);
	f->dispute_at = sqlite3_column_int64(st, c + 11);
	f->ended_at = sqlite3_column_int64(st, c + 12);
	col_copy(st, c + 13, f->revoked, sizeof(f->revoked));
	f->revoked_at = sqlite3_column_int64(st, c + 14);
}

enum lh_err
db_license_put(struct db *db, const char *provider, const char *key,
    int64_t customer_id, const char *session_id, const char *subscription_id,
    const struct lh_lic_facts *f, const struct lh_lic_view *v, int livemode,
    time_t now, int64_t *id)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;

	*id = 0;
	STMT(db, ST_LICENSE_PUT, st);
	bind_text(st, 1, key);
	sqlite3_bind_int64(st, 2, customer_id);
	bind_text(st, 3, provider);
	bind_text(st, 4, session_id);
	bind_text(st, 5, subscription_id);
	sqlite3_bind_int(st, 6, livemode);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	db_bind_facts(st, f, v);
	if ((r = db_step_done(st)) != LH_OK)
		return r;
	*id = sqlite3_last_insert_rowid(db->h);
	return LH_OK;
}

enum lh_err
db_license_update(struct db *db, int64_t id, const struct lh_lic_facts *f,
    const struct lh_lic_view *v, time_t now)
{
	sqlite3_stmt	*st;

	STMT(db, ST_LICENSE_UPDATE, st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	db_bind_facts(st, f, v);
	return db_step_done(st);
}

enum lh_err
db_license_link(struct db *db, int64_t id, const char *session_id,
    const char *subscription_id, int64_t customer_id, time_t now)
{
	sqlite3_stmt	*st;

	STMT(db, ST_LICENSE_LINK, st);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, session_id);
	bind_text(st, 3, subscription_id);
	sqlite3_bind_int64(st, 4, customer_id);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	return db_step_done(st);
}

enum lh_err
db_audit_put(struct db *db, int64_t license_id, time_t now, const char *cause,
    const struct lh_lic_view *old, const struct lh_lic_view *new)
{
	sqlite3_stmt	*st;

	STMT(db, ST_AUDIT_PUT, st);
	sqlite3_bind_int64(st, 1, license_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	bind_text(st, 3, cause);
	bind_text(st, 4, old ? license_status_name(old->status) : NULL);
	bind_text(st, 5, license_status_name(new->status));
	bind_text(st, 6, old ? old->tier : NULL);
	bind_text(st, 7, new->tier);
	sqlite3_bind_int64(st, 8, old ? old->expires_at : 0);
	sqlite3_bind_int64(st, 9, new->expires_at);
	return db_step_done(st);
}

/* A column as a C string; NULL stays NULL.  Borrowed until next step. */
static char *
col_text(sqlite3_stmt *st, int i)
{
	return (char *)sqlite3_column_text(st, i);
}

/* Fill l from a LICENSE_SELECT row. */
static void
db_col_license(sqlite3_stmt *st, struct db_license *l)
{
	memset(l, 0, sizeof(*l));
	l->id = sqlite3_column_int64(st, 0);
	col_copy(st, 1, l->key, sizeof(l->key));
	l->provider = col_text(st, 2);
	l->checkout_session_id = col_text(st, 3);
	l->subscription_id = col_text(st, 4);
	l->customer_provider_id = col_text(st, 5);
	l->email = col_text(st, 6);
	l->name = col_text(st, 7);
	l->livemode = sqlite3_column_int(st, 8);
	l->created_at = sqlite3_column_int64(st, 9);
	l->updated_at = sqlite3_column_int64(st, 10);
	db_col_facts(st, LICENSE_FACTS_COL, &l->facts);
	col_copy(st, LICENSE_SNAP_COL, l->snap_status, sizeof(l->snap_status));
	col_copy(st, LICENSE_SNAP_COL + 1, l->snap_tier, sizeof(l->snap_tier));
	l->snap_expires_at = sqlite3_column_int64(st, LICENSE_SNAP_COL + 2);
}

enum lh_err
db_license_get(struct db *db, int64_t id, struct db_license *l, int *found)
{
	sqlite3_stmt	*st;
	int		 rc;

	*found = 0;
	STMT(db, ST_LICENSE_GET, st);
	sqlite3_bind_int64(st, 1, id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_license(st, l);
		/* The borrowed strings die with the reset: callers of
		 * db_license_get() use the key and facts only. */
		l->provider = l->checkout_session_id = l->subscription_id =
		    l->customer_provider_id = l->email = l->name = NULL;
		*found = 1;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

enum lh_err
db_license_each(struct db *db, const char *match, int limit,
    db_license_fn fn, void *arg)
{
	struct db_license	 l;
	sqlite3_stmt		*st;
	int			 rc;

	if (match != NULL) {
		STMT(db, ST_LICENSE_MATCH, st);
		bind_text(st, 2, match);
	} else
		STMT(db, ST_LICENSE_EACH, st);
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_license(st, &l);
		if (fn(arg, &l) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

enum lh_err
db_event_each(struct db *db, int limit, db_event_fn fn, void *arg)
{
	struct db_event	 e;
	sqlite3_stmt	*st;
	int		 rc;

	STMT(db, ST_EVENT_EACH, st);
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.provider = col_text(st, 0);
		e.id = col_text(st, 1);
		e.type = col_text(st, 2);
		e.outcome = col_text(st, 3);
		col_copy(st, 4, e.key, sizeof(e.key));
		e.created = sqlite3_column_int64(st, 5);
		e.received_at = sqlite3_column_int64(st, 6);
		e.livemode = sqlite3_column_int(st, 7);
		if (fn(arg, &e) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

enum lh_err
db_license_snapshot(struct db *db, int64_t id, const struct lh_lic_view *v,
    time_t now)
{
	sqlite3_stmt	*st;

	STMT(db, ST_LICENSE_SNAPSHOT, st);
	sqlite3_bind_int64(st, 1, id);
	bind_text(st, 2, license_status_name(v->status));
	bind_text(st, 3, v->tier != NULL ? v->tier : "");
	sqlite3_bind_int64(st, 4, v->expires_at);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)now);
	return db_step_done(st);
}

enum lh_err
db_begin_light(struct db *db)
{
	enum lh_err	 r;

	/* WAL with synchronous=NORMAL commits without an fsync; the next
	 * FULL commit syncs these frames too (SQLite docs, "PRAGMA
	 * synchronous").  Only the usage log and rate counters ride on it. */
	if (db->ws == NULL && !db->light) {
		if ((r = db_exec(db, "PRAGMA synchronous = NORMAL")) != LH_OK)
			return r;
		db->light = 1;
	}
	db->durable = 0;
	db->flush_err[0] = '\0';
	return db_begin_write(db);
}

enum lh_err
db_begin_durable(struct db *db)
{
	enum lh_err	 r;

	if (db->ws == NULL && db->light) {
		if ((r = db_exec(db, "PRAGMA synchronous = FULL")) != LH_OK)
			return r;
		db->light = 0;
	}
	db->durable = 1;
	db->flush_err[0] = '\0';
	return db_begin_write(db);
}

enum lh_err
db_begin_read(struct db *db)
{
	return db_run(db, ST_BEGIN_READ);
}

enum lh_err
db_end_read(struct db *db)
{
	return db_run(db, ST_COMMIT);
}

enum lh_err
db_license_by_key(struct db *db, const char *key, struct db_keyinfo *ki,
    int *found)
{
	sqlite3_stmt	*st;
	int		 rc;

	*found = 0;
	STMT(db, ST_LICENSE_BY_KEY, st);
	bind_text(st, 1, key);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_license(st, &ki->lic);
		col_copy(st, 6, ki->email, sizeof(ki->email));
		col_copy(st, 7, ki->name, sizeof(ki->name));
		/* The borrowed strings die with the reset below. */
		ki->lic.provider = ki->lic.checkout_session_id =
		    ki->lic.subscription_id = ki->lic.customer_provider_id =
		    ki->lic.email = ki->lic.name = NULL;
		*found = 1;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

enum lh_err
db_instance_count(struct db *db, int64_t license_id, int *n)
{
	sqlite3_stmt	*st;
	int64_t		 v = 0;
	int		 found;
	enum lh_err	 r;

	STMT(db, ST_INSTANCE_COUNT, st);
	sqlite3_bind_int64(st, 1, license_id);
	r = db_step_int(st, &v, &found);
	*n = (int)v;
	return r;
}

enum lh_err
db_instance_find(struct db *db, int64_t license_id, const char *id,
    const char *name, struct db_instance *out, int *found)
{
	sqlite3_stmt	*st;
	int		 rc;

	*found = 0;
	memset(out, 0, sizeof(*out));
	if (id != NULL) {
		STMT(db, ST_INSTANCE_BY_ID, st);
		bind_text(st, 2, id);
	} else {
		STMT(db, ST_INSTANCE_BY_NAME, st);
		bind_text(st, 2, name);
	}
	sqlite3_bind_int64(st, 1, license_id);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		col_copy(st, 0, out->id, sizeof(out->id));
		col_copy(st, 1, out->name, sizeof(out->name));
		out->created_at = sqlite3_column_int64(st, 2);
		out->last_seen_at = sqlite3_column_int64(st, 3);
		*found = 1;
	}
	db_done(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? LH_OK : db_err(rc);
}

enum lh_err
db_instance_put(struct db *db, int64_t license_id, const char *id,
    const char *name, time_t now)
{
	sqlite3_stmt	*st;

	STMT(db, ST_INSTANCE_PUT, st);
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, license_id);
	bind_text(st, 3, name);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)now);
	return db_step_done(st);
}

enum lh_err
db_instance_off(struct db *db, int64_t license_id, const char *id,
    time_t now)
{
	sqlite3_stmt	*st;

	STMT(db, ST_INSTANCE_OFF, st);
	sqlite3_bind_int64(st, 1, license_id);
	bind_text(st, 2, id);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	return db_step_done(st);
}

enum lh_err
db_instance_seen(struct db *db, const char *id, time_t now)
{
	sqlite3_stmt	*st;

	STMT(db, ST_INSTANCE_SEEN, st);
	bind_text(st, 1, id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	return db_step_done(st);
}

/* Fill o from an OUTBOX_COLUMNS row (the message is not read here). */
static void
db_col_outbox(sqlite3_stmt *st, struct db_outbox *o)
{
	memset(o, 0, sizeof(*o));
	o->id = sqlite3_column_int64(st, 0);
	o->license_id = sqlite3_column_int64(st, 1);
	col_copy(st, 2, o->notice, sizeof(o->notice));
	o->anchor = sqlite3_column_int64(st, 3);
	col_copy(st, 4, o->rcpt, sizeof(o->rcpt));
	col_copy(st, 5, o->state, sizeof(o->state));
	o->attempts = sqlite3_column_int(st, 6);
	o->next_at = sqlite3_column_int64(st, 7);
	o->claimed_until = sqlite3_column_int64(st, 8);
	col_copy(st, 9, o->last_error, sizeof(o->last_error));
	o->created_at = sqlite3_column_int64(st, 10);
	o->sent_at = sqlite3_column_int64(st, 11);
	col_copy(st, 12, o->key, sizeof(o->key));
}

void
db_outbox_free(struct db_outbox *o)
{
	if (o == NULL)
		return;
	/* The message holds the customer's key. */
	if (o->message != NULL)
		explicit_bzero(o->message, o->msglen);
	free(o->message);
	o->message = NULL;
	o->msglen = 0;
}

enum lh_err
db_outbox_exists(struct db *db, const char *dedup, int *exists)
{
	sqlite3_stmt	*st;
	int64_t		 id;

	STMT(db, ST_OUTBOX_EXISTS, st);
	bind_text(st, 1, dedup);
	return db_step_int(st, &id, exists);
}

enum lh_err
db_outbox_put(struct db *db, int64_t license_id, const char *notice,
    long long anchor, const char *dedup, const char *rcpt, const void *msg,
    size_t len, time_t now, int64_t *id)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;

	*id = 0;
	STMT(db, ST_OUTBOX_PUT, st);
	sqlite3_bind_int64(st, 1, license_id);
	bind_text(st, 2, notice);
	sqlite3_bind_int64(st, 3, anchor);
	bind_text(st, 4, dedup);
	bind_text(st, 5, rcpt);
	sqlite3_bind_blob64(st, 6, msg, len, SQLITE_STATIC);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)now);
	if ((r = db_step_done(st)) != LH_OK)
		return r;
	/* OR IGNORE: no row, no change, when the dedup key was there. */
	if (sqlite3_changes(db->h) > 0)
		*id = sqlite3_last_insert_rowid(db->h);
	return LH_OK;
}

enum lh_err
db_outbox_due(struct db *db, time_t now, int *due)
{
	sqlite3_stmt	*st;
	int64_t		 one;

	STMT(db, ST_OUTBOX_DUE, st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	return db_step_int(st, &one, due);
}

enum lh_err
db_outbox_claim(struct db *db, time_t now, long long lease_until,
    struct db_outbox *o, int *found)
{
	sqlite3_stmt	*st;
	const void	*blob;
	size_t		 len;
	int		 rc;
	enum lh_err	 r = LH_OK;

	*found = 0;
	memset(o, 0, sizeof(*o));
	STMT(db, ST_OUTBOX_CLAIM, st);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	sqlite3_bind_int64(st, 2, lease_until);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_outbox(st, o);
		blob = sqlite3_column_blob(st, 13);
		len = (size_t)sqlite3_column_bytes(st, 13);
		if ((o->message = malloc(len + 1)) == NULL)
			r = LH_ERR_NOMEM;
		else {
			if (len > 0)
				memcpy(o->message, blob, len);
			o->message[len] = '\0';
			o->msglen = len;
			*found = 1;
		}
		/* One row at most: finish the statement. */
		rc = sqlite3_step(st);
	}
	db_done(st);
	if (r == LH_OK && rc != SQLITE_DONE)
		r = db_err(rc) == LH_OK ? LH_ERR_DB : db_err(rc);
	if (r != LH_OK) {
		db_outbox_free(o);
		*found = 0;
	}
	return r;
}

enum lh_err
db_outbox_sent(struct db *db, int64_t id, int attempts, time_t now,
    int *updated)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;

	*updated = 0;
	STMT(db, ST_OUTBOX_SENT, st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempts);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	if ((r = db_step_done(st)) == LH_OK)
		*updated = sqlite3_changes(db->h) > 0;
	return r;
}

enum lh_err
db_outbox_retry(struct db *db, int64_t id, int attempts, const char *state,
    long long next_at, const char *error, int *updated)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;

	*updated = 0;
	STMT(db, ST_OUTBOX_RETRY, st);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int(st, 2, attempts);
	bind_text(st, 3, state);
	sqlite3_bind_int64(st, 4, next_at);
	bind_text(st, 5, error);
	if ((r = db_step_done(st)) == LH_OK)
		*updated = sqlite3_changes(db->h) > 0;
	return r;
}

enum lh_err
db_outbox_each(struct db *db, int limit, db_outbox_fn fn, void *arg)
{
	struct db_outbox o;
	sqlite3_stmt	*st;
	int		 rc;

	STMT(db, ST_OUTBOX_EACH, st);
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		db_col_outbox(st, &o);
		if (fn(arg, &o) != 0) {
			rc = SQLITE_DONE;
			break;
		}
	}
	db_done(st);
	return rc == SQLITE_DONE ? LH_OK : db_err(rc);
}
