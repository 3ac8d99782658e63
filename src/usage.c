/*
 * The usage database: the license API's rate counters and usage log, in
 * an SQLite file of their own (licensehook.usage_database), so that a
 * validation takes no write lock on the database that holds the
 * licenses, and no commit there makes the other workers drop their page
 * cache.  One connection per process, reused; every statement is
 * prepared once on first use and kept.  All its SQL lives here, and takes
 * values only as bound parameters.
 *
 * Nothing here is worth an fsync per request.  In WAL mode with
 * synchronous=NORMAL a commit is not synced at all: a crash of the
 * process loses nothing, since the kernel has every commit, and a power
 * failure loses what the kernel had not written back yet, the last
 * seconds of counts and log rows, never the file's consistency.  The
 * syncs that remain are the checkpoint's and the WAL header's when the
 * WAL starts over; usage_tidy() makes them between requests.
 * (synchronous=OFF would skip those too, and SQLite documents that a
 * power failure may then corrupt the file; a corrupt usage database is
 * never replaced, and would stop the license API.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lh.h"
#include "io.h"

/* WAL frames after which usage_tidy() checkpoints: SQLite's own default
 * for the checkpoint it would otherwise run inside a commit. */
#define USAGE_CKPT_FRAMES	1000

enum usage_stmt {
	US_BEGIN,
	US_COMMIT,
	US_ROLLBACK,
	US_RATE_HIT,
	US_RATE_PRUNE,
	US_LOG_PUT,
	US__COUNT
};

