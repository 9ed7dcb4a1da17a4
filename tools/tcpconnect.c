// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect: trace active TCP connections (connect()).
 *
 * Every attempt is traced, even if it ultimately fails. Filters run inside
 * the kernel. See man/tcpconnect.8.
 */
#include <stdlib.h>

#include "bpf_defines.h"
#include "cli.h"
#include "log.h"
#include "parse.h"
#include "tcpconnect_output.h"
#include "tcpconnect_programs.h"
#include "tracer.h"

struct tcpconnect_args {
	uint32_t pid;
	struct tt_port_list ports;
};

static const struct tt_option options[] = {
	{'p', "pid", "PID", "trace this process only"},
	{'P', "port", "PORT[,PORT...]", "trace these destination ports only"},
};

static const char examples[] =
	"  tcpconnect                  # trace every TCP connect()\n"
	"  tcpconnect -p 181           # only process 181\n"
	"  tcpconnect -P 80,443        # only connections to ports 80 and 443\n"
	"  tcpconnect --backend tracepoint  # do not use kprobes\n";

static int handle_option(int key, const char *arg, void *ctx)
{
	struct tcpconnect_args *args = ctx;
	const char *why;
	switch (key) {
	case 'p':
		why = tt_parse_pid(arg, &args->pid);
		return why ? tt_bad_value("PID", arg, why) : 0;
	case 'P':
		why = tt_parse_port_list(arg, &args->ports);
		return why ? tt_bad_value("port list", arg, why) : 0;
	default:
		return -1;
	}
}

static void on_event(void *cookie, const void *data, int size)
{
	if (size >= (int)sizeof(struct tcpconnect_event))
		tcpconnect_print_event(cookie, data);
}

int main(int argc, char **argv)
{
	struct tcpconnect_args args = {0};
	struct tt_common_args common;
	const struct tt_command command = {
		.about = "Trace TCP active connections (connect()).",
		.examples = examples,
		.options = options,
		.option_count = sizeof(options) / sizeof(options[0]),
		.handle = handle_option,
		.ctx = &args,
	};
	if (tt_parse_command(&command, &common, argc, argv) != 0)
		return 1;
	if (common.exit_now)
		return 0;

	struct strbuf defines;
	strbuf_init(&defines);
	tt_define_target_pid(&defines, args.pid);
	tt_define_port_match(&defines, &args.ports);
	common.tracer.defines = strbuf_text(&defines);

	struct tcpconnect_output output;
	const struct tt_tracer_spec spec = {
		.kprobe = &tcpconnect_kprobe_program,
		.tracepoint = &tcpconnect_tracepoint_program,
		.kernel_types = tcpconnect_kernel_types,
		.output_table = "events",
		.on_event = on_event,
		.cookie = &output,
	};

	int status = 1;
	if (common.print_ebpf) {
		status = tt_tracer_print_text(&spec, &common.tracer, stdout) == 0 ? 0 : 1;
	} else {
		struct tt_tracer *tracer = tt_tracer_start(&spec, &common.tracer);
		if (tracer) {
			/* The header says tracing is live: probes attached, buffers open. */
			tcpconnect_output_init(&output, stdout);
			tcpconnect_print_header(&output);
			fflush(stdout);
			status = tt_tracer_run(tracer);
			tt_tracer_stop(tracer);
		}
	}
	strbuf_free(&defines);
	return status;
}
