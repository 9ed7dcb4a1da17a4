// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect: trace active TCP connections (connect()).
 *
 * Every attempt is traced, even if it ultimately fails. Filters run inside
 * the kernel. See man/tcpconnect.8.
 */
#include <stdbool.h>

#include "filters.h"
#include "tcpconnect_output.h"
#include "tcpconnect_programs.h"
#include "tool_main.h"

static const struct tt_option options[] = {
    {'t', "timestamp", NULL, "TIME(s): seconds since tracing started, instead of TIME"},
    {'p', "pid", "PID", "trace this process only"},
    {'P', "port", "PORT[,PORT...]", "trace these destination ports only"},
    {'4', "ipv4", NULL, "trace IPv4 only"},
    {'6', "ipv6", NULL, "trace IPv6 only"},
    {'L', "lport", NULL, "show the local port (accepted for BCC; SPORT is always shown)"},
    {'U', "print-uid", NULL, "add a UID column"},
    {'u', "uid", "UID", "trace this user only"},
    {'c', "count", NULL, "count attempts per flow in the kernel; print them at the end"},
    {TT_OPT_CGROUP, "cgroup", "DIR", "trace processes in this cgroup v2 directory (and below)"},
    {TT_OPT_CGROUPMAP, "cgroupmap", "PATH", "trace cgroups in this pinned BPF map (BCC's)"},
    {TT_OPT_MNTNSMAP, "mntnsmap", "PATH", "trace mount namespaces in this pinned BPF map (BCC's)"},
    {'j', "json", NULL, "one JSON object per line, no header"},
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
