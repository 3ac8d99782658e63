/*
 * The SQLite store.  One connection per process, reused; every statement
 * is prepared once on first use and kept (SQLITE_PREPARE_PERSISTENT).
 * All SQL lives in this file and takes values only as bound parameters.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lh.h"
#include "io.h"

enum db_stmt {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_EVENT_SEEN,
	ST_EVENT_PUT,
	ST_CUSTOMER_FIND,
	ST_CUSTOMER_INSERT,
	ST_CUSTOMER_UPDATE,
	ST_LICENSE_BY_SESSION,
	ST_LICENSE_BY_SUB,
	ST_KEY_EXISTS,
	ST_LICENSE_PUT,
	ST_LICENSE_LINK,
	ST_AUDIT_PUT,
	ST_LICENSE_EACH,
	ST_LICENSE_MATCH,
	ST_EVENT_EACH,
	ST__COUNT
};

static const char *const db_sql[ST__COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_EVENT_SEEN] =
	    "SELECT 1 FROM events WHERE provider = ?1 AND id = ?2",
	[ST_EVENT_PUT] =
	    "INSERT INTO events (provider, id, type, created, livemode,"
	    " received_at, outcome, license_id, body)"
	    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
	[ST_CUSTOMER_FIND] =
	    "SELECT id FROM customers"
	    " WHERE provider = ?1 AND provider_customer_id = ?2",
	[ST_CUSTOMER_INSERT] =
	    "INSERT INTO customers (provider, provider_customer_id, email,"
	    " name, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?5)",
	[ST_CUSTOMER_UPDATE] =
	    "UPDATE customers SET email = coalesce(?2, email),"
	    " name = coalesce(?3, name), updated_at = ?4 WHERE id = ?1",
	[ST_LICENSE_BY_SESSION] =
	    "SELECT id FROM licenses"
	    " WHERE provider = ?1 AND checkout_session_id = ?2",
	[ST_LICENSE_BY_SUB] =
	    "SELECT id FROM licenses"
	    " WHERE provider = ?1 AND subscription_id = ?2",
	[ST_KEY_EXISTS] = "SELECT 1 FROM licenses WHERE key = ?1",
	[ST_LICENSE_PUT] =
	    "INSERT INTO licenses (key, customer_id, provider,"
	    " checkout_session_id, subscription_id, tier, status, livemode,"
	    " created_at, updated_at)"
	    " VALUES (?1, nullif(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
	[ST_LICENSE_LINK] =
	    "UPDATE licenses SET"
	    " checkout_session_id = coalesce(checkout_session_id, ?2),"
	    " subscription_id = coalesce(subscription_id, ?3),"
	    " customer_id = coalesce(customer_id, nullif(?4, 0)),"
	    " updated_at = ?5 WHERE id = ?1",
	[ST_AUDIT_PUT] =
	    "INSERT INTO audit (license_id, at, cause, old_status, new_status,"
	    " old_tier, new_tier) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
#define LICENSE_COLUMNS \
	    "SELECT l.id, l.key, l.tier, l.status, l.provider," \
	    " l.checkout_session_id, l.subscription_id," \
	    " c.provider_customer_id, c.email, c.name, l.livemode," \
	    " l.created_at, l.updated_at, coalesce(l.expires_at, 0)" \
	    " FROM licenses l LEFT JOIN customers c ON c.id = l.customer_id"
	[ST_LICENSE_EACH] = LICENSE_COLUMNS
	    " ORDER BY l.id DESC LIMIT ?1",
	[ST_LICENSE_MATCH] = LICENSE_COLUMNS
	    " WHERE l.key = upper(?2) OR c.email = ?2 COLLATE NOCASE"
	    " OR c.provider_customer_id = ?2 OR l.subscription_id = ?2"
	    " ORDER BY l.id DESC LIMIT ?1",
#undef LICENSE_COLUMNS
	[ST_EVENT_EACH] =
	    "SELECT e.provider, e.id, e.type, e.outcome, l.key, e.created,"
	    " e.received_at, e.livemode FROM events e"
	    " LEFT JOIN licenses l ON l.id = e.license_id"
	    " ORDER BY e.received_at DESC, e.rowid DESC LIMIT ?1",
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
	"  body BLOB NOT NULL,"
	"  PRIMARY KEY (provider, id)"
	");"
	"CREATE INDEX events_received ON events (received_at);"
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
	"  tier TEXT NOT NULL,"
	"  status TEXT NOT NULL,"
	"  livemode INTEGER NOT NULL,"
	"  created_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  expires_at INTEGER,"
	"  UNIQUE (provider, checkout_session_id),"
	"  UNIQUE (provider, subscription_id)"
	");"
	"CREATE INDEX licenses_customer ON licenses (customer_id);"
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
	"CREATE INDEX audit_license ON audit (license_id);",
};

struct db {
	sqlite3		*h;
	sqlite3_stmt	*st[ST__COUNT];
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

const char *
db_errmsg(struct db *db)
{
	return db != NULL && db->h != NULL ? sqlite3_errmsg(db->h) :
	    "no database";
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

/* Apply every migration the file lacks, all in one transaction. */
static enum lh_err
db_migrate(struct db *db, char *errbuf, size_t errlen)
{
	enum lh_err	 r;
	char		 sql[64];
	int		 version, v;

	/* The common case, an up-to-date file, takes no write lock. */
	if (db_user_version(db, &version) == LH_OK &&
	    version == LH_SCHEMA_VERSION)
		return LH_OK;
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
	return LH_OK;
 fail:
	db_exec(db, "ROLLBACK");
	return r;
}

