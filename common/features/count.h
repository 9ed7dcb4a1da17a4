/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -c: count attempts per flow in the kernel (bpfsrc/tt_submit.bpf.h) instead
 * of streaming them, and print the counts, most first, once tracing stops;
 * with -s (libbpf-tools) per local port too.
 * Other modules add their cells to the rows (count_* hooks, module.h).
 */
#ifndef TT_COUNT_H
#define TT_COUNT_H

#include "module.h"

extern const struct tt_module tt_count_module;

#endif
