// SPDX-License-Identifier: Apache-2.0
#include "tool_main.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "filters.h"
#include "log.h"

/*
 * Events of one read are printed in time order: perf buffers are one per
 * CPU, read one after another, and even one ring holds events in the order
 * they were written, not the order their timestamps were taken. Events start
 * with their u64 kernel timestamp.
 */
#define BATCH_EVENTS   4096
#define MAX_EVENT_SIZE 512

struct tool_run {
	const struct tt_tool *tool;
	struct tt_filters filters;
	struct tt_output output;
	bool counting;
	size_t stride; /* event size rounded up to 8 bytes, so copies are aligned */
	size_t batched;
	unsigned char *batch; /* BATCH_EVENTS events */
};

static int handle_option(int key, const char *arg, void *ctx)
{
	struct tool_run *run = ctx;
	int rc = tt_filters_option(&run->filters, key, arg);
	if (rc == 1)
		rc = tt_output_option(&run->output, key);
	if (rc == 1 && run->tool->handle_option)
		rc = run->tool->handle_option(key, arg);
	if (rc == 1)
		tt_error("option not supported");
	return rc == 0 ? 0 : -1;
}

static int earlier(const void *a, const void *b)
{
	uint64_t x, y;
	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x < y ? -1 : x > y;
}

static void print_batch(void *cookie)
{
	struct tool_run *run = cookie;
	qsort(run->batch, run->batched, run->stride, earlier);
	for (size_t i = 0; i < run->batched; i++)
		run->tool->print_event(&run->output, run->batch + i * run->stride);
	run->batched = 0;
}

static void on_event(void *cookie, const void *data, int size)
{
	struct tool_run *run = cookie;
	size_t event_size = run->tool->event_size;
	if (size < 0 || (size_t)size < event_size || event_size > MAX_EVENT_SIZE)
		return;
	if (run->batched == BATCH_EVENTS)
		print_batch(run);
	/* Perf samples sit 4 bytes past an 8-byte boundary: copying also aligns. */
	memcpy(run->batch + run->batched++ * run->stride, data, event_size);
}

static int before_attach(void *cookie, struct tt_tracer *tracer)
{
	struct tool_run *run = cookie;
	return tt_filters_fill_maps(&run->filters, tt_tracer_table_fd(tracer, "tt_cgroup"));
}

/* The tool's kernel structures plus those the filters read. */
static struct tt_kernel_struct *kernel_structs(const struct tool_run *run, size_t *count)
{
	const struct tt_kernel_types_spec *types = run->tool->kernel_types;
	size_t extra;
	const struct tt_kernel_struct *filter_structs =
	    tt_filters_kernel_structs(&run->filters, &extra);
	struct tt_kernel_struct *all = calloc(types->struct_count + extra, sizeof(*all));
	if (!all)
		return NULL;
	memcpy(all, types->structs, types->struct_count * sizeof(*all));
	memcpy(all + types->struct_count, filter_structs, extra * sizeof(*all));
	*count = types->struct_count + extra;
	return all;
}

static int trace(struct tool_run *run, struct tt_common_args *common)
{
	const struct tt_tool *tool = run->tool;
	size_t struct_count;
	struct tt_kernel_struct *structs = kernel_structs(run, &struct_count);
	if (!structs) {
		tt_error("out of memory");
		return 1;
	}
	const struct tt_tracer_spec spec = {
	    .kprobe = tool->kprobe,
	    .tracepoint = tool->tracepoint,
	    .kernel_types = {structs, struct_count, tool->kernel_types->headers},
	    .output_table = run->counting ? NULL : "events",
	    .event_size = tool->event_size,
	    .on_event = on_event,
	    .cookie = run,
	    .before_attach = before_attach,
	    .after_batch = print_batch,
	};
	int status = 1;
	if (common->print_ebpf) {
		status = tt_tracer_print_text(&spec, &common->tracer, stdout) == 0 ? 0 : 1;
		free(structs);
		return status;
	}

	struct tt_tracer *tracer = tt_tracer_start(&spec, &common->tracer);
	free(structs);
	if (!tracer)
		return tt_stop_requested() ? 0 : 1; /* Ctrl-C before tracing began is no error */
	/*
	 * Output is flushed after each batch of events read (common/tracer.c);
	 * a large buffer makes that one write per batch, not per line.
	 */
	static char stdout_buffer[1 << 16];
	setvbuf(stdout, stdout_buffer, _IOFBF, sizeof(stdout_buffer));
	/* Tracing is live: probes attached, buffers open. Say so. */
	tt_output_init(&run->output, stdout);
	if (run->counting)
		fprintf(stderr, "Tracing; counting in the kernel until Ctrl-C.\n");
	else if (run->output.json)
		fprintf(stderr, "Tracing; JSON lines on stdout until Ctrl-C.\n");
	else
		tool->print_header(&run->output);
	fflush(stdout);
	status = tt_tracer_run(tracer);
	if (run->counting && status == 0)
		tool->print_counts(&run->output, tt_tracer_table_fd(tracer, "counts"));
	tt_tracer_stop(tracer);
	if (fflush(stdout) != 0)
		status = 1;
	return status;
}

int tt_tool_main(const struct tt_tool *tool, int argc, char **argv)
{
	struct tool_run run = {.tool = tool, .stride = (tool->event_size + 7) & ~(size_t)7};
	struct tt_common_args common;
	const struct tt_command command = {
	    .about = tool->about,
	    .examples = tool->examples,
	    .options = tool->options,
	    .option_count = tool->option_count,
	    .handle = handle_option,
	    .ctx = &run,
	};
	if (tt_parse_command(&command, &common, argc, argv) != 0)
		return 1;
	if (common.exit_now)
		return 0;
	run.counting = tool->counting && tool->counting();
	if (tt_filters_check(&run.filters) != 0) {
		tt_filters_close(&run.filters);
		return 1;
	}

	struct strbuf defines;
	strbuf_init(&defines);
	tt_filters_defines(&run.filters, &defines);
	if (run.counting)
		strbuf_append(&defines, "#define TT_COUNT 1\n");
	common.tracer.defines = strbuf_text(&defines);
	run.batch = aligned_alloc(8, BATCH_EVENTS * run.stride);
	int status = 1;
	if (common.tracer.defines && run.batch)
		status = trace(&run, &common);
	else
		tt_error("out of memory");
	free(run.batch);
	strbuf_free(&defines);
	tt_filters_close(&run.filters);
	return status;
}
