// SPDX-License-Identifier: Apache-2.0
/*
 * tcpaccept, tracepoint backend: for kernels without kprobes. accept(2) and
 * accept4(2) from the syscall tracepoints (tt_accept_syscall.bpf.h).
 */
#include "tt_accept_syscall.bpf.h"
#ifdef TT_URING_ACCEPT
#include "tt_uring_accept.bpf.h"
#endif
