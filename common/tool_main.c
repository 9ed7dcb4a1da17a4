// SPDX-License-Identifier: Apache-2.0
#include "tool_main.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "array.h"
#include "backend.h"
#include "batch.h"
#include "dns_names.h"
#include "fields.h"
#include "json.h"
#include "log.h"
#include "signals.h"
#include "tt_contract.h"

#define POLL_TIMEOUT_MS 100

struct module_run {
	const struct tt_module *module;
	size_t part_offset;
	void *state;
	struct tt_module_offer offer; /* what its plan hook offered */
};

/* A column --fields chose, with whose state and event part it prints. */
struct shown_field {
	const struct tt_field *field;
	void *state;
	size_t part_offset;
};

/* What tt_columns_* walk: the run's modules, and the tool they print for. */
struct tt_columns {
	const struct tt_tool *tool;
	struct module_run *modules;
	size_t count;
	/* --fields: the columns chosen, in order; 0: the tool's own layout. */
	struct shown_field *fields;
	size_t field_count;
	struct tt_field base[TT_BASE_FIELDS]; /* the task's and the flow's */
	char base_headers[4][8];
};

/* Where a module's drain hands events: the counting module, or the printer. */
struct tt_event_sink {
	struct tt_columns *columns;
	struct module_run *counter; /* NULL: printed */
	struct tt_tracer *tracer;
	struct tt_output *output;
};

struct tool_run {
	const struct tt_tool *tool;
	const struct tt_program *program; /* the tool's, for the plan's backend */
	struct module_run *counter;       /* the module that counts (offer.counts), or NULL */
	const char *live_note;
	struct tt_columns columns;
	struct tt_option *options; /* the tool's, then each module's */
	size_t option_count;
	struct tt_common_args common;
	struct tt_plan plan;
	struct tt_output output;
	struct tt_batch batch;
	struct tt_dns_names *dns_names; /* where a module needs them (input->dns_names) */
};

/* -------------------------------------------------------------------------- options */

static int route_option(int key, const char *arg, void *cookie)
{
	struct tool_run *run = cookie;
	/* The module whose table has the key; then the tool; then any module (-P). */
	for (size_t i = 0; i < run->columns.count; i++) {
		const struct tt_module *m = run->columns.modules[i].module;
		for (size_t o = 0; o < m->option_count; o++)
			if (m->options[o].key == key && m->option)
				return m->option(run->columns.modules[i].state, key, arg) == 0 ? 0
				                                                               : -1;
	}
	int rc = run->tool->handle_option ? run->tool->handle_option(key, arg) : 1;
	for (size_t i = 0; rc == 1 && i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->module->option)
			rc = m->module->option(m->state, key, arg);
	}
	if (rc == 1)
		tt_error("option not supported");
	return rc == 0 ? 0 : -1;
}

/* The run's modules with zeroed state, and the option table they make with the tool's. */
static int set_up(struct tool_run *run)
{
	const struct tt_tool *tool = run->tool;
	run->columns.tool = tool;
	run->columns.modules = calloc(tool->module_count + 1, sizeof(*run->columns.modules));
	size_t options = tool->option_count;
	for (size_t i = 0; i < tool->module_count; i++)
		options += tool->modules[i].module->option_count;
	run->options = calloc(options + 1, sizeof(*run->options));
	if (!run->columns.modules || !run->options)
		return -1;
	memcpy(run->options, tool->options, tool->option_count * sizeof(*run->options));
	run->option_count = tool->option_count;
	for (size_t i = 0; i < tool->module_count; i++) {
		const struct tt_module *m = tool->modules[i].module;
		struct module_run *mr = &run->columns.modules[run->columns.count++];
		mr->module = m;
		mr->part_offset = tool->modules[i].part_offset;
		mr->state = calloc(1, m->state_size ? m->state_size : 1);
		if (!mr->state)
			return -1;
		if (m->option_count) /* a module without options has none to copy (NULL) */
			memcpy(run->options + run->option_count, m->options,
			       m->option_count * sizeof(*run->options));
		run->option_count += m->option_count;
	}
	return 0;
}

static void tear_down(struct tool_run *run)
{
	for (size_t i = 0; i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->module->close)
			m->module->close(m->state);
		free(m->state);
	}
	free(run->columns.modules);
	free(run->columns.fields);
	free(run->options);
	tt_plan_free(&run->plan);
	tt_batch_free(&run->batch);
	tt_dns_names_free(run->dns_names); /* after the modules that read it are closed */
}

