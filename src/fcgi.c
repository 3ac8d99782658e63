/*
 * The request loop: FastCGI through libfcgi when the web server (or
 * spawn-fcgi, or systemd) hands us a listening socket on fd 0, else one
 * plain CGI request (RFC 3875) from the environment and stdin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "lh.h"
#include "io.h"
#include "fcgi.h"

/* One request's streams: FastCGI's, or the process's under CGI. */
struct fcgi_io {
	FCGX_Request	*req;		/* NULL under CGI */
};

/* The request body buffer, grown on demand up to body_limit and kept
 * across requests so the steady state allocates nothing. */
struct fcgi_buf {
	char		*data;
	size_t		 cap;
};

static const char *
io_getenv(struct fcgi_io *io, const char *name)
{
	if (io->req != NULL)
		return FCGX_GetParam(name, io->req->envp);
	return getenv(name);
}

/* Read up to n bytes; fewer only at end of input. */
static size_t
io_read(struct fcgi_io *io, char *buf, size_t n)
{
	size_t	 got = 0, r;
	int	 part;

	while (got < n) {
		if (io->req != NULL) {
			part = FCGX_GetStr(buf + got, (int)(n - got),
			    io->req->in);
			if (part <= 0)
				break;
			got += (size_t)part;
		} else {
			r = fread(buf + got, 1, n - got, stdin);
			if (r == 0)
				break;
			got += r;
		}
	}
	return got;
}

static void
io_write(struct fcgi_io *io, const char *buf, size_t n)
{
	if (io->req != NULL)
		(void)FCGX_PutStr(buf, (int)n, io->req->out);
	else
		(void)fwrite(buf, 1, n, stdout);
}

/* Log lines for "stderr" go to the web server's error log. */
static void
io_log_sink(void *arg, const char *line, size_t len)
{
	struct fcgi_io	*io = arg;

	if (io->req != NULL) {
		(void)FCGX_PutStr(line, (int)len, io->req->err);
		(void)FCGX_FFlush(io->req->err);
	} else if (write(STDERR_FILENO, line, len) == -1) {
		/* Nowhere left to report it. */
	}
}

static const char *
status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 411: return "Length Required";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/*
 * The request path without the query string.  REQUEST_URI is what the
 * client sent under both nginx and Apache; SCRIPT_NAME + PATH_INFO
 * (RFC 3875 §4.1.13, §4.1.5) is the fallback.  A path longer than
 * LH_PATH_MAX is left empty so that it routes nowhere.
 */
static void
fcgi_path(struct fcgi_io *io, char *path, size_t len)
{
	const char	*uri, *script, *info;
	size_t		 n;
	int		 w;

	path[0] = '\0';
	if ((uri = io_getenv(io, "REQUEST_URI")) != NULL && *uri != '\0') {
		n = strcspn(uri, "?");
		if (n < len) {
			memcpy(path, uri, n);
			path[n] = '\0';
		}
		return;
	}
	script = io_getenv(io, "SCRIPT_NAME");
	info = io_getenv(io, "PATH_INFO");
	w = snprintf(path, len, "%s%s", script ? script : "", info ? info : "");
	if (w < 0 || (size_t)w >= len)
		path[0] = '\0';
}

/* Read exactly the declared body, NUL-terminated; RFC 3875 §4.2. */
static enum lh_err
fcgi_body(struct fcgi_io *io, struct fcgi_buf *buf, size_t n,
    struct lh_request *req)
{
	char	*p;

	if (buf->cap < n + 1) {
		if ((p = realloc(buf->data, n + 1)) == NULL)
			return LH_ERR_NOMEM;
		buf->data = p;
		buf->cap = n + 1;
	}
	if (io_read(io, buf->data, n) != n)
		return LH_ERR_BODY_SHORT;
	buf->data[n] = '\0';
	req->body = buf->data;
	req->bodylen = n;
	return LH_OK;
}

