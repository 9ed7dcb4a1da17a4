// SPDX-License-Identifier: Apache-2.0
#include "output.h"

void tt_output_init(struct tt_output *o, FILE *out)
{
	o->out = out;
	tt_clock_init(&o->clock);
}
