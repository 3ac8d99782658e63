/*
 * An SQLite VFS that writes a transaction's WAL frames with one write.
 *
 * SQLite writes each WAL frame as two writes, its 24-byte header and its
 * page, so an event that changes 15 pages costs 30 pwrite() calls, and
 * on a machine where the CPU is the limit those calls were the largest
 * share of a webhook's cost.  This VFS passes everything through to the
 * default one, except that it gathers the contiguous writes to a WAL
 * file in a buffer and writes them at once when the commit frame (a
 * frame whose header gives the database size) is complete, returning
 * that write's result as the commit frame's own (a transaction of one
 * frame is written as before).  So a commit's frames are all in the
 * file before the commit frame's write returns, which is before SQLite
 * publishes them in the WAL index or syncs, exactly as without the
 * buffer; a frame that never reaches the file is one of a transaction
 * that never committed.  Any other use of the file (a read, a sync, a
 * size, a truncation, a write elsewhere, close) writes what is gathered
 * first, so writes reach the file in SQLite's order.
 */
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "lh.h"
#include "io.h"

#define WALVFS_NAME	"licensehook"
#define WAL_FRAME_HDR	24
/* Gathered bytes, at most: SQLite's unix VFS writes at most 128 KiB - 1
 * in one call (seekAndWrite() masks the length to 17 bits). */
#define WALVFS_MAX	(96 * 1024)

struct walvfs_file {
	sqlite3_file	 base;		/* our methods */
	sqlite3_file	*real;		/* the default VFS's file, after us */
	unsigned char	*buf;		/* gathered writes, WALVFS_MAX */
	size_t		 len;
	sqlite3_int64	 off;		/* where buf[0] goes */
	int		 commit;	/* the last header was a commit's */
};

static sqlite3_vfs	*walvfs_real;

/* Write what is gathered; the default VFS's result. */
static int
walvfs_flush(struct walvfs_file *f)
{
	int	 rc;

	if (f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	f->len = 0;
	return rc;
}

static int
walvfs_close(sqlite3_file *file)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc, rc2;

	rc = walvfs_flush(f);
	rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = NULL;
	return rc != SQLITE_OK ? rc : rc2;
}

static int
walvfs_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc;

	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	return f->real->pMethods->xRead(f->real, p, n, off);
}

/* Room for n more bytes in buf, made on first use. */
static int
walvfs_room(struct walvfs_file *f, size_t n)
{
	if (f->buf == NULL && (f->buf = malloc(WALVFS_MAX)) == NULL)
		return 0;
	return f->len + n <= WALVFS_MAX;
}

static int
walvfs_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	const unsigned char	*b = p;
	int			 rc, hdr, commit;

	hdr = n == WAL_FRAME_HDR;
	/* Bytes 4..7 of a frame header: the database size after a commit,
	 * else 0. */
	commit = hdr && (b[4] | b[5] | b[6] | b[7]) != 0;
	/* Not the next byte, or no room: write what is gathered first. */
	if (f->len > 0 && (off != f->off + (sqlite3_int64)f->len ||
	    !walvfs_room(f, (size_t)n))) {
		if ((rc = walvfs_flush(f)) != SQLITE_OK)
			return rc;
	}
	/*
	 * Gathering starts only at the header of a frame that is not a
	 * commit: a commit frame's header written on its own may be one
	 * that SQLite rewrites with new checksums after the frames, which
	 * no page write follows.  A commit frame's header that follows the
	 * gathered frames is always followed by its page.
	 */
	if (f->len == 0) {
		if (!hdr || commit || !walvfs_room(f, (size_t)n))
			return f->real->pMethods->xWrite(f->real, p, n, off);
		f->off = off;
	}
	memcpy(f->buf + f->len, b, (size_t)n);
	f->len += (size_t)n;
	if (hdr) {
		f->commit = commit;
		return SQLITE_OK;
	}
	/* The commit frame is complete: all of it goes now. */
	return f->commit ? walvfs_flush(f) : SQLITE_OK;
}

static int
walvfs_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc;

	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	return f->real->pMethods->xTruncate(f->real, size);
}

static int
walvfs_sync(sqlite3_file *file, int flags)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc;

	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	return f->real->pMethods->xSync(f->real, flags);
}

static int
walvfs_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc;

	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	return f->real->pMethods->xFileSize(f->real, size);
}

