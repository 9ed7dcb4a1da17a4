// SPDX-License-Identifier: Apache-2.0
#include "uid_column.h"

#include "array.h"
#include "cells.h"

struct uid_column {
	bool wanted; /* -U */
};

static int uid_column_option(void *state, int key, const char *arg)
{
	(void)arg;
	if (key != 'U')
		return 1;
	((struct uid_column *)state)->wanted = true;
	return 0;
}

static int uid_column_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                           struct tt_module_offer *offer)
{
	(void)input;
	(void)plan;
	offer->columns = ((struct uid_column *)state)->wanted;
	return 0;
}

static void uid_column_header(void *state, struct tt_output *out)
{
	(void)state;
	fprintf(out->out, "%-6s ", "UID");
}

static void uid_column_text(void *state, struct tt_output *out, const struct tt_event *event,
                            const void *part)
{
	(void)state;
	(void)part;
	tt_cell_uint(out->out, event->head.uid, 6);
	putc_unlocked(' ', out->out);
}

static const struct tt_option uid_column_options[] = {
    {'U', "print-uid", NULL, "add a UID column", TT_HELP_COLUMNS},
};

const struct tt_module tt_uid_column_module = {
    .options = uid_column_options,
    .option_count = TT_ARRAY_SIZE(uid_column_options),
    .state_size = sizeof(struct uid_column),
    .option = uid_column_option,
    .plan = uid_column_plan,
    .column_place = TT_COLUMNS_LEAD,
    .header = uid_column_header,
    .text = uid_column_text,
};
