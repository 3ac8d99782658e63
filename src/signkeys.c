/*
 * The Ed25519 keys that sign license API answers, on disk in [api]
 * keys_dir.  For each key id (kid), such as k20261122-3fa9:
 *
 *   <kid>.pem       private key, PKCS#8 PEM, mode 0600, created O_EXCL
 *   <kid>.pub.pem   public key, SubjectPublicKeyInfo PEM, mode 0644
 *   <kid>.retired   empty marker: the key signs no more.  Its private
 *                   file is deleted; the public one stays so that
 *                   tokens it signed can still be checked.
 *   active          one line, the kid that signs, replaced atomically
 *                   (temporary file, fsync, rename(2), fsync of the
 *                   directory)
 *
 * A key that is neither active nor retired is on standby: published
 * ahead of a rotation, the way DKIM selectors are rolled (RFC 6376
 * §3.1), so that software shipped with its public key already trusts
 * it when it starts signing.
 *
 * The private key file is refused unless it belongs to the effective
 * user and grants nothing to group or others, as openssh's
 * sshkey_perm_ok() refuses "UNPROTECTED PRIVATE KEY FILE"s; the
 * directory is refused if group or others may write to it, since they
 * could then swap "active" or a public key.  Private key bytes only ever
 * sit in the caller's struct lh_signkey (raw, and in the EVP_PKEY it
 * holds), in OpenSSL objects that are freed and in locals that are
 * wiped; nothing here prints.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "lh.h"
#include "io.h"

#define SIGNKEYS_ACTIVE		"active"
/* mkstemp(3) template; not a kid, so never listed. */
#define SIGNKEYS_ACTIVE_TMP	".active.XXXXXX"
#define SIGNKEYS_PRIV		".pem"
#define SIGNKEYS_PUB		".pub.pem"
#define SIGNKEYS_RETIRED	".retired"
#define SIGNKEYS_RAW		32	/* bytes, Ed25519 key (RFC 8032) */
#define SIGNKEYS_TRIES		8	/* kids tried before giving up */
#define SIGNKEYS_RND		2	/* random bytes in a kid: 4 hex */
/* A format: takes LH_KID_MAX. */
#define SIGNKEYS_BAD_KID	"not a key id: want 1 to %d of a-z, 0-9 " \
				"and -, as licensectl keys list shows"
#define SIGNKEYS_NO_ACTIVE	"no active key (licensectl keys generate " \
				"makes one)"

static void		 signkeys_err(char *, size_t, const char *, ...)
			    __attribute__((format(printf, 3, 4)));
static const char	*signkeys_ossl(void);
static int		 signkeys_nopass(char *, int, int, void *);
static int		 signkeys_kid_ok(const char *);
static int		 signkeys_path(char *, const char *, const char *,
			    const char *);
static enum lh_err	 signkeys_dir(const char *, int, char *, size_t);
static void		 signkeys_dir_sync(const char *);
static enum lh_err	 signkeys_read(const char *, int, char *, size_t *,
			    int *, char *, size_t);
static enum lh_err	 signkeys_active_read(const char *, char *, char *,
			    size_t);
static enum lh_err	 signkeys_active_write(const char *, const char *,
			    char *, size_t);
static enum lh_err	 signkeys_write(const char *, EVP_PKEY *, int, int *,
			    char *, size_t);
static enum lh_err	 signkeys_pub_load(const char *, const char *,
			    EVP_PKEY **, char *, size_t);
static enum lh_err	 signkeys_raw(EVP_PKEY *, int, uint8_t *, const char *,
			    char *, size_t);
static int		 signkeys_cmp(const void *, const void *);