static const char *const usage_sql[US__COUNT] = {
	[US_BEGIN] = "BEGIN IMMEDIATE",
	[US_COMMIT] = "COMMIT",
	[US_ROLLBACK] = "ROLLBACK",
	/* A fixed one-minute window per bucket (RETURNING: SQLite 3.35). */
	[US_RATE_HIT] =
	    "INSERT INTO rate_limits (bucket, win, hits) VALUES (?1, ?2, 1)"
	    " ON CONFLICT (bucket) DO UPDATE SET"
	    " hits = CASE WHEN win = excluded.win THEN hits + 1 ELSE 1 END,"
	    " win = excluded.win RETURNING hits",
	[US_RATE_PRUNE] = "DELETE FROM rate_limits WHERE win < ?1",
	[US_LOG_PUT] =
	    "INSERT INTO validations (at, license_id, instance_id, op, code,"
	    " addr, country, origin) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};

/*
 * Schema migrations: entry i brings a usage database from user_version i
 * to i + 1.  Append only; never edit a shipped step.
 */
static const char *const usage_migrations[LH_USAGE_SCHEMA_VERSION] = {
	/* 0 -> 1: the tables schema 1 of the database had (db.c). */
	"CREATE TABLE rate_limits ("
	"  bucket TEXT PRIMARY KEY,"	/* "a:" address, "k:" key */
	"  win INTEGER NOT NULL,"	/* Unix minute */
	"  hits INTEGER NOT NULL"
	") WITHOUT ROWID;"
	/*
	 * The usage log, one row a request that got a code.  id is the
	 * rowid; rows moved from a schema 1 database keep theirs.
	 * license_id names a row of the database's licenses.
	 */
	"CREATE TABLE validations ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"
	"  license_id INTEGER,"
	"  instance_id TEXT,"
	"  op INTEGER NOT NULL,"
	"  code INTEGER NOT NULL,"
	"  addr TEXT,"
	"  country TEXT,"
	"  origin TEXT"
	");"
	"CREATE INDEX validations_license ON validations (license_id, at);",
};

struct usage {
	sqlite3		*h;
	sqlite3_stmt	*st[US__COUNT];
	struct walsync	*ws;		/* the writers' queue, or NULL */
	struct db_busy	 busy;
	int		 frames;	/* in the WAL after the last commit */
};

static enum lh_err
usage_exec(struct usage *u, const char *sql)
{
	return db_sqlite_err(sqlite3_exec(u->h, sql, NULL, NULL, NULL));
}

static enum lh_err
usage_version(struct usage *u, int *version)
{
	sqlite3_stmt	*st = NULL;
	int		 rc;

	rc = sqlite3_prepare_v2(u->h, "PRAGMA user_version", -1, &st, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return db_sqlite_err(rc);
}

/*
 * Called by SQLite after each commit with the frames in the WAL.  Setting
 * a hook also turns off the checkpoint SQLite would run inside the
 * commit that crosses its threshold: usage_tidy() runs it instead.
 */
static int
usage_wal_hook(void *arg, sqlite3 *h, const char *name, int frames)
{
	struct usage	*u = arg;

	(void)h;
	(void)name;
	u->frames = frames;
	return SQLITE_OK;
}

/* Apply every migration the file lacks, all in one transaction. */
static enum lh_err
usage_migrate(struct usage *u, char *errbuf, size_t errlen)
{
	enum lh_err	 r;
	char		 sql[64];
	int		 version = -1, v;

	/* The common case, an up-to-date file, takes no write lock. */
	if (usage_version(u, &version) == LH_OK &&
	    version == LH_USAGE_SCHEMA_VERSION)
		return LH_OK;
	if ((r = usage_exec(u, "BEGIN IMMEDIATE")) != LH_OK) {
		snprintf(errbuf, errlen, "begin: %s", sqlite3_errmsg(u->h));
		return r;
	}
	if ((r = usage_version(u, &version)) != LH_OK) {
		snprintf(errbuf, errlen, "schema version: %s",
		    sqlite3_errmsg(u->h));
		goto fail;
	}
	if (version > LH_USAGE_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "usage database schema version %d is "
		    "newer than this licensehook knows (%d): refusing to touch "
		    "it", version, LH_USAGE_SCHEMA_VERSION);
		r = LH_ERR_DB;
		goto fail;
	}
	for (v = version; v < LH_USAGE_SCHEMA_VERSION; v++) {
		if ((r = usage_exec(u, usage_migrations[v])) != LH_OK) {
			snprintf(errbuf, errlen, "usage migration %d -> %d: %s",
			    v, v + 1, sqlite3_errmsg(u->h));
			goto fail;
		}
	}
	if (version != LH_USAGE_SCHEMA_VERSION) {
		snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
		    LH_USAGE_SCHEMA_VERSION);
		if ((r = usage_exec(u, sql)) != LH_OK) {
			snprintf(errbuf, errlen, "set version: %s",
			    sqlite3_errmsg(u->h));
			goto fail;
		}
	}
	if ((r = usage_exec(u, "COMMIT")) != LH_OK) {
		snprintf(errbuf, errlen, "commit: %s", sqlite3_errmsg(u->h));
		goto fail;
	}
	return LH_OK;
 fail:
	usage_exec(u, "ROLLBACK");
	return r;
}

/*
 * Open the file; with migrate, also create it if it is missing, make it
 * WAL and bring its schema up to date.  A newer schema is refused before
 * anything is written to the file.
 */
static enum lh_err
usage_open_mode(const char *path, int busy_timeout, int migrate,
    struct usage **out, char *errbuf, size_t errlen)
{
	enum lh_err	 r = LH_ERR_INTERNAL;
	struct usage	*u = NULL;
	int		 version = 0;

