// SPDX-License-Identifier: Apache-2.0
#include "count.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "counter_tables.h"
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

/*
 * A row's cells in the tool's order (libbpf-tools' for tcpconnect): the
 * flow's addresses as the tool orders them, the client's port (-s), the
 * server's port, the count; in the table the header's names, in JSON the
 * tool's names.
 */
struct row_cells {
	const char *addr_name[2], *addr_header[2];
	const char *client_port_name, *server_port_name, *client_port_header, *server_port_header;
	const char *count_name, *count_header;
};

static struct row_cells row_cells(const struct tt_flow_names *n)
{
	if (n->local_listens) /* tcpaccept: who connected first, as its lines */
		return (struct row_cells){{n->raddr, n->laddr},
		                          {"RADDR", "LADDR"},
		                          n->rport,
		                          n->lport,
		                          "RPORT",
		                          "LPORT",
		                          "accepts",
		                          "ACCEPTS"};
	return (struct row_cells){
	    {n->laddr, n->raddr}, {"LADDR", "RADDR"}, n->lport, n->rport, "LPORT", "RPORT",
	    "connects",           "CONNECTS"};
}

static void print_row(const struct count *c, struct tt_output *o, const struct counted_flow *row,
                      const struct tt_columns *columns)
{
	const struct tt_flow *f = &row->key.flow;
	const struct row_cells cells = row_cells(c->names);
	struct tt_flow_text text;
	tt_flow_format(f, &text);
	bool listens = c->names->local_listens;
	const char *addr[2] = {listens ? text.raddr : text.laddr,
	                       listens ? text.laddr : text.raddr};
	unsigned client_port = listens ? f->rport : f->lport;
	unsigned server_port = listens ? f->lport : f->rport;
	if (o->json) {
		/* As in the table: the addresses, then the ports. */
		tt_output_json_row_open(o, cells.addr_name[0], addr[0]);
		tt_json_word(o->out, cells.addr_name[1], addr[1]);
		if (c->client_port)
			tt_json_uint(o->out, cells.client_port_name, client_port);
		tt_json_uint(o->out, cells.server_port_name, server_port);
		tt_json_uint(o->out, cells.count_name, row->connects);
		tt_columns_count_json(columns, o, &row->key);
		tt_json_close(o->out);
		return;
	}
	/* The count is the last column unless other modules add theirs. */
	int width = tt_columns_count_cells(columns) ? 8 : 0;
	fprintf(o->out, "%-15s %-15s ", addr[0], addr[1]);
	if (c->client_port)
		fprintf(o->out, "%-5u ", client_port);
	fprintf(o->out, "%-5u %-*llu", server_port, width, (unsigned long long)row->connects);
	tt_columns_count_text(columns, o, &row->key);
	fputc('\n', o->out);
}

/* The rows, most first, under their header. */
static void print_rows(const struct count *c, struct tt_output *o, struct counted_flow *flows,
                       size_t count, const struct tt_columns *columns)
{
	qsort(flows, count, sizeof(*flows), most_first);
	if (!o->json) {
		const struct row_cells cells = row_cells(c->names);
		int width = tt_columns_count_cells(columns) ? 8 : 0;
		/* libbpf-tools' order: the client's port (-s) before the server's. */
		fprintf(o->out, "%-15s %-15s ", cells.addr_header[0], cells.addr_header[1]);
		if (c->client_port)
			fprintf(o->out, "%-5s ", cells.client_port_header);
		fprintf(o->out, "%-5s %-*s", cells.server_port_header, width, cells.count_header);
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