static void
signkeys_err(char *errbuf, size_t errlen, const char *fmt, ...)
{
	va_list		 ap;

	if (errbuf == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(errbuf, errlen, fmt, ap);
	va_end(ap);
}

/*
 * OpenSSL's reason for the last failure, for an error message, and an
 * empty queue for the next call.  Reasons are fixed strings ("bad
 * decrypt", "unsupported"); they never quote key bytes.
 */
static const char *
signkeys_ossl(void)
{
	const char	*s;
	unsigned long	 e;

	e = ERR_peek_last_error();
	s = e != 0 ? ERR_reason_error_string(e) : NULL;
	ERR_clear_error();
	return s != NULL ? s : "unknown OpenSSL error";
}

/*
 * A PEM passphrase callback that has none.  Without it OpenSSL prompts
 * on the terminal for an encrypted key, which would hang a FastCGI
 * worker; licensehook keys are not encrypted.
 */
static int
signkeys_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/*
 * A kid is 1 to LH_KID_MAX of a-z, 0-9 and '-', not starting with '-'.
 * With no '/' and no '.' it can name nothing outside keys_dir, and
 * never one of the files' suffixes or a temporary file.
 */
static int
signkeys_kid_ok(const char *kid)
{
	size_t		 i, n;

	if (kid == NULL)
		return 0;
	n = strlen(kid);
	if (n == 0 || n > LH_KID_MAX || kid[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((kid[i] >= 'a' && kid[i] <= 'z') ||
		    (kid[i] >= '0' && kid[i] <= '9') || kid[i] == '-'))
			return 0;
	return 1;
}

/* dir "/" name suffix into out[LH_PATH_MAX]; -1 if it does not fit. */
static int
signkeys_path(char *out, const char *dir, const char *name, const char *suffix)
{
	int		 n;

	n = snprintf(out, LH_PATH_MAX, "%s/%s%s", dir, name, suffix);
	return n < 0 || n >= LH_PATH_MAX ? -1 : 0;
}

/*
 * dir must be a directory that group and others cannot write to.  With
 * create, a missing dir (not its parents) is made with mode 0700.
 */
static enum lh_err
signkeys_dir(const char *dir, int create, char *errbuf, size_t errlen)
{
	struct stat	 st;

	if (dir == NULL || *dir == '\0') {
		signkeys_err(errbuf, errlen, "no keys directory");
		return LH_ERR_INTERNAL;
	}
	/* Every name in it must fit too: the longest is a kid's .pub.pem. */
	if (strlen(dir) + 1 + LH_KID_MAX + sizeof(SIGNKEYS_PUB) > LH_PATH_MAX) {
		signkeys_err(errbuf, errlen, "%s: path too long", dir);
		return LH_ERR_SIGNING;
	}
	if (stat(dir, &st) == -1 && errno == ENOENT && create) {
		if (mkdir(dir, 0700) == -1) {
			signkeys_err(errbuf, errlen, "%s: cannot create: %s",
			    dir, strerror(errno));
			return LH_ERR_SIGNING;
		}
	}
	if (stat(dir, &st) == -1) {
		if (errno == ENOENT)
			signkeys_err(errbuf, errlen, "%s: no such directory "
			    "(licensectl keys generate makes it)", dir);
		else
			signkeys_err(errbuf, errlen, "%s: %s", dir,
			    strerror(errno));
		return LH_ERR_SIGNING;
	}
	if (!S_ISDIR(st.st_mode)) {
		signkeys_err(errbuf, errlen, "%s: not a directory", dir);
		return LH_ERR_SIGNING;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		signkeys_err(errbuf, errlen, "%s: writable by group or "
		    "others, who could replace the keys (chmod go-w)", dir);
		return LH_ERR_SIGNING;
	}
	return LH_OK;
}

/*
 * Make a rename or unlink in dir durable.  Some file systems refuse
 * fsync(2) on a directory (EINVAL); they order metadata themselves.
 */
static void
signkeys_dir_sync(const char *dir)
{
	int		 fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return;
	(void)fsync(fd);
	close(fd);
}

/*
 * Read the file at path, at most LH_SIGNKEY_FILE_MAX bytes, into buf
 * (LH_SIGNKEY_FILE_MAX + 1 bytes, NUL-terminated).  *missing (if not
 * NULL) is set instead of failing when the file does not exist.  With
 * private, the owner and mode checks above apply.  The caller wipes buf.
 */
static enum lh_err
signkeys_read(const char *path, int private, char *buf, size_t *len,
    int *missing, char *errbuf, size_t errlen)
{
	struct stat	 st;
	enum lh_err	 r = LH_ERR_SIGNING;
	ssize_t		 n;
	int		 fd;

	*len = 0;
	buf[0] = '\0';
	if (missing != NULL)
		*missing = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT && missing != NULL) {
			*missing = 1;
			return LH_OK;
		}
		if (errno == ELOOP)
			signkeys_err(errbuf, errlen, "%s: is a symbolic link",
			    path);
		else
			signkeys_err(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
		return LH_ERR_SIGNING;
	}
	if (fstat(fd, &st) == -1) {
		signkeys_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		signkeys_err(errbuf, errlen, "%s: not a regular file", path);
		goto out;
	}
	if (private && st.st_uid != geteuid()) {
		signkeys_err(errbuf, errlen, "%s: owned by uid %lu, not by "
		    "uid %lu that reads it; refusing a private key another "
		    "user controls (chown it, or run as its owner)", path,
		    (unsigned long)st.st_uid, (unsigned long)geteuid());
		goto out;
	}
	if (private && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		signkeys_err(errbuf, errlen, "%s: permissions %04o are too "
		    "open: a private key must not be accessible by group or "
		    "others (chmod 600)", path,
		    (unsigned)(st.st_mode & 07777));
		goto out;
	}
	if (st.st_size > LH_SIGNKEY_FILE_MAX) {
		signkeys_err(errbuf, errlen, "%s: larger than %d bytes", path,
		    LH_SIGNKEY_FILE_MAX);
		goto out;
	}
	/* Read one byte past the cap: the file may have grown since. */
	while (*len <= LH_SIGNKEY_FILE_MAX) {
		n = read(fd, buf + *len, LH_SIGNKEY_FILE_MAX + 1 - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			signkeys_err(errbuf, errlen, "%s: %s", path,
			    strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	if (*len > LH_SIGNKEY_FILE_MAX) {
		signkeys_err(errbuf, errlen, "%s: larger than %d bytes", path,
		    LH_SIGNKEY_FILE_MAX);
		goto out;
	}
	buf[*len] = '\0';
	r = LH_OK;
 out:
	close(fd);
	return r;
}

/* The kid in dir/active into kid, "" if there is no such file. */
static enum lh_err
signkeys_active_read(const char *dir, char *kid, char *errbuf, size_t errlen)
{
	char		 path[LH_PATH_MAX];
	char		 buf[LH_SIGNKEY_FILE_MAX + 1];
	size_t		 len;
	enum lh_err	 r;
	int		 missing;

	kid[0] = '\0';
	if (signkeys_path(path, dir, SIGNKEYS_ACTIVE, "") == -1) {
		signkeys_err(errbuf, errlen, "%s: path too long", dir);
		return LH_ERR_SIGNING;
	}
	if ((r = signkeys_read(path, 0, buf, &len, &missing, errbuf, errlen)) !=
	    LH_OK || missing)
		return r;
	/* Exactly the kid, then at most one newline: what we write. */
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (strlen(buf) != len || !signkeys_kid_ok(buf)) {
		signkeys_err(errbuf, errlen, "%s: does not hold one key id",
		    path);
		return LH_ERR_SIGNING;
	}
	memcpy(kid, buf, len + 1);
	return LH_OK;
}

/*
 * Point dir/active at kid: a reader sees the old line or the new one,
 * never a torn write (rename(2) replaces the name atomically).
 */
static enum lh_err
signkeys_active_write(const char *dir, const char *kid, char *errbuf,
    size_t errlen)
{
	char		 tmp[LH_PATH_MAX], path[LH_PATH_MAX];
	char		 line[LH_KID_MAX + 2];
	size_t		 off, len;
	ssize_t		 n;
	int		 fd, saved;

	if (signkeys_path(tmp, dir, SIGNKEYS_ACTIVE_TMP, "") == -1 ||
	    signkeys_path(path, dir, SIGNKEYS_ACTIVE, "") == -1) {
		signkeys_err(errbuf, errlen, "%s: path too long", dir);
		return LH_ERR_SIGNING;
	}
	len = (size_t)snprintf(line, sizeof(line), "%s\n", kid);
	if ((fd = mkstemp(tmp)) == -1) {
		signkeys_err(errbuf, errlen, "%s: %s", tmp, strerror(errno));
		return LH_ERR_SIGNING;
	}
	for (off = 0; off < len; off += (size_t)n) {
		n = write(fd, line + off, len - off);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0)
			goto fail;
	}
	/* The key ids it names are public; so is the file. */
	if (fchmod(fd, 0644) == -1 || fsync(fd) == -1)
		goto fail;
	if (close(fd) == -1) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) == -1)
		goto fail;
	signkeys_dir_sync(dir);
	return LH_OK;
 fail:
	saved = errno;
	if (fd != -1)
		close(fd);
	(void)unlink(tmp);
	signkeys_err(errbuf, errlen, "%s: %s", path, strerror(saved));
	return LH_ERR_SIGNING;
}

/*
 * Write pkey's private (private set) or public half to a new file at
 * path.  *exists is set, and nothing written, when the name is taken.
 * A file left half-written is removed.
 */
static enum lh_err
signkeys_write(const char *path, EVP_PKEY *pkey, int private, int *exists,
    char *errbuf, size_t errlen)
{
	BIO		*bio = NULL;
	mode_t		 mode = private ? 0600 : 0644;
	enum lh_err	 r = LH_ERR_SIGNING;
	int		 fd, ok;

	*exists = 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    mode);
	if (fd == -1) {
		if (errno == EEXIST) {
			*exists = 1;
			return LH_OK;
		}
		signkeys_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		return LH_ERR_SIGNING;
	}
	/* The umask may have taken bits the public file should have. */
	if (fchmod(fd, mode) == -1) {
		signkeys_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	/* Straight to the descriptor: no buffer holds the PEM text. */
	if ((bio = BIO_new_fd(fd, BIO_NOCLOSE)) == NULL) {
		signkeys_err(errbuf, errlen, "%s: %s", path, signkeys_ossl());
		goto out;
	}
	if (private)
		/* PKCS#8 "PRIVATE KEY", unencrypted (RFC 8410 §7). */
		ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL,
		    NULL);
	else
		/* SubjectPublicKeyInfo "PUBLIC KEY" (RFC 8410 §4). */
		ok = PEM_write_bio_PUBKEY(bio, pkey);
	if (!ok || BIO_flush(bio) != 1) {
		signkeys_err(errbuf, errlen, "%s: cannot write the key: %s",
		    path, signkeys_ossl());
		goto out;
	}
	if (fsync(fd) == -1) {
		signkeys_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		goto out;
	}
	r = LH_OK;
 out:
	BIO_free(bio);
	if (close(fd) == -1 && r == LH_OK) {
		signkeys_err(errbuf, errlen, "%s: %s", path, strerror(errno));
		r = LH_ERR_SIGNING;
	}
	if (r != LH_OK)
		(void)unlink(path);
	return r;
}

