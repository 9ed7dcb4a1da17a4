// SPDX-License-Identifier: Apache-2.0
#include "socket_types.h"

#include <stddef.h>

/* Every register: BCC's PT_REGS_* macros name them per architecture. */
const struct tt_kernel_struct tt_pt_regs_struct = {"pt_regs", NULL};

static const char *const sock_common_members[] = {
	"skc_family", "skc_num", "skc_dport", "skc_daddr", "skc_rcv_saddr", "skc_v6_daddr",
	"skc_v6_rcv_saddr", NULL,
};
const struct tt_kernel_struct tt_sock_common_struct = {"sock_common", sock_common_members};