static void
fcgi_respond(struct fcgi_io *io, const struct lh_response *resp)
{
	const char	*body = resp->dynbody ? resp->dynbody : resp->body;
	char		 head[1024];
	size_t		 blen, n;
	int		 w;

	blen = resp->dynbody ? resp->dynlen : strlen(resp->body);
	/* The body goes out with a trailing newline, counted here. */
	w = snprintf(head, sizeof(head),
	    "Status: %d %s\r\n"
	    "Content-Type: application/json\r\n"
	    "Cache-Control: no-store\r\n"
	    "Content-Length: %zu\r\n",
	    resp->status, status_text(resp->status),
	    blen + (resp->sig_header[0] == '\0'));
	if (w < 0)
		return;
	n = (size_t)w;
	if (resp->allow != NULL && n < sizeof(head))
		n += (size_t)snprintf(head + n, sizeof(head) - n,
		    "Allow: %s\r\n", resp->allow);
	if (resp->retry_after > 0 && n < sizeof(head))
		n += (size_t)snprintf(head + n, sizeof(head) - n,
		    "Retry-After: %d\r\n", resp->retry_after);
	if (resp->sig_header[0] != '\0' && n < sizeof(head))
		n += (size_t)snprintf(head + n, sizeof(head) - n,
		    "Licensehook-Signature: %s\r\n", resp->sig_header);
	if (n + 2 >= sizeof(head))
		return;
	head[n++] = '\r';
	head[n++] = '\n';
	io_write(io, head, n);
	io_write(io, body, blen);
	/* The signature covers the body as sent: no newline after a
	 * signed one. */
	if (resp->sig_header[0] == '\0')
		io_write(io, "\n", 1);
}

