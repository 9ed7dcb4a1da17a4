/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel structures that bpfsrc/tt_sock.bpf.h reads, for tools to list
 * among their BTF requests, and the headers that define them otherwise.
 */
#ifndef TT_SOCKET_TYPES_H
#define TT_SOCKET_TYPES_H

#include "btf_types.h"

extern const struct tt_kernel_struct tt_pt_regs_struct;
extern const struct tt_kernel_struct tt_sock_common_struct;

#define TT_SOCKET_HEADERS "#include <uapi/linux/ptrace.h>\n#include <net/sock.h>\n"

#endif
