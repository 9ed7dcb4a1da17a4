/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The kernel structures that bpfsrc/tt_sock.bpf.h and BCC's PT_REGS macros
 * read, for tools to list among their BTF requests, and the headers that
 * define them otherwise.
 */
#ifndef TT_SOCKET_TYPES_H
#define TT_SOCKET_TYPES_H

#include "btf_types.h"

extern const char *const tt_sock_common_members[];

/* Every register: BCC's PT_REGS_* macros name them per architecture. */
#define TT_PT_REGS_STRUCT     {"pt_regs", NULL}
#define TT_SOCK_COMMON_STRUCT {"sock_common", tt_sock_common_members}

#define TT_SOCKET_HEADERS "#include <uapi/linux/ptrace.h>\n#include <net/sock.h>\n"

#endif