/* -------------------------------------------------------------------------- printing */

static const void *part_of(const struct module_run *m, const void *event)
{
	return m->part_offset ? (const char *)event + m->part_offset : NULL;
}

/* Whether a shown module prints cells after the tool's own. */
static bool trailing_cells(const struct tool_run *run)
{
	for (size_t i = 0; i < run->columns.count; i++) {
		const struct module_run *m = &run->columns.modules[i];
		if (m->offer.columns && m->module->column_place == TT_COLUMNS_TRAIL &&
		    m->module->text)
			return true;
	}
	return false;
}

/* The shown modules' text cells at one place of a line (event NULL: the header's). */
static void print_cells(const struct tt_columns *columns, struct tt_output *o,
                        enum tt_column_place place, const void *event)
{
	for (size_t i = 0; i < columns->count; i++) {
		struct module_run *m = &columns->modules[i];
		if (!m->offer.columns || m->module->column_place != place)
			continue;
		if (!event && m->module->header)
			m->module->header(m->state, o);
		else if (event && m->module->text)
			m->module->text(m->state, o, event, part_of(m, event));
	}
}

/* --fields: a line of the chosen columns, its header (event NULL) or an event's. */
static void print_fields(const struct tt_columns *columns, struct tt_output *o, const void *event)
{
	if (o->json && event)
		tt_json_open(o->out);
	for (size_t i = 0; i < columns->field_count; i++) {
		const struct shown_field *f = &columns->fields[i];
		int width = i + 1 < columns->field_count ? f->field->width : 0;
		const void *part =
		    f->part_offset && event ? (const char *)event + f->part_offset : NULL;
		if (o->json) {
			f->field->json(f->state, o, event, part);
			continue;
		}
		if (i > 0)
			putc_unlocked(' ', o->out);
		if (event)
			f->field->text(f->state, o, event, part, width);
		else
			fprintf(o->out, "%-*s", width, f->field->header);
	}
	if (o->json)
		tt_json_close(o->out);
	else
		fputc('\n', o->out);
}

static void print_header(struct tool_run *run)
{
	if (run->columns.field_count) {
		print_fields(&run->columns, &run->output, NULL);
		return;
	}
	print_cells(&run->columns, &run->output, TT_COLUMNS_LEAD, NULL);
	tt_output_task_header(&run->output);
	run->tool->print_header(&run->output);
	print_cells(&run->columns, &run->output, TT_COLUMNS_TRAIL, NULL);
	fputc('\n', run->output.out);
}

void tt_columns_print_event(const struct tt_columns *columns, struct tt_output *o,
                            const void *event)
{
	const struct tt_event *base = event;
	if (columns->field_count) {
		print_fields(columns, o, event);
		return;
	}
	if (o->json) {
		tt_output_json_head(o, &base->head);
		columns->tool->print_json(o, event);
		for (size_t i = 0; i < columns->count; i++) {
			struct module_run *m = &columns->modules[i];
			if (m->offer.columns && m->module->json)
				m->module->json(m->state, o, base, part_of(m, event));
		}
		tt_json_close(o->out);
		return;
	}
	print_cells(columns, o, TT_COLUMNS_LEAD, event);
	tt_output_task_text(o, &base->head);
	columns->tool->print_text(o, event);
	print_cells(columns, o, TT_COLUMNS_TRAIL, event);
	fputc('\n', o->out);
}

static void print_event(struct tool_run *run, const void *event)
{
	tt_columns_print_event(&run->columns, &run->output, event);
}

int tt_event_sink_put(struct tt_event_sink *sink, const void *event, __u32 result)
{
	if (!sink->counter) {
		tt_columns_print_event(sink->columns, sink->output, event);
		return 0;
	}
	const struct tt_module *counter = sink->counter->module;
	if (!counter->count_event)
		return 0;
	return counter->count_event(sink->counter->state, sink->tracer, event, result);
}

bool tt_columns_count_cells(const struct tt_columns *columns)
{
	for (size_t i = 0; i < columns->count; i++)
		if (columns->modules[i].offer.columns && columns->modules[i].module->count_text)
			return true;
	return false;
}

void tt_columns_count_header(const struct tt_columns *columns, struct tt_output *out)
{
	for (size_t i = 0; i < columns->count; i++)
		if (columns->modules[i].offer.columns && columns->modules[i].module->count_header)
			columns->modules[i].module->count_header(columns->modules[i].state, out);
}

