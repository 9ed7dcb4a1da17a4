/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's own columns: the accepted connection's addresses and the listener's backlog. */
#ifndef TCPACCEPT_OUTPUT_H
#define TCPACCEPT_OUTPUT_H

#include "output.h"

void tcpaccept_print_header(struct tt_output *o);
void tcpaccept_print_text(struct tt_output *o, const void *event);
void tcpaccept_print_json(struct tt_output *o, const void *event);

#endif
