/*
 * Customer notices: queue them in the outbox, in the transaction of the
 * change that causes them, and send them afterwards through the system's
 * sendmail(8).  Rendering is mailfmt.c's; this file reads the template
 * files, talks to the store and runs the command.
 *
 * A message is rendered once, when it is queued, and stored whole, so a
 * retry sends the very bytes the first attempt did.  Sending claims one
 * message at a time in a short transaction and runs sendmail with no
 * lock held, so a slow or hung mail system delays nothing but the mail.
 */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "lh.h"
#include "io.h"

#define MAIL_DEDUP_MAX		96	/* bytes, "<notice>:<id>:<anchor>" */
#define MAIL_MSGID_MAX		(LH_ADDR_SPEC_MAX + 64)	/* bytes, Message-ID */
#define MAIL_MSGID_RANDOM	16	/* bytes of randomness in a Message-ID */
#define MAIL_ARGV_MAX		16	/* words in mail.sendmail (conf.c) */
#define MAIL_OUTPUT_MAX		160	/* bytes of sendmail's output kept */
#define MAIL_POLL_MS		50	/* ms between looks at the child */
/* The child closes descriptors below this: all a worker ever has open. */
#define MAIL_FD_SCAN		1024

/* Template load states. */
#define TMPL_UNTRIED		0
#define TMPL_LOADED		1
#define TMPL_BROKEN		(-1)	/* logged once; the notice is skipped */

struct mail {
	const struct lh_conf	*conf;
	struct lh_tmpl		*tmpl[LH_NOTICE__COUNT];
	int			 state[LH_NOTICE__COUNT];
};

/*
 * Seconds to wait before the next attempt, by the number of attempts
 * made: quick at first for a mail system restarting, then no more than
 * once a day.
 */
static const long mail_backoff[] = { 60, 300, 1800, 7200, 21600, 86400 };

static const struct lh_tmpl *mail_tmpl(struct mail *, enum lh_notice);
static int		 mail_domain(const char *, char *, size_t);
static int		 mail_msgid(const char *, char *, size_t);
static size_t		 mail_split(const char *, char *, size_t, char **);
static void		 mail_output(char *, size_t);
static int		 mail_run(const struct lh_conf *, const char *, size_t,
			    char *, size_t);
static double		 mail_elapsed(const struct timespec *);
static void		 mail_kill(pid_t, int *);

int
mail_on(const struct lh_conf *conf)
{
	return conf != NULL && conf->mail.from != NULL;
}

struct mail *
mail_new(const struct lh_conf *conf)
{
	struct mail	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->conf = conf;
	return m;
}

void
mail_free(struct mail *m)
{
	size_t	 i;

	if (m == NULL)
		return;
	for (i = 0; i < LH_NOTICE__COUNT; i++)
		mailfmt_tmpl_free(m->tmpl[i]);
	free(m);
}

/*
 * The template for notice, read from <templates_dir>/<notice>.txt on
 * first need and kept for the life of the process (restart to pick up
 * an edit, as for the configuration).  A missing or bad file is logged
 * once and the notice skipped from then on: a template problem must
 * never fail the webhook that queues the notice.
 */
