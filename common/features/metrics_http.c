// SPDX-License-Identifier: Apache-2.0
#include "metrics_http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

/*
 * Bounds against hostile clients. A scraper needs one connection, a few
 * hundred bytes of request and a second; a client past the connection limit
 * is closed at once, one whose request outgrows its memory gets 431, and one
 * idle for the timeout is closed.
 */
#define CONNECTION_LIMIT   32
#define CONNECTION_MEMORY  (16 * 1024)
#define CONNECTION_TIMEOUT 5 /* seconds */
#define LISTEN_BACKLOG     64
#define METRICS_PATH       "/metrics"

struct tt_metrics_http {
	struct MHD_Daemon *daemon;
	tt_metrics_render_fn render;
	void *ctx;
};

static enum MHD_Result reply_static(struct MHD_Connection *connection, unsigned status,
                                    const char *body, const char *allow)
{
	/* PERSISTENT: the library never writes to it; its prototype just is not const. */
	void *text;
	memcpy(&text, &body, sizeof(text));
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(strlen(body), text, MHD_RESPMEM_PERSISTENT);
	if (!response)
		return MHD_NO;
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "text/plain; charset=utf-8");
	if (allow)
		MHD_add_response_header(response, MHD_HTTP_HEADER_ALLOW, allow);
	enum MHD_Result rc = MHD_queue_response(connection, status, response);
	MHD_destroy_response(response);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *connection, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **request)
{
	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)request;
	struct tt_metrics_http *http = cls;
	/* Answered at once, whatever follows: a body is never read. */
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_static(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n",
		                    "GET, HEAD");
	if (strcmp(url, METRICS_PATH) != 0)
		return reply_static(connection, MHD_HTTP_NOT_FOUND, "try /metrics\n", NULL);
	const char *accept =
	    MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT);
	enum tt_expo_format format = tt_expo_format_for(accept);
	struct strbuf text;
	strbuf_init(&text);
	if (http->render(http->ctx, format, &text) != 0 || !strbuf_text(&text)) {
		strbuf_free(&text);
		return reply_static(connection, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n",
		                    NULL);
	}
	/* The response owns the text now, and frees it. */
	struct MHD_Response *response =
	    MHD_create_response_from_buffer(text.len, text.data, MHD_RESPMEM_MUST_FREE);
	if (!response) {
		strbuf_free(&text);
		return MHD_NO;
	}
	MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        tt_expo_content_type(format));
	enum MHD_Result rc = MHD_queue_response(connection, MHD_HTTP_OK, response);
	MHD_destroy_response(response);
	return rc;
}

/* A listening socket of our own: its errors are ours to word (the daemon's are not told). */
static int listen_on(const struct sockaddr *addr, socklen_t addr_len)
{
	int fd = socket(addr->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	int on = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (addr->sa_family == AF_INET6) /* [::] means IPv6 only: 0.0.0.0 is asked for apart */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, addr, addr_len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
		int saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

struct tt_metrics_http *tt_metrics_http_start(const struct sockaddr *addr, socklen_t addr_len,
                                              tt_metrics_render_fn render, void *ctx)
{
	struct tt_metrics_http *http = calloc(1, sizeof(*http));
	if (!http) {
		tt_error("out of memory");
		return NULL;
	}
	http->render = render;
	http->ctx = ctx;
	int fd = listen_on(addr, addr_len);
	if (fd < 0) {
		tt_error("--metrics: cannot listen: %s", strerror(errno));
		free(http);
		return NULL;
	}
	/* The server's thread takes no stop signal: the tool's main loop does. */
	sigset_t all, saved;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &saved);
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD;
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	http->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, handle, http, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONNECTION_LIMIT,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT, MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
	if (!http->daemon) {
		tt_error("--metrics: the HTTP server did not start");
		close(fd);
		free(http);
		return NULL;
	}
	return http;
}

void tt_metrics_http_stop(struct tt_metrics_http *http)
{
	if (!http)
		return;
	MHD_stop_daemon(http->daemon); /* closes the listening socket too */
	free(http);
}
