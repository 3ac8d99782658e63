/*
 * Group commit of the write-ahead log across worker processes.
 *
 * With synchronous=FULL every COMMIT flushes the WAL while it still holds
 * SQLite's one write lock, so events are made durable one at a time and
 * the other workers wait for each flush.  Instead the database runs with
 * synchronous=NORMAL (COMMIT writes its frames, no flush) and a durable
 * COMMIT is followed by walsync_wait(), which returns only once a flush
 * that began after the commit's frames were written has completed.  One
 * flush then covers every commit written before it began, whoever made
 * it, and the write lock is free while the disk works.  Nothing is
 * answered 2xx before its flush, so durability is that of FULL.
 *
 * The counters live in a small shared file next to the database
 * (<database>-sync), mapped by every process that opens it:
 *
 *	issued	the last sequence number handed to a committing writer;
 *		taken under SQLite's write lock, so in commit order;
 *	written	the highest number whose COMMIT returned: as commits are
 *		serialised by that lock, every number up to it is written;
 *	synced	every number up to it is on stable storage;
 *	flushes	how many flushes were made (for bench/run.sh: commits per
 *		flush is issued / flushes).
 *
 * A flush is made under flock() on the file, so that writers who arrive
 * while one is running wait for it, then find their number covered, or
 * make one flush for all of them.  flock() is released when a process
 * dies, so a worker killed mid-flush blocks nobody.  Lost or reset
 * counters cost only extra flushes: a process skips its own flush only
 * when synced has passed its number.
 *
 * The same file queues the writers.  SQLite's own wait for its write
 * lock is a poll: a writer that finds the lock taken sleeps and tries
 * again, and with several workers most of their time went to those
 * naps and retries.  walsync_enter() instead waits in the kernel for a
 * byte of this file (an open file description lock, so that nothing
 * else this process opens or closes can drop it), and the workers take
 * their turns at SQLite's lock as each one ends its transaction.  The
 * queue only orders the writers: SQLite's lock still decides, so a
 * process that does not queue (an sqlite3 shell) is waited for as
 * before.
 * Where the system has no such locks, walsync_enter() does nothing.
 */
#define _GNU_SOURCE	/* F_OFD_SETLKW: Linux's open file description locks */

#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lh.h"
#include "io.h"

#define WALSYNC_MAGIC	"lhsync1"
#define WALSYNC_SIZE	4096
#define WALSYNC_QUEUE	512	/* the byte the writers queue on */

/* The shared page; each counter on its own cache line. */
struct walsync_page {
	char		 magic[8];
	char		 pad0[56];
	uint64_t	 issued;
	char		 pad1[56];
	uint64_t	 written;
	char		 pad2[56];
	uint64_t	 synced;
	char		 pad3[56];
	uint64_t	 flushes;	/* at offset 256 */
};

struct walsync {
	int			 fd;
	int			 queued;	/* this process holds the queue */
	struct walsync_page	*page;
};

