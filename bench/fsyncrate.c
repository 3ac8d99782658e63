/*
 * fsyncrate: what the disk under DIR allows a durable webhook path, as
 * bench/run.sh reports it next to the webhook figures.
 *
 *	cc -O2 -o fsyncrate fsyncrate.c -lsqlite3
 *	fsyncrate DIR SECONDS
 *
 * Two single-process loops, SECONDS/2 each, in files it creates in DIR
 * (and removes):
 *
 *   raw	append 4 KiB, fdatasync(2); the storage's own flush rate
 *   full	SQLite in WAL mode with synchronous=FULL, as licensehook opens
 *		its database: BEGIN IMMEDIATE, one INSERT of a 2 KiB blob (the
 *		size of a Stripe event body), COMMIT.  Each COMMIT appends the
 *		frames to the WAL and fsyncs it (SQLite docs, "PRAGMA
 *		synchronous": FULL in WAL mode syncs the WAL at every commit);
 *		the automatic checkpoint every 1000 pages is included, as it
 *		is in licensehook.
 *
 * Prints one line, "raw_per_s=N full_commits_per_s=N".  One writer at a
 * time is all SQLite allows, so "full" bounds any SQLite webhook
 * receiver that commits each event on its own.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define FSR_BLOCK	4096	/* bytes per raw append */
#define FSR_BODY	2048	/* bytes per SQLite row, an event body */

static int	 exec_ok(sqlite3 *, const char *);
static double	 now_s(void);
static double	 raw_rate(const char *, double);
static double	 full_rate(const char *, double);

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
raw_rate(const char *dir, double secs)
{
	char		 path[4096], block[FSR_BLOCK];
	double		 t0, t;
	off_t		 off = 0;
	long		 n = 0;
	int		 fd;

	snprintf(path, sizeof(path), "%s/fsyncrate.raw", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1) {
		perror(path);
		return -1;
	}
	memset(block, 'x', sizeof(block));
	t0 = now_s();
	do {
		if (pwrite(fd, block, sizeof(block), off) !=
		    (ssize_t)sizeof(block) || fdatasync(fd) == -1) {
			perror(path);
			close(fd);
			unlink(path);
			return -1;
		}
		off += sizeof(block);
		n++;
	} while ((t = now_s()) - t0 < secs);
	close(fd);
	unlink(path);
	return (double)n / (t - t0);
}

static int
exec_ok(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		fprintf(stderr, "fsyncrate: %s: %s\n", sql, sqlite3_errmsg(db));
		return 0;
	}
	return 1;
}

static double
full_rate(const char *dir, double secs)
{
	static const char *const	 sfx[] = { "", "-wal", "-shm" };
	sqlite3				*db = NULL;
	sqlite3_stmt			*ins = NULL;
	char				 path[4096], gone[4200], body[FSR_BODY];
	double				 t0, t, rate = -1;
	long				 n = 0;
	size_t				 i;

	snprintf(path, sizeof(path), "%s/fsyncrate.db", dir);
	for (i = 0; i < 3; i++) {
		snprintf(gone, sizeof(gone), "%s%s", path, sfx[i]);
		unlink(gone);
	}
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		fprintf(stderr, "fsyncrate: %s: %s\n", path,
		    sqlite3_errmsg(db));
		goto out;
	}
	if (!exec_ok(db, "PRAGMA journal_mode = WAL") ||
	    !exec_ok(db, "PRAGMA synchronous = FULL") ||
	    !exec_ok(db, "CREATE TABLE t (id INTEGER PRIMARY KEY,"
	    " body BLOB NOT NULL)"))
		goto out;
	if (sqlite3_prepare_v2(db, "INSERT INTO t (body) VALUES (?1)", -1,
	    &ins, NULL) != SQLITE_OK)
		goto out;
	memset(body, '{', sizeof(body));
	t0 = now_s();
	do {
		if (!exec_ok(db, "BEGIN IMMEDIATE"))
			goto out;
		sqlite3_bind_blob(ins, 1, body, sizeof(body), SQLITE_STATIC);
		if (sqlite3_step(ins) != SQLITE_DONE) {
			fprintf(stderr, "fsyncrate: insert: %s\n",
			    sqlite3_errmsg(db));
			goto out;
		}
		sqlite3_reset(ins);
		if (!exec_ok(db, "COMMIT"))
			goto out;
		n++;
	} while ((t = now_s()) - t0 < secs);
	rate = (double)n / (t - t0);
 out:
	sqlite3_finalize(ins);
	sqlite3_close(db);
	for (i = 0; i < 3; i++) {
		snprintf(gone, sizeof(gone), "%s%s", path, sfx[i]);
		unlink(gone);
	}
	return rate;
}

int
main(int argc, char *argv[])
{
	double	 secs, raw, full;

	if (argc != 3 || (secs = strtod(argv[2], NULL)) <= 0) {
		fprintf(stderr, "usage: fsyncrate DIR SECONDS\n");
		return 2;
	}
	if ((raw = raw_rate(argv[1], secs / 2)) < 0 ||
	    (full = full_rate(argv[1], secs / 2)) < 0)
		return 1;
	printf("raw_per_s=%.0f full_commits_per_s=%.0f\n", raw, full);
	return 0;
}