	*out = NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		r = LH_ERR_NOMEM;
		goto out;
	}
	/* Client addresses and license ids. */
	if ((r = db_sqlite_open(path, migrate, busy_timeout, &u->busy, &u->h,
	    errbuf, errlen)) != LH_OK)
		goto out;
	if ((r = usage_version(u, &version)) != LH_OK) {
		snprintf(errbuf, errlen, "%s: %s", path, sqlite3_errmsg(u->h));
		goto out;
	}
	if (version > LH_USAGE_SCHEMA_VERSION) {
		snprintf(errbuf, errlen, "%s: usage database schema version %d "
		    "is newer than this licensehook knows (%d): refusing to "
		    "touch it", path, version, LH_USAGE_SCHEMA_VERSION);
		r = LH_ERR_DB;
		goto out;
	}
	if (!migrate)
		goto done;
	/* A second page cache in every worker: appends and one counter row
	 * need little of it (SQLite's default is 2 MiB). */
	if ((r = usage_exec(u, "PRAGMA journal_mode = WAL")) != LH_OK ||
	    (r = usage_exec(u, "PRAGMA synchronous = NORMAL")) != LH_OK ||
	    (r = usage_exec(u, "PRAGMA cache_size = -512")) != LH_OK) {
		snprintf(errbuf, errlen, "%s: %s", path, sqlite3_errmsg(u->h));
		goto out;
	}
	sqlite3_wal_hook(u->h, usage_wal_hook, u);
	if ((r = usage_migrate(u, errbuf, errlen)) != LH_OK)
		goto out;
	/* Validations write here on every request: queue the workers
	 * (walsync.c), whose counters this file has no use for.  Without
	 * <path>-sync they only poll for the lock. */
	u->ws = walsync_open(path, errbuf, errlen);
	errbuf[0] = '\0';
 done:
	*out = u;
	u = NULL;	/* transferred */
	r = LH_OK;
 out:
	usage_close(u);
	return r;
}

enum lh_err
usage_open(const char *path, int busy_timeout, struct usage **out,
    char *errbuf, size_t errlen)
{
	return usage_open_mode(path, busy_timeout, 1, out, errbuf, errlen);
}

enum lh_err
usage_inspect(const char *path, int busy_timeout, struct usage **out,
    char *errbuf, size_t errlen)
{
	return usage_open_mode(path, busy_timeout, 0, out, errbuf, errlen);
}

void
usage_close(struct usage *u)
{
	size_t	 i;

	if (u == NULL)
		return;
	/* Under CGI this is the only chance; closing the last connection
	 * checkpoints too, with the same syncs. */
	usage_tidy(u);
	for (i = 0; i < US__COUNT; i++)
		sqlite3_finalize(u->st[i]);
	sqlite3_close(u->h);
	walsync_close(u->ws);
	free(u);
}

const char *
usage_errmsg(struct usage *u)
{
	return u != NULL && u->h != NULL ? sqlite3_errmsg(u->h) :
	    "no usage database";
}

void
usage_tidy(struct usage *u)
{
	char	 sql[64];
	int	 wal = -1, copied = -1;

	if (u == NULL || u->frames < USAGE_CKPT_FRAMES)
		return;
	/*
	 * In the writers' queue, so that no worker appends meanwhile: a
	 * checkpoint that other commits overtake ends short, and the next
	 * request would try again, and sync again.  PASSIVE: copy what no
	 * reader still needs, wait for nobody.  At synchronous=NORMAL the
	 * WAL is synced first and the file after.
	 */
	db_busy_queue(&u->busy, u->ws);
	if (sqlite3_wal_checkpoint_v2(u->h, "main", SQLITE_CHECKPOINT_PASSIVE,
	    &wal, &copied) != SQLITE_OK || wal < 0 || copied != wal) {
		db_busy_unqueue(&u->busy, u->ws);
		return;
	}
	/*
	 * All of it is in the file: the next commit starts the WAL over,
	 * and syncs its new header.  Make that commit here, rather than in
	 * the next request: the schema version written again is the
	 * smallest write there is.  A request that commits first restarts
	 * the WAL itself, paying that one sync.  The commit leaves the
	 * queue.
	 */
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d",
	    LH_USAGE_SCHEMA_VERSION);
	if (usage_begin(u) == LH_OK) {
		if (usage_exec(u, sql) != LH_OK ||
		    usage_commit(u) != LH_OK)
			usage_rollback(u);
	}
	db_busy_unqueue(&u->busy, u->ws);
	u->frames = 0;
}

enum lh_err
usage_check(struct usage *u, char *errbuf, size_t errlen)
{
	enum lh_err	 r;
	int		 version = -1;

	r = usage_version(u, &version);
	return db_sqlite_check(u->h, r, version, LH_USAGE_SCHEMA_VERSION,
	    "usage database", errbuf, errlen);
}