/* Parse dir/<kid>.pub.pem into a new Ed25519 public key. */
static enum lh_err
signkeys_pub_load(const char *dir, const char *kid, EVP_PKEY **out,
    char *errbuf, size_t errlen)
{
	char		 path[LH_PATH_MAX];
	char		 buf[LH_SIGNKEY_FILE_MAX + 1];
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL;
	size_t		 len;
	enum lh_err	 r = LH_ERR_SIGNING;
	int		 missing;

	*out = NULL;
	if (signkeys_path(path, dir, kid, SIGNKEYS_PUB) == -1) {
		signkeys_err(errbuf, errlen, "%s: path too long", dir);
		goto out;
	}
	if ((r = signkeys_read(path, 0, buf, &len, &missing, errbuf, errlen)) !=
	    LH_OK)
		goto out;
	r = LH_ERR_SIGNING;
	if (missing) {
		signkeys_err(errbuf, errlen, "no public key %s in %s", kid,
		    dir);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = LH_ERR_NOMEM;
		signkeys_err(errbuf, errlen, "out of memory");
		goto out;
	}
	if ((pkey = PEM_read_bio_PUBKEY(bio, NULL, signkeys_nopass, NULL)) ==
	    NULL) {
		signkeys_err(errbuf, errlen, "%s: not a PEM public key: %s",
		    path, signkeys_ossl());
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		signkeys_err(errbuf, errlen, "%s: not an Ed25519 key", path);
		goto out;
	}
	*out = pkey;
	pkey = NULL;	/* transferred */
	r = LH_OK;
 out:
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	return r;
}

