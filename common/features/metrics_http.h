/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --metrics' HTTP endpoint, on libmicrohttpd: GET and HEAD of /metrics, in
 * the format the scraper asks for, from a thread of its own. The endpoint
 * faces whoever can reach it: connections, their memory (so the size of a
 * request) and their idle time are bounded, other paths get 404 and other
 * methods 405.
 */
#ifndef TT_METRICS_HTTP_H
#define TT_METRICS_HTTP_H

#include <sys/socket.h>

#include "exposition.h"
#include "strbuf.h"

/* Writes the exposition into out (empty); 0, or -1 (out of memory). Called from the server's
 * thread. */
typedef int (*tt_metrics_render_fn)(void *ctx, enum tt_expo_format format, struct strbuf *out);

struct tt_metrics_http;

/* Binds to addr and serves until stopped; NULL after a one-line error. */
struct tt_metrics_http *tt_metrics_http_start(const struct sockaddr *addr, socklen_t addr_len,
                                              tt_metrics_render_fn render, void *ctx);
void tt_metrics_http_stop(struct tt_metrics_http *http);

#endif
