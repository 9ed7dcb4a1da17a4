// SPDX-License-Identifier: Apache-2.0
#include "count.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "array.h"
#include "json.h"
#include "log.h"
#include "tracer.h"
#include "tt_contract.h"

struct count {
	bool wanted;     /* -c */
	bool local_port; /* -s (libbpf-tools): per local port too */
	const struct tt_flow_names *names;
};

struct counted_flow {
	struct tt_count_key key;
	uint64_t connects;
};

static int count_option(void *state, int key, const char *arg)
{
	(void)arg;
	struct count *c = state;
	if (key == 'c')
		c->wanted = true;
	else if (key == 's')
		c->local_port = true; /* alone, nothing: events always show their local port */
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
	tt_plan_define(plan, TT_DEFINE(TT_COUNT), "1");
	if (c->local_port)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_LOCAL_PORT), "1");
	offer->counts = true;
	offer->counts_option = "-c";
	offer->live_note = "counting in the kernel until Ctrl-C";
	return 0;
}

/* An event user space was handed (an attempt still pending), counted as the kernel counts. */
static int count_event(void *state, struct tt_tracer *tracer, const struct tt_event *event,
                       __u32 result)
{
	const struct count *c = state;
	int counts_fd = tt_tracer_table_fd(tracer, TT_TABLE(counts));
	if (counts_fd < 0)
		return 0;
	struct tt_count_key key;
	tt_count_key_fill(&key, event, result, c->local_port);
	uint64_t count = 0;
	bpf_lookup_elem(counts_fd, &key, &count); /* a new key: 0 */
	count++;
	if (bpf_update_elem(counts_fd, &key, &count, 0) != 0) {
		tt_warn("an attempt still pending was not counted: %s", strerror(errno));
		return 0;
	}
	return 0;
}

static int most_first(const void *a, const void *b)
{
	const struct counted_flow *x = a, *y = b;
	return x->connects < y->connects ? 1 : x->connects > y->connects ? -1 : 0;
}

/* Every key of the counts map with its count; *count set. NULL and 0 when empty. */
static struct counted_flow *read_counts(int counts_fd, size_t *count)
{
	size_t cap = 256;
	struct counted_flow *flows = malloc(cap * sizeof(*flows));
	struct tt_count_key key, next;
	void *prev = NULL;
	*count = 0;
	while (flows && bpf_get_next_key(counts_fd, prev, &next) == 0) {
		if (*count == cap) {
			struct counted_flow *more = realloc(flows, 2 * cap * sizeof(*flows));
			if (!more)
				break;
			flows = more;
			cap *= 2;
		}
		if (bpf_lookup_elem(counts_fd, &next, &flows[*count].connects) == 0)
			flows[(*count)++].key = next;
		key = next;
		prev = &key;
	}
	return flows;
}

static void print_row(const struct count *c, struct tt_output *o, const struct counted_flow *row,
                      const struct tt_columns *columns)
{
	const struct tt_flow *f = &row->key.flow;
	struct tt_flow_text text;
	tt_flow_format(f, &text);
	if (o->json) {
		/* libbpf-tools' order, as in the table: the addresses, then the ports. */
		tt_json_open_word(o->out, c->names->laddr, text.laddr);
		tt_json_word(o->out, c->names->raddr, text.raddr);
		if (c->local_port)
			tt_json_uint(o->out, c->names->lport, f->lport);
		tt_json_uint(o->out, c->names->rport, f->rport);
		tt_json_uint(o->out, "connects", row->connects);
		tt_columns_count_json(columns, o, &row->key);
		tt_json_close(o->out);
		return;
	}
	/* CONNECTS is the last column unless other modules add theirs. */
	int width = tt_columns_count_cells(columns) ? 8 : 0;
	fprintf(o->out, "%-15s %-15s ", text.laddr, text.raddr);
	if (c->local_port)
		fprintf(o->out, "%-5u ", f->lport);
	fprintf(o->out, "%-5u %-*llu", f->rport, width, (unsigned long long)row->connects);
	tt_columns_count_text(columns, o, &row->key);
	fputc('\n', o->out);
}

static int count_after_run(void *state, struct tt_tracer *tracer, struct tt_output *o,
                           const struct tt_columns *columns)
{
	const struct count *c = state;
	if (!c->wanted)
		return 0;
	size_t count;
	struct counted_flow *flows =
	    read_counts(tt_tracer_table_fd(tracer, TT_TABLE(counts)), &count);
	if (!flows) {
		tt_error("out of memory");
		return -1;
	}
	qsort(flows, count, sizeof(*flows), most_first);
	if (!o->json) {
		int width = tt_columns_count_cells(columns) ? 8 : 0;
		/* libbpf-tools' order: LPORT (-s) before RPORT. */
		fprintf(o->out, "%-15s %-15s ", "LADDR", "RADDR");
		if (c->local_port)
			fprintf(o->out, "%-5s ", "LPORT");
		fprintf(o->out, "%-5s %-*s", "RPORT", width, "CONNECTS");
		tt_columns_count_header(columns, o);
		fputc('\n', o->out);
	}
	for (size_t i = 0; i < count; i++)
		print_row(c, o, &flows[i], columns);
	free(flows);
	return 0;
}

static const struct tt_option count_options[] = {
    {'c', "count", NULL, "count attempts per flow in the kernel; print them at the end",
     TT_HELP_MODES},
    {'s', "source-port", NULL, "with -c, count per source port too (libbpf-tools)", TT_HELP_MODES},
};

const struct tt_module tt_count_module = {
    .options = count_options,
    .option_count = TT_ARRAY_SIZE(count_options),
    .state_size = sizeof(struct count),
    .option = count_option,
    .plan = count_plan,
    .count_event = count_event,
    .after_run = count_after_run,
};
