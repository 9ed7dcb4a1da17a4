/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -d: a QUERY column, the name asked in the latest DNS answer seen on this
 * host that gave the connection's remote address (JSON: "query", null when
 * none). Answers are read from packets as they reach any UDP socket from
 * port 53 (bpfsrc/tt_dns.bpf.h, a cgroup_skb program linked to the cgroup v2
 * root), so every resolver is seen; they are parsed and remembered by
 * dns_names.h. Without -d nothing is attached for it.
 */
#ifndef TT_DNS_MODULE_H
#define TT_DNS_MODULE_H

#include "module.h"

extern const struct tt_module tt_dns_module;

#endif
