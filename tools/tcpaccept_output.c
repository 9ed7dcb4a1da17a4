// SPDX-License-Identifier: Apache-2.0
#include "tcpaccept_output.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include "tcpaccept.h"

/* BL when other cells follow: room for "4096/4096" (somaxconn's default). */
#define BL_WIDTH 9

struct accept_text {
	int family;
	char raddr[TT_ADDR_STRLEN], laddr[TT_ADDR_STRLEN];
	/* Unknown when the accept() began before tracing did: "-", or null in JSON. */
	bool backlog_known;
	char backlog[16], backlog_max[16];
};

static void format_accept(const struct tcpaccept_event *e, struct accept_text *t)
{
	const struct tt_flow *flow = &e->base.flow;
	t->family = flow->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(t->family, flow->raddr, t->raddr);
	tt_format_addr(t->family, flow->laddr, t->laddr);
	t->backlog_known = e->flags & TCPACCEPT_BACKLOG_KNOWN;
	snprintf(t->backlog, sizeof(t->backlog), t->backlog_known ? "%u" : "null", e->backlog);
	snprintf(t->backlog_max, sizeof(t->backlog_max), t->backlog_known ? "%u" : "null",
	         e->backlog_max);
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
	char bl[sizeof(t.backlog) + sizeof(t.backlog_max)] = "-";
	if (t.backlog_known)
		snprintf(bl, sizeof(bl), "%s/%s", t.backlog, t.backlog_max);
	fprintf(o->out, "%-15s %-5u %-15s %-5u %-*s", t.raddr, e->base.flow.rport, t.laddr,
	        e->base.flow.lport, o->cells_follow ? BL_WIDTH : 0, bl);
}

void tcpaccept_print_json(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	struct accept_text t;
	format_accept(e, &t);
	fprintf(o->out,
	        ", \"ip\": %d, \"raddr\": \"%s\", \"rport\": %u, \"laddr\": \"%s\", "
	        "\"lport\": %u, \"backlog\": %s, \"backlog_max\": %s",
	        t.family == AF_INET6 ? 6 : 4, t.raddr, e->base.flow.rport, t.laddr,
	        e->base.flow.lport, t.backlog, t.backlog_max);
}
