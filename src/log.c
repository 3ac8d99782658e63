/*
 * Logging: one line per request to the web server's error log (through
 * the FastCGI error stream, or stderr under CGI), to syslog, or appended
 * to a file.  Callers never pass secrets or whole keys here.
 */
#include <sys/types.h>

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "lh.h"
#include "io.h"

static enum lh_log_target	 log_target = LH_LOG_STDERR;
static int			 log_fd = -1;
static log_sink_fn		 log_sink;
static void			*log_sink_arg;

void
log_open(const struct lh_conf *conf)
{
	log_close();
	log_target = conf != NULL ? conf->log_target : LH_LOG_STDERR;
	switch (log_target) {
	case LH_LOG_SYSLOG:
		openlog("licensehook", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		break;
	case LH_LOG_FILE:
		log_fd = open(conf->log_file,
		    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		/* An unwritable log must not stop the service: fall back. */
		if (log_fd == -1)
			log_target = LH_LOG_STDERR;
		break;
	case LH_LOG_STDERR:
		break;
	}
}

void
log_close(void)
{
	if (log_fd != -1)
		close(log_fd);
	log_fd = -1;
	if (log_target == LH_LOG_SYSLOG)
		closelog();
	log_target = LH_LOG_STDERR;
}

void
log_set_sink(log_sink_fn fn, void *arg)
{
	log_sink = fn;
	log_sink_arg = arg;
}

/* Copy src to dst escaping control bytes and non-ASCII as \xNN, so that
 * nothing a client sent can forge or split a log line. */
static size_t
log_escape(char *dst, size_t dstlen, const char *src)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 o = 0;
	unsigned char		 c;

	for (; *src != '\0' && o + 5 < dstlen; src++) {
		c = (unsigned char)*src;
		if (c >= 0x20 && c < 0x7f && c != '\\') {
			dst[o++] = (char)c;
			continue;
		}
		dst[o++] = '\\';
		dst[o++] = 'x';
		dst[o++] = hex[c >> 4];
		dst[o++] = hex[c & 0xf];
	}
	dst[o] = '\0';
	return o;
}

void
log_line(const char *fmt, ...)
{
	char		 raw[LH_LOG_LINE_MAX], line[LH_LOG_LINE_MAX + 64];
	char		 stamp[32];
	struct tm	 tm;
	time_t		 now;
	size_t		 len;
	va_list		 ap;
	int		 n;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);

	if (log_target == LH_LOG_SYSLOG) {
		log_escape(line, sizeof(line), raw);
		syslog(LOG_INFO, "%s", line);
		return;
	}
	if (log_target == LH_LOG_FILE) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		n = snprintf(line, sizeof(line), "%s licensehook[%ld]: ",
		    stamp, (long)getpid());
	} else
		n = snprintf(line, sizeof(line), "licensehook[%ld]: ",
		    (long)getpid());
	if (n < 0)
		return;
	len = (size_t)n;
	len += log_escape(line + len, sizeof(line) - len - 1, raw);
	line[len++] = '\n';

	if (log_target == LH_LOG_FILE) {
		/* One write(2) per line: O_APPEND keeps workers' lines whole. */
		(void)write(log_fd, line, len);
	} else if (log_sink != NULL)
		log_sink(log_sink_arg, line, len);
	else
		(void)write(STDERR_FILENO, line, len);
}
