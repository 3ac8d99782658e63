/*
 * nullfcgi: the do-nothing FastCGI responder of bench/run.sh, the
 * ceiling for any libfcgi program behind the same nginx.  It accepts
 * requests on the listening socket it finds on fd 0 (spawn-fcgi and
 * multiwatch hand it over as they do for licensehook), answers each with
 * a fixed small JSON body and never reads the request body: FCGX_Finish_r
 * drains it, as it would for any responder.
 *
 *	cc -O2 -o nullfcgi nullfcgi.c -lfcgi
 *	nullfcgi [DELAY-MS]
 *
 * With DELAY-MS (0 to 10000) it waits that long before each answer, so
 * that concurrent requests overlap: run.sh uses that to show what nginx's
 * upstream keep-alive does to workers that serve one connection at a
 * time.  The answer carries the same headers licensehook sends, so nginx
 * does the same work on the way back.  Not installed; bench/ only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <fcgiapp.h>

#define NULL_DELAY_MAX	10000	/* milliseconds, the longest DELAY-MS */

static const char	 null_answer[] =
    "Status: 200 OK\r\n"
    "Content-Type: application/json\r\n"
    "Cache-Control: no-store\r\n"
    "Content-Length: 12\r\n"
    "\r\n"
    "{\"ok\":true}\n";

int
main(int argc, char *argv[])
{
	FCGX_Request	 req;
	struct timespec	 delay = { 0, 0 };
	char		*end;
	long		 ms = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: nullfcgi [DELAY-MS]\n");
		return 2;
	}
	if (argc == 2) {
		errno = 0;
		ms = strtol(argv[1], &end, 10);
		if (errno != 0 || end == argv[1] || *end != '\0' || ms < 0 ||
		    ms > NULL_DELAY_MAX) {
			fprintf(stderr, "nullfcgi: DELAY-MS must be 0 to %d\n",
			    NULL_DELAY_MAX);
			return 2;
		}
		delay.tv_sec = ms / 1000;
		delay.tv_nsec = (ms % 1000) * 1000000L;
	}
	if (FCGX_Init() != 0 || FCGX_IsCGI()) {
		fprintf(stderr, "nullfcgi: no FastCGI socket on fd 0\n");
		return 1;
	}
	if (FCGX_InitRequest(&req, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&req) >= 0) {
		if (ms > 0)
			(void)nanosleep(&delay, NULL);
		(void)FCGX_PutStr(null_answer, (int)(sizeof(null_answer) - 1),
		    req.out);
		FCGX_Finish_r(&req);
	}
	FCGX_Free(&req, 1);
	return 0;
}
