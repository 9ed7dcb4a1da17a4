// SPDX-License-Identifier: Apache-2.0
/* tcpaccept: its options, modules, BPF programs, kernel types and printer. */
#include "tcpaccept_tool.h"

#include <stddef.h>

#include "accept_syscalls.h"
#include "array.h"
#include "count.h"
#include "filters.h"
#include "metrics.h"
#include "netns_column.h"
#include "outcome.h"
#include "print_cgroup.h"
#include "socket_types.h"
#include "tcpaccept.h"
#include "tcpaccept_output.h"
#include "timestamp.h"
#include "uid_column.h"
#include "uring_accept.h"

extern const char tcpaccept_kprobe_bpf[];
extern const char tcpaccept_tracepoint_bpf[];

/*
 * The kprobe backend: accept(2) and accept4(2) from their tracepoints
 * (bpfsrc/tt_accept_syscall.bpf.h), then the kprobe pair for accepts made
 * without them. Tracepoints first: the kprobes leave alone the calls they
 * saw begin. The tracepoint backend has the exits; the accept-syscalls
 * module adds the enters where the exit cannot read the call's registers.
 */
// clang-format off
#define EXIT_PROBES                                                                                \
	{TT_TRACEPOINT, "tracepoint__syscalls__sys_exit_accept", "syscalls:sys_exit_accept"},      \
	{TT_TRACEPOINT, "tracepoint__syscalls__sys_exit_accept4", "syscalls:sys_exit_accept4"}
// clang-format on

static const struct tt_probe kprobe_probes[] = {
    TT_ACCEPT_ENTER_PROBES,
    EXIT_PROBES,
    {TT_KPROBE, "trace_accept_entry", "inet_csk_accept"},
    /* Every accept(2) asleep in it takes an instance, though the tracepoints report it. */
    {TT_KRETPROBE_MANY, "trace_accept_return", "inet_csk_accept"},
};
static const struct tt_probe tracepoint_probes[] = {EXIT_PROBES};

static const struct tt_program kprobe_program = {tcpaccept_kprobe_bpf, kprobe_probes,
                                                 TT_ARRAY_SIZE(kprobe_probes)};
static const struct tt_program tracepoint_program = {tcpaccept_tracepoint_bpf, tracepoint_probes,
                                                     TT_ARRAY_SIZE(tracepoint_probes)};

static const char *const sock_members[] = {"__sk_common", "sk_protocol", "sk_ack_backlog",
                                           "sk_max_ack_backlog", NULL};

static const struct tt_kernel_struct kernel_structs[] = {
    TT_PT_REGS_STRUCT,
    TT_SOCK_COMMON_STRUCT,
    {"sock", sock_members},
    TT_FD_WALK_STRUCTS,
};

static const struct tt_kernel_types_spec kernel_types = {
    kernel_structs, TT_ARRAY_SIZE(kernel_structs), TT_SOCKET_HEADERS TT_FD_WALK_HEADERS};

static const struct tt_option options[] = {
    {'T', "time", NULL, "show TIME as HH:MM:SS (accepted for BCC; the default)", TT_HELP_COLUMNS},
    {'P', "port", "PORT[,PORT...]", "trace these local (listening) ports only", TT_HELP_FILTERS},
    {TT_OPT_PEER, "raddr", "CIDR[,CIDR...]",
     "trace connections from these addresses only; !CIDR excludes", TT_HELP_FILTERS},
};

static int handle_option(int key, const char *arg)
{
	(void)arg;
	return key == 'T' ? 0 : 1; /* TIME is already the default */
}

/* One module a line, in the order of their columns. */
// clang-format off
static const struct tt_module_use modules[] = {
    {&tt_filters_module, 0},
    {&tt_accept_syscalls_module, 0},
    {&tt_timestamp_module, 0},
    {&tt_uid_column_module, 0},
    {&tt_uring_accept_module, 0},
    {&tt_netns_column_module, 0},
    {&tt_count_module, 0},
    {&tt_print_cgroup_module, 0},
    {&tt_metrics_module, 0}, /* no outcome: it counts accepts */
    {&tt_accept_outcome_module, offsetof(struct tcpaccept_event, outcome)},
};
// clang-format on

const struct tt_tool tcpaccept_tool = {
    .name = "tcpaccept",
    .about = "Trace TCP passive connections (accept()).",
    .examples = "  tcpaccept                   # trace every successful TCP accept()\n"
		"  tcpaccept -t                # with seconds since start\n"
		"  tcpaccept -p 181            # only process 181\n"
		"  tcpaccept -P 80,443         # only accepts on local ports 80 and 443\n"
		"  tcpaccept -4 -U             # only IPv4, with a UID column\n"
		"  tcpaccept --comm nginx      # only tasks named nginx\n"
		"  tcpaccept --raddr '!127.0.0.0/8,!::1'  # only from peers not on loopback\n"
		"  tcpaccept -N 4026531840 --print-netns  # one netns, with a NETNS column\n"
		"  tcpaccept -D 10             # trace for ten seconds, then exit\n"
		"  tcpaccept -c                # count accepts per port and client until Ctrl-C\n"
		"  tcpaccept -c -i 5           # ... printed and reset every 5 seconds\n"
		"  tcpaccept -G                # with the cgroup (service, container) of each\n"
		"  tcpaccept -j                # JSON lines\n"
		"  tcpaccept -o                # with WAIT(ms) in the accept queue and RESULT\n"
		"  tcpaccept --failed          # only connections lost before accept()\n"
		"  tcpaccept -c -o -i 10       # counts per port and result, listeners' drops\n"
		"  tcpaccept --metrics 127.0.0.1:9439 -q  # a Prometheus exporter, no lines\n",
    .options = options,
    .option_count = TT_ARRAY_SIZE(options),
    .handle_option = handle_option,
    .modules = modules,
    .module_count = TT_ARRAY_SIZE(modules),
    .kprobe = &kprobe_program,
    .tracepoint = &tracepoint_program,
    .kernel_types = &kernel_types,
    .event_size = sizeof(struct tcpaccept_event),
    .flow_names = &tcpaccept_flow_names,
    .print_header = tcpaccept_print_header,
    .print_text = tcpaccept_print_text,
    .print_json = tcpaccept_print_json,
    .fields = tcpaccept_fields,
    .field_count = TCPACCEPT_FIELDS,
};
