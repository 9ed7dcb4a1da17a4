// SPDX-License-Identifier: Apache-2.0
#include "tcpconnect_programs.h"

#include "socket_types.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

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

const struct tt_program tcpconnect_kprobe_program = {tcpconnect_kprobe_bpf, kprobe_probes,
                                                     COUNT(kprobe_probes)};
const struct tt_program tcpconnect_tracepoint_program = {
    tcpconnect_tracepoint_bpf, tracepoint_probes, COUNT(tracepoint_probes)};

static const char *const sock_members[] = {"__sk_common", "sk_protocol", NULL};
/* Where the state-change tracepoint itself reads the source (a refused attempt's survives). */
static const char *const inet_sock_members[] = {"sk", "inet_saddr", "inet_sport", NULL};

static const struct tt_kernel_struct kernel_structs[] = {
    TT_PT_REGS_STRUCT,
    TT_SOCK_COMMON_STRUCT,
    {"sock", sock_members},
    {"inet_sock", inet_sock_members},
};

const struct tt_kernel_types_spec tcpconnect_kernel_types = {
    kernel_structs, COUNT(kernel_structs), TT_SOCKET_HEADERS "#include <net/inet_sock.h>\n"};
