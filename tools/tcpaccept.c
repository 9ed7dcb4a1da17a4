// SPDX-License-Identifier: Apache-2.0
/*
 * tcpaccept: trace passive TCP connections (accept()).
 *
 * Only successful accept()s are traced, with the PID and COMM of the process
 * that called accept(). Filters run inside the kernel. See man/tcpaccept.8.
 */
#include "tcpaccept_output.h"
#include "tcpaccept_programs.h"
#include "tool_main.h"

static const struct tt_option options[] = {
	{'p', "pid", "PID", "trace this process only"},
	{'P', "port", "PORT[,PORT...]", "trace these local (listening) ports only"},
};

static const struct tt_tool tcpaccept = {
	.about = "Trace TCP passive connections (accept()).",
	.examples = "  tcpaccept                   # trace every successful TCP accept()\n"
		    "  tcpaccept -p 181            # only process 181\n"
		    "  tcpaccept -P 80,443         # only accepts on local ports 80 and 443\n"
		    "  tcpaccept --backend tracepoint  # do not use kprobes\n",
	.options = options,
	.option_count = sizeof(options) / sizeof(options[0]),
	.kprobe = &tcpaccept_kprobe_program,
	.tracepoint = &tcpaccept_tracepoint_program,
	.kernel_types = &tcpaccept_kernel_types,
	.event_size = sizeof(struct tcpaccept_event),
	.print_header = tcpaccept_print_header,
	.print_event = tcpaccept_print_event,
};

int main(int argc, char **argv)
{
	return tt_tool_main(&tcpaccept, argc, argv);
}