enum lh_err
db_open(const char *path, int busy_timeout, int create, struct db **out,
    char *errbuf, size_t errlen)
{
	enum lh_err	 r = LH_ERR_INTERNAL;
	struct db	*db = NULL;
	struct stat	 st;
	mode_t		 omask;
	int		 flags, rc;

	*out = NULL;
	if ((db = calloc(1, sizeof(*db))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		r = LH_ERR_NOMEM;
		goto out;
	}
	/* Never recreate a database that vanished or was corrupted: only
	 * create when asked and when no file is there. */
	flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	if (create && stat(path, &st) == -1)
		flags |= SQLITE_OPEN_CREATE;
	/* The store holds customer data and keys: owner and group only. */
	omask = umask(027);
	rc = sqlite3_open_v2(path, &db->h, flags, NULL);
	umask(omask);
	if (rc != SQLITE_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
		    db->h != NULL ? sqlite3_errmsg(db->h) : "cannot open");
		r = db_err(rc);
		goto out;
	}
	sqlite3_extended_result_codes(db->h, 1);
	sqlite3_busy_timeout(db->h, busy_timeout);
	/* Durability first: a 2xx goes out only after a synced COMMIT. */
	if ((r = db_exec(db, "PRAGMA journal_mode = WAL")) != LH_OK ||
	    (r = db_exec(db, "PRAGMA synchronous = FULL")) != LH_OK ||
	    (r = db_exec(db, "PRAGMA foreign_keys = ON")) != LH_OK) {
		snprintf(errbuf, errlen, "%s: %s", path,
		    sqlite3_errmsg(db->h));
		goto out;
	}
	if ((r = db_migrate(db, errbuf, errlen)) != LH_OK)
		goto out;
	*out = db;
	db = NULL;	/* transferred */
	r = LH_OK;
 out:
	db_close(db);
	return r;
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
	free(db);
}

enum lh_err
db_check(struct db *db, char *errbuf, size_t errlen)
{
	sqlite3_stmt	*st = NULL;
	const char	*text;
	int		 version = -1, rc;
	enum lh_err	 r;

	if ((r = db_user_version(db, &version)) != LH_OK ||
	    version != LH_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "schema version %d, want %d", version,
		    LH_SCHEMA_VERSION);
		return r != LH_OK ? r : LH_ERR_DB;
	}
	rc = sqlite3_prepare_v2(db->h, "PRAGMA journal_mode", -1, &st, NULL);
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
	if (sqlite3_db_readonly(db->h, "main") != 0) {
		snprintf(errbuf, errlen, "database is read-only");
		return LH_ERR_DB_READONLY;
	}
	rc = sqlite3_prepare_v2(db->h, "PRAGMA integrity_check", -1, &st,
	    NULL);
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
		    sqlite3_errmsg(db->h));
		sqlite3_finalize(st);
		return db_err(rc);
	}
	sqlite3_finalize(st);
	return LH_OK;
}

static enum lh_err
db_run(struct db *db, enum db_stmt id)
{
	sqlite3_stmt	*st;

	if ((st = db_stmt(db, id)) == NULL)
		return db_err(sqlite3_errcode(db->h));
	return db_step_done(st);
}

enum lh_err
db_begin(struct db *db)
{
	return db_run(db, ST_BEGIN);
}

