// SPDX-License-Identifier: Apache-2.0
#include "tcpaccept_output.h"

#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

void tcpaccept_print_header(struct tt_output *o)
{
	if (o->json)
		return;
	tt_output_header_start(o);
	fprintf(o->out, "%-15s %-5s %-15s %-5s %s\n", "RADDR", "RPORT", "LADDR", "LPORT", "BL");
}

void tcpaccept_print_event(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	char raddr[TT_ADDR_STRLEN], laddr[TT_ADDR_STRLEN];
	int family = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(family, e->raddr, raddr);
	tt_format_addr(family, e->laddr, laddr);
	/* Unknown when the accept() began before tracing did: "-", or null in JSON. */
	bool known = e->flags & TCPACCEPT_BACKLOG_KNOWN;
	char backlog[16] = "null", backlog_max[16] = "null";
	if (known) {
		snprintf(backlog, sizeof(backlog), "%u", e->backlog);
		snprintf(backlog_max, sizeof(backlog_max), "%u", e->backlog_max);
	}
	if (o->json) {
		tt_output_json_start(o, e->ts_ns, e->uid, e->pid, e->comm, sizeof(e->comm));
		fprintf(o->out,
		        "\"ip\": %d, \"raddr\": \"%s\", \"rport\": %u, \"laddr\": \"%s\", "
		        "\"lport\": %u, \"backlog\": %s, \"backlog_max\": %s}\n",
		        family == AF_INET6 ? 6 : 4, raddr, e->rport, laddr, e->lport, backlog,
		        backlog_max);
		return;
	}
	tt_output_line_start(o, e->ts_ns, e->uid, e->pid, e->comm, sizeof(e->comm));
	if (known)
		fprintf(o->out, "%-15s %-5u %-15s %-5u %s/%s\n", raddr, e->rport, laddr, e->lport,
		        backlog, backlog_max);
	else
		fprintf(o->out, "%-15s %-5u %-15s %-5u -\n", raddr, e->rport, laddr, e->lport);
}
