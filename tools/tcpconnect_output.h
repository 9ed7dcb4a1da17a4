/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's own columns: the attempt's addresses and ports. */
#ifndef TCPCONNECT_OUTPUT_H
#define TCPCONNECT_OUTPUT_H

#include "flow.h"
#include "output.h"

/* SADDR SPORT DADDR DPORT: the local end first. */
extern const struct tt_flow_names tcpconnect_flow_names;

void tcpconnect_print_header(struct tt_output *o);
void tcpconnect_print_text(struct tt_output *o, const void *event);
void tcpconnect_print_json(struct tt_output *o, const void *event);

#endif
