/*
 * licensehook: the FastCGI / CGI request loop.
 */
#ifndef LH_FCGI_H
#define LH_FCGI_H

#include "io.h"

/*
 * Serve requests until the web server goes away: FastCGI when fd 0 is a
 * listening socket, else exactly one CGI request.  Returns 0, or -1 if
 * libfcgi could not be set up.
 */
int	 fcgi_serve(struct lh_ctx *);

#endif /* LH_FCGI_H */
