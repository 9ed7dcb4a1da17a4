// SPDX-License-Identifier: Apache-2.0
#include "print_cgroup.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "cells.h"
#include "cgroup_paths.h"
#include "format.h"
#include "json.h"
#include "tt_contract.h"

/* Wide enough for most units and scopes; longer paths keep their end. */
#define CGROUP_COLUMN_WIDTH 32

struct print_cgroup {
	bool wanted;
	struct tt_cgroup_paths *paths;
	/*
	 * The last cell printed and what it was made from: a storm's events
	 * mostly come from one cgroup, and escaping and shortening its path
	 * for each was a third of -G's printing.
	 */
	bool shown_valid, shown_named;
	uint64_t shown_id;
	char shown_path[PATH_MAX], shown_cell[PATH_MAX];
};

static const struct tt_option options[] = {
    {'G', "print-cgroup", NULL, "add a CGROUP column: the cgroup v2 path of the task",
     TT_HELP_COLUMNS},
};

static int option(void *state, int key, const char *arg)
{
	(void)arg;
	if (key != 'G')
		return 1;
	((struct print_cgroup *)state)->wanted = true;
	return 0;
}

static int plan(void *state, const struct tt_plan_input *input, struct tt_plan *run_plan,
                struct tt_module_offer *offer)
{
	(void)input;
	struct print_cgroup *g = state;
	if (!g->wanted)
		return 0;
	g->paths = tt_cgroup_paths_open();
	if (!g->paths)
		return -1;
	/* The event head's cgroup_id is filled only then (bpfsrc/tt_event.h). */
	tt_plan_define(run_plan, TT_DEFINE(TT_EVENT_CGROUP), "1");
	offer->columns = true;
	return 0;
}

static void close_paths(void *state)
{
	struct print_cgroup *g = state;
	tt_cgroup_paths_close(g->paths);
	g->paths = NULL;
}

static void header(void *state, struct tt_output *out)
{
	(void)state;
	fprintf(out->out, " %-*s", CGROUP_COLUMN_WIDTH, "CGROUP");
}

static void text_cell(struct print_cgroup *g, struct tt_output *out, uint64_t id, int width)
{
	const char *path = tt_cgroup_paths_lookup(g->paths, id);
	if (!g->shown_valid || g->shown_id != id || g->shown_named != (path != NULL) ||
	    (path && strncmp(path, g->shown_path, sizeof(g->shown_path)) != 0)) {
		char safe[PATH_MAX];
		if (path)
			tt_format_safe(path, PATH_MAX, safe, sizeof(safe));
		else
			snprintf(safe, sizeof(safe), "%" PRIu64, id); /* gone before it was named */
		tt_format_path_tail(safe, CGROUP_COLUMN_WIDTH, g->shown_cell,
		                    sizeof(g->shown_cell));
		snprintf(g->shown_path, sizeof(g->shown_path), "%s", path ? path : "");
		g->shown_id = id;
		g->shown_named = path != NULL;
		/* A path of PATH_MAX bytes or more is not kept whole: never taken as seen. */
		g->shown_valid = !path || strnlen(path, PATH_MAX) < sizeof(g->shown_path);
	}
	tt_cell_text(out->out, g->shown_cell, width);
}

static void json_members(struct print_cgroup *g, struct tt_output *out, uint64_t id)
{
	const char *path = tt_cgroup_paths_lookup(g->paths, id);
	tt_json_text(out->out, "cgroup", path, PATH_MAX);
	tt_json_uint(out->out, "cgroup_id", id);
}

static void text(void *state, struct tt_output *out, const struct tt_event *event, const void *part)
{
	(void)part;
	putc_unlocked(' ', out->out);
	text_cell(state, out, event->head.cgroup_id, CGROUP_COLUMN_WIDTH);
}

static void field_text(void *state, struct tt_output *out, const struct tt_event *event,
                       const void *part, int width)
{
	(void)part;
	text_cell(state, out, event->head.cgroup_id, width);
}

static void json(void *state, struct tt_output *out, const struct tt_event *event, const void *part)
{
	(void)part;
	json_members(state, out, event->head.cgroup_id);
}

static void count_text(void *state, struct tt_output *out, const struct tt_count_key *key)
{
	putc_unlocked(' ', out->out);
	text_cell(state, out, key->cgroup_id, CGROUP_COLUMN_WIDTH);
}

/* --fields: CGROUP; in JSON cgroup and cgroup_id, as lines have them. */
static const struct tt_field cgroup_fields[] = {
    {"cgroup", "CGROUP", CGROUP_COLUMN_WIDTH, "-G", field_text, json},
};

static void count_json(void *state, struct tt_output *out, const struct tt_count_key *key)
{
	json_members(state, out, key->cgroup_id);
}

const struct tt_module tt_print_cgroup_module = {
    .options = options,
    .option_count = TT_ARRAY_SIZE(options),
    .state_size = sizeof(struct print_cgroup),
    .option = option,
    .plan = plan,
    .close = close_paths,
    .column_place = TT_COLUMNS_TRAIL,
    .header = header,
    .text = text,
    .json = json,
    .count_header = header,
    .count_text = count_text,
    .count_json = count_json,
    .fields = cgroup_fields,
    .field_count = TT_ARRAY_SIZE(cgroup_fields),
};
