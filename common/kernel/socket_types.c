// SPDX-License-Identifier: Apache-2.0
#include "socket_types.h"

#include <stddef.h>

const char *const tt_sock_common_members[] = {
    "skc_family",   "skc_num",          "skc_dport", "skc_daddr", "skc_rcv_saddr",
    "skc_v6_daddr", "skc_v6_rcv_saddr", "skc_state", NULL,
};

const char *const tt_task_struct_members[] = {"files", NULL};
const char *const tt_files_struct_members[] = {"fdt", NULL};
const char *const tt_fdtable_members[] = {"max_fds", "fd", NULL};
const char *const tt_file_members[] = {"private_data", NULL};
const char *const tt_socket_members[] = {"sk", NULL};

static const char *const sock_common_net_members[] = {"skc_net", NULL};
static const char *const net_members[] = {"ns", NULL};
static const char *const ns_common_members[] = {"inum", NULL};
const struct tt_kernel_struct tt_netns_structs[TT_NETNS_STRUCT_COUNT] = {
    {"sock_common", sock_common_net_members},
    {"net", net_members},
    {"ns_common", ns_common_members},
};