static const struct lh_tmpl *
mail_tmpl(struct mail *m, enum lh_notice n)
{
	const char	*dir;
	char		 path[LH_PATH_MAX], errbuf[256], *text = NULL;
	struct stat	 st;
	struct lh_tmpl	*t = NULL;
	size_t		 len = 0;
	ssize_t		 got;
	int		 fd = -1;

	if ((int)n < 0 || n >= LH_NOTICE__COUNT)
		return NULL;
	if (m->state[n] == TMPL_LOADED)
		return m->tmpl[n];
	if (m->state[n] == TMPL_BROKEN)
		return NULL;
	m->state[n] = TMPL_BROKEN;
	dir = m->conf->mail.templates_dir != NULL ?
	    m->conf->mail.templates_dir : LH_TEMPLATES_DIR;
	if (snprintf(path, sizeof(path), "%s/%s.txt", dir,
	    mailfmt_notice_name(n)) >= (int)sizeof(path)) {
		log_line("mail template %s: path too long; notice %s is not "
		    "sent", dir, mailfmt_notice_name(n));
		return NULL;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1 ||
	    fstat(fd, &st) == -1) {
		log_line("mail template %s: %s; notice %s is not sent", path,
		    strerror(errno), mailfmt_notice_name(n));
		goto out;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > LH_TMPL_MAX) {
		log_line("mail template %s: not a regular file of at most %d "
		    "bytes; notice %s is not sent", path, LH_TMPL_MAX,
		    mailfmt_notice_name(n));
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		log_line("mail template %s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		got = read(fd, text + len, (size_t)st.st_size - len);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	if (mailfmt_tmpl_parse(text, len, &t, errbuf, sizeof(errbuf)) !=
	    LH_OK) {
		log_line("mail template %s: %s; notice %s is not sent", path,
		    errbuf, mailfmt_notice_name(n));
		goto out;
	}
	m->tmpl[n] = t;
	t = NULL;	/* transferred */
	m->state[n] = TMPL_LOADED;
 out:
	mailfmt_tmpl_free(t);
	free(text);
	if (fd != -1)
		close(fd);
	return m->state[n] == TMPL_LOADED ? m->tmpl[n] : NULL;
}

/* The domain of the address in from ("Name <user@domain>" or
 * "user@domain"); conf.c checked that there is one. */
static int
mail_domain(const char *from, char *out, size_t outlen)
{
	const char	*at, *end;
	size_t		 n;

	if ((at = strrchr(from, '@')) == NULL)
		return -1;
	at++;
	end = strchr(at, '>');
	n = end != NULL ? (size_t)(end - at) : strlen(at);
	if (n == 0 || n >= outlen)
		return -1;
	memcpy(out, at, n);
	out[n] = '\0';
	return 0;
}

/*
 * A Message-ID unique to this message (RFC 5322 section 3.6.4): random
 * bytes from OpenSSL's CSPRNG at the domain we mail from.  Stored with
 * the message, so a retry keeps it and receivers can drop a duplicate.
 */
static int
mail_msgid(const char *from, char *out, size_t outlen)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t		 rnd[MAIL_MSGID_RANDOM];
	char		 domain[LH_ADDR_SPEC_MAX + 1];
	char		 r[2 * MAIL_MSGID_RANDOM + 1];
	size_t		 i;

	if (mail_domain(from, domain, sizeof(domain)) == -1 ||
	    RAND_bytes(rnd, (int)sizeof(rnd)) != 1)
		return -1;
	for (i = 0; i < sizeof(rnd); i++) {
		r[2 * i] = hex[rnd[i] >> 4];
		r[2 * i + 1] = hex[rnd[i] & 0xf];
	}
	r[2 * sizeof(rnd)] = '\0';
	/* mailfmt_render() adds the angle brackets. */
	if (snprintf(out, outlen, "lh.%s@%s", r, domain) >= (int)outlen)
		return -1;
	return 0;
}

