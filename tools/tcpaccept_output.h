/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's own columns: the accepted connection's addresses and the listener's backlog. */
#ifndef TCPACCEPT_OUTPUT_H
#define TCPACCEPT_OUTPUT_H

#include "flow.h"
#include "output.h"

/* RADDR RPORT LADDR LPORT: the remote end (who connected) first. */
extern const struct tt_flow_names tcpaccept_flow_names;
/* Its own columns for --fields, beyond the task's and the flow's. */
#define TCPACCEPT_FIELDS 1
extern const struct tt_field tcpaccept_fields[TCPACCEPT_FIELDS];

void tcpaccept_print_header(struct tt_output *o);
void tcpaccept_print_text(struct tt_output *o, const void *event);
void tcpaccept_print_json(struct tt_output *o, const void *event);

#endif
