/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's own columns: the attempt's addresses and ports. */
#ifndef TCPCONNECT_OUTPUT_H
#define TCPCONNECT_OUTPUT_H

#include "output.h"

void tcpconnect_print_header(struct tt_output *o);
void tcpconnect_print_text(struct tt_output *o, const void *event);
void tcpconnect_print_json(struct tt_output *o, const void *event);

#endif
