// SPDX-License-Identifier: Apache-2.0
#include "tool_main.h"

#include "filters.h"
#include "log.h"

struct tool_run {
	const struct tt_tool *tool;
	struct tt_filters filters;
	struct tt_output output;
};

static int handle_option(int key, const char *arg, void *ctx)
{
	struct tool_run *run = ctx;
	return tt_filters_option(&run->filters, key, arg) == 0 ? 0 : -1;
}

static void on_event(void *cookie, const void *data, int size)
{
	struct tool_run *run = cookie;
	if (size >= 0 && (size_t)size >= run->tool->event_size)
		run->tool->print_event(&run->output, data);
}

static int trace(struct tool_run *run, struct tt_common_args *common)
{
	const struct tt_tool *tool = run->tool;
	const struct tt_tracer_spec spec = {
		.kprobe = tool->kprobe,
		.tracepoint = tool->tracepoint,
		.kernel_types = *tool->kernel_types,
		.output_table = "events",
		.on_event = on_event,
		.cookie = run,
	};
	if (common->print_ebpf)
		return tt_tracer_print_text(&spec, &common->tracer, stdout) == 0 ? 0 : 1;

	struct tt_tracer *tracer = tt_tracer_start(&spec, &common->tracer);
	if (!tracer)
		return 1;
	/* The header says tracing is live: probes attached, buffers open. */
	tt_output_init(&run->output, stdout);
	tool->print_header(&run->output);
	fflush(stdout);
	int status = tt_tracer_run(tracer);
	tt_tracer_stop(tracer);
	return status;
}

int tt_tool_main(const struct tt_tool *tool, int argc, char **argv)
{
	struct tool_run run = {.tool = tool};
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

	struct strbuf defines;
	strbuf_init(&defines);
	tt_filters_defines(&run.filters, &defines);
	common.tracer.defines = strbuf_text(&defines);
	int status = 1;
	if (common.tracer.defines)
		status = trace(&run, &common);
	else
		tt_error("out of memory");
	strbuf_free(&defines);
	return status;
}
