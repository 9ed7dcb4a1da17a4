// SPDX-License-Identifier: Apache-2.0
/* tcpconnect: its options, modules, BPF programs, kernel types and printer. */
#include "tcpconnect_tool.h"

#include <stddef.h>

#include "array.h"
#include "count.h"
#include "dns.h"
#include "filters.h"
#include "hist.h"
#include "metrics.h"
#include "netns_column.h"
#include "print_cgroup.h"
#include "outcome.h"
#include "socket_types.h"
#include "tcpconnect.h"
#include "tcpconnect_output.h"
#include "timestamp.h"
#include "uid_column.h"

extern const char tcpconnect_kprobe_bpf[];
extern const char tcpconnect_tracepoint_bpf[];

static const struct tt_probe kprobe_probes[] = {
    {TT_KPROBE, "trace_connect_entry", "tcp_v4_connect"},
    {TT_KPROBE, "trace_connect_entry", "tcp_v6_connect"},
    {TT_KRETPROBE, "trace_connect_v4_return", "tcp_v4_connect"},
    {TT_KRETPROBE, "trace_connect_v6_return", "tcp_v6_connect"},
};

static const struct tt_probe tracepoint_probes[] = {
    {TT_RAW_TRACEPOINT, "raw_tracepoint__inet_sock_set_state", "inet_sock_set_state"},
    {TT_RAW_TRACEPOINT, "raw_tracepoint__tcp_retransmit_skb", "tcp_retransmit_skb"},
};

static const struct tt_program kprobe_program = {tcpconnect_kprobe_bpf, kprobe_probes,
                                                 TT_ARRAY_SIZE(kprobe_probes)};
static const struct tt_program tracepoint_program = {tcpconnect_tracepoint_bpf, tracepoint_probes,
                                                     TT_ARRAY_SIZE(tracepoint_probes)};

static const char *const sock_members[] = {"__sk_common", "sk_protocol", NULL};
/* Where the state-change tracepoint itself reads the source (a refused attempt's survives). */
static const char *const inet_sock_members[] = {"sk", "inet_saddr", "inet_sport", NULL};

static const struct tt_kernel_struct kernel_structs[] = {
    TT_PT_REGS_STRUCT,
    TT_SOCK_COMMON_STRUCT,
    {"sock", sock_members},
    {"inet_sock", inet_sock_members},
};

static const struct tt_kernel_types_spec kernel_types = {
    kernel_structs, TT_ARRAY_SIZE(kernel_structs),
    TT_SOCKET_HEADERS "#include <net/inet_sock.h>\n"};

static const struct tt_option options[] = {
    {'P', "port", "PORT[,PORT...]", "trace these destination ports only", TT_HELP_FILTERS},
    {TT_OPT_PEER, "daddr", "CIDR[,CIDR...]",
     "trace connections to these addresses only; !CIDR excludes", TT_HELP_FILTERS},
    {'L', "lport", NULL, "show the local port (accepted for BCC; SPORT is always shown)",
     TT_HELP_COLUMNS},
};

static int handle_option(int key, const char *arg)
{
	(void)arg;
	return key == 'L' ? 0 : 1; /* BCC's LPORT column: SPORT is already it */
}

/* One module a line, in the order of their columns. */
// clang-format off
static const struct tt_module_use modules[] = {
    {&tt_filters_module, 0},
    {&tt_timestamp_module, 0},
    {&tt_uid_column_module, 0},
    {&tt_metrics_module, offsetof(struct tcpconnect_event, outcome)},
    {&tt_outcome_module, offsetof(struct tcpconnect_event, outcome)},
    {&tt_count_module, 0},
    {&tt_netns_column_module, 0},
    {&tt_hist_module, offsetof(struct tcpconnect_event, outcome)},
    {&tt_print_cgroup_module, 0},
    {&tt_dns_module, 0},
};
// clang-format on

const struct tt_tool tcpconnect_tool = {
    .name = "tcpconnect",
    .about = "Trace TCP active connections (connect()).",
    .examples = "  tcpconnect                  # trace every TCP connect()\n"
		"  tcpconnect -t               # with seconds since start\n"
		"  tcpconnect -p 181           # only process 181\n"
		"  tcpconnect -P 80,443        # only connections to ports 80 and 443\n"
		"  tcpconnect -6 -U            # only IPv6, with a UID column\n"
		"  tcpconnect --comm curl      # only tasks named curl\n"
		"  tcpconnect --daddr '10.0.0.0/8,!10.1.0.0/16'  # to 10/8, not to 10.1/16\n"
		"  tcpconnect -N 4026531840 --print-netns  # one netns, with a NETNS column\n"
		"  tcpconnect -c               # count attempts per flow until Ctrl-C\n"
		"  tcpconnect -c -s            # ... and per source port (libbpf-tools)\n"
		"  tcpconnect -c -D 60         # count attempts per flow for a minute\n"
		"  tcpconnect -c -i 10         # ... printed and reset every 10 seconds\n"
		"  tcpconnect -G               # with the cgroup (service, container) of each\n"
		"  tcpconnect -o               # each attempt at its outcome, with its latency\n"
		"  tcpconnect --failed         # only the attempts that did not connect\n"
		"  tcpconnect --hist -i 5      # latency histograms per result every 5 s\n"
		"  tcpconnect --metrics 127.0.0.1:9438 -q  # a Prometheus exporter, no lines\n"
		"  tcpconnect -j               # JSON lines\n"
		"  tcpconnect -d               # with the DNS name asked for each DADDR\n"
		"  tcpconnect --cgroup /sys/fs/cgroup/unified/app  # only this cgroup\n",
    .options = options,
    .option_count = TT_ARRAY_SIZE(options),
    .handle_option = handle_option,
    .modules = modules,
    .module_count = TT_ARRAY_SIZE(modules),
    .kprobe = &kprobe_program,
    .tracepoint = &tracepoint_program,
    .kernel_types = &kernel_types,
    .event_size = sizeof(struct tcpconnect_event),
    .flow_names = &tcpconnect_flow_names,
    .print_header = tcpconnect_print_header,
    .print_text = tcpconnect_print_text,
    .print_json = tcpconnect_print_json,
};
