/* SPDX-License-Identifier: Apache-2.0 */
/* Where and how a tool prints its events; each tool's printer takes one. */
#ifndef TT_OUTPUT_H
#define TT_OUTPUT_H

#include <stdio.h>

#include "format.h"

struct tt_output {
	FILE *out;
	struct tt_clock clock; /* kernel timestamps to wall-clock time */
};

void tt_output_init(struct tt_output *o, FILE *out);

#endif
