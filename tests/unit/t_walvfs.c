/*
 * walvfs.c against real SQLite files.  A counting VFS is made the
 * default first, so that walvfs wraps it: it records every write to a
 * WAL file (how many, how large) and can fail the next one.  Then:
 * a commit of many frames reaches the WAL in one write, a large one in
 * writes no larger than the unix VFS takes, a one-frame commit as
 * before; what a connection through walvfs commits, a connection
 * through the default VFS reads at once, and the file passes
 * integrity_check; a failed write fails its COMMIT and leaves nothing;
 * the WAL of a writer that died is recovered whole from the file.
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "lh.h"
#include "io.h"
#include "tap.h"

static sqlite3_vfs	*base;
static sqlite3_vfs	 counting;
static int		 wal_writes, wal_biggest, fail_next;

struct cfile {
	sqlite3_file	 base;
	sqlite3_file	*real;
};

static int
c_close(sqlite3_file *f)
{
	return ((struct cfile *)f)->real->pMethods->xClose(
	    ((struct cfile *)f)->real);
}

static int
c_read(sqlite3_file *f, void *p, int n, sqlite3_int64 off)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xRead(r, p, n, off);
}

static int
c_write(sqlite3_file *f, const void *p, int n, sqlite3_int64 off)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	if (fail_next) {
		fail_next = 0;
		return SQLITE_IOERR_WRITE;
	}
	wal_writes++;
	if (n > wal_biggest)
		wal_biggest = n;
	return r->pMethods->xWrite(r, p, n, off);
}

static int
c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xTruncate(r, size);
}

static int
c_sync(sqlite3_file *f, int flags)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xSync(r, flags);
}

static int
c_size(sqlite3_file *f, sqlite3_int64 *size)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xFileSize(r, size);
}

static int
c_lock(sqlite3_file *f, int l)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xLock(r, l);
}

static int
c_unlock(sqlite3_file *f, int l)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xUnlock(r, l);
}

static int
c_reserved(sqlite3_file *f, int *out)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xCheckReservedLock(r, out);
}

static int
c_control(sqlite3_file *f, int op, void *arg)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xFileControl(r, op, arg);
}

static int
c_sector(sqlite3_file *f)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xSectorSize(r);
}

static int
c_device(sqlite3_file *f)
{
	sqlite3_file	*r = ((struct cfile *)f)->real;

	return r->pMethods->xDeviceCharacteristics(r);
}

static const sqlite3_io_methods c_methods = {
	1, c_close, c_read, c_write, c_truncate, c_sync, c_size, c_lock,
	c_unlock, c_reserved, c_control, c_sector, c_device,
	NULL, NULL, NULL, NULL, NULL, NULL
};

/* WAL files are counted; the rest are the base VFS's, in place. */
static int
c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags,
    int *out)
{
	struct cfile	*f = (struct cfile *)file;
	int		 rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return base->xOpen(base, name, file, flags, out);
	f->real = (sqlite3_file *)(f + 1);
	rc = base->xOpen(base, name, f->real, flags, out);
	f->base.pMethods = rc == SQLITE_OK && f->real->pMethods != NULL ?
	    &c_methods : NULL;
	return rc;
}

/* Every other method is the base VFS's own. */
static int
c_delete(sqlite3_vfs *v, const char *n, int d)
{
	(void)v;
	return base->xDelete(base, n, d);
}

static int
c_access(sqlite3_vfs *v, const char *n, int fl, int *o)
{
	(void)v;
	return base->xAccess(base, n, fl, o);
}

static int
c_full(sqlite3_vfs *v, const char *n, int l, char *o)
{
	(void)v;
	return base->xFullPathname(base, n, l, o);
}

static int
c_random(sqlite3_vfs *v, int n, char *o)
{
	(void)v;
	return base->xRandomness(base, n, o);
}

static int
c_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return base->xSleep(base, us);
}

static int
c_time(sqlite3_vfs *v, double *o)
{
	(void)v;
	return base->xCurrentTime(base, o);
}

static int
c_error(sqlite3_vfs *v, int n, char *o)
{
	(void)v;
	return base->xGetLastError(base, n, o);
}

static int
c_time64(sqlite3_vfs *v, sqlite3_int64 *o)
{
	(void)v;
	return base->xCurrentTimeInt64(base, o);
}

static int
exec(sqlite3 *h, const char *sql)
{
	return sqlite3_exec(h, sql, NULL, NULL, NULL);
}

static long long
scalar(sqlite3 *h, const char *sql)
{
	sqlite3_stmt	*st = NULL;
	long long	 v = -1;

	if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Insert n rows of a 3000-byte blob in one transaction: about n pages. */
static int
insert_rows(sqlite3 *h, int n)
{
	char	 sql[160];

	snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; WITH RECURSIVE c(i) AS"
	    " (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < %d)"
	    " INSERT INTO t (b) SELECT randomblob(3000) FROM c; COMMIT", n);
	return exec(h, sql);
}