void tt_columns_count_text(const struct tt_columns *columns, struct tt_output *out,
                           const struct tt_count_key *key)
{
	for (size_t i = 0; i < columns->count; i++)
		if (columns->modules[i].offer.columns && columns->modules[i].module->count_text)
			columns->modules[i].module->count_text(columns->modules[i].state, out, key);
}

void tt_columns_count_json(const struct tt_columns *columns, struct tt_output *out,
                           const struct tt_count_key *key)
{
	for (size_t i = 0; i < columns->count; i++)
		if (columns->modules[i].offer.columns && columns->modules[i].module->count_json)
			columns->modules[i].module->count_json(columns->modules[i].state, out, key);
}

static void print_batch(struct tool_run *run)
{
	tt_batch_sort(&run->batch);
	for (size_t i = 0; i < run->batch.count; i++)
		print_event(run, tt_batch_event(&run->batch, i));
	run->batch.count = 0;
}

static void on_event(void *cookie, const void *data, int size)
{
	struct tool_run *run = cookie;
	if (size < 0 || (size_t)size < run->batch.event_size)
		return;
	if (tt_batch_full(&run->batch))
		print_batch(run);
	unsigned char *event = tt_batch_add(&run->batch, data);
	for (size_t i = 0; i < run->columns.count; i++) {
		const struct module_run *m = &run->columns.modules[i];
		if (m->module->arrived)
			m->module->arrived(m->state, (struct tt_event *)event,
			                   m->part_offset ? event + m->part_offset : NULL);
	}
}

/* -------------------------------------------------------------------------- the plan */

/* -------------------------------------------------------------------------- --fields */

/* Every field of the run: the task's and the flow's, the tool's, then each module's. */
static size_t all_fields(struct tool_run *run, struct shown_field *all, size_t cap)
{
	struct tt_columns *c = &run->columns;
	size_t n = 0;
	for (size_t i = 0; i < TT_BASE_FIELDS && n < cap; i++)
		all[n++] = (struct shown_field){&c->base[i], NULL, 0};
	for (size_t i = 0; i < run->tool->field_count && n < cap; i++)
		all[n++] = (struct shown_field){&run->tool->fields[i], NULL, 0};
	for (size_t m = 0; m < c->count; m++)
		for (size_t i = 0; i < c->modules[m].module->field_count && n < cap; i++)
			all[n++] =
			    (struct shown_field){&c->modules[m].module->fields[i],
			                         c->modules[m].state, c->modules[m].part_offset};
	return n;
}

/* The module a field is of, or NULL (the task's, the flow's, the tool's). */
static const struct module_run *module_of(const struct tool_run *run, const struct tt_field *f)
{
	for (size_t m = 0; m < run->columns.count; m++) {
		const struct tt_module *module = run->columns.modules[m].module;
		if (f >= module->fields && f < module->fields + module->field_count)
			return &run->columns.modules[m];
	}
	return NULL;
}

static int unknown_field(const char *name, const struct shown_field *all, size_t n)
{
	char shown[TT_SHOWN_ARG_MAX], valid[1024] = "";
	size_t used = 0;
	for (size_t i = 0; i < n && used < sizeof(valid); i++)
		used += (size_t)snprintf(valid + used, sizeof(valid) - used, "%s%s", i ? "," : "",
		                         all[i].field->key);
	tt_error("unknown field '%s' in --fields (valid: %s)", tt_shown_arg(name, shown), valid);
	return -2;
}

/* The option that made a module count, as the user wrote it ("--metrics -q"), for errors. */
static const char *counts_option(const struct module_run *m)
{
	return m->offer.counts_option ? m->offer.counts_option : m->module->mode_option;
}

/* --fields LIST: the chosen columns, each known and shown by its option, once. 0, or -2. */
static int choose_fields(struct tool_run *run)
{
	struct tt_columns *c = &run->columns;
	if (run->counter) {
		tt_error("--fields and %s exclude each other", run->counter->module->mode_option);
		return -2;
	}
	tt_base_fields(run->tool->flow_names, c->base, c->base_headers);
	struct shown_field all[128];
	size_t n = all_fields(run, all, TT_ARRAY_SIZE(all));
	const char *list = run->common.fields;
	size_t names = 1;
	for (const char *p = list; *p; p++)
		names += *p == ',';
	c->fields = calloc(names, sizeof(*c->fields));
	if (!c->fields) {
		tt_error("out of memory");
		return -1;
	}
	for (const char *name = list; c->field_count < names;) {
		size_t len = strcspn(name, ",");
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)(len < sizeof(key) ? len : sizeof(key) - 1),
		         name);
		size_t i = 0;
		while (i < n && (len >= sizeof(key) || strcmp(all[i].field->key, key) != 0))
			i++;
		if (len == 0) {
			tt_error("an empty field name in --fields");
			return -2;
		}
		if (i == n)
			return unknown_field(key, all, n);
		const struct module_run *m = module_of(run, all[i].field);
		if (m && !m->offer.columns) {
			tt_error("field '%s' needs %s", key, all[i].field->option);
			return -2;
		}
		for (size_t j = 0; j < c->field_count; j++)
			if (c->fields[j].field == all[i].field) {
				tt_error("field '%s' is named twice in --fields", key);
				return -2;
			}
		c->fields[c->field_count++] = all[i];
		name += len + (name[len] == ',');
	}
	return 0;
}

