// SPDX-License-Identifier: Apache-2.0
#include "socket_types.h"

#include <stddef.h>

const char *const tt_sock_common_members[] = {
    "skc_family",    "skc_num",      "skc_dport",        "skc_daddr",
    "skc_rcv_saddr", "skc_v6_daddr", "skc_v6_rcv_saddr", NULL,
};

const char *const tt_task_struct_members[] = {"files", NULL};
const char *const tt_files_struct_members[] = {"fdt", NULL};
const char *const tt_fdtable_members[] = {"max_fds", "fd", NULL};
const char *const tt_file_members[] = {"private_data", NULL};
const char *const tt_socket_members[] = {"sk", NULL};
