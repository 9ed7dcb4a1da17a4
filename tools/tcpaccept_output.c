// SPDX-License-Identifier: Apache-2.0
#include "tcpaccept_output.h"

#include <sys/socket.h>

void tcpaccept_print_header(struct tt_output *o)
{
	fprintf(o->out, "%-8s %-7s %-16s %-15s %-5s %-15s %-5s %s\n", "TIME", "PID", "COMM",
		"RADDR", "RPORT", "LADDR", "LPORT", "BL");
}

void tcpaccept_print_event(struct tt_output *o, const void *event)
{
	const struct tcpaccept_event *e = event;
	char raddr[TT_ADDR_STRLEN], laddr[TT_ADDR_STRLEN], comm[TT_COMM_TEXT_LEN];
	int family = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(family, e->raddr, raddr);
	tt_format_addr(family, e->laddr, laddr);
	tt_format_comm(e->comm, sizeof(e->comm), comm);
	fprintf(o->out, "%-8s %-7u %-16s %-15s %-5u %-15s %-5u %u/%u\n",
		tt_clock_hms(&o->clock, e->ts_ns), e->pid, comm, raddr, e->rport, laddr, e->lport,
		e->backlog, e->backlog_max);
}
