// SPDX-License-Identifier: Apache-2.0
#include "timestamp.h"

struct timestamp {
	bool elapsed; /* -t */
};

static int timestamp_option(void *state, int key, const char *arg)
{
	(void)arg;
	if (key != 't')
		return 1;
	((struct timestamp *)state)->elapsed = true;
	return 0;
}

static int timestamp_plan(void *state, struct tt_plan *plan)
{
	(void)state;
	tt_plan_show_columns(plan); /* every line has a time */
	return 0;
}

static void timestamp_header(void *state, struct tt_output *out)
{
	const struct timestamp *t = state;
	fprintf(out->out, "%-8s ", t->elapsed ? "TIME(s)" : "TIME");
}

static void timestamp_text(void *state, struct tt_output *out, const struct tt_event *event,
                           const void *part)
{
	(void)part;
	const struct timestamp *t = state;
	if (t->elapsed)
		fprintf(out->out, "%-8.3f ", tt_clock_elapsed(&out->clock, event->head.ts_ns));
	else
		fprintf(out->out, "%-8s ", tt_clock_hms(&out->clock, event->head.ts_ns));
}

static const struct tt_option timestamp_options[] = {
    {'t', "timestamp", NULL, "TIME(s): seconds since tracing started, instead of TIME"},
};

const struct tt_module tt_timestamp_module = {
    .name = "timestamp",
    .options = timestamp_options,
    .option_count = 1,
    .state_size = sizeof(struct timestamp),
    .option = timestamp_option,
    .plan = timestamp_plan,
    .column_place = TT_COLUMNS_LEAD,
    .header = timestamp_header,
    .text = timestamp_text,
};
