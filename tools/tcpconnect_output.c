// SPDX-License-Identifier: Apache-2.0
#include "tcpconnect_output.h"

#include <sys/socket.h>

#include "cells.h"
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
	FILE *out = o->out;
	tt_cell_text(out, a.saddr, 15);
	putc_unlocked(' ', out);
	tt_cell_uint(out, flow->lport, 5);
	putc_unlocked(' ', out);
	tt_cell_text(out, a.daddr, 15);
	putc_unlocked(' ', out);
	tt_cell_uint(out, flow->rport, o->cells_follow ? 5 : 0);
}

void tcpconnect_print_json(struct tt_output *o, const void *event)
{
	const struct tt_flow *flow = &((const struct tcpconnect_event *)event)->base.flow;
	struct addresses a;
	format_addresses(flow, &a);
	FILE *out = o->out;
	tt_cell_raw(out, a.family == AF_INET6 ? ", \"ip\": 6, \"saddr\": \""
	                                      : ", \"ip\": 4, \"saddr\": \"");
	tt_cell_raw(out, a.saddr);
	tt_cell_raw(out, "\", \"sport\": ");
	tt_cell_uint(out, flow->lport, 0);
	tt_cell_raw(out, ", \"daddr\": \"");
	tt_cell_raw(out, a.daddr);
	tt_cell_raw(out, "\", \"dport\": ");
	tt_cell_uint(out, flow->rport, 0);
}