/* The raw 32-byte private (private set) or public half of pkey. */
static enum lh_err
signkeys_raw(EVP_PKEY *pkey, int private, uint8_t *raw, const char *path,
    char *errbuf, size_t errlen)
{
	size_t		 len = SIGNKEYS_RAW;
	int		 ok;

	if (private)
		ok = EVP_PKEY_get_raw_private_key(pkey, raw, &len);
	else
		ok = EVP_PKEY_get_raw_public_key(pkey, raw, &len);
	if (ok != 1 || len != SIGNKEYS_RAW) {
		OPENSSL_cleanse(raw, SIGNKEYS_RAW);
		signkeys_err(errbuf, errlen, "%s: cannot extract the raw %s "
		    "key: %s", path, private ? "private" : "public",
		    signkeys_ossl());
		return LH_ERR_SIGNING;
	}
	return LH_OK;
}

enum lh_err
signkeys_generate(const char *dir, int make_active, char kid[LH_KID_MAX + 1],
    char *errbuf, size_t errlen)
{
	char		 priv[LH_PATH_MAX], pub[LH_PATH_MAX];
	char		 retired[LH_PATH_MAX], cur[LH_KID_MAX + 1];
	uint8_t		 rnd[SIGNKEYS_RND];
	struct stat	 st;
	struct tm	 tm;
	EVP_PKEY	*pkey = NULL;
	time_t		 now;
	mode_t		 omask;
	enum lh_err	 r;
	int		 tries, exists;

	kid[0] = '\0';
	signkeys_err(errbuf, errlen, "%s", "");
	/* Nothing created below may be readable by others, even briefly. */
	omask = umask(077);
	if ((r = signkeys_dir(dir, 1, errbuf, errlen)) != LH_OK)
		goto out;
	r = LH_ERR_SIGNING;
	if ((pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")) == NULL) {
		signkeys_err(errbuf, errlen, "cannot generate an Ed25519 "
		    "key: %s", signkeys_ossl());
		goto out;
	}
	for (tries = 0; tries < SIGNKEYS_TRIES; tries++) {
		now = time(NULL);
		if (gmtime_r(&now, &tm) == NULL ||
		    RAND_bytes(rnd, sizeof(rnd)) != 1) {
			signkeys_err(errbuf, errlen, "cannot make a key id: %s",
			    signkeys_ossl());
			goto out;
		}
		(void)snprintf(cur, sizeof(cur), "k%04d%02d%02d-%02x%02x",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, rnd[0],
		    rnd[1]);
		if (signkeys_path(priv, dir, cur, SIGNKEYS_PRIV) == -1 ||
		    signkeys_path(pub, dir, cur, SIGNKEYS_PUB) == -1 ||
		    signkeys_path(retired, dir, cur, SIGNKEYS_RETIRED) == -1) {
			signkeys_err(errbuf, errlen, "%s: path too long", dir);
			goto out;
		}
		/* A retired kid keeps its public file; never reuse it. */
		if (lstat(retired, &st) == 0)
			continue;
		r = signkeys_write(priv, pkey, 1, &exists, errbuf, errlen);
		if (r != LH_OK)
			goto out;
		if (exists)
			continue;
		r = signkeys_write(pub, pkey, 0, &exists, errbuf, errlen);
		if (r != LH_OK || exists) {
			(void)unlink(priv);
			if (r != LH_OK)
				goto out;
			continue;
		}
		break;
	}
	r = LH_ERR_SIGNING;
	if (tries == SIGNKEYS_TRIES) {
		signkeys_err(errbuf, errlen, "%s: no free key id after %d "
		    "tries", dir, SIGNKEYS_TRIES);
		goto out;
	}
	signkeys_dir_sync(dir);
	memcpy(kid, cur, strlen(cur) + 1);
	if (!make_active) {
		r = signkeys_active_read(dir, cur, errbuf, errlen);
		if (r != LH_OK)
			goto out;
		make_active = cur[0] == '\0';
	}
	if (make_active &&
	    (r = signkeys_active_write(dir, kid, errbuf, errlen)) != LH_OK)
		goto out;
	r = LH_OK;
 out:
	(void)umask(omask);
	EVP_PKEY_free(pkey);
	return r;
}

enum lh_err
signkeys_rotate(const char *dir, char kid[LH_KID_MAX + 1], char *errbuf,
    size_t errlen)
{
	return signkeys_generate(dir, 1, kid, errbuf, errlen);
}

enum lh_err
signkeys_retire(const char *dir, const char *kid, char *errbuf,
    size_t errlen)
{
	char		 priv[LH_PATH_MAX], pub[LH_PATH_MAX];
	char		 marker[LH_PATH_MAX], cur[LH_KID_MAX + 1];
	struct stat	 st;
	enum lh_err	 r;
	int		 fd, has_priv, has_pub, has_marker;

	signkeys_err(errbuf, errlen, "%s", "");
	if (!signkeys_kid_ok(kid)) {
		signkeys_err(errbuf, errlen, SIGNKEYS_BAD_KID, LH_KID_MAX);
		return LH_ERR_SIGNING;
	}
	if ((r = signkeys_dir(dir, 0, errbuf, errlen)) != LH_OK)
		return r;
	if ((r = signkeys_active_read(dir, cur, errbuf, errlen)) != LH_OK)
		return r;
	if (strcmp(cur, kid) == 0) {
		signkeys_err(errbuf, errlen, "%s is the active key; make "
		    "another key active first (licensectl keys rotate)", kid);
		return LH_ERR_SIGNING;
	}
	if (signkeys_path(priv, dir, kid, SIGNKEYS_PRIV) == -1 ||
	    signkeys_path(pub, dir, kid, SIGNKEYS_PUB) == -1 ||
	    signkeys_path(marker, dir, kid, SIGNKEYS_RETIRED) == -1) {
		signkeys_err(errbuf, errlen, "%s: path too long", dir);
		return LH_ERR_SIGNING;
	}
	has_priv = lstat(priv, &st) == 0;
	has_pub = lstat(pub, &st) == 0;
	has_marker = lstat(marker, &st) == 0;
	if (!has_priv && !has_pub && !has_marker) {
		signkeys_err(errbuf, errlen, "no key %s in %s", kid, dir);
		return LH_ERR_SIGNING;
	}
	if (has_marker && !has_priv) {
		signkeys_err(errbuf, errlen, "%s is already retired", kid);
		return LH_ERR_SIGNING;
	}
	/*
	 * The marker first: a crash before the unlink leaves a retired key
	 * with a private file, which the next retire finishes.  A private
	 * file without a marker would look like a key on standby.
	 */
	fd = open(marker, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd == -1 || fsync(fd) == -1) {
		signkeys_err(errbuf, errlen, "%s: %s", marker, strerror(errno));
		if (fd != -1)
			close(fd);
		return LH_ERR_SIGNING;
	}
	close(fd);
	/*
	 * XXX unlink(2) only drops the name: on journaling and flash file
	 * systems overwriting the file first would not reliably erase the
	 * key either, so it is not attempted.
	 */
	if (unlink(priv) == -1 && errno != ENOENT) {
		signkeys_err(errbuf, errlen, "%s: %s", priv, strerror(errno));
		return LH_ERR_SIGNING;
	}
	signkeys_dir_sync(dir);
	return LH_OK;
}

enum lh_err
signkeys_active(const char *dir, char kid[LH_KID_MAX + 1], char *errbuf,
    size_t errlen)
{
	enum lh_err	 r;

	kid[0] = '\0';
	signkeys_err(errbuf, errlen, "%s", "");
	if ((r = signkeys_dir(dir, 0, errbuf, errlen)) != LH_OK)
		return r;
	return signkeys_active_read(dir, kid, errbuf, errlen);
}

/* Oldest first; kids break ties, so that the order is stable. */
static int
signkeys_cmp(const void *a, const void *b)
{
	const struct signkeys_entry *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->kid, y->kid);
}

