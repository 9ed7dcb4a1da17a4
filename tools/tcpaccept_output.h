/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's printer: the header and one line per event. */
#ifndef TCPACCEPT_OUTPUT_H
#define TCPACCEPT_OUTPUT_H

#include <linux/types.h>

#include "output.h"
#include "tcpaccept.h"

void tcpaccept_print_header(struct tt_output *o);
void tcpaccept_print_event(struct tt_output *o, const void *event);

#endif
