// SPDX-License-Identifier: Apache-2.0
#include "flow.h"

#include <sys/socket.h>

#include "cells.h"
#include "json.h"

void tt_flow_format(const struct tt_flow *flow, struct tt_flow_text *text)
{
	text->family = flow->family == AF_INET6 ? AF_INET6 : AF_INET;
	tt_format_addr(text->family, flow->laddr, text->laddr);
	tt_format_addr(text->family, flow->raddr, text->raddr);
}

/* One end of the flow, as the tool orders them. */
struct flow_end {
	const char *addr_name, *port_name, *addr;
	unsigned port;
};

static void ends(const struct tt_flow_names *names, const struct tt_flow_text *text,
                 const struct tt_flow *flow, struct flow_end end[2])
{
	const struct flow_end local = {names->laddr, names->lport, text->laddr, flow->lport};
	const struct flow_end remote = {names->raddr, names->rport, text->raddr, flow->rport};
	end[0] = names->remote_first ? remote : local;
	end[1] = names->remote_first ? local : remote;
}

void tt_flow_print_text(FILE *out, const struct tt_flow_names *names,
                        const struct tt_flow_text *text, const struct tt_flow *flow, int last_width)
{
	struct flow_end end[2];
	ends(names, text, flow, end);
	tt_cell_text(out, end[0].addr, 15);
	putc_unlocked(' ', out);
	tt_cell_uint(out, end[0].port, 5);
	putc_unlocked(' ', out);
	tt_cell_text(out, end[1].addr, 15);
	putc_unlocked(' ', out);
	tt_cell_uint(out, end[1].port, last_width);
}

void tt_flow_print_json(FILE *out, const struct tt_flow_names *names,
                        const struct tt_flow_text *text, const struct tt_flow *flow)
{
	struct flow_end end[2];
	ends(names, text, flow, end);
	tt_json_uint(out, "ip", text->family == AF_INET6 ? 6 : 4);
	for (int i = 0; i < 2; i++) {
		tt_json_word(out, end[i].addr_name, end[i].addr);
		tt_json_uint(out, end[i].port_name, end[i].port);
	}
}
