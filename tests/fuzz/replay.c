/*
 * The fuzz targets' seed corpora as a TAP test.  Every file in each
 * tests/fuzz/<name>/ goes through fuzz_<name>.c's entry point, compiled
 * in with -DLH_FUZZ_REPLAY (fuzz.h renames each LLVMFuzzerTestOneInput),
 * in name order: one test point per file, then one per target counting
 * its files, which fails when a corpus is empty or missing (a tarball
 * that lost tests/fuzz).  Each input is read into a buffer of exactly
 * its size, as libFuzzer passes it, so that under --enable-asan a read
 * past the end is caught.
 *
 * Each input runs in a child process, so that a crash (an abort from a
 * harness's check, a signal, a sanitizer report, a leak found at exit)
 * fails that input's test point with how the child died, and the other
 * inputs still run.  The child's report is on stderr, followed by a line
 * naming the input: in the test's .log under make check.
 *
 *	replay [dir]
 *
 * dir holds the corpus directories; the default is $top_srcdir/tests/fuzz
 * (make check exports top_srcdir), else tests/fuzz.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lh.h"
#include "fuzz.h"
#include "tap.h"

#define REPLAY_PATH_MAX	4096	/* bytes, a corpus file's path */

#define DECL(n)	int fuzz_##n##_one(const uint8_t *, size_t);
FUZZ_TARGETS(DECL)
#undef DECL

static const struct replay_target {
	const char	*name;
	int		(*one)(const uint8_t *, size_t);
} replay_targets[] = {
#define ROW(n)	{ #n, fuzz_##n##_one },
	FUZZ_TARGETS(ROW)
#undef ROW
};

#define nitems(a)	(sizeof(a) / sizeof((a)[0]))

static int	replay_run(const struct replay_target *, const uint8_t *,
		    size_t, char *, size_t);
static int	replay_dot(const struct dirent *);
static int	replay_read(const char *, uint8_t **, size_t *);
static void	replay_target(const struct replay_target *, const char *);
static void	replay_warm(void);

/*
 * Run one input in a child.  Returns 0 if the entry point returned 0 and
 * the child exited cleanly, else -1 with how it failed in why.
 */
static int
replay_run(const struct replay_target *t, const uint8_t *buf, size_t len,
    char *why, size_t whylen)
{
	pid_t	 pid;
	int	 status;

	why[0] = '\0';
	(void)fflush(stdout);
	(void)fflush(stderr);
	if ((pid = fork()) == -1) {
		(void)snprintf(why, whylen, "fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0)
		exit(t->one(buf, len) == 0 ? 0 : 99);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			(void)snprintf(why, whylen, "waitpid: %s",
			    strerror(errno));
			return -1;
		}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFSIGNALED(status))
		(void)snprintf(why, whylen, "killed by signal %d (%s)",
		    WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 99)
		(void)snprintf(why, whylen, "entry point returned non-zero");
	else
		(void)snprintf(why, whylen, "exit status %d",
		    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return -1;
}

/* scandir() filter: no ".", "..", or hidden files (editor droppings). */
static int
replay_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/*
 * Read a regular file whole into a buffer of exactly its size (one byte
 * for an empty file, passed as size 0).  Returns 0, or -1 with errno.
 */
static int
replay_read(const char *path, uint8_t **out, size_t *outlen)
{
	struct stat	 st;
	uint8_t		*buf = NULL;
	size_t		 len;
	FILE		*f;
	int		 saved;

	*out = NULL;
	*outlen = 0;
	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	if (fstat(fileno(f), &st) == -1)
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		errno = EISDIR;
		goto fail;
	}
	len = (size_t)st.st_size;
	if ((buf = malloc(len > 0 ? len : 1)) == NULL)
		goto fail;
	if (len > 0 && fread(buf, 1, len, f) != len) {
		errno = EIO;
		goto fail;
	}
	(void)fclose(f);
	*out = buf;
	*outlen = len;
	return 0;
 fail:
	saved = errno;
	free(buf);
	(void)fclose(f);
	errno = saved;
	return -1;
}

static void
replay_target(const struct replay_target *t, const char *base)
{
	struct dirent	**names = NULL;
	char		 dir[REPLAY_PATH_MAX], path[REPLAY_PATH_MAX];
	char		 why[128];
	uint8_t		*buf;
	size_t		 len;
	int		 i, n, done = 0, r;

	r = snprintf(dir, sizeof(dir), "%s/%s", base, t->name);
	if (r < 0 || (size_t)r >= sizeof(dir)) {
		ok(0, "%s: corpus path too long", t->name);
		return;
	}
	if ((n = scandir(dir, &names, replay_dot, alphasort)) == -1) {
		ok(0, "%s: corpus %s: %s", t->name, dir, strerror(errno));
		return;
	}
	for (i = 0; i < n; i++) {
		r = snprintf(path, sizeof(path), "%s/%s", dir,
		    names[i]->d_name);
		if (r < 0 || (size_t)r >= sizeof(path)) {
			ok(0, "%s/%s: path too long", t->name,
			    names[i]->d_name);
			continue;
		}
		if (replay_read(path, &buf, &len) == -1) {
			ok(0, "%s/%s: %s", t->name, names[i]->d_name,
			    strerror(errno));
			continue;
		}
		r = replay_run(t, buf, len, why, sizeof(why));
		free(buf);
		if (r == -1)
			fprintf(stderr, "replay: the report above is for %s: "
			    "%s\n", path, why);
		ok(r == 0, "%s/%s%s%s", t->name, names[i]->d_name,
		    r == 0 ? "" : ": ", why);
		done++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	ok(done > 0, "%s: %d corpus files replayed", t->name, done);
}

/*
 * OpenSSL sets itself up on first use (its configuration, its provider,
 * the algorithms it fetches).  Done once here, before any fork, every
 * child inherits it; else each child of the sig and token targets would
 * redo it, which under valgrind (tests/valgrind.sh) costs most of a
 * second per input.
 */
static void
replay_warm(void)
{
	struct lh_signkey	 k;
	char			 hex[65], sig[LH_SIG_B64_MAX];

	memset(&k, 0, sizeof(k));
	(void)sig_stripe_fmt("whsec_replay_warm", 0, "", 0, hex);
	(void)token_sign_b64(&k, "", 0, sig);
}

int
main(int argc, char *argv[])
{
	const char	*top;
	char		 base[REPLAY_PATH_MAX];
	size_t		 i;
	int		 r;

	(void)setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1)
		r = snprintf(base, sizeof(base), "%s", argv[1]);
	else if ((top = getenv("top_srcdir")) != NULL && top[0] != '\0')
		r = snprintf(base, sizeof(base), "%s/tests/fuzz", top);
	else
		r = snprintf(base, sizeof(base), "tests/fuzz");
	if (r < 0 || (size_t)r >= sizeof(base)) {
		printf("Bail out! corpus directory name too long\n");
		return 1;
	}

	replay_warm();
	for (i = 0; i < nitems(replay_targets); i++)
		replay_target(&replay_targets[i], base);
	return done_testing();
}
