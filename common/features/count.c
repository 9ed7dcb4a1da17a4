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
	bool intervals;   /* -i: counts and counts_other by turns (tt_submit.bpf.h) */
	unsigned epoch;   /* -i: the table counted in, count_epoch's value (0: counts) */
	const struct tt_flow_names *names;
	/* -i: the other table as read when the counting left it, by key. */
	struct counted_flow *left;
	size_t left_count;
};

/* -i: the table counted in now (count_epoch), or the one left at the last interval. */
static int table_fd(const struct count *c, struct tt_tracer *tracer, bool counted_in)
{
	bool other = c->intervals && (c->epoch != 0) == counted_in;
	return tt_tracer_table_fd(tracer, other ? TT_TABLE(counts_other) : TT_TABLE(counts));
}

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
	c->intervals = input->intervals;
	tt_plan_define(plan, TT_DEFINE(TT_COUNT), "1");
	if (c->client_port)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_CLIENT_PORT), "1");
	if (c->names->local_listens)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_LOCAL_LISTENS), "1");
	if (c->intervals)
		tt_plan_define(plan, TT_DEFINE(TT_COUNT_INTERVAL), "1");
	offer->counts = true;
	offer->intervals = c->intervals;
	offer->live_note = "counting in the kernel until Ctrl-C";
	return 0;
}

/* An event user space was handed (an attempt still pending), counted as the kernel counts. */
static int count_event(void *state, struct tt_tracer *tracer, const struct tt_event *event,
                       __u32 result)
{
	const struct count *c = state;
	int counts_fd = table_fd(c, tracer, true);
	if (counts_fd < 0)
		return 0;
	struct tt_count_key key;
	tt_count_key_fill(&key, event, result, c->client_port, c->names->local_listens);
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

static int by_key(const void *a, const void *b)
{
	return memcmp(&((const struct counted_flow *)a)->key,
	              &((const struct counted_flow *)b)->key, sizeof(struct tt_count_key));
}

/* What the other table holds beyond what was read of it when the counting left it. */
static uint64_t gained(const struct count *c, const struct counted_flow *now)
{
	const struct counted_flow *then =
	    c->left_count ? bsearch(now, c->left, c->left_count, sizeof(*now), by_key) : NULL;
	return then && then->connects <= now->connects ? now->connects - then->connects
	                                               : now->connects;
}

/* Empties a table no program counts in. */
static void empty_table(int fd)
{
	struct tt_count_key key;
	while (bpf_get_next_key(fd, NULL, &key) == 0)
		if (bpf_delete_elem(fd, &key) != 0)
			break;
}

/*
 * -i: one interval's counts. The table left at the last interval is read
 * again (an increment begun before that turn lands after it was read) and
 * emptied; the counting turns to it; the table it leaves is read. Every
 * increment is printed once: in the interval of the turn after it, or,
 * begun just before that turn, in the next one.
 */
static int print_interval(struct count *c, struct tt_tracer *tracer, struct tt_output *o,
                          const struct tt_columns *columns)
{
	int left_fd = table_fd(c, tracer, false), counted_fd = table_fd(c, tracer, true);
	int epoch_fd = tt_tracer_table_fd(tracer, TT_TABLE(count_epoch));
	size_t late_count, now_count;
	struct counted_flow *late = read_counts(left_fd, &late_count);
	if (!late) {
		tt_error("out of memory");
		return -1;
	}
	empty_table(left_fd);
	int zero = 0;
	__u32 next = !c->epoch;
	if (bpf_update_elem(epoch_fd, &zero, &next, 0) != 0) {
		tt_error("cannot turn the counting to the other table: %s", strerror(errno));
		free(late);
		return -1;
	}
	c->epoch = next;
	struct counted_flow *now = read_counts(counted_fd, &now_count);
	struct counted_flow *block =
	    now ? malloc((now_count + late_count + 1) * sizeof(*block)) : NULL;
	if (!block) {
		tt_error("out of memory");
		free(late);
		free(now);
		return -1;
	}
	size_t count = 0;
	for (size_t i = 0; i < late_count; i++) {
		late[i].connects = gained(c, &late[i]);
		if (late[i].connects)
			block[count++] = late[i];
	}
	memcpy(block + count, now, now_count * sizeof(*now));
	count += now_count;
	/* A flow in both: one row. */
	qsort(block, count, sizeof(*block), by_key);
	size_t rows = 0;
	for (size_t i = 0; i < count; i++) {
		if (rows && by_key(&block[rows - 1], &block[i]) == 0)
			block[rows - 1].connects += block[i].connects;
		else
			block[rows++] = block[i];
	}
	print_rows(c, o, block, rows, columns);
	free(block);
	free(late);
	qsort(now, now_count, sizeof(*now), by_key);
	free(c->left);
	c->left = now;
	c->left_count = now_count;
	return 0;
}

static int count_interval(void *state, struct tt_tracer *tracer, struct tt_output *o,
                          const struct tt_columns *columns)
{
	return print_interval(state, tracer, o, columns);
}

static int count_after_run(void *state, struct tt_tracer *tracer, struct tt_output *o,
                           const struct tt_columns *columns)
{
	struct count *c = state;
	if (!c->wanted)
		return 0;
	if (c->intervals)
		return print_interval(c, tracer, o, columns);
	size_t count;
	struct counted_flow *flows = read_counts(table_fd(c, tracer, true), &count);
	if (!flows) {
		tt_error("out of memory");
		return -1;
	}
	print_rows(c, o, flows, count, columns);
	free(flows);
	return 0;
}

static void count_close(void *state)
{
	free(((struct count *)state)->left);
}

static const struct tt_option count_options[] = {
    {'c', "count", NULL,
     "count connections per addresses and server port in the kernel; print them at the end",
     TT_HELP_MODES},
    {'s', "source-port", NULL, "with -c, count per source (client's) port too (libbpf-tools)",
     TT_HELP_MODES},
};

const struct tt_module tt_count_module = {
    .options = count_options,
    .option_count = TT_ARRAY_SIZE(count_options),
    .state_size = sizeof(struct count),
    .option = count_option,
    .plan = count_plan,
    .count_event = count_event,
    .interval = count_interval,
    .after_run = count_after_run,
    .close = count_close,
};
