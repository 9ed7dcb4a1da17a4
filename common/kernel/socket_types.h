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
extern const char *const tt_task_struct_members[];
extern const char *const tt_files_struct_members[];
extern const char *const tt_fdtable_members[];
extern const char *const tt_file_members[];
extern const char *const tt_socket_members[];

/* Initializer lists, not code blocks: */
// clang-format off

/* Every register: BCC's PT_REGS_* macros name them per architecture. */
#define TT_PT_REGS_STRUCT     {"pt_regs", NULL}
#define TT_SOCK_COMMON_STRUCT {"sock_common", tt_sock_common_members}

/* What bpfsrc/tt_fd.bpf.h walks, from the current task to a descriptor's socket. */
#define TT_FD_WALK_STRUCTS                                                                   \
	{"task_struct", tt_task_struct_members}, {"files_struct", tt_files_struct_members}, \
	{"fdtable", tt_fdtable_members}, {"file", tt_file_members}, {"socket", tt_socket_members}

// clang-format on

#define TT_FD_WALK_HEADERS                                                                         \
	"#include <linux/sched.h>\n#include <linux/fdtable.h>\n#include <linux/fs.h>\n"            \
	"#include <linux/net.h>\n"

/*
 * What tt_sock_netns() (bpfsrc/tt_sock.bpf.h) reads, from a socket to its
 * network namespace's inode number: for a module to add to its plan. The
 * headers are TT_SOCKET_HEADERS' (net/sock.h has struct net).
 */
#define TT_NETNS_STRUCT_COUNT 3
extern const struct tt_kernel_struct tt_netns_structs[TT_NETNS_STRUCT_COUNT];

#define TT_SOCKET_HEADERS "#include <uapi/linux/ptrace.h>\n#include <net/sock.h>\n"

#endif
