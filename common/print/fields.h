/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --fields: the fields every tool's line has, named as its JSON keys: the
 * task's (pid, uid, comm), the family (ip, 4 or 6, as BCC's IP column) and
 * the flow's four, named as the tool names them (struct tt_flow_names in
 * out->flow_names: saddr, sport, daddr, dport; laddr, lport, raddr, rport).
 */
#ifndef TT_FIELDS_H
#define TT_FIELDS_H

#include <stddef.h>

#include "flow.h"
#include "output.h"

#define TT_BASE_FIELDS 8

/* The base fields of a tool whose flow is named so, into fields[TT_BASE_FIELDS]. */
void tt_base_fields(const struct tt_flow_names *names, struct tt_field fields[TT_BASE_FIELDS],
                    char headers[4][8]);

#endif