/* The statement for id, prepared on first use, kept across requests. */
static sqlite3_stmt *
usage_stmt(struct usage *u, enum usage_stmt id)
{
	sqlite3_stmt	*st = u->st[id];

	if (st == NULL) {
		if (sqlite3_prepare_v3(u->h, usage_sql[id], -1,
		    SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK)
			return NULL;
		u->st[id] = st;
	}
	return st;
}

/* The error of a failed step or prepare, never LH_OK. */
static enum lh_err
usage_fail(struct usage *u, int rc)
{
	enum lh_err	 r;

	r = db_sqlite_err(rc != SQLITE_OK ? rc : sqlite3_errcode(u->h));
	return r == LH_OK ? LH_ERR_DB : r;
}

/* Run st; with val, read the first column of its one row (0: no row).
 * Reset afterwards, so that no statement holds a snapshot open. */
static enum lh_err
usage_step(struct usage *u, sqlite3_stmt *st, int *val)
{
	int	 rc;

	rc = sqlite3_step(st);
	if (val != NULL)
		*val = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE || (rc == SQLITE_ROW && val != NULL))
		return LH_OK;
	return usage_fail(u, rc);
}

static enum lh_err
usage_run(struct usage *u, enum usage_stmt id)
{
	sqlite3_stmt	*st;

	if ((st = usage_stmt(u, id)) == NULL)
		return usage_fail(u, SQLITE_OK);
	return usage_step(u, st, NULL);
}

/* BEGIN IMMEDIATE, in the writers' queue until COMMIT or ROLLBACK, as
 * db.c does. */
enum lh_err
usage_begin(struct usage *u)
{
	enum lh_err	 r;

	db_busy_queue(&u->busy, u->ws);
	if ((r = usage_run(u, US_BEGIN)) != LH_OK)
		db_busy_unqueue(&u->busy, u->ws);
	return r;
}

enum lh_err
usage_commit(struct usage *u)
{
	enum lh_err	 r;

	/* Still open after a failure: usage_rollback() leaves the queue. */
	if ((r = usage_run(u, US_COMMIT)) == LH_OK ||
	    sqlite3_get_autocommit(u->h))
		db_busy_unqueue(&u->busy, u->ws);
	return r;
}

void
usage_rollback(struct usage *u)
{
	if (u == NULL)
		return;
	if (!sqlite3_get_autocommit(u->h))
		(void)usage_run(u, US_ROLLBACK);
	db_busy_unqueue(&u->busy, u->ws);
}

enum lh_err
usage_rate_hit(struct usage *u, const char *bucket, long long window,
    int *hits)
{
	sqlite3_stmt	*st;

	*hits = 0;
	if ((st = usage_stmt(u, US_RATE_HIT)) == NULL)
		return usage_fail(u, SQLITE_OK);
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, window);
	return usage_step(u, st, hits);
}

enum lh_err
usage_rate_prune(struct usage *u, long long before)
{
	sqlite3_stmt	*st;

	if ((st = usage_stmt(u, US_RATE_PRUNE)) == NULL)
		return usage_fail(u, SQLITE_OK);
	sqlite3_bind_int64(st, 1, before);
	return usage_step(u, st, NULL);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

enum lh_err
usage_log_put(struct usage *u, time_t now, int64_t license_id,
    const char *instance_id, int op, int code, const char *addr,
    const char *country, const char *origin)
{
	sqlite3_stmt	*st;

	if ((st = usage_stmt(u, US_LOG_PUT)) == NULL)
		return usage_fail(u, SQLITE_OK);
	sqlite3_bind_int64(st, 1, (sqlite3_int64)now);
	if (license_id != 0)
		sqlite3_bind_int64(st, 2, license_id);
	else
		sqlite3_bind_null(st, 2);
	bind_text(st, 3, instance_id);
	sqlite3_bind_int(st, 4, op);
	sqlite3_bind_int(st, 5, code);
	bind_text(st, 6, addr);
	bind_text(st, 7, country);
	bind_text(st, 8, origin);
	return usage_step(u, st, NULL);
}
