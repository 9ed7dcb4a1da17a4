/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --hist: per result, a log2 histogram of the attempts' latency (-o's, from
 * the SYN to the outcome, in microseconds), counted in the kernel
 * (bpfsrc/tt_hist.bpf.h) instead of a line per attempt, printed as BCC's
 * -hist tools print theirs: at the end, and at each -i interval.
 */
#ifndef TT_HIST_MODULE_H
#define TT_HIST_MODULE_H

#include "module.h"

enum { TT_OPT_HIST = 370 };

extern const struct tt_module tt_hist_module;

#endif