/* -i without a mode that prints at intervals: names the tool's modes ("-c or --hist"); -2. */
static int interval_needs_a_mode(const struct tool_run *run)
{
	char modes[128] = "";
	size_t used = 0, count = 0;
	for (size_t i = 0; i < run->columns.count; i++)
		if (run->columns.modules[i].module->mode_option)
			count++;
	for (size_t i = 0, n = 0; i < run->columns.count; i++) {
		const char *mode = run->columns.modules[i].module->mode_option;
		if (!mode || used >= sizeof(modes))
			continue;
		n++;
		used += (size_t)snprintf(modes + used, sizeof(modes) - used, "%s%s",
		                         n == 1       ? ""
		                         : n == count ? " or "
		                                      : ", ",
		                         mode);
	}
	tt_error("-i/--interval needs %s", count ? modes : "a mode that counts");
	return -2;
}

/* 0; -1 after a one-line error; -2 after a usage error (options that do not go together). */
static int build_plan(struct tool_run *run, bool must_attach)
{
	const struct tt_tool *tool = run->tool;
	struct tt_plan *plan = &run->plan;
	tt_plan_init(plan);
	if (tt_backend_resolve(run->common.tracer.backend, tool->kprobe != NULL, must_attach,
	                       &plan->backend) != 0)
		return -1;
	run->program = plan->backend == TT_BACKEND_KPROBE ? tool->kprobe : tool->tracepoint;
	if (!run->program) { /* only where --backend named it: auto picks one the tool has */
		tt_error("this tool has no %s backend", tt_backend_names[plan->backend]);
		return TT_PLAN_USAGE;
	}
	for (size_t i = 0; i < run->program->probe_count; i++)
		tt_plan_add_probe(plan, &run->program->probes[i]);
	tt_plan_add_structs(plan, tool->kernel_types->structs, tool->kernel_types->struct_count,
	                    tool->kernel_types->headers);
	/* Every module's needs before any plan hook: the list's order does not matter. */
	struct tt_module_needs needs = {0};
	bool intervals = false; /* some module prints at -i's intervals */
	for (size_t i = 0; i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->module->needs)
			m->module->needs(m->state, &needs);
	}
	if (needs.dns_names && !(run->dns_names = tt_dns_names_new())) {
		tt_error("out of memory");
		return -1;
	}
	bool names_learnt = false;
	for (size_t i = 0; i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		const struct tt_plan_input input = {.backend = plan->backend,
		                                    .flow_names = tool->flow_names,
		                                    .event_size = tool->event_size,
		                                    .part_offset = m->part_offset,
		                                    .outcomes = needs.outcomes,
		                                    .pending = needs.pending,
		                                    .results = needs.results,
		                                    .intervals = run->common.interval_seconds != 0,
		                                    .dns_names = run->dns_names};
		int rc = m->module->plan ? m->module->plan(m->state, &input, plan, &m->offer) : 0;
		if (rc != 0)
			return rc == TT_PLAN_USAGE ? TT_PLAN_USAGE : -1;
		if (m->offer.live_note)
			run->live_note = m->offer.live_note;
		if (m->offer.counts && run->counter) {
			tt_error(
			    "%s and %s exclude each other: each counts in the kernel instead of "
			    "printing",
			    counts_option(run->counter), counts_option(m));
			return TT_PLAN_USAGE;
		}
		if (m->offer.counts)
			run->counter = m;
		intervals = intervals || m->offer.intervals;
		names_learnt = names_learnt || m->offer.learns_names;
	}
	if (run->dns_names && !names_learnt) {
		tt_error("%s: this tool reads no DNS answers", needs.dns_names);
		return TT_PLAN_USAGE;
	}
	if (run->common.interval_seconds && !intervals)
		return interval_needs_a_mode(run);
	if (run->common.fields) {
		int chosen = choose_fields(run);
		if (chosen != 0)
			return chosen;
	}
	/* The tool's events come first: the one output waited on. */
	const struct tt_plan_output events = {TT_TABLE(events), tool->event_size, on_event, run};
	if (!run->counter && tt_plan_add_first_output(plan, &events) != 0)
		return -1;
	if (plan->out_of_memory || tt_batch_init(&run->batch, tool->event_size) != 0) {
		tt_error("out of memory");
		return -1;
	}
	return 0;
}

