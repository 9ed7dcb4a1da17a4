// SPDX-License-Identifier: Apache-2.0
#include "tcpconnect_output.h"

#include "cells.h"
#include "tcpconnect.h"

const struct tt_flow_names tcpconnect_flow_names = {"saddr", "sport", "daddr",
                                                    "dport", false,   false};

void tcpconnect_print_header(struct tt_output *o)
{
	fprintf(o->out, "%-15s %-5s %-15s %-*s", "SADDR", "SPORT", "DADDR", o->cells_follow ? 5 : 0,
	        "DPORT");
}

void tcpconnect_print_text(struct tt_output *o, const void *event)
{
	const struct tt_flow *flow = &((const struct tcpconnect_event *)event)->base.flow;
	struct tt_flow_text text;
	tt_flow_format(flow, &text);
	tt_flow_print_text(o->out, &tcpconnect_flow_names, &text, flow, o->cells_follow ? 5 : 0);
}

void tcpconnect_print_json(struct tt_output *o, const void *event)
{
	const struct tt_flow *flow = &((const struct tcpconnect_event *)event)->base.flow;
	struct tt_flow_text text;
	tt_flow_format(flow, &text);
	tt_flow_print_json(o->out, &tcpconnect_flow_names, &text, flow);
}
