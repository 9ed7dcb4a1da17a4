// SPDX-License-Identifier: Apache-2.0
#include "flow.h"

#include <sys/socket.h>

#include "cells.h"
#include "json.h"
#include "output.h"

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

/* A row's ends (-c): the client's (who connected) and the server's, with their headers. */
struct row_end {
	struct flow_end end;
	const char *addr_header, *port_header;
};

static void row_ends(const struct tt_flow_names *names, const struct tt_flow_text *text,
                     const struct tt_flow *flow, struct row_end row[2])
{
	const struct row_end local = {
	    {names->laddr, names->lport, text ? text->laddr : NULL, flow ? flow->lport : 0},
	    "LADDR",
	    "LPORT"};
	const struct row_end remote = {
	    {names->raddr, names->rport, text ? text->raddr : NULL, flow ? flow->rport : 0},
	    "RADDR",
	    "RPORT"};
	row[0] = names->local_listens ? remote : local; /* the client's */
	row[1] = names->local_listens ? local : remote; /* the server's */
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

void tt_flow_print_row_header(FILE *out, const struct tt_flow_names *names, bool client_port)
{
	struct row_end row[2];
	row_ends(names, NULL, NULL, row);
	fprintf(out, "%-15s %-15s ", row[0].addr_header, row[1].addr_header);
	if (client_port)
		fprintf(out, "%-5s ", row[0].port_header);
	fprintf(out, "%-5s ", row[1].port_header);
}

void tt_flow_print_row_text(FILE *out, const struct tt_flow_names *names,
                            const struct tt_flow_text *text, const struct tt_flow *flow,
                            bool client_port)
{
	struct row_end row[2];
	row_ends(names, text, flow, row);
	for (int i = 0; i < 2; i++) {
		tt_cell_text(out, row[i].end.addr, 15);
		putc_unlocked(' ', out);
	}
	for (int i = client_port ? 0 : 1; i < 2; i++) {
		tt_cell_uint(out, row[i].end.port, 5);
		putc_unlocked(' ', out);
	}
}

void tt_flow_print_row_json(struct tt_output *o, const struct tt_flow_names *names,
                            const struct tt_flow_text *text, const struct tt_flow *flow,
                            bool client_port)
{
	struct row_end row[2];
	row_ends(names, text, flow, row);
	tt_output_json_row_open(o, row[0].end.addr_name, row[0].end.addr);
	tt_json_word(o->out, row[1].end.addr_name, row[1].end.addr);
	for (int i = client_port ? 0 : 1; i < 2; i++)
		tt_json_uint(o->out, row[i].end.port_name, row[i].end.port);
}
