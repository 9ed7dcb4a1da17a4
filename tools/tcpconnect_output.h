/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's printer: the header and one line per event. */
#ifndef TCPCONNECT_OUTPUT_H
#define TCPCONNECT_OUTPUT_H

#include <linux/types.h>

#include "output.h"
#include "tcpconnect.h"

void tcpconnect_print_header(struct tt_output *o);
void tcpconnect_print_event(struct tt_output *o, const void *event);
/* -c: the flows counted in the kernel, most connects first. */
void tcpconnect_print_counts(struct tt_output *o, int counts_fd);

#endif
