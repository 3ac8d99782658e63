/*
 * licensehook: the webhook and license responder.  Started by the web
 * server (mod_fcgid, plain CGI), spawn-fcgi or systemd; see licensehook(8).
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <libgen.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lh.h"
#include "io.h"
#include "fcgi.h"

/* Free heap a worker keeps between requests rather than returning it. */
#define LH_HEAP_KEEP	(2 * 1024 * 1024)

/* The license API's signing key, loaded once; restart after a rotation. */
static struct lh_signkey	 signkey;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: licensehook [-htV] [-c file]\n"
	    "  -c file  configuration file (default: $%s, else %s)\n"
	    "  -t       check the configuration and the database, then exit\n"
	    "  -V       print the version and exit\n"
	    "  -h       show this help\n"
	    "Run by the web server as a FastCGI responder (a listening socket\n"
	    "on fd 0, as spawn-fcgi and systemd hand it over) or as plain CGI.\n",
	    LH_CONF_ENV, LH_CONF_DEFAULT);
	exit(status);
}

/*
 * -t, for a file not made yet: it only needs a writable directory.
 * 1: the file is there, inspect it; 0: missing, and fine; -1: not fine.
 */
static int
check_missing(const char *what, const char *path, const char *when)
{
	struct stat	 st;
	char		 dir[LH_PATH_MAX];

	if (stat(path, &st) == 0 || errno != ENOENT)
		return 1;
	snprintf(dir, sizeof(dir), "%s", path);
	if (access(dirname(dir), W_OK) == -1) {
		fprintf(stderr, "licensehook: %s %s does not exist and its "
		    "directory is not writable\n", what, path);
		return -1;
	}
	printf("licensehook: %s %s does not exist yet; it is created on the "
	    "first %s\n", what, path, when);
	return 0;
}

static int
check_db(const struct lh_conf *conf)
{
	struct db	*db = NULL;
	char		 errbuf[512];
	int		 rc;

	if ((rc = check_missing("database", conf->database, "request")) <= 0)
		return -rc;
	rc = 1;
	if (db_inspect(conf->database, conf->busy_timeout, &db, errbuf,
	    sizeof(errbuf)) != LH_OK ||
	    db_check(db, errbuf, sizeof(errbuf)) != LH_OK) {
		fprintf(stderr, "licensehook: database %s: %s\n",
		    conf->database, errbuf);
		goto out;
	}
	if (errbuf[0] != '\0')
		printf("licensehook: database %s is ok: %s\n",
		    conf->database, errbuf);
	else
		printf("licensehook: database %s is ok (schema %d, wal)\n",
		    conf->database, LH_SCHEMA_VERSION);
	rc = 0;
 out:
	db_close(db);
	return rc;
}

/* The license API's usage database, checked like the database. */
static int
check_usage(const struct lh_conf *conf)
{
	struct usage	*u = NULL;
	const char	*path = conf->usage_database;
	char		 errbuf[512];
	int		 rc;

	if ((rc = check_missing("usage database", path,
	    "license API request")) <= 0)
		return -rc;
	rc = 1;
	if (usage_inspect(path, conf->busy_timeout, &u, errbuf,
	    sizeof(errbuf)) != LH_OK ||
	    usage_check(u, errbuf, sizeof(errbuf)) != LH_OK) {
		fprintf(stderr, "licensehook: usage database %s: %s\n", path,
		    errbuf);
		goto out;
	}
	if (errbuf[0] != '\0')
		printf("licensehook: usage database %s is ok: %s\n", path,
		    errbuf);
	else
		printf("licensehook: usage database %s is ok (schema %d, "
		    "wal)\n", path, LH_USAGE_SCHEMA_VERSION);
	rc = 0;
 out:
	usage_close(u);
	return rc;
}

/* -t: like nginx -t, say what is wrong and exit non-zero. */
static int
check(const char *path, const struct lh_conf *conf)
{
	char		 errbuf[512];

	printf("licensehook: configuration file %s syntax is ok\n", path);
	if (conf->api.keys_dir != NULL) {
		struct lh_signkey	 key;

		if (signkeys_load_active(conf->api.keys_dir, &key, errbuf,
		    sizeof(errbuf)) != LH_OK) {
			fprintf(stderr, "licensehook: signing key: %s\n",
			    errbuf);
			return 1;
		}
		printf("licensehook: signing key %s is ok\n", key.kid);
		token_key_free(&key);
	}
	if (check_db(conf) != 0)
		return 1;
	/* Only the license API uses it. */
	if (conf->api.keys_dir != NULL && check_usage(conf) != 0)
		return 1;
	return 0;
}

int
main(int argc, char *argv[])
{
	struct lh_conf	*conf = NULL;
	struct lh_ctx	 ctx;
	const char	*path, *opt_conf = NULL;
	char		 errbuf[512];
	int		 ch, test = 0, rc;

	while ((ch = getopt(argc, argv, "c:htV")) != -1) {
		switch (ch) {
		case 'c':
			opt_conf = optarg;
			break;
		case 't':
			test = 1;
			break;
		case 'V':
			printf("licensehook %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (argc != optind)
		usage(2);

	umask(027);
	path = cfgfile_path(opt_conf);
	if (cfgfile_load(path, &conf, errbuf, sizeof(errbuf)) != LH_OK)
		errx(1, "%s", errbuf);
	if (test) {
		rc = check(path, conf);
		conf_free(conf);
		return rc;
	}

	/* The web server may close the connection mid-answer. */
	signal(SIGPIPE, SIG_IGN);
#ifdef M_TRIM_THRESHOLD
	/*
	 * A worker frees and rebuilds SQLite's page cache whenever another
	 * one has committed, nearly every request under load: glibc would
	 * hand the freed top of the heap back to the kernel each time, and
	 * fault it in again at once.  Keep what a request needs; setting
	 * the thresholds also stops glibc moving them by itself.
	 */
	mallopt(M_TRIM_THRESHOLD, LH_HEAP_KEEP);
	mallopt(M_MMAP_THRESHOLD, LH_HEAP_KEEP);
#endif
	log_open(conf);
	memset(&ctx, 0, sizeof(ctx));
	ctx.conf = conf;
	ctx.conf_path = path;
	/* Open early to report trouble at start; requests retry if it fails. */
	if (db_open(conf->database, conf->usage_database, conf->busy_timeout,
	    1, &ctx.db, errbuf, sizeof(errbuf)) != LH_OK)
		log_line("database %s: %s (answering 503 until it opens)",
		    conf->database, errbuf);
	if (conf->api.keys_dir != NULL) {
		if (signkeys_load_active(conf->api.keys_dir, &signkey, errbuf,
		    sizeof(errbuf)) == LH_OK)
			ctx.signkey = &signkey;
		else
			log_line("signing key: %s (license API answers 500 "
			    "until a restart finds one)", errbuf);
	}
	rc = fcgi_serve(&ctx);
	token_key_free(&signkey);
	if (rc != 0)
		log_line("cannot set up FastCGI");
	usage_close(ctx.usage);
	db_close(ctx.db);
	log_close();
	conf_free(conf);
	return rc == 0 ? 0 : 1;
}
