/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's own columns: the accepted connection's addresses and the listener's backlog. */
#ifndef TCPACCEPT_OUTPUT_H
#define TCPACCEPT_OUTPUT_H

#include "flow.h"
#include "output.h"

/* RADDR RPORT LADDR LPORT: the remote end (who connected) first. */
extern const struct tt_flow_names tcpaccept_flow_names;

void tcpaccept_print_header(struct tt_output *o);
void tcpaccept_print_text(struct tt_output *o, const void *event);
void tcpaccept_print_json(struct tt_output *o, const void *event);

#endif