enum lh_err
mail_queue(struct mail *m, struct db *db, const struct lh_conf *conf,
    const struct db_license *l, enum lh_notice n, long long anchor,
    time_t now, int64_t *id, const char **skipped)
{
	const struct lh_tmpl	*t;
	struct lh_lic_view	 v;
	struct lh_mail_vars	 vars;
	char			 dedup[MAIL_DEDUP_MAX];
	char			 msgid[MAIL_MSGID_MAX];
	char			 masked[LH_KEY_MAX];
	char			*msg = NULL;
	const char		*name;
	size_t			 len = 0;
	int			 exists = 0;
	enum lh_err		 r;

	*id = 0;
	*skipped = NULL;
	if (!mail_on(conf) || m == NULL) {
		*skipped = "mail is off";
		r = LH_OK;
		goto out;
	}
	name = mailfmt_notice_name(n);
	keygen_mask(l->key, masked, sizeof(masked));
	snprintf(dedup, sizeof(dedup), "%s:%lld:%lld", name,
	    (long long)l->id, anchor);
	if ((r = db_outbox_exists(db, dedup, &exists)) != LH_OK)
		goto out;
	if (exists) {
		*skipped = "already queued";
		goto out;
	}
	/* The license is made all the same: only its mail is refused. */
	if (l->email == NULL || !mailfmt_addr_valid(l->email)) {
		*skipped = l->email == NULL ? "no address" : "invalid address";
		log_line("notice %s for %s not queued: %s", name, masked,
		    *skipped);
		goto out;
	}
	if ((t = mail_tmpl(m, n)) == NULL) {
		*skipped = "no usable template";
		goto out;
	}
	if (mail_msgid(conf->mail.from, msgid, sizeof(msgid)) == -1) {
		*skipped = "no Message-ID";
		log_line("notice %s for %s not queued: cannot make a "
		    "Message-ID", name, masked);
		goto out;
	}
	license_view(conf, &l->facts, now, &v);
	memset(&vars, 0, sizeof(vars));
	vars.key = l->key;
	vars.tier = v.tier;
	vars.name = l->name;
	vars.email = l->email;
	vars.expires_at = v.expires_at;
	vars.grace_deadline = v.grace_deadline;
	vars.vendor = conf->mail.vendor_name;
	vars.support = conf->mail.support_email;
	vars.portal_url = conf->mail.portal_url;
	if ((r = mailfmt_render(t, &vars, conf->mail.from, l->email, msgid,
	    now, &msg, &len)) != LH_OK) {
		*skipped = "cannot render";
		log_line("notice %s for %s not queued: %s", name, masked,
		    lh_err_msg(r));
		r = LH_OK;
		goto out;
	}
	if ((r = db_outbox_put(db, l->id, name, anchor, dedup, l->email, msg,
	    len, now, id)) != LH_OK)
		goto out;
	if (*id == 0)
		*skipped = "already queued";
 out:
	if (msg != NULL) {
		/* It holds the customer's key. */
		OPENSSL_cleanse(msg, len);
		free(msg);
	}
	return r;
}

/*
 * When a due notice became news: its cause (the anchor), or for a grace
 * step and an expiry warning the moment the clock reached them.
 */
static long long
mail_due_since(const struct lh_conf *conf, const struct lh_lic_facts *f,
    const struct lh_lic_view *v, const struct lh_notice_due *d)
{
	switch (d->notice) {
	case LH_NOTICE_GRACE_REMINDER:
		return f->grace_since + conf->life.grace_reminder;
	case LH_NOTICE_GRACE_FREE_TIER:
		return f->grace_since + conf->life.grace_free;
	case LH_NOTICE_SUSPENDED:
		return v->grace == LH_GRACE_SUSPENDED ?
		    f->grace_since + conf->life.grace_suspend : d->anchor;
	case LH_NOTICE_EXPIRING:
		return d->anchor - conf->mail.expiry_notice;
	default:
		return d->anchor;
	}
}

enum lh_err
mail_queue_due(struct mail *m, struct db *db, const struct lh_conf *conf,
    const struct db_license *l, const struct lh_lic_view *v, time_t now,
    int *queued)
{
	struct lh_notice_due	 due[LH_NOTICES_MAX];
	const char		*skipped;
	int64_t			 id;
	size_t			 i, n;
	enum lh_err		 r;

	*queued = 0;
	if (!mail_on(conf))
		return LH_OK;
	n = mailfmt_due(conf, &l->facts, v, now, due);
	for (i = 0; i < n && i < LH_NOTICES_MAX; i++) {
		/* Old news stays unsent: turning mail on must not mail
		 * every customer whose license was revoked years ago. */
		if (mail_due_since(conf, &l->facts, v, &due[i]) <
		    (long long)now - LH_MAIL_CATCHUP)
			continue;
		if ((r = mail_queue(m, db, conf, l, due[i].notice,
		    due[i].anchor, now, &id, &skipped)) != LH_OK)
			return r;
		if (id != 0)
			(*queued)++;
	}
	return LH_OK;
}

