/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --print-netns: a NETNS column and a "netns" JSON member, the inode number
 * of the socket's network namespace (as /proc/PID/ns/net and lsns name it,
 * and --netns takes it).
 */
#ifndef TT_NETNS_COLUMN_H
#define TT_NETNS_COLUMN_H

#include "module.h"

enum { TT_OPT_PRINT_NETNS = 382 };

extern const struct tt_module tt_netns_column_module;

#endif