static double
elapsed_ms(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void
fcgi_log(const struct lh_request *req, const struct lh_response *resp,
    const struct timespec *t0)
{
	const char	*m = req->method ? req->method : "-";
	char		 what[LH_FIELD_MAX * 2 + 64] = "";
	size_t		 n = 0;

	/* Only the parts this request has: event, type (or API op). */
	if (resp->event_id[0] != '\0')
		n += (size_t)snprintf(what + n, sizeof(what) - n, " event=%s",
		    resp->event_id);
	if (resp->event_type[0] != '\0' && n < sizeof(what))
		snprintf(what + n, sizeof(what) - n, " type=%s",
		    resp->event_type);
	if (resp->err == LH_OK)
		log_line("%.16s %s %d%s outcome=%s%s%s%s%s ms=%.1f",
		    m, req->path, resp->status, what, resp->outcome,
		    resp->key_masked[0] ? " license=" : "", resp->key_masked,
		    req->remote_addr && resp->event_id[0] == '\0' ?
		    " addr=" : "",
		    req->remote_addr && resp->event_id[0] == '\0' ?
		    req->remote_addr : "", elapsed_ms(t0));
	else
		log_line("%.16s %s %d%s error=%s%s%s ms=%.1f",
		    m, req->path, resp->status, what,
		    lh_err_code(resp->err),
		    resp->detail[0] ? " detail=" : "", resp->detail,
		    elapsed_ms(t0));
}

static void
fcgi_handle(struct lh_ctx *ctx, struct fcgi_io *io, struct fcgi_buf *buf)
{
	struct lh_request	 req;
	struct lh_response	 resp;
	struct timespec		 t0;
	char			 path[LH_PATH_MAX + 1];
	const char		*allow = NULL;
	enum lh_route		 route;
	size_t			 n = 0, limit;
	enum lh_err		 r;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	log_set_sink(io_log_sink, io);

	fcgi_path(io, path, sizeof(path));
	req.path = path;
	req.method = io_getenv(io, "REQUEST_METHOD");
	req.content_length = io_getenv(io, "CONTENT_LENGTH");
	req.stripe_signature = io_getenv(io, "HTTP_STRIPE_SIGNATURE");
	req.content_type = io_getenv(io, "CONTENT_TYPE");
	req.remote_addr = io_getenv(io, "REMOTE_ADDR");
	req.country = io_getenv(io, "GEOIP_COUNTRY_CODE");
	if ((req.origin = io_getenv(io, "HTTP_ORIGIN")) == NULL)
		req.origin = io_getenv(io, "HTTP_REFERER");
	/* Bounded before they reach the usage log. */
	if (req.remote_addr != NULL && strlen(req.remote_addr) > LH_ADDR_MAX)
		req.remote_addr = NULL;
	if (req.country != NULL && strlen(req.country) > 8)
		req.country = NULL;
	if (req.origin != NULL && strlen(req.origin) > LH_PATH_MAX)
		req.origin = NULL;

	route = http_route(path, &allow);
	limit = route == LH_ROUTE_STRIPE_WEBHOOK ? ctx->conf->body_max :
	    (ctx->conf->body_max < LH_API_BODY_MAX ? ctx->conf->body_max :
	    LH_API_BODY_MAX);
	if (route == LH_ROUTE_NONE)
		webhook_fail(&resp, LH_ERR_NOT_FOUND);
	else if (req.method == NULL || strcmp(req.method, "POST") != 0) {
		webhook_fail(&resp, LH_ERR_METHOD);
		resp.allow = allow;
	} else if ((r = http_content_length(req.content_length, limit, &n))
	    != LH_OK)
		/* Over the limit: answer now and read no further. */
		webhook_fail(&resp, r);
	else if ((r = fcgi_body(io, buf, n, &req)) != LH_OK)
		webhook_fail(&resp, r);
	else if (route == LH_ROUTE_STRIPE_WEBHOOK)
		webhook_stripe(ctx, &req, time(NULL), &resp);
	else
		licenses_handle(ctx, route == LH_ROUTE_ACTIVATE ?
		    LH_API_ACTIVATE : route == LH_ROUTE_VALIDATE ?
		    LH_API_VALIDATE : LH_API_DEACTIVATE, &req, time(NULL),
		    &resp);

	/* The API's own refusals (405, 411, 413...) are signed too. */
	if (route != LH_ROUTE_NONE && route != LH_ROUTE_STRIPE_WEBHOOK &&
	    resp.sig_header[0] == '\0')
		licenses_sign(ctx, &resp);
	fcgi_respond(io, &resp);
	fcgi_log(&req, &resp, &t0);
	log_set_sink(NULL, NULL);
	free(resp.dynbody);
}

/*
 * Send a few queued customer notices.  Called between requests, after
 * FCGX_Finish_r() has sent the answer and closed the request, so that a
 * slow or hung sendmail delays only the next request this worker takes
 * (by at most deliver_after x mail.timeout), never an answer.  What is
 * left goes with the next request, or with licensectl deliver.
 */
static void
fcgi_deliver(struct lh_ctx *ctx)
{
	enum lh_err	 r;
	int		 sent, failed;

	if (ctx->db == NULL || !mail_on(ctx->conf) ||
	    ctx->conf->mail.deliver_after <= 0)
		return;
	if ((r = mail_deliver(ctx->db, ctx->conf, ctx->conf->mail.deliver_after,
	    time(NULL), &sent, &failed)) != LH_OK)
		log_line("mail: %s: %s", lh_err_msg(r), db_errmsg(ctx->db));
}

int
fcgi_serve(struct lh_ctx *ctx)
{
	struct fcgi_buf	 buf = { NULL, 0 };
	struct fcgi_io	 io = { NULL };
	FCGX_Request	 req;
	int		 rc = 0;

	if (FCGX_Init() != 0) {
		rc = -1;
		goto out;
	}
	if (FCGX_IsCGI()) {
		/*
		 * Under CGI the web server may finish the answer only when
		 * the process exits, and may kill it soon after (Apache's
		 * mod_cgi does), so no mail goes out here: licensectl
		 * deliver sends it, from cron or a timer.
		 */
		fcgi_handle(ctx, &io, &buf);
		fflush(stdout);
		goto out;
	}
	if (FCGX_InitRequest(&req, 0, 0) != 0) {
		rc = -1;
		goto out;
	}
	io.req = &req;
	while (FCGX_Accept_r(&req) >= 0) {
		fcgi_handle(ctx, &io, &buf);
		FCGX_Finish_r(&req);
		fcgi_deliver(ctx);
		/* The usage database's checkpoint, out of every request. */
		usage_tidy(ctx->usage);
	}
	FCGX_Free(&req, 1);
 out:
	free(buf.data);
	/* Made by the webhook handler on first need. */
	mail_free(ctx->mail);
	ctx->mail = NULL;
	sig_keys_free(ctx->sig_keys);
	ctx->sig_keys = NULL;
	return rc;
}