static int after_load(void *cookie, struct tt_tracer *tracer)
{
	struct tool_run *run = cookie;
	for (size_t i = 0; i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->module->after_load && m->module->after_load(m->state, tracer) != 0)
			return -1;
	}
	return 0;
}

static struct tt_tracer_spec tracer_spec(struct tool_run *run)
{
	return (struct tt_tracer_spec){run->program->text, &run->plan, after_load, run};
}

/* -------------------------------------------------------------------------- the run */

static int64_t monotonic_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* How long to wait for events: the poll interval, or less where a deadline comes first. */
static int wait_ms(int64_t end_ms, int64_t next_ms)
{
	int64_t deadline = next_ms && (end_ms == 0 || next_ms < end_ms) ? next_ms : end_ms;
	if (deadline == 0)
		return POLL_TIMEOUT_MS;
	int64_t left = deadline - monotonic_ms();
	return left <= 0 ? 0 : left < POLL_TIMEOUT_MS ? (int)left : POLL_TIMEOUT_MS;
}

/* -i: the next interval's number and end, and its time line in the table. */
static void start_interval_block(struct tool_run *run)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now); /* the kernel's clock (bpf_ktime_get_ns) */
	run->output.interval++;
	run->output.interval_end_ns = (__u64)now.tv_sec * 1000000000u + (__u64)now.tv_nsec;
	if (!run->output.json)
		tt_output_interval_line(&run->output);
}

/* -i: one interval's block, from every module that prints at intervals. 0, or -1. */
static int print_interval(struct tool_run *run, struct tt_tracer *tracer)
{
	print_batch(run);
	start_interval_block(run);
	for (size_t i = 0; i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->offer.intervals && m->module->interval &&
		    m->module->interval(m->state, tracer, &run->output, &run->columns) != 0)
			return -1;
	}
	return 0;
}

/*
 * Reads and prints until a stop signal, -D's end or a closed stdout; returns
 * the exit status. -D's end is a stop like a signal's: what is buffered is
 * read and printed, then the modules print what they gathered.
 */
static int read_until_stopped(struct tool_run *run, struct tt_tracer *tracer)
{
	unsigned duration = run->common.duration_seconds;
	int64_t start_ms = monotonic_ms();
	int64_t end_ms = duration ? start_ms + (int64_t)duration * 1000 : 0;
	int64_t interval_ms = (int64_t)run->common.interval_seconds * 1000;
	int64_t next_ms = interval_ms ? start_ms + interval_ms : 0;
	int output = 0;
	while (!tt_stop_requested() && output == 0 && (end_ms == 0 || monotonic_ms() < end_ms)) {
		tt_tracer_read(tracer, wait_ms(end_ms, next_ms), false);
		print_batch(run);
		/* Every interval that ends before -D's end has its block; the end has the last. */
		while (output == 0 && next_ms && monotonic_ms() >= next_ms &&
		       (end_ms == 0 || next_ms < end_ms)) {
			output = print_interval(run, tracer);
			next_ms += interval_ms;
		}
		if (output == 0)
			output = tt_output_flush(&run->output);
	}
	/*
	 * -D's end: the intervals a loaded machine left no time to print before
	 * it are printed now, so that -D/-i blocks are printed, however late.
	 */
	while (output == 0 && !tt_stop_requested() && next_ms && end_ms && next_ms < end_ms) {
		output = print_interval(run, tracer);
		next_ms += interval_ms;
	}
	if (output == 0) {
		tt_tracer_read(tracer, 0, true);
		print_batch(run);
		output = tt_output_flush(&run->output);
	}
	return output < 0 ? TT_EXIT_FAILURE : 0;
}