enum lh_err
db_commit(struct db *db)
{
	return db_run(db, ST_COMMIT);
}

void
db_rollback(struct db *db)
{
	if (!sqlite3_get_autocommit(db->h))
		(void)db_run(db, ST_ROLLBACK);
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
    int64_t license_id)
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
	if (license_id != 0)
		sqlite3_bind_int64(st, 8, license_id);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_blob64(st, 9, body, bodylen, SQLITE_STATIC);
	return db_step_done(st);
}

enum lh_err
db_customer_put(struct db *db, const char *provider, const char *provider_id,
    const char *email, const char *name, time_t now, int64_t *rowid)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;
	int		 found = 0;

	*rowid = 0;
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

enum lh_err
db_license_find(struct db *db, const char *provider, const char *session_id,
    const char *subscription_id, int64_t *id)
{
	sqlite3_stmt	*st;
	enum lh_err	 r;
	int		 found = 0;

	*id = 0;
	if (subscription_id != NULL) {
		STMT(db, ST_LICENSE_BY_SUB, st);
		bind_text(st, 1, provider);
		bind_text(st, 2, subscription_id);
		if ((r = db_step_int(st, id, &found)) != LH_OK || found)
			return r;
	}
	if (session_id != NULL) {
		STMT(db, ST_LICENSE_BY_SESSION, st);
		bind_text(st, 1, provider);
		bind_text(st, 2, session_id);
		return db_step_int(st, id, &found);
	}
	return LH_OK;
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

enum lh_err
db_license_put(struct db *db, const char *provider, const char *key,
    int64_t customer_id, const char *session_id, const char *subscription_id,
    const char *tier, const char *status, int livemode, time_t now,
    int64_t *id)
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
	bind_text(st, 6, tier);
	bind_text(st, 7, status);
	sqlite3_bind_int(st, 8, livemode);
	sqlite3_bind_int64(st, 9, (sqlite3_int64)now);
	if ((r = db_step_done(st)) != LH_OK)
		return r;
	*id = sqlite3_last_insert_rowid(db->h);
	return LH_OK;
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
    const char *old_status, const char *new_status, const char *old_tier,
    const char *new_tier)
{
	sqlite3_stmt	*st;

	STMT(db, ST_AUDIT_PUT, st);
	sqlite3_bind_int64(st, 1, license_id);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)now);
	bind_text(st, 3, cause);
	bind_text(st, 4, old_status);
	bind_text(st, 5, new_status);
	bind_text(st, 6, old_tier);
	bind_text(st, 7, new_tier);
	return db_step_done(st);
}

/* A column as a C string; NULL stays NULL.  Borrowed until next step. */
static char *
col_text(sqlite3_stmt *st, int i)
{
	return (char *)sqlite3_column_text(st, i);
}

enum lh_err
db_license_each(struct db *db, const char *match, int limit,
    db_license_fn fn, void *arg)
{
	struct db_license	 l;
	sqlite3_stmt		*st;
	const char		*key;
	int			 rc;

	if (match != NULL) {
		STMT(db, ST_LICENSE_MATCH, st);
		bind_text(st, 2, match);
	} else
		STMT(db, ST_LICENSE_EACH, st);
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&l, 0, sizeof(l));
		l.id = sqlite3_column_int64(st, 0);
		if ((key = col_text(st, 1)) != NULL)
			snprintf(l.key, sizeof(l.key), "%s", key);
		l.tier = col_text(st, 2);
		l.status = col_text(st, 3);
		l.provider = col_text(st, 4);
		l.checkout_session_id = col_text(st, 5);
		l.subscription_id = col_text(st, 6);
		l.customer_provider_id = col_text(st, 7);
		l.email = col_text(st, 8);
		l.name = col_text(st, 9);
		l.livemode = sqlite3_column_int(st, 10);
		l.created_at = sqlite3_column_int64(st, 11);
		l.updated_at = sqlite3_column_int64(st, 12);
		l.expires_at = sqlite3_column_int64(st, 13);
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
	const char	*key;
	int		 rc;

	STMT(db, ST_EVENT_EACH, st);
	sqlite3_bind_int(st, 1, limit > 0 ? limit : -1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		memset(&e, 0, sizeof(e));
		e.provider = col_text(st, 0);
		e.id = col_text(st, 1);
		e.type = col_text(st, 2);
		e.outcome = col_text(st, 3);
		if ((key = col_text(st, 4)) != NULL)
			snprintf(e.key, sizeof(e.key), "%s", key);
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
