/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's output: the header and one line per connection attempt. */
#ifndef TCPCONNECT_OUTPUT_H
#define TCPCONNECT_OUTPUT_H

#include <linux/types.h>
#include <stdio.h>

#include "format.h"
#include "tcpconnect.h"

struct tcpconnect_output {
	FILE *out;
	struct tt_clock clock;
};

void tcpconnect_output_init(struct tcpconnect_output *o, FILE *out);
void tcpconnect_print_header(struct tcpconnect_output *o);
void tcpconnect_print_event(struct tcpconnect_output *o, const struct tcpconnect_event *e);

#endif