enum lh_err
signkeys_list(const char *dir, signkeys_fn fn, void *arg, char *errbuf,
    size_t errlen)
{
	static const char *const suffixes[] = {
		SIGNKEYS_PUB, SIGNKEYS_PRIV, SIGNKEYS_RETIRED
	};
	struct signkeys_entry *v = NULL, *e;
	struct dirent	*de;
	struct stat	 st;
	DIR		*d = NULL;
	char		 cur[LH_KID_MAX + 1], kid[LH_KID_MAX + 1];
	char		 path[LH_PATH_MAX];
	size_t		 n = 0, i, k, len, slen = 0;
	enum lh_err	 r;

	signkeys_err(errbuf, errlen, "%s", "");
	if ((r = signkeys_dir(dir, 0, errbuf, errlen)) != LH_OK)
		goto out;
	if ((r = signkeys_active_read(dir, cur, errbuf, errlen)) != LH_OK)
		goto out;
	r = LH_ERR_SIGNING;
	if ((v = calloc(LH_SIGNKEYS_MAX, sizeof(*v))) == NULL) {
		r = LH_ERR_NOMEM;
		signkeys_err(errbuf, errlen, "out of memory");
		goto out;
	}
	if ((d = opendir(dir)) == NULL) {
		signkeys_err(errbuf, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				signkeys_err(errbuf, errlen, "%s: %s", dir,
				    strerror(errno));
				goto out;
			}
			break;
		}
		/* ".pub.pem" before ".pem": the longer suffix wins. */
		len = strlen(de->d_name);
		for (k = 0; k < sizeof(suffixes) / sizeof(suffixes[0]); k++) {
			slen = strlen(suffixes[k]);
			if (len > slen && len - slen <= LH_KID_MAX &&
			    strcmp(de->d_name + len - slen, suffixes[k]) == 0)
				break;
		}
		if (k == sizeof(suffixes) / sizeof(suffixes[0]))
			continue;
		memcpy(kid, de->d_name, len - slen);
		kid[len - slen] = '\0';
		/* Not ours (an editor's backup, a temporary file): skip. */
		if (!signkeys_kid_ok(kid))
			continue;
		for (i = 0; i < n; i++)
			if (strcmp(v[i].kid, kid) == 0)
				break;
		if (i == n) {
			if (n == LH_SIGNKEYS_MAX) {
				signkeys_err(errbuf, errlen, "%s: more than "
				    "%d keys", dir, LH_SIGNKEYS_MAX);
				goto out;
			}
			memcpy(v[n].kid, kid, len - slen + 1);
			n++;
		}
		if (k == 0)
			v[i].has_public = 1;
		else if (k == 1)
			v[i].has_private = 1;
		else
			v[i].retired = 1;
	}
	/* A dangling "active" is worth seeing, not hiding. */
	if (cur[0] != '\0') {
		for (i = 0; i < n; i++)
			if (strcmp(v[i].kid, cur) == 0)
				break;
		if (i == n) {
			if (n == LH_SIGNKEYS_MAX) {
				signkeys_err(errbuf, errlen, "%s: more than "
				    "%d keys", dir, LH_SIGNKEYS_MAX);
				goto out;
			}
			memcpy(v[n++].kid, cur, strlen(cur) + 1);
		}
		v[i].active = 1;
	}
	for (i = 0; i < n; i++) {
		e = &v[i];
		if ((e->has_public &&
		    signkeys_path(path, dir, e->kid, SIGNKEYS_PUB) == 0 &&
		    lstat(path, &st) == 0) ||
		    (e->has_private &&
		    signkeys_path(path, dir, e->kid, SIGNKEYS_PRIV) == 0 &&
		    lstat(path, &st) == 0))
			e->created = st.st_mtime;
	}
	qsort(v, n, sizeof(*v), signkeys_cmp);
	for (i = 0; i < n; i++)
		if (fn(arg, &v[i]) != 0)
			break;
	r = LH_OK;
 out:
	if (d != NULL)
		closedir(d);
	free(v);
	return r;
}

