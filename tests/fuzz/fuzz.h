/*
 * Shared by the fuzz targets (tests/fuzz/fuzz_<name>.c, one libFuzzer
 * entry point per parser, linked against liblhcore.a only) and by
 * tests/fuzz/replay.c, which links all of them into one TAP program that
 * make check runs over the seed corpora.
 *
 * A target defines FUZZ_NAME before including this file.  Built for
 * libFuzzer, its entry point is LLVMFuzzerTestOneInput; built with
 * -DLH_FUZZ_REPLAY, the same function is renamed fuzz_<FUZZ_NAME>_one so
 * that every target fits in the one replay program.
 *
 * A harness checks what lh.h promises about a parser's result and calls
 * FUZZ_ASSERT: a broken promise aborts, which libFuzzer reports as a
 * crash and keeps the input, like a memory error under ASan.
 */
#ifndef LH_FUZZ_H
#define LH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every target, in the order replay.c runs them. */
#define FUZZ_TARGETS(X)	X(sig) X(event) X(api) X(conf) X(http) X(token) \
			X(mailfmt)

#ifdef FUZZ_NAME
#ifdef LH_FUZZ_REPLAY
#define FUZZ_PASTE(a, b, c)	a##b##c
#define FUZZ_ENTRY(n)		FUZZ_PASTE(fuzz_, n, _one)
#define LLVMFuzzerTestOneInput	FUZZ_ENTRY(FUZZ_NAME)
#endif
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
#endif

#define FUZZ_ASSERT(c) do {						\
	if (!(c))							\
		fuzz_fail(__FILE__, __LINE__, #c);			\
} while (0)

static void __attribute__((noreturn, unused))
fuzz_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "%s:%d: broken promise: %s\n", file, line, what);
	abort();
}

/*
 * A NUL-terminated copy of len bytes (an embedded NUL ends the string
 * early, as it would for the web server's C strings).  NULL when out of
 * memory; the harness then skips the input.
 */
static __attribute__((unused)) char *
fuzz_cstr(const uint8_t *data, size_t len)
{
	char	*s;

	if ((s = malloc(len + 1)) == NULL)
		return NULL;
	if (len > 0)
		memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

/*
 * Split an input at its first newline: the bytes before it (the first
 * line, without the newline) and after it.  Without a newline the whole
 * input is the first line and the rest is empty.
 */
static void __attribute__((unused))
fuzz_split(const uint8_t *data, size_t size, size_t *firstlen,
    const uint8_t **rest, size_t *restlen)
{
	const uint8_t	*nl;

	if (size == 0 || (nl = memchr(data, '\n', size)) == NULL) {
		*firstlen = size;
		*rest = data + size;
		*restlen = 0;
		return;
	}
	*firstlen = (size_t)(nl - data);
	*rest = nl + 1;
	*restlen = size - *firstlen - 1;
}

/* Whether s is a NUL-terminated string within size bytes.  1 or 0. */
static int __attribute__((unused))
fuzz_terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

/* Whether every byte of len bytes is zero.  1 or 0. */
static int __attribute__((unused))
fuzz_zero(const void *p, size_t len)
{
	const unsigned char	*b = p;
	size_t			 i;

	for (i = 0; i < len; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

#endif /* LH_FUZZ_H */