/* *p = max(*p, v), atomically. */
static void
walsync_raise(uint64_t *p, uint64_t v)
{
	uint64_t	 cur = __atomic_load_n(p, __ATOMIC_ACQUIRE);

	while (cur < v && !__atomic_compare_exchange_n(p, &cur, v, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
}

static int
walsync_lock(int fd, int op)
{
	while (flock(fd, op) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}

struct walsync *
walsync_open(const char *dbpath, char *errbuf, size_t errlen)
{
	struct walsync	*ws;
	struct stat	 st;
	char		 path[LH_PATH_MAX + 8];
	void		*map;
	int		 fd;

	if ((size_t)snprintf(path, sizeof(path), "%s-sync", dbpath) >=
	    sizeof(path)) {
		snprintf(errbuf, errlen, "%s-sync: path too long", dbpath);
		return NULL;
	}
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
	    0640)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	/* Size and stamp it once, under the lock: two workers may start
	 * together. */
	if (walsync_lock(fd, LOCK_EX) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode) ||
	    (st.st_size < WALSYNC_SIZE && ftruncate(fd, WALSYNC_SIZE) == -1)) {
		snprintf(errbuf, errlen, "%s: %s", path, S_ISREG(st.st_mode) ?
		    strerror(errno) : "not a regular file");
		close(fd);
		return NULL;
	}
	map = mmap(NULL, WALSYNC_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (map == MAP_FAILED) {
		snprintf(errbuf, errlen, "%s: mmap: %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	if ((ws = calloc(1, sizeof(*ws))) == NULL) {
		snprintf(errbuf, errlen, "out of memory");
		munmap(map, WALSYNC_SIZE);
		close(fd);
		return NULL;
	}
	ws->fd = fd;
	ws->page = map;
	/* A file that is not ours starts over: the counters only decide
	 * which flushes may be skipped, and zeros skip none. */
	if (memcmp(ws->page->magic, WALSYNC_MAGIC, sizeof(WALSYNC_MAGIC))
	    != 0) {
		memset(ws->page, 0, sizeof(*ws->page));
		memcpy(ws->page->magic, WALSYNC_MAGIC, sizeof(WALSYNC_MAGIC));
	}
	(void)walsync_lock(fd, LOCK_UN);
	return ws;
}

void
walsync_close(struct walsync *ws)
{
	if (ws == NULL)
		return;
	munmap(ws->page, WALSYNC_SIZE);
	close(ws->fd);
	free(ws);
}

uint64_t
walsync_issue(struct walsync *ws)
{
	return __atomic_add_fetch(&ws->page->issued, 1, __ATOMIC_ACQ_REL);
}

void
walsync_written(struct walsync *ws, uint64_t seq)
{
	walsync_raise(&ws->page->written, seq);
}

uint64_t
walsync_horizon(struct walsync *ws)
{
	return __atomic_load_n(&ws->page->issued, __ATOMIC_ACQUIRE);
}

enum lh_err
walsync_wait(struct walsync *ws, uint64_t need, walsync_flush_fn flush,
    void *arg)
{
	uint64_t	 upto;
	enum lh_err	 r;

	if (__atomic_load_n(&ws->page->synced, __ATOMIC_ACQUIRE) >= need)
		return LH_OK;
	if (walsync_lock(ws->fd, LOCK_EX) == -1)
		return LH_ERR_DB_IO;
	if (__atomic_load_n(&ws->page->synced, __ATOMIC_ACQUIRE) >= need) {
		(void)walsync_lock(ws->fd, LOCK_UN);
		return LH_OK;
	}
	/* Everything up to written is in the WAL before this flush. */
	upto = __atomic_load_n(&ws->page->written, __ATOMIC_ACQUIRE);
	if ((r = flush(arg)) == LH_OK) {
		walsync_raise(&ws->page->synced, upto);
		__atomic_add_fetch(&ws->page->flushes, 1, __ATOMIC_RELAXED);
	}
	(void)walsync_lock(ws->fd, LOCK_UN);
	return r;
}

#ifdef F_OFD_SETLKW
static int
walsync_queue_lock(int fd, short type)
{
	struct flock	 fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = type;
	fl.l_whence = SEEK_SET;
	fl.l_start = WALSYNC_QUEUE;
	fl.l_len = 1;
	while (fcntl(fd, F_OFD_SETLKW, &fl) == -1)
		if (errno != EINTR)
			return -1;
	return 0;
}
#endif

/*
 * Wait for this process's turn to write.  A failure only loses the
 * queue's order: the caller goes on, and SQLite's lock still decides.
 */
void
walsync_enter(struct walsync *ws)
{
	if (ws == NULL || ws->queued)
		return;
#ifdef F_OFD_SETLKW
	ws->queued = walsync_queue_lock(ws->fd, F_WRLCK) == 0;
#endif
}

void
walsync_leave(struct walsync *ws)
{
	if (ws == NULL || !ws->queued)
		return;
#ifdef F_OFD_SETLKW
	(void)walsync_queue_lock(ws->fd, F_UNLCK);
#endif
	ws->queued = 0;
}