enum lh_err
signkeys_load_active(const char *dir, struct lh_signkey *out, char *errbuf,
    size_t errlen)
{
	char		 path[LH_PATH_MAX], kid[LH_KID_MAX + 1];
	char		 buf[LH_SIGNKEY_FILE_MAX + 1];
	uint8_t		 priv[SIGNKEYS_RAW], pub[SIGNKEYS_RAW];
	uint8_t		 filepub[SIGNKEYS_RAW];
	BIO		*bio = NULL;
	EVP_PKEY	*pkey = NULL, *pubkey = NULL;
	size_t		 len = 0;
	enum lh_err	 r;
	int		 missing;

	memset(out, 0, sizeof(*out));
	signkeys_err(errbuf, errlen, "%s", "");
	if ((r = signkeys_dir(dir, 0, errbuf, errlen)) != LH_OK)
		goto out;
	if ((r = signkeys_active_read(dir, kid, errbuf, errlen)) != LH_OK)
		goto out;
	r = LH_ERR_SIGNING;
	if (kid[0] == '\0') {
		signkeys_err(errbuf, errlen, "%s: %s", dir, SIGNKEYS_NO_ACTIVE);
		goto out;
	}
	if (signkeys_path(path, dir, kid, SIGNKEYS_PRIV) == -1) {
		signkeys_err(errbuf, errlen, "%s: path too long", dir);
		goto out;
	}
	if ((r = signkeys_read(path, 1, buf, &len, &missing, errbuf, errlen)) !=
	    LH_OK)
		goto out;
	r = LH_ERR_SIGNING;
	if (missing) {
		signkeys_err(errbuf, errlen, "%s: the active key's private "
		    "key file is missing", path);
		goto out;
	}
	if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = LH_ERR_NOMEM;
		signkeys_err(errbuf, errlen, "out of memory");
		goto out;
	}
	pkey = PEM_read_bio_PrivateKey(bio, NULL, signkeys_nopass, NULL);
	if (pkey == NULL) {
		signkeys_err(errbuf, errlen, "%s: not an unencrypted PEM "
		    "private key: %s", path, signkeys_ossl());
		goto out;
	}
	if (!EVP_PKEY_is_a(pkey, "ED25519")) {
		signkeys_err(errbuf, errlen, "%s: not an Ed25519 key", path);
		goto out;
	}
	if ((r = signkeys_raw(pkey, 1, priv, path, errbuf, errlen)) != LH_OK ||
	    (r = signkeys_raw(pkey, 0, pub, path, errbuf, errlen)) != LH_OK)
		goto out;
	/* The public file is what vendors ship; it must be this key's. */
	if ((r = signkeys_pub_load(dir, kid, &pubkey, errbuf, errlen)) != LH_OK)
		goto out;
	r = signkeys_raw(pubkey, 0, filepub, path, errbuf, errlen);
	if (r != LH_OK)
		goto out;
	r = LH_ERR_SIGNING;
	if (CRYPTO_memcmp(pub, filepub, SIGNKEYS_RAW) != 0) {
		signkeys_err(errbuf, errlen, "%s%s does not match %s", kid,
		    SIGNKEYS_PUB, path);
		goto out;
	}
	memcpy(out->kid, kid, strlen(kid) + 1);
	memcpy(out->priv, priv, SIGNKEYS_RAW);
	memcpy(out->pub, pub, SIGNKEYS_RAW);
	/*
	 * The parsed key signs every answer from now on (what
	 * token_key_init() would make from the raw bytes), so that no
	 * signature pays for importing it again.  pub was derived from it
	 * and matched the public file above.
	 */
	out->pkey = pkey;
	pkey = NULL;	/* transferred */
	r = LH_OK;
 out:
	OPENSSL_cleanse(priv, sizeof(priv));
	OPENSSL_cleanse(buf, sizeof(buf));
	BIO_free(bio);
	EVP_PKEY_free(pkey);
	EVP_PKEY_free(pubkey);
	return r;
}

