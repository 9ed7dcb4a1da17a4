// SPDX-License-Identifier: Apache-2.0
#include "netns_column.h"

#include "array.h"
#include "cells.h"
#include "json.h"
#include "socket_types.h"
#include "tt_contract.h"

/* A namespace's inode number: 10 digits (they start at 0xF0000000). */
#define NETNS_COLUMN_WIDTH 10

struct netns_column {
	bool wanted; /* --print-netns */
};

static int netns_column_option(void *state, int key, const char *arg)
{
	(void)arg;
	if (key != TT_OPT_PRINT_NETNS)
		return 1;
	((struct netns_column *)state)->wanted = true;
	return 0;
}

static int netns_column_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                             struct tt_module_offer *offer)
{
	(void)input;
	if (!((struct netns_column *)state)->wanted)
		return 0;
	/* The event head's netns is filled only then (bpfsrc/tt_event.h). */
	tt_plan_define(plan, TT_DEFINE(TT_EVENT_NETNS), "1");
	tt_plan_add_structs(plan, tt_netns_structs, TT_NETNS_STRUCT_COUNT, NULL);
	offer->columns = true;
	return 0;
}

static void netns_column_header(void *state, struct tt_output *out)
{
	(void)state;
	fprintf(out->out, " %-*s", NETNS_COLUMN_WIDTH, "NETNS");
}

static void netns_column_field_text(void *state, struct tt_output *out,
                                    const struct tt_event *event, const void *part, int width)
{
	(void)state;
	(void)part;
	tt_cell_uint(out->out, event->head.netns, width);
}

static void netns_column_text(void *state, struct tt_output *out, const struct tt_event *event,
                              const void *part)
{
	putc_unlocked(' ', out->out);
	netns_column_field_text(state, out, event, part, NETNS_COLUMN_WIDTH);
}

static void netns_column_json(void *state, struct tt_output *out, const struct tt_event *event,
                              const void *part)
{
	(void)state;
	(void)part;
	tt_json_uint(out->out, "netns", event->head.netns);
}

/* --fields: NETNS, in JSON netns. */
static const struct tt_field netns_column_fields[] = {
    {"netns", "NETNS", NETNS_COLUMN_WIDTH, "--print-netns", netns_column_field_text,
     netns_column_json},
};

static const struct tt_option netns_column_options[] = {
    {TT_OPT_PRINT_NETNS, "print-netns", NULL,
     "add a NETNS column: the socket's network namespace (inode)", TT_HELP_COLUMNS},
};

const struct tt_module tt_netns_column_module = {
    .options = netns_column_options,
    .option_count = TT_ARRAY_SIZE(netns_column_options),
    .state_size = sizeof(struct netns_column),
    .option = netns_column_option,
    .plan = netns_column_plan,
    .column_place = TT_COLUMNS_TRAIL,
    .header = netns_column_header,
    .text = netns_column_text,
    .json = netns_column_json,
    .fields = netns_column_fields,
    .field_count = TT_ARRAY_SIZE(netns_column_fields),
};