/*
 * Split the configured command at blanks into argv (no shell, so no
 * quoting: conf.c allows no more than MAIL_ARGV_MAX words) in buf.
 * Returns the word count.
 */
static size_t
mail_split(const char *cmd, char *buf, size_t buflen, char **argv)
{
	char	*p;
	size_t	 n = 0;

	if (snprintf(buf, buflen, "%s", cmd) >= (int)buflen)
		return 0;
	for (p = buf; *p != '\0' && n < MAIL_ARGV_MAX; ) {
		while (*p == ' ' || *p == '\t')
			*p++ = '\0';
		if (*p == '\0')
			break;
		argv[n++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
	}
	argv[n] = NULL;
	return n;
}

/* Keep the first line of what the command said, printable ASCII only,
 * for last_error: the log escapes it again, the outbox shows it. */
static void
mail_output(char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && s[i] != '\0'; i++) {
		if (s[i] == '\n' || s[i] == '\r') {
			s[i] = '\0';
			break;
		}
		if ((unsigned char)s[i] < ' ' || (unsigned char)s[i] > '~')
			s[i] = '?';
	}
}

static double
mail_elapsed(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Kill the command and what it started; reap it. */
static void
mail_kill(pid_t pid, int *status)
{
	(void)kill(-pid, SIGKILL);
	(void)kill(pid, SIGKILL);
	while (waitpid(pid, status, 0) == -1 && errno == EINTR)
		;
}

/*
 * Pipe msg to the sendmail command and wait for it, at most
 * mail.timeout seconds.  Returns 0 when it exited 0; else -1 with the
 * reason in errbuf ("exit 75: ...", "signal 9", "timeout after 30 s").
 *
 * The child runs in its own process group, so that a timeout kills
 * whatever it started too.  Both pipe ends the parent keeps are
 * non-blocking and watched with poll(2): a command that never reads its
 * input cannot block the write, and the deadline covers the whole run.
 * The exit status decides, not the end of the output, which a daemon
 * forked by sendmail may keep open.
 */
static int
mail_run(const struct lh_conf *conf, const char *msg, size_t len,
    char *errbuf, size_t errlen)
{
	struct timespec	 t0;
	struct pollfd	 pfd[2];
	char		 cmd[LH_PATH_MAX + 1], *argv[MAIL_ARGV_MAX + 1];
	char		 out[MAIL_OUTPUT_MAX + 1];
	size_t		 off = 0, outlen = 0, nfd;
	ssize_t		 w;
	pid_t		 pid, got;
	int		 in[2] = { -1, -1 }, op[2] = { -1, -1 };
	int		 status = 0, timedout = 0, fd, ms;
	double		 left;

	errbuf[0] = '\0';
	out[0] = '\0';
	if (mail_split(conf->mail.sendmail, cmd, sizeof(cmd), argv) == 0) {
		snprintf(errbuf, errlen, "no sendmail command");
		return -1;
	}
	if (pipe(in) == -1 || pipe(op) == -1) {
		snprintf(errbuf, errlen, "pipe: %s", strerror(errno));
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1) {
		snprintf(errbuf, errlen, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		/* Async-signal-safe calls only from here on. */
		(void)setpgid(0, 0);
		/* The responder ignores SIGPIPE, and exec keeps that. */
		(void)signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], STDIN_FILENO) == -1 ||
		    dup2(op[1], STDOUT_FILENO) == -1 ||
		    dup2(op[1], STDERR_FILENO) == -1)
			_exit(127);
		/* Nothing else of ours: not the database, not the FastCGI
		 * socket (fd 0 was the listening one until the dup2). */
		for (fd = STDERR_FILENO + 1; fd < MAIL_FD_SCAN; fd++)
			(void)close(fd);
		execv(argv[0], argv);
		if (write(STDERR_FILENO, "cannot execute ", 15) == -1 ||
		    write(STDERR_FILENO, argv[0], strlen(argv[0])) == -1)
			_exit(127);
		_exit(127);
	}
	(void)setpgid(pid, pid);	/* either may run first */
	close(in[0]);
	close(op[1]);
	in[0] = op[1] = -1;
	(void)fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);
	(void)fcntl(op[0], F_SETFL, fcntl(op[0], F_GETFL) | O_NONBLOCK);

	for (;;) {
		if ((got = waitpid(pid, &status, WNOHANG)) == pid)
			break;
		if (got == -1 && errno != EINTR) {
			snprintf(errbuf, errlen, "waitpid: %s",
			    strerror(errno));
			mail_kill(pid, &status);
			goto fail;
		}
		if ((left = conf->mail.timeout - mail_elapsed(&t0)) <= 0) {
			mail_kill(pid, &status);
			timedout = 1;
			break;
		}
		nfd = 0;
		if (in[1] != -1) {
			pfd[nfd].fd = in[1];
			pfd[nfd++].events = POLLOUT;
		}
		if (op[0] != -1) {
			pfd[nfd].fd = op[0];
			pfd[nfd++].events = POLLIN;
		}
		ms = left * 1000 < MAIL_POLL_MS ? (int)(left * 1000) + 1 :
		    MAIL_POLL_MS;
		if (poll(pfd, nfd, ms) == -1 && errno != EINTR) {
			snprintf(errbuf, errlen, "poll: %s", strerror(errno));
			mail_kill(pid, &status);
			goto fail;
		}
		if (in[1] != -1 && off < len) {
			w = write(in[1], msg + off, len - off);
			if (w > 0)
				off += (size_t)w;
			else if (w == -1 && errno != EAGAIN &&
			    errno != EINTR) {
				/* EPIPE: it stopped reading; its status
				 * says whether that was a failure. */
				close(in[1]);
				in[1] = -1;
			}
		}
		if (in[1] != -1 && off == len) {
			/* End of the message: sendmail -t reads to EOF. */
			close(in[1]);
			in[1] = -1;
		}
		if (op[0] != -1) {
			char	 buf[512];
			ssize_t	 rd;

			rd = read(op[0], buf, sizeof(buf));
			if (rd > 0 && outlen < MAIL_OUTPUT_MAX) {
				if ((size_t)rd > MAIL_OUTPUT_MAX - outlen)
					rd = (ssize_t)(MAIL_OUTPUT_MAX -
					    outlen);
				memcpy(out + outlen, buf, (size_t)rd);
				outlen += (size_t)rd;
				out[outlen] = '\0';
			} else if (rd == 0 || (rd == -1 && errno != EAGAIN &&
			    errno != EINTR)) {
				close(op[0]);
				op[0] = -1;
			}
		}
	}
	if (in[1] != -1)
		close(in[1]);
	if (op[0] != -1) {
		/* What it said before exiting is already in the pipe. */
		ssize_t	 rd;

		if (outlen < MAIL_OUTPUT_MAX && (rd = read(op[0], out + outlen,
		    MAIL_OUTPUT_MAX - outlen)) > 0) {
			outlen += (size_t)rd;
			out[outlen] = '\0';
		}
		close(op[0]);
	}
	mail_output(out, outlen);
	if (timedout) {
		snprintf(errbuf, errlen, "timeout after %d s%s%s",
		    conf->mail.timeout, out[0] ? ": " : "", out);
		return -1;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (WIFEXITED(status))
		snprintf(errbuf, errlen, "exit %d%s%s", WEXITSTATUS(status),
		    out[0] ? ": " : "", out);
	else if (WIFSIGNALED(status))
		snprintf(errbuf, errlen, "signal %d%s%s", WTERMSIG(status),
		    out[0] ? ": " : "", out);
	else
		snprintf(errbuf, errlen, "status %d", status);
	return -1;
 fail:
	if (in[0] != -1)
		close(in[0]);
	if (in[1] != -1)
		close(in[1]);
	if (op[0] != -1)
		close(op[0]);
	if (op[1] != -1)
		close(op[1]);
	return -1;
}

