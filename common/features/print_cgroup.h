/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -G, --print-cgroup: a CGROUP column, the cgroup v2 path of the task behind
 * each event ("cgroup" and "cgroup_id" in JSON), for events and -c's rows.
 */
#ifndef TT_PRINT_CGROUP_H
#define TT_PRINT_CGROUP_H

#include "module.h"

extern const struct tt_module tt_print_cgroup_module;

#endif
