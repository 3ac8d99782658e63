/*
 * walsync.c: the group-commit protocol between processes, without
 * SQLite.  Writers in several forked processes take a stand-in for
 * SQLite's write lock, "commit" under it, then wait; the flush callback
 * numbers each flush as it starts and marks it done as it ends.  Every
 * wait that returns must be covered by a flush that started after the
 * writer's commit and has ended; and fewer flushes than commits must have
 * been made.  Then the writers' queue: processes that walsync_enter()
 * are never inside together, and neither the flush's flock() nor a
 * queued process that dies holds the others up.
 */
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lh.h"
#include "io.h"
#include "tap.h"

#define WRITERS		4
#define COMMITS		300	/* per writer */
#define QROUNDS		200	/* turns per writer in the queue */
#define FLUSHES_MAX	(WRITERS * COMMITS + 16)

/* Shared between the forked writers. */
struct board {
	uint64_t	 started;		/* flushes begun */
	uint8_t		 done[FLUSHES_MAX + 1];	/* flush n has ended */
	uint64_t	 uncovered;		/* waits with no covering flush */
	uint64_t	 waits;
	int		 fail_next;		/* the next flush fails */
	int		 inside;		/* queued writers inside now */
	int		 overlaps;		/* times two were inside */
	int		 turns;
};

static struct board	*board;

static enum lh_err
flush(void *arg)
{
	uint64_t	 id;
	struct timespec	 nap = { 0, 300000 };

	(void)arg;
	id = __atomic_add_fetch(&board->started, 1, __ATOMIC_ACQ_REL);
	nanosleep(&nap, NULL);		/* a disk, busy for a while */
	if (__atomic_exchange_n(&board->fail_next, 0, __ATOMIC_ACQ_REL))
		return LH_ERR_DB_IO;
	if (id <= FLUSHES_MAX)
		__atomic_store_n(&board->done[id], 1, __ATOMIC_RELEASE);
	return LH_OK;
}

/* Some flush numbered after s0 has ended. */
static int
covered(uint64_t s0)
{
	uint64_t	 n, i;

	n = __atomic_load_n(&board->started, __ATOMIC_ACQUIRE);
	for (i = s0 + 1; i <= n && i <= FLUSHES_MAX; i++)
		if (__atomic_load_n(&board->done[i], __ATOMIC_ACQUIRE))
			return 1;
	return 0;
}

static void
writer(const char *db, const char *lockpath, int n)
{
	struct walsync	*ws;
	char		 errbuf[256];
	uint64_t	 seq, s0;
	int		 lk, i;

	if ((ws = walsync_open(db, errbuf, sizeof(errbuf))) == NULL ||
	    (lk = open(lockpath, O_RDWR | O_CREAT, 0600)) == -1)
		_exit(2);
	for (i = 0; i < n; i++) {
		flock(lk, LOCK_EX);		/* SQLite's write lock */
		seq = walsync_issue(ws);
		flock(lk, LOCK_UN);		/* COMMIT returned */
		/* Flushes begun before this point cannot cover it. */
		s0 = __atomic_load_n(&board->started, __ATOMIC_ACQUIRE);
		walsync_written(ws, seq);
		if (walsync_wait(ws, seq, flush, NULL) != LH_OK)
			_exit(3);
		__atomic_add_fetch(&board->waits, 1, __ATOMIC_ACQ_REL);
		if (!covered(s0))
			__atomic_add_fetch(&board->uncovered, 1,
			    __ATOMIC_ACQ_REL);
	}
	walsync_close(ws);
	_exit(0);
}

