// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect: trace active TCP connections (connect()).
 *
 * Every attempt is traced, even if it ultimately fails. Filters run inside
 * the kernel. See man/tcpconnect.8.
 */
#include "tcpconnect_output.h"
#include "tcpconnect_programs.h"
#include "tool_main.h"

static const struct tt_option options[] = {
	{'p', "pid", "PID", "trace this process only"},
	{'P', "port", "PORT[,PORT...]", "trace these destination ports only"},
};

static const struct tt_tool tcpconnect = {
	.about = "Trace TCP active connections (connect()).",
	.examples = "  tcpconnect                  # trace every TCP connect()\n"
		    "  tcpconnect -p 181           # only process 181\n"
		    "  tcpconnect -P 80,443        # only connections to ports 80 and 443\n"
		    "  tcpconnect --backend tracepoint  # do not use kprobes\n",
	.options = options,
	.option_count = sizeof(options) / sizeof(options[0]),
	.kprobe = &tcpconnect_kprobe_program,
	.tracepoint = &tcpconnect_tracepoint_program,
	.kernel_types = &tcpconnect_kernel_types,
	.event_size = sizeof(struct tcpconnect_event),
	.print_header = tcpconnect_print_header,
	.print_event = tcpconnect_print_event,
};

int main(int argc, char **argv)
{
	return tt_tool_main(&tcpconnect, argc, argv);
}
