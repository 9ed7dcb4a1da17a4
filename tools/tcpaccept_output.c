// SPDX-License-Identifier: Apache-2.0
#include "tcpaccept_output.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "cells.h"
#include "tcpaccept.h"

/* BL when other cells follow: room for "4096/4096" (somaxconn's default). */
#define BL_WIDTH 9

struct accept_text {
	int family;
	char raddr[TT_ADDR_STRLEN], laddr[TT_ADDR_STRLEN];
	/* Unknown when the accept() began before tracing did: "-", or null in JSON. */
	bool backlog_known;
};

static void format_accept(const struct tcpaccept_event *e, struct accept_text *t)
{
	const struct tt_flow *flow = &e->base.flow;
	t->family = flow->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(t->family, flow->raddr, t->raddr);
	tt_format_addr(t->family, flow->laddr, t->laddr);
	t->backlog_known = e->flags & TCPACCEPT_BACKLOG_KNOWN;
}

static int decimal_digits(unsigned v)
{
	int n = 1;
	while (v >= 10) {
		v /= 10;
		n++;
	}
	return n;
}

/* A JSON number, or null when unknown. */
static void json_count(FILE *out, bool known, unsigned v)
{
	if (known)
		tt_cell_uint(out, v, 0);
	else
		tt_cell_raw(out, "null");
}

void tcpaccept_print_header(struct tt_output *o)
{
	fprintf(o->out, "%-15s %-5s %-15s %-5s %-*s", "RADDR", "RPORT", "LADDR", "LPORT",
	        o->cells_follow ? BL_WIDTH : 0, "BL");
}

void tcpaccept_print_text(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	struct accept_text t;
	format_accept(e, &t);
	FILE *out = o->out;
	tt_cell_text(out, t.raddr, 15);
	putc_unlocked(' ', out);
	tt_cell_uint(out, e->base.flow.rport, 5);
	putc_unlocked(' ', out);
	tt_cell_text(out, t.laddr, 15);
	putc_unlocked(' ', out);
	tt_cell_uint(out, e->base.flow.lport, 5);
	putc_unlocked(' ', out);
	int width = o->cells_follow ? BL_WIDTH : 0;
	if (t.backlog_known) {
		tt_cell_uint(out, e->backlog, 0);
		putc_unlocked('/', out);
		tt_cell_uint(out, e->backlog_max, width - decimal_digits(e->backlog) - 1);
	} else {
		tt_cell_text(out, "-", width);
	}
}

void tcpaccept_print_json(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	struct accept_text t;
	format_accept(e, &t);
	FILE *out = o->out;
	tt_cell_raw(out, t.family == AF_INET6 ? ", \"ip\": 6, \"raddr\": \""
	                                      : ", \"ip\": 4, \"raddr\": \"");
	tt_cell_raw(out, t.raddr);
	tt_cell_raw(out, "\", \"rport\": ");
	tt_cell_uint(out, e->base.flow.rport, 0);
	tt_cell_raw(out, ", \"laddr\": \"");
	tt_cell_raw(out, t.laddr);
	tt_cell_raw(out, "\", \"lport\": ");
	tt_cell_uint(out, e->base.flow.lport, 0);
	tt_cell_raw(out, ", \"backlog\": ");
	json_count(out, t.backlog_known, e->backlog);
	tt_cell_raw(out, ", \"backlog_max\": ");
	json_count(out, t.backlog_known, e->backlog_max);
}