enum lh_err
mail_deliver(struct db *db, const struct lh_conf *conf, int max, time_t now,
    int *sent, int *failed)
{
	struct db_outbox	 o;
	struct sigaction	 sa;
	struct timespec		 t0;
	char			 why[sizeof(o.last_error)];
	const char		*state;
	long long		 t, next;
	size_t			 b;
	int			 n, found, due = 0, updated;
	enum lh_err		 r = LH_OK;

	*sent = *failed = 0;
	memset(&o, 0, sizeof(o));
	if (!mail_on(conf))
		return LH_OK;
	/* The common case, nothing to send, takes no write lock. */
	if ((r = db_outbox_due(db, now, &due)) != LH_OK || !due)
		return r;
	/* A pipe whose reader died must fail a write, not kill us; and a
	 * SIGCHLD inherited as ignored would reap the child before waitpid
	 * could see its status (POSIX, "wait"). */
	(void)signal(SIGPIPE, SIG_IGN);
	if (sigaction(SIGCHLD, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN)
		(void)signal(SIGCHLD, SIG_DFL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 0; max == 0 || n < max; n++) {
		/* now, moved on by the time spent here: a claim made late in
		 * a long run must not start out already expired. */
		t = (long long)now + (long long)mail_elapsed(&t0);
		if ((r = db_begin(db)) != LH_OK)
			break;
		if ((r = db_outbox_claim(db, (time_t)t, t + conf->mail.timeout +
		    LH_MAIL_LEASE_SLACK, &o, &found)) != LH_OK ||
		    (found && (r = db_commit(db)) != LH_OK)) {
			log_line("mail: claim: %s", db_errmsg(db));
			db_rollback(db);
			db_outbox_free(&o);
			break;
		}
		if (!found) {
			db_rollback(db);
			break;
		}
		if (mail_run(conf, o.message, o.msglen, why,
		    sizeof(why)) == 0) {
			t = (long long)now + (long long)mail_elapsed(&t0);
			if ((r = db_begin(db)) == LH_OK &&
			    (r = db_outbox_sent(db, o.id, o.attempts,
			    (time_t)t, &updated)) == LH_OK)
				r = db_commit(db);
			if (r != LH_OK) {
				/* XXX sent but not marked: once the claim
				 * runs out it goes again. */
				log_line("mail %lld %s: sent, but not marked "
				    "sent: %s", (long long)o.id, o.notice,
				    db_errmsg(db));
				db_rollback(db);
				db_outbox_free(&o);
				break;
			}
			if (!updated)
				log_line("mail %lld %s: sent after its claim "
				    "ran out", (long long)o.id, o.notice);
			(*sent)++;
		} else {
			t = (long long)now + (long long)mail_elapsed(&t0);
			b = (size_t)(o.attempts > 0 ? o.attempts - 1 : 0);
			if (b >= sizeof(mail_backoff) / sizeof(mail_backoff[0]))
				b = sizeof(mail_backoff) /
				    sizeof(mail_backoff[0]) - 1;
			next = t + mail_backoff[b];
			state = o.attempts >= LH_MAIL_ATTEMPTS_MAX ? "failed" :
			    "pending";
			log_line("mail %lld %s: attempt %d failed: %s; %s",
			    (long long)o.id, o.notice, o.attempts, why,
			    *state == 'f' ? "giving up (licensectl outbox)" :
			    "will retry");
			if ((r = db_begin(db)) == LH_OK &&
			    (r = db_outbox_retry(db, o.id, o.attempts, state,
			    next, why, &updated)) == LH_OK)
				r = db_commit(db);
			if (r != LH_OK) {
				log_line("mail %lld %s: not rescheduled: %s",
				    (long long)o.id, o.notice, db_errmsg(db));
				db_rollback(db);
				db_outbox_free(&o);
				break;
			}
			(*failed)++;
		}
		db_outbox_free(&o);
	}
	return r;
}
