// SPDX-License-Identifier: Apache-2.0
#include "tcpaccept_programs.h"

#include "socket_types.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))

extern const char tcpaccept_kprobe_bpf[];
extern const char tcpaccept_tracepoint_bpf[];

static const struct tt_probe kprobe_probes[] = {
    {TT_KPROBE, "trace_accept_entry", "inet_csk_accept"},
    {TT_KRETPROBE, "trace_accept_return", "inet_csk_accept"},
};

static const struct tt_probe tracepoint_probes[] = {
    {TT_TRACEPOINT, "tracepoint__syscalls__sys_enter_accept", "syscalls:sys_enter_accept"},
    {TT_TRACEPOINT, "tracepoint__syscalls__sys_enter_accept4", "syscalls:sys_enter_accept4"},
    {TT_TRACEPOINT, "tracepoint__syscalls__sys_exit_accept", "syscalls:sys_exit_accept"},
    {TT_TRACEPOINT, "tracepoint__syscalls__sys_exit_accept4", "syscalls:sys_exit_accept4"},
};

const struct tt_program tcpaccept_kprobe_program = {tcpaccept_kprobe_bpf, kprobe_probes,
                                                    COUNT(kprobe_probes)};
const struct tt_program tcpaccept_tracepoint_program = {tcpaccept_tracepoint_bpf, tracepoint_probes,
                                                        COUNT(tracepoint_probes)};

static const char *const sock_members[] = {"__sk_common", "sk_protocol", "sk_ack_backlog",
                                           "sk_max_ack_backlog", NULL};

static const struct tt_kernel_struct kernel_structs[] = {
    TT_PT_REGS_STRUCT,
    TT_SOCK_COMMON_STRUCT,
    {"sock", sock_members},
    TT_FD_WALK_STRUCTS,
};

const struct tt_kernel_types_spec tcpaccept_kernel_types = {kernel_structs, COUNT(kernel_structs),
                                                            TT_SOCKET_HEADERS TT_FD_WALK_HEADERS};
