/*
 * Reading the configuration file: the only place that touches it on
 * disk.  Parsing is conf.c's job.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lh.h"
#include "io.h"

const char *
cfgfile_path(const char *opt)
{
	const char	*env;

	if (opt != NULL && *opt != '\0')
		return opt;
	if ((env = getenv(LH_CONF_ENV)) != NULL && *env != '\0')
		return env;
	return LH_CONF_DEFAULT;
}

enum lh_err
cfgfile_load(const char *path, struct lh_conf **out, char *errbuf,
    size_t errlen)
{
	enum lh_err	 r = LH_ERR_CONF;
	struct stat	 st;
	char		*text = NULL;
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd = -1;

	*out = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(errbuf, errlen, "%s: not a regular file", path);
		goto out;
	}
	/* It holds webhook secrets: anyone who can write it owns the store. */
	if (st.st_mode & S_IWOTH) {
		snprintf(errbuf, errlen, "%s: refusing a world-writable "
		    "configuration file (chmod o-w)", path);
		goto out;
	}
	if (st.st_size > LH_CONF_MAX) {
		snprintf(errbuf, errlen, "%s: larger than %d bytes", path,
		    LH_CONF_MAX);
		goto out;
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		snprintf(errbuf, errlen, "%s: out of memory", path);
		r = LH_ERR_NOMEM;
		goto out;
	}
	while (len < (size_t)st.st_size) {
		n = read(fd, text + len, (size_t)st.st_size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	r = conf_parse(text, len, out, errbuf, errlen);
 out:
	if (text != NULL) {
		explicit_bzero(text, len);
		free(text);
	}
	if (fd != -1)
		close(fd);
	return r;
}
