// SPDX-License-Identifier: Apache-2.0
#include "socket_types.h"

#include <stddef.h>

const char *const tt_sock_common_members[] = {
	"skc_family", "skc_num", "skc_dport", "skc_daddr", "skc_rcv_saddr", "skc_v6_daddr",
	"skc_v6_rcv_saddr", NULL,
};
