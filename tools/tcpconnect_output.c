// SPDX-License-Identifier: Apache-2.0
#include "tcpconnect_output.h"

#include <sys/socket.h>

#include "tcpconnect.h"

struct addresses {
	int family;
	char saddr[TT_ADDR_STRLEN], daddr[TT_ADDR_STRLEN];
};

static void format_addresses(const struct tt_flow *flow, struct addresses *a)
{
	a->family = flow->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(a->family, flow->laddr, a->saddr);
	tt_format_addr(a->family, flow->raddr, a->daddr);
}

void tcpconnect_print_header(struct tt_output *o)
{
	fprintf(o->out, "%-15s %-5s %-15s %-*s", "SADDR", "SPORT", "DADDR", o->cells_follow ? 5 : 0,
	        "DPORT");
}

void tcpconnect_print_text(struct tt_output *o, const void *event)
{
	const struct tt_flow *flow = &((const struct tcpconnect_event *)event)->base.flow;
	struct addresses a;
	format_addresses(flow, &a);
	fprintf(o->out, "%-15s %-5u %-15s %-*u", a.saddr, flow->lport, a.daddr,
	        o->cells_follow ? 5 : 0, flow->rport);
}

void tcpconnect_print_json(struct tt_output *o, const void *event)
{
	const struct tt_flow *flow = &((const struct tcpconnect_event *)event)->base.flow;
	struct addresses a;
	format_addresses(flow, &a);
	fprintf(o->out,
	        ", \"ip\": %d, \"saddr\": \"%s\", \"sport\": %u, \"daddr\": \"%s\", \"dport\": %u",
	        a.family == AF_INET6 ? 6 : 4, a.saddr, flow->lport, a.daddr, flow->rport);
}
