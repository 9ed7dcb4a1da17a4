// SPDX-License-Identifier: Apache-2.0
#include "count.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "counter_tables.h"
#include "flow.h"
#include "json.h"
#include "log.h"
#include "output.h"
#include "tracer.h"
#include "tt_contract.h"

struct counted_flow {
	struct tt_count_key key;
	uint64_t connects;
};

struct count {
	bool wanted;      /* -c */
	bool client_port; /* -s (libbpf-tools): per client's (ephemeral) port too */
	const struct tt_flow_names *names;
	/* counts; with -i counts_other too, by turns (tt_submit.bpf.h) */
	struct tt_counter_tables tables;
};

_Static_assert(sizeof(struct counted_flow) == sizeof(struct tt_count_key) + sizeof(uint64_t),
               "a counted flow is a counter table's entry");

static int count_option(void *state, int key, const char *arg)
{
	(void)arg;
	struct count *c = state;
	if (key == 'c')
		c->wanted = true;
	else if (key == 's')
		c->client_port = true; /* alone, nothing: events always show both ports */
	else
		return 1;
	return 0;
}

static int count_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                      struct tt_module_offer *offer)
{
	struct count *c = state;
	if (!c->wanted)
		return 0;
	c->names = input->flow_names;
	tt_counter_tables_init(&c->tables, TT_TABLE(counts), TT_TABLE(counts_other),
	                       TT_TABLE(count_epoch), sizeof(struct tt_count_key),
	                       input->intervals);
	tt_plan_define(plan, TT_DEFINE(TT_COUNT), "1");
	if (c->client_port)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_CLIENT_PORT), "1");
	if (c->names->local_listens)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_LOCAL_LISTENS), "1");
	if (input->intervals)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_INTERVAL), "1");
	offer->counts = true;
	offer->intervals = input->intervals;
	offer->counts_option = "-c";
	offer->live_note = "counting in the kernel until Ctrl-C";
	return 0;
}

/* An event user space was handed (an attempt still pending), counted as the kernel counts. */
static int count_event(void *state, struct tt_tracer *tracer, const struct tt_event *event,
                       __u32 result)
{
	const struct count *c = state;
	struct tt_count_key key;
	tt_count_key_fill(&key, event, result, c->client_port, c->names->local_listens);
	tt_counter_tables_add(&c->tables, tracer, &key);
	return 0;
}

static int most_first(const void *a, const void *b)
{
	const struct counted_flow *x = a, *y = b;
	return x->connects < y->connects ? 1 : x->connects > y->connects ? -1 : 0;
}

/* What the tool counts: the count's header, or its JSON key. */
static const char *count_word(const struct count *c, bool header)
{
	if (c->names->local_listens)
		return header ? "ACCEPTS" : "accepts";
	return header ? "CONNECTS" : "connects";
}

/* A row: the flow's cells (print/flow.c), the count, the other modules' count cells. */
static void print_row(const struct count *c, struct tt_output *o, const struct counted_flow *row,
                      const struct tt_columns *columns)
{
	struct tt_flow_text text;
	tt_flow_format(&row->key.flow, &text);
	if (o->json) {
		tt_flow_print_row_json(o, c->names, &text, &row->key.flow, c->client_port);
		tt_json_uint(o->out, count_word(c, false), row->connects);
		tt_columns_count_json(columns, o, &row->key);
		tt_json_close(o->out);
		return;
	}
	/* The count is the last column unless other modules add theirs. */
	int width = tt_columns_count_cells(columns) ? 8 : 0;
	tt_flow_print_row_text(o->out, c->names, &text, &row->key.flow, c->client_port);
	fprintf(o->out, "%-*llu", width, (unsigned long long)row->connects);
	tt_columns_count_text(columns, o, &row->key);
	fputc('\n', o->out);
}

/* The rows, most first, under their header. */
static void print_rows(const struct count *c, struct tt_output *o, struct counted_flow *flows,
                       size_t count, const struct tt_columns *columns)
{
	qsort(flows, count, sizeof(*flows), most_first);
	if (!o->json) {
		int width = tt_columns_count_cells(columns) ? 8 : 0;
		tt_flow_print_row_header(o->out, c->names, c->client_port);
		fprintf(o->out, "%-*s", width, count_word(c, true));
		tt_columns_count_header(columns, o);
		fputc('\n', o->out);
	}
	for (size_t i = 0; i < count; i++)
		print_row(c, o, &flows[i], columns);
}

/* What was counted: at the end, or with -i in the interval that ends. */
static int print_counts(void *state, struct tt_tracer *tracer, struct tt_output *o,
                        const struct tt_columns *columns)
{
	struct count *c = state;
	size_t count;
	struct counted_flow *flows = tt_counter_tables_take(&c->tables, tracer, &count);
	if (!flows)
		return -1;
	print_rows(c, o, flows, count, columns);
	free(flows);
	return 0;
}

static int count_after_run(void *state, struct tt_tracer *tracer, struct tt_output *o,
                           const struct tt_columns *columns)
{
	return ((struct count *)state)->wanted ? print_counts(state, tracer, o, columns) : 0;
}

static void count_close(void *state)
{
	tt_counter_tables_free(&((struct count *)state)->tables);
}

static const struct tt_option count_options[] = {
    {'c', "count", NULL,
     "count per addresses and server port, in the kernel; print the counts at the end",
     TT_HELP_MODES},
    {'s', "source-port", NULL, "with -c, count per source (client's) port too (libbpf-tools)",
     TT_HELP_MODES},
};

const struct tt_module tt_count_module = {
    .options = count_options,
    .option_count = TT_ARRAY_SIZE(count_options),
    .mode_option = "-c",
    .state_size = sizeof(struct count),
    .option = count_option,
    .plan = count_plan,
    .count_event = count_event,
    .interval = print_counts,
    .after_run = count_after_run,
    .close = count_close,
};
