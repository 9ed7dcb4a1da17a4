/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A connection's flow as the tools print it: one printer for tcpconnect,
 * tcpaccept and -c's rows, each naming the flow's ends its own way
 * (struct tt_flow_names) and in its own order.
 */
#ifndef TT_FLOW_H
#define TT_FLOW_H

#include <stdbool.h>
#include <stdio.h>

#include "format.h"
#include "tt_event.h"

struct tt_output;

/* How a tool names its flow's members in JSON ("saddr", "sport", ...), and their order. */
struct tt_flow_names {
	const char *laddr, *lport, *raddr, *rport;
	bool remote_first; /* tcpaccept: the remote end (who connected) first */
	/*
	 * tcpaccept: the local port is the one listened on, the remote one the
	 * client's (ephemeral); tcpconnect: the other way round.
	 */
	bool local_listens;
};

/* The flow's addresses as text, for its family. */
struct tt_flow_text {
	int family; /* AF_INET or AF_INET6 */
	char laddr[TT_ADDR_STRLEN], raddr[TT_ADDR_STRLEN];
};

void tt_flow_format(const struct tt_flow *flow, struct tt_flow_text *text);

/*
 * The flow's cells in the tool's order, "%-15s %-5u %-15s %-*u" (last_width
 * for the last port: 0 when nothing follows it).
 */
void tt_flow_print_text(FILE *out, const struct tt_flow_names *names,
                        const struct tt_flow_text *text, const struct tt_flow *flow,
                        int last_width);
/* The flow's JSON members in the tool's order: ", "ip": 4, "saddr": "...", "sport": N, ..." */
void tt_flow_print_json(FILE *out, const struct tt_flow_names *names,
                        const struct tt_flow_text *text, const struct tt_flow *flow);

/*
 * -c's rows (features/count.c), as libbpf-tools orders them: the flow's
 * addresses in the tool's order, then the client's port (client_port: with
 * -s) and the server's; tcpconnect "LADDR RADDR [LPORT] RPORT", tcpaccept
 * "RADDR LADDR [RPORT] LPORT". In the table each cell is followed by a
 * space (the count follows); in JSON the members carry the tool's names
 * and open the row's object (tt_output_json_row_open: with -i, the
 * interval's members first).
 */
void tt_flow_print_row_header(FILE *out, const struct tt_flow_names *names, bool client_port);
void tt_flow_print_row_text(FILE *out, const struct tt_flow_names *names,
                            const struct tt_flow_text *text, const struct tt_flow *flow,
                            bool client_port);
void tt_flow_print_row_json(struct tt_output *o, const struct tt_flow_names *names,
                            const struct tt_flow_text *text, const struct tt_flow *flow,
                            bool client_port);

#endif