/* Take QROUNDS turns in the queue, each a short while inside. */
static void
queuer(const char *db)
{
	struct walsync	*ws;
	struct timespec	 nap = { 0, 20000 };
	char		 errbuf[256];
	int		 i;

	if ((ws = walsync_open(db, errbuf, sizeof(errbuf))) == NULL)
		_exit(2);
	for (i = 0; i < QROUNDS; i++) {
		walsync_enter(ws);
		walsync_enter(ws);	/* a second enter is a no-op */
		if (__atomic_add_fetch(&board->inside, 1, __ATOMIC_ACQ_REL) >
		    1)
			__atomic_add_fetch(&board->overlaps, 1,
			    __ATOMIC_ACQ_REL);
		nanosleep(&nap, NULL);
		__atomic_add_fetch(&board->turns, 1, __ATOMIC_ACQ_REL);
		__atomic_sub_fetch(&board->inside, 1, __ATOMIC_ACQ_REL);
		walsync_leave(ws);
		walsync_leave(ws);
	}
	walsync_close(ws);
	_exit(0);
}

/* Run fn(db) in a child given 5 s: 1 if it returned in time. */
static int
in_time(void (*fn)(const char *), const char *db)
{
	pid_t	 pid;
	int	 status;

	fflush(stdout);		/* or a child's exit may print it again */
	if ((pid = fork()) == 0) {
		alarm(5);
		fn(db);
		_exit(0);
	}
	return pid > 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void
enter_and_leave(const char *db)
{
	struct walsync	*ws;
	char		 errbuf[256];

	if ((ws = walsync_open(db, errbuf, sizeof(errbuf))) == NULL)
		_exit(2);
	walsync_enter(ws);
	walsync_leave(ws);
	walsync_close(ws);
}

/*
 * A child opens the file (walsync_open() takes the flock() for a moment),
 * the parent then holds the flock() as a flush does, and the child must
 * still enter the queue and leave it within 5 s.
 */
static int
flock_then_enter(const char *db, const char *syncpath)
{
	struct walsync	*ws;
	char		 errbuf[256], c = 0;
	int		 go[2], ready[2], fd, status, held;
	pid_t		 pid;

	if (pipe(go) == -1 || pipe(ready) == -1)
		return 0;
	fflush(stdout);		/* or a child's exit may print it again */
	if ((pid = fork()) == 0) {
		alarm(5);
		if ((ws = walsync_open(db, errbuf, sizeof(errbuf))) == NULL ||
		    write(ready[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(2);
		walsync_enter(ws);
		walsync_leave(ws);
		walsync_close(ws);
		_exit(0);
	}
	held = read(ready[0], &c, 1) == 1 &&
	    (fd = open(syncpath, O_RDWR)) != -1 && flock(fd, LOCK_EX) == 0;
	(void)write(go[1], &c, 1);
	if (pid <= 0 || waitpid(pid, &status, 0) != pid)
		return 0;
	if (held)
		close(fd);
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	return held && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Die in the queue, as a worker killed mid-transaction does.  (Kept
 * where memcheck sees it: dying with it is the point, not a leak.) */
static struct walsync	*volatile dying;

static void
enter_and_die(const char *db)
{
	char		 errbuf[256];

	if ((dying = walsync_open(db, errbuf, sizeof(errbuf))) == NULL)
		_exit(2);
	walsync_enter(dying);
	_exit(0);
}

int
main(void)
{
	struct walsync	*ws;
	char		 dir[] = "/tmp/t_walsync.XXXXXX", db[64], lockpath[64];
	char		 syncpath[80], errbuf[256], junk[64];
	uint64_t	 seq;
	int		 i, status, clean = 1, fd;
	pid_t		 pid;

	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED || mkdtemp(dir) == NULL) {
		printf("Bail out! no scratch space\n");
		return 1;
	}
	snprintf(db, sizeof(db), "%s/lh.db", dir);
	snprintf(lockpath, sizeof(lockpath), "%s/lock", dir);
	snprintf(syncpath, sizeof(syncpath), "%s-sync", db);

	for (i = 0; i < WRITERS; i++)
		if ((pid = fork()) == 0)
			writer(db, lockpath, COMMITS);
	while ((pid = wait(&status)) > 0)
		clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(clean, "%d writers x %d commits ran", WRITERS, COMMITS);
	is_int(board->waits, WRITERS * COMMITS, "every wait returned");
	is_int(board->uncovered, 0, "every wait was covered by a flush "
	    "begun after its commit and ended before it returned");
	ok(board->started >= 1 && board->started < WRITERS * COMMITS,
	    "commits were grouped: %llu flushes for %d commits",
	    (unsigned long long)board->started, WRITERS * COMMITS);

	/* The flush count bench/run.sh reads, at offset 256. */
	seq = 0;
	if ((fd = open(syncpath, O_RDONLY)) != -1 &&
	    pread(fd, &seq, sizeof(seq), 256) != (ssize_t)sizeof(seq))
		seq = 0;
	is_int(seq, board->started, "the file counts the flushes");
	if (fd != -1)
		close(fd);

	/* A failed flush covers nothing: the next wait flushes again. */
	ws = walsync_open(db, errbuf, sizeof(errbuf));
	ok(ws != NULL, "reopened: %s", ws != NULL ? "ok" : errbuf);
	if (ws != NULL) {
		seq = walsync_issue(ws);
		walsync_written(ws, seq);
		board->fail_next = 1;
		board->started = 0;
		is_int(walsync_wait(ws, seq, flush, NULL), LH_ERR_DB_IO,
		    "a failed flush is reported");
		is_int(walsync_wait(ws, seq, flush, NULL), LH_OK,
		    "the retry flushes and succeeds");
		is_int(board->started, 2, "two flushes were made");
		is_int(walsync_wait(ws, seq, flush, NULL), LH_OK,
		    "a covered commit waits no more");
		is_int(board->started, 2, "without a third flush");
		ok(walsync_horizon(ws) == seq, "the horizon is the last "
		    "number issued");
		walsync_close(ws);
	}

	/* A file that is not ours starts from zero, which skips nothing. */
	memset(junk, 0x7f, sizeof(junk));
	fd = open(syncpath, O_WRONLY);
	ok(fd != -1 && pwrite(fd, junk, sizeof(junk), 0) ==
	    (ssize_t)sizeof(junk), "the counters file is scribbled on");
	if (fd != -1)
		close(fd);
	ws = walsync_open(db, errbuf, sizeof(errbuf));
	ok(ws != NULL && walsync_horizon(ws) == 0,
	    "a foreign file is reset to zero");
	if (ws != NULL) {
		board->started = 0;
		seq = walsync_issue(ws);
		walsync_written(ws, seq);
		is_int(walsync_wait(ws, seq, flush, NULL), LH_OK, "and then "
		    "a commit");
		is_int(board->started, 1, "is flushed");
		walsync_close(ws);
	}
	/* The writers' queue.  What is printed goes out before the fork:
	 * under valgrind a child's _exit() flushes its copy of stdout. */
	fflush(stdout);
	clean = 1;
	for (i = 0; i < WRITERS; i++)
		if ((pid = fork()) == 0)
			queuer(db);
	while ((pid = wait(&status)) > 0)
		clean &= WIFEXITED(status) && WEXITSTATUS(status) == 0;
	ok(clean && board->turns == WRITERS * QROUNDS,
	    "queue: %d writers took %d turns", WRITERS, board->turns);
	is_int(board->overlaps, 0, "queue: never two inside at once");
	ok(flock_then_enter(db, syncpath),
	    "queue: entered while a flush's flock() is held");
	ok(in_time(enter_and_die, db), "queue: a writer died inside");
	ok(in_time(enter_and_leave, db), "queue: the next one enters");

	ok(walsync_open("/nonexistent/dir/lh.db", errbuf, sizeof(errbuf)) ==
	    NULL && strstr(errbuf, "lh.db-sync") != NULL,
	    "an unusable path is refused with its name: %s", errbuf);

	unlink(syncpath);
	unlink(lockpath);
	rmdir(dir);
	return done_testing();
}
