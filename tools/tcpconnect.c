// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect: trace active TCP connections (connect()).
 *
 * Every attempt is traced, even if it ultimately fails. Filters run inside
 * the kernel. See man/tcpconnect.8.
 */
#include <stdbool.h>

#include "tcpconnect_output.h"
#include "tcpconnect_programs.h"
#include "tool_main.h"

static const struct tt_option options[] = {
    TT_TIMESTAMP_OPTION,
    TT_PID_OPTION,
    {'P', "port", "PORT[,PORT...]", "trace these destination ports only"},
    TT_FAMILY_OPTIONS,
    {'L', "lport", NULL, "show the local port (accepted for BCC; SPORT is always shown)"},
    TT_UID_OPTIONS,
    {'c', "count", NULL, "count attempts per flow in the kernel; print them at the end"},
    TT_CONTAINER_OPTIONS,
    TT_JSON_OPTION,
};

static bool count_mode;

static int handle_option(int key, const char *arg)
{
	(void)arg;
	switch (key) {
	case 'L':
		return 0; /* BCC's LPORT column: SPORT is already it */
	case 'c':
		count_mode = true;
		return 0;
	default:
		return 1;
	}
}

static bool counting(void)
{
	return count_mode;
}

static const struct tt_tool tcpconnect = {
    .about = "Trace TCP active connections (connect()).",
    .examples = "  tcpconnect                  # trace every TCP connect()\n"
		"  tcpconnect -t               # with seconds since start\n"
		"  tcpconnect -p 181           # only process 181\n"
		"  tcpconnect -P 80,443        # only connections to ports 80 and 443\n"
		"  tcpconnect -6 -U            # only IPv6, with a UID column\n"
		"  tcpconnect -c               # count attempts per flow until Ctrl-C\n"
		"  tcpconnect -j               # JSON lines\n"
		"  tcpconnect --cgroup /sys/fs/cgroup/unified/app  # only this cgroup\n",
    .options = options,
    .option_count = sizeof(options) / sizeof(options[0]),
    .handle_option = handle_option,
    .kprobe = &tcpconnect_kprobe_program,
    .tracepoint = &tcpconnect_tracepoint_program,
    .kernel_types = &tcpconnect_kernel_types,
    .event_size = sizeof(struct tcpconnect_event),
    .print_header = tcpconnect_print_header,
    .print_event = tcpconnect_print_event,
    .counting = counting,
    .print_counts = tcpconnect_print_counts,
};

int main(int argc, char **argv)
{
	return tt_tool_main(&tcpconnect, argc, argv);
}
