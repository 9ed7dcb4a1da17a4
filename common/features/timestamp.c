// SPDX-License-Identifier: Apache-2.0
#include "timestamp.h"

#include <stdint.h>

#include "array.h"
#include "cells.h"
#include "json.h"

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

static int timestamp_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                          struct tt_module_offer *offer)
{
	(void)state;
	(void)input;
	(void)plan;
	offer->columns = true; /* every line has a time */
	return 0;
}

static void timestamp_header(void *state, struct tt_output *out)
{
	const struct timestamp *t = state;
	fprintf(out->out, "%-8s ", t->elapsed ? "TIME(s)" : "TIME");
}

/* TIME's cell, or TIME(s)'s with -t, width wide. */
static void time_cell(const struct timestamp *t, struct tt_output *out,
                      const struct tt_event *event, int width)
{
	if (t->elapsed) {
		/*
		 * "%-8.3f" of the seconds, rounded to the millisecond: what
		 * tt_cell_millis prints of nanoseconds, given microseconds.
		 */
		uint64_t start = out->clock.start_ns, ts = event->head.ts_ns;
		tt_cell_millis(out->out, ts > start ? (ts - start) / 1000 : 0, width);
	} else {
		tt_cell_text(out->out, tt_clock_hms(&out->clock, event->head.ts_ns), width);
	}
}

static void timestamp_text(void *state, struct tt_output *out, const struct tt_event *event,
                           const void *part)
{
	(void)part;
	time_cell(state, out, event, 8);
	putc_unlocked(' ', out->out);
}

/* --fields' time: TIME (or TIME(s) with -t) in the table, RFC 3339 in JSON as lines have it. */
static void time_field_text(void *state, struct tt_output *out, const struct tt_event *event,
                            const void *part, int width)
{
	(void)part;
	time_cell(state, out, event, width);
}

static void time_field_json(void *state, struct tt_output *out, const struct tt_event *event,
                            const void *part)
{
	(void)state;
	(void)part;
	char time[40];
	tt_clock_rfc3339(&out->clock, event->head.ts_ns, time);
	tt_json_word(out->out, "time", time);
}

static const struct tt_field timestamp_fields[] = {
    {"time", "TIME", 8, NULL, time_field_text, time_field_json},
};

static const struct tt_option timestamp_options[] = {
    {'t', "timestamp", NULL, "TIME(s): seconds since tracing started, instead of TIME",
     TT_HELP_COLUMNS},
};

const struct tt_module tt_timestamp_module = {
    .options = timestamp_options,
    .option_count = TT_ARRAY_SIZE(timestamp_options),
    .state_size = sizeof(struct timestamp),
    .option = timestamp_option,
    .plan = timestamp_plan,
    .column_place = TT_COLUMNS_LEAD,
    .header = timestamp_header,
    .text = timestamp_text,
    .fields = timestamp_fields,
    .field_count = TT_ARRAY_SIZE(timestamp_fields),
};
