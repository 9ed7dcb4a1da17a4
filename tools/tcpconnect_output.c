// SPDX-License-Identifier: Apache-2.0
#include "tcpconnect_output.h"

#include <sys/socket.h>

void tcpconnect_print_header(struct tt_output *o)
{
	fprintf(o->out, "%-8s %-7s %-16s %-15s %-5s %-15s %s\n", "TIME", "PID", "COMM", "SADDR",
		"SPORT", "DADDR", "DPORT");
}

void tcpconnect_print_event(struct tt_output *o, const void *event)
{
	const struct tcpconnect_event *e = event;
	char saddr[TT_ADDR_STRLEN], daddr[TT_ADDR_STRLEN], comm[TT_COMM_TEXT_LEN];
	int family = e->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(family, e->saddr, saddr);
	tt_format_addr(family, e->daddr, daddr);
	tt_format_comm(e->comm, sizeof(e->comm), comm);
	fprintf(o->out, "%-8s %-7u %-16s %-15s %-5u %-15s %u\n", tt_clock_hms(&o->clock, e->ts_ns),
		e->pid, comm, saddr, e->sport, daddr, e->dport);
}