static int trace(struct tool_run *run)
{
	const struct tt_tracer_spec spec = tracer_spec(run);
	struct tt_tracer *tracer = tt_tracer_start(&spec, &run->common.tracer);
	if (!tracer) /* Ctrl-C before tracing began is no error */
		return tt_stop_requested() ? 0 : TT_EXIT_FAILURE;
	tt_output_buffer_stdout();
	tt_output_init(&run->output, stdout, run->common.json);
	run->output.flow_names = run->tool->flow_names;
	run->output.cells_follow = trailing_cells(run);
	/* Tracing is live: probes attached, buffers open. Say so. */
	const char *note = run->live_note     ? run->live_note
	                   : run->output.json ? "JSON lines on stdout until Ctrl-C"
	                                      : NULL;
	if (note && run->common.duration_seconds)
		fprintf(stderr, "Tracing; %s, at most %u s.\n", note, run->common.duration_seconds);
	else if (note)
		fprintf(stderr, "Tracing; %s.\n", note);
	else
		print_header(run);
	fflush(stdout);
	int status = read_until_stopped(run, tracer);
	struct tt_event_sink sink = {&run->columns, run->counter, tracer, &run->output};
	for (size_t i = 0; status == 0 && i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->module->drain && m->module->drain(m->state, tracer, &sink) != 0)
			status = 1;
	}
	if (status == 0 && run->common.interval_seconds)
		start_interval_block(run); /* the last interval's */
	for (size_t i = 0; status == 0 && i < run->columns.count; i++) {
		struct module_run *m = &run->columns.modules[i];
		if (m->module->after_run &&
		    m->module->after_run(m->state, tracer, &run->output, &run->columns) != 0)
			status = TT_EXIT_FAILURE;
	}
	tt_tracer_stop(tracer);
	if (tt_output_flush(&run->output) < 0)
		status = TT_EXIT_FAILURE;
	return status;
}

/*
 * Parses argv into run; 1 when the run is over already (--help, --version),
 * -1 after a usage error, -2 after another.
 */
static int parse(struct tool_run *run, int argc, char **argv)
{
	if (set_up(run) != 0) {
		tt_error("out of memory");
		return -2;
	}
	const struct tt_command command = {
	    .name = run->tool->name,
	    .about = run->tool->about,
	    .examples = run->tool->examples,
	    .options = run->options,
	    .option_count = run->option_count,
	    .handle = route_option,
	    .cookie = run,
	};
	if (tt_parse_command(&command, &run->common, argc, argv) != 0)
		return -1;
	return run->common.exit_now ? 1 : 0;
}

int tt_tool_main(const struct tt_tool *tool, int argc, char **argv)
{
	struct tool_run run = {.tool = tool};
	int status = parse(&run, argc, argv);
	if (status == 0) {
		int planned = build_plan(&run, !run.common.print_ebpf);
		if (planned != 0) {
			status = planned == TT_PLAN_USAGE ? TT_EXIT_USAGE : TT_EXIT_FAILURE;
		} else if (run.common.print_ebpf) {
			const struct tt_tracer_spec spec = tracer_spec(&run);
			status = tt_tracer_print_text(&spec, &run.common.tracer, stdout) == 0
			             ? 0
			             : TT_EXIT_FAILURE;
		} else {
			status = trace(&run);
		}
	} else {
		status = status > 0 ? 0 : status == -1 ? TT_EXIT_USAGE : TT_EXIT_FAILURE;
	}
	tear_down(&run);
	return status;
}

int tt_tool_verify(const struct tt_tool *tool, int argc, char **argv)
{
	struct tool_run run = {.tool = tool};
	int rc = parse(&run, argc, argv) == 0 && build_plan(&run, false) == 0 ? 0 : -1;
	if (rc == 0) {
		const struct tt_tracer_spec spec = tracer_spec(&run);
		rc = tt_tracer_verify(&spec, &run.common.tracer);
	}
	tear_down(&run);
	return rc;
}

int tt_tool_print(const struct tt_tool *tool, int argc, char **argv, FILE *out,
                  const struct tt_clock *clock, const void *events, size_t count)
{
	struct tool_run run = {.tool = tool};
	int rc = parse(&run, argc, argv) == 0 && build_plan(&run, false) == 0 ? 0 : -1;
	if (rc == 0) {
		tt_output_init(&run.output, out, run.common.json);
		run.output.flow_names = tool->flow_names;
		run.output.cells_follow = trailing_cells(&run);
		run.output.clock = *clock;
		if (!run.output.json)
			print_header(&run);
		for (size_t i = 0; i < count; i++)
			print_event(&run, (const char *)events + i * tool->event_size);
	}
	tear_down(&run);
	return rc;
}