enum lh_err
signkeys_load_public(const char *dir, const char *kid, uint8_t pub[32],
    char *errbuf, size_t errlen)
{
	EVP_PKEY	*pkey = NULL;
	enum lh_err	 r;

	memset(pub, 0, SIGNKEYS_RAW);
	signkeys_err(errbuf, errlen, "%s", "");
	if (!signkeys_kid_ok(kid)) {
		signkeys_err(errbuf, errlen, SIGNKEYS_BAD_KID, LH_KID_MAX);
		return LH_ERR_SIGNING;
	}
	if ((r = signkeys_dir(dir, 0, errbuf, errlen)) != LH_OK)
		return r;
	if ((r = signkeys_pub_load(dir, kid, &pkey, errbuf, errlen)) != LH_OK)
		return r;
	r = signkeys_raw(pkey, 0, pub, kid, errbuf, errlen);
	EVP_PKEY_free(pkey);
	return r;
}

enum lh_err
signkeys_public_pem(const char *dir, const char *kid, FILE *out,
    char *errbuf, size_t errlen)
{
	char		 cur[LH_KID_MAX + 1];
	EVP_PKEY	*pkey = NULL;
	enum lh_err	 r;

	signkeys_err(errbuf, errlen, "%s", "");
	if (kid != NULL && !signkeys_kid_ok(kid)) {
		signkeys_err(errbuf, errlen, SIGNKEYS_BAD_KID, LH_KID_MAX);
		return LH_ERR_SIGNING;
	}
	if ((r = signkeys_dir(dir, 0, errbuf, errlen)) != LH_OK)
		return r;
	if (kid == NULL) {
		r = signkeys_active_read(dir, cur, errbuf, errlen);
		if (r != LH_OK)
			return r;
		if (cur[0] == '\0') {
			signkeys_err(errbuf, errlen, "%s: %s", dir,
			    SIGNKEYS_NO_ACTIVE);
			return LH_ERR_SIGNING;
		}
		kid = cur;
	}
	if ((r = signkeys_pub_load(dir, kid, &pkey, errbuf, errlen)) != LH_OK)
		return r;
	/* Written afresh from the parsed key: only a valid key goes out. */
	r = LH_ERR_SIGNING;
	if (PEM_write_PUBKEY(out, pkey) != 1) {
		signkeys_err(errbuf, errlen, "cannot write the public key: %s",
		    signkeys_ossl());
		goto out;
	}
	if (fflush(out) == EOF || ferror(out)) {
		signkeys_err(errbuf, errlen, "cannot write the public key: %s",
		    strerror(errno));
		goto out;
	}
	r = LH_OK;
 out:
	EVP_PKEY_free(pkey);
	return r;
}