static int
walvfs_lock(sqlite3_file *file, int lock)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;

	return f->real->pMethods->xLock(f->real, lock);
}

static int
walvfs_unlock(sqlite3_file *file, int lock)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;

	return f->real->pMethods->xUnlock(f->real, lock);
}

static int
walvfs_reserved(sqlite3_file *file, int *out)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int
walvfs_control(sqlite3_file *file, int op, void *arg)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc;

	if ((rc = walvfs_flush(f)) != SQLITE_OK)
		return rc;
	return f->real->pMethods->xFileControl(f->real, op, arg);
}

static int
walvfs_sector(sqlite3_file *file)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;

	return f->real->pMethods->xSectorSize(f->real);
}

static int
walvfs_device(sqlite3_file *file)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* A WAL file has no shared memory and is never memory-mapped. */
static const sqlite3_io_methods walvfs_methods = {
	1,
	walvfs_close,
	walvfs_read,
	walvfs_write,
	walvfs_truncate,
	walvfs_sync,
	walvfs_size,
	walvfs_lock,
	walvfs_unlock,
	walvfs_reserved,
	walvfs_control,
	walvfs_sector,
	walvfs_device,
	NULL, NULL, NULL, NULL, NULL, NULL
};

/* A WAL file gets our methods; any other file is the default VFS's own,
 * in place. */
static int
walvfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
    int flags, int *out)
{
	struct walvfs_file	*f = (struct walvfs_file *)file;
	int			 rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return walvfs_real->xOpen(walvfs_real, name, file, flags, out);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = walvfs_real->xOpen(walvfs_real, name, f->real, flags, out);
	if (rc == SQLITE_OK && f->real->pMethods != NULL)
		f->base.pMethods = &walvfs_methods;
	return rc;
}

static int
walvfs_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
	(void)vfs;
	return walvfs_real->xDelete(walvfs_real, name, dirsync);
}

static int
walvfs_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
	(void)vfs;
	return walvfs_real->xAccess(walvfs_real, name, flags, out);
}

static int
walvfs_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
	(void)vfs;
	return walvfs_real->xFullPathname(walvfs_real, name, n, out);
}

static int
walvfs_random(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return walvfs_real->xRandomness(walvfs_real, n, out);
}

static int
walvfs_sleep(sqlite3_vfs *vfs, int us)
{
	(void)vfs;
	return walvfs_real->xSleep(walvfs_real, us);
}

static int
walvfs_time(sqlite3_vfs *vfs, double *out)
{
	(void)vfs;
	return walvfs_real->xCurrentTime(walvfs_real, out);
}

static int
walvfs_error(sqlite3_vfs *vfs, int n, char *out)
{
	(void)vfs;
	return walvfs_real->xGetLastError(walvfs_real, n, out);
}

static int
walvfs_time64(sqlite3_vfs *vfs, sqlite3_int64 *out)
{
	(void)vfs;
	return walvfs_real->xCurrentTimeInt64(walvfs_real, out);
}

static sqlite3_vfs	walvfs = {
	2,			/* iVersion */
	0,			/* szOsFile, set when registered */
	0,			/* mxPathname */
	NULL,			/* pNext */
	WALVFS_NAME,
	NULL,			/* pAppData */
	walvfs_open,
	walvfs_delete,
	walvfs_access,
	walvfs_fullpath,
	NULL, NULL, NULL, NULL,	/* no loadable extensions */
	walvfs_random,
	walvfs_sleep,
	walvfs_time,
	walvfs_error,
	walvfs_time64,
	NULL, NULL, NULL	/* version 3 */
};

const char *
walvfs_name(void)
{
	static int	 state;	/* 0: not tried, 1: registered, -1: failed */
	sqlite3_vfs	*real;

	if (state == 0) {
		state = -1;
		if ((real = sqlite3_vfs_find(NULL)) != NULL &&
		    real->iVersion >= 2 && real->xCurrentTimeInt64 != NULL) {
			walvfs_real = real;
			walvfs.szOsFile = (int)sizeof(struct walvfs_file) +
			    real->szOsFile;
			walvfs.mxPathname = real->mxPathname;
			if (sqlite3_vfs_register(&walvfs, 0) == SQLITE_OK)
				state = 1;
		}
	}
	return state == 1 ? WALVFS_NAME : NULL;
}