int
main(void)
{
	char		 dir[] = "/tmp/t_walvfs.XXXXXX", path[64], shm[80];
	char		 wal[80];
	const char	*name;
	sqlite3		*w = NULL, *r = NULL;
	long long	 before, want, i;
	pid_t		 pid;
	int		 status, rc;

	if (mkdtemp(dir) == NULL) {
		printf("Bail out! no scratch space\n");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/t.db", dir);
	base = sqlite3_vfs_find(NULL);
	counting = *base;
	counting.zName = "counting";
	counting.szOsFile = (int)sizeof(struct cfile) + base->szOsFile;
	counting.xOpen = c_open;
	counting.xDelete = c_delete;
	counting.xAccess = c_access;
	counting.xFullPathname = c_full;
	counting.xRandomness = c_random;
	counting.xSleep = c_sleep;
	counting.xCurrentTime = c_time;
	counting.xGetLastError = c_error;
	counting.xCurrentTimeInt64 = c_time64;
	counting.iVersion = 2;
	if (sqlite3_vfs_register(&counting, 1) != SQLITE_OK) {
		printf("Bail out! cannot register the counting VFS\n");
		return 1;
	}

	name = walvfs_name();
	ok(name != NULL && strcmp(name, walvfs_name()) == 0,
	    "the VFS registers once, as %s", name ? name : "(none)");
	ok(sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE, name) == SQLITE_OK &&
	    exec(w, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
	    " PRAGMA wal_autocheckpoint = 0;"
	    " CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)") == SQLITE_OK,
	    "a WAL database made through it");
	ok(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, "counting") ==
	    SQLITE_OK, "and opened again through the default VFS");

	wal_writes = 0;
	is_int(insert_rows(w, 15), SQLITE_OK, "a commit of about 15 pages");
	is_int(wal_writes, 1, "reaches the WAL in one write");
	is_int(scalar(r, "SELECT count(*) FROM t"), 15,
	    "the other connection reads all 15 rows at once");

	wal_writes = 0;
	exec(w, "UPDATE t SET id = id WHERE id = 1");
	ok(wal_writes >= 1 && wal_writes <= 2,
	    "a commit of one page: written as before (%d writes)",
	    wal_writes);

	wal_writes = 0;
	wal_biggest = 0;
	is_int(insert_rows(w, 300), SQLITE_OK, "a commit of about 300 pages");
	ok(wal_writes > 1 && wal_biggest <= 96 * 1024,
	    "in %d writes of at most 96 KiB (the largest %d bytes)",
	    wal_writes, wal_biggest);
	is_int(scalar(r, "SELECT count(*) FROM t"), 315,
	    "the other connection reads all 315 rows");

	/* A write that fails: its COMMIT fails, nothing of it is seen. */
	before = scalar(r, "SELECT count(*) FROM t");
	fail_next = 1;
	rc = insert_rows(w, 15);
	ok(rc != SQLITE_OK, "a failed WAL write fails the commit: %s",
	    sqlite3_errstr(rc));
	exec(w, "ROLLBACK");
	fail_next = 0;
	is_int(scalar(r, "SELECT count(*) FROM t"), before,
	    "and nothing of it is seen");
	is_int(insert_rows(w, 15), SQLITE_OK, "the next commit goes through");
	is_int(scalar(r, "SELECT count(*) FROM t"), before + 15,
	    "and is seen");

	/* Rows rewritten within one transaction, with SQLite's cache too
	 * small to hold them: pages spill to the WAL and are written again
	 * in place before the commit. */
	exec(w, "PRAGMA cache_size = 10");
	ok(exec(w, "BEGIN IMMEDIATE; UPDATE t SET b = randomblob(3000);"
	    " UPDATE t SET b = randomblob(2999); COMMIT") == SQLITE_OK,
	    "a transaction that spills and rewrites pages commits");
	is_int(scalar(r, "SELECT count(*) FROM t WHERE length(b) = 2999"),
	    before + 15, "the other connection reads every row's last "
	    "version");
	sqlite3_close(w);
	w = NULL;
	ok(scalar(r, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'") == 1, "integrity_check: ok");
	sqlite3_close(r);
	r = NULL;

	/*
	 * A writer that dies after its commit, as a killed worker does:
	 * its WAL is all there is.  Without the -shm file the next
	 * connection rebuilds the index from the WAL, checking every
	 * frame's checksum: the commits are there only if every frame the
	 * VFS gathered reached the file whole.
	 */
	fflush(stdout);	/* under valgrind a child's _exit() flushes it */
	if ((pid = fork()) == 0) {
		if (sqlite3_open_v2(path, &w, SQLITE_OPEN_READWRITE, name) !=
		    SQLITE_OK || exec(w, "PRAGMA wal_autocheckpoint = 0;"
		    " PRAGMA cache_size = 10") != SQLITE_OK ||
		    insert_rows(w, 15) != SQLITE_OK ||
		    exec(w, "BEGIN IMMEDIATE; UPDATE t SET b = randomblob(3000)"
		    " WHERE id % 2 = 0; DELETE FROM t WHERE id % 7 = 0;"
		    " COMMIT") != SQLITE_OK)
			_exit(1);
		_exit(0);	/* no close: the WAL stays */
	}
	ok(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "a writer committed and died");
	snprintf(shm, sizeof(shm), "%s-shm", path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	ok(access(wal, F_OK) == 0 && unlink(shm) == 0,
	    "its WAL is there; the -shm file removed");
	want = 0;
	for (i = 1; i <= before + 30; i++)
		want += i % 7 != 0;
	ok(sqlite3_open_v2(path, &r, SQLITE_OPEN_READWRITE, "counting") ==
	    SQLITE_OK && scalar(r, "SELECT count(*) FROM t") == want,
	    "recovered from the WAL: every committed row (%lld)", want);
	ok(scalar(r, "SELECT count(*) FROM pragma_integrity_check"
	    " WHERE integrity_check = 'ok'") == 1,
	    "recovered: integrity_check ok");
	sqlite3_close(r);

	unlink(wal);
	unlink(shm);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
