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
    {'T', "time", NULL, "show TIME as HH:MM:SS (accepted for BCC; the default)"},
    TT_TIMESTAMP_OPTION,
    TT_PID_OPTION,
    {'P', "port", "PORT[,PORT...]", "trace these local (listening) ports only"},
    TT_FAMILY_OPTIONS,
    TT_UID_OPTIONS,
    TT_CONTAINER_OPTIONS,
    TT_JSON_OPTION,
};

static int handle_option(int key, const char *arg)
{
	(void)arg;
	return key == 'T' ? 0 : 1; /* TIME is already the default */
}

static const struct tt_tool tcpaccept = {
    .about = "Trace TCP passive connections (accept()).",
    .examples = "  tcpaccept                   # trace every successful TCP accept()\n"
		"  tcpaccept -t                # with seconds since start\n"
		"  tcpaccept -p 181            # only process 181\n"
		"  tcpaccept -P 80,443         # only accepts on local ports 80 and 443\n"
		"  tcpaccept -4 -U             # only IPv4, with a UID column\n"
		"  tcpaccept -j                # JSON lines\n",
    .options = options,
    .option_count = sizeof(options) / sizeof(options[0]),
    .handle_option = handle_option,
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
