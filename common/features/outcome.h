/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -o and --failed: what became of each connection attempt and how long it
 * took (LAT(ms) RESULT; "latency_ms", "result"), decided in the kernel
 * (bpfsrc/tt_outcome.bpf.h). The tool's event carries a struct tt_outcome
 * (bpfsrc/tt_outcome.h), at the part_offset its module list gives, and its
 * BPF text holds attempts in bpfsrc/tt_pending.bpf.h until their outcome:
 * those still there when tracing stops are printed then, as pending.
 */
#ifndef TT_OUTCOME_MODULE_H
#define TT_OUTCOME_MODULE_H

#include "module.h"

enum { TT_OPT_FAILED = 320 };

extern const struct tt_module tt_outcome_module;
/*
 * tcpaccept's -o and --failed: WAIT(ms) in the accept queue and RESULT
 * ("wait_ms", "result"), from the programs of bpfsrc/tt_accept_outcome.bpf.h;
 * connections still queued when tracing stops are printed then, as pending.
 */
extern const struct tt_module tt_accept_outcome_module;

/*
 * A module that needs the outcomes without -o's columns (its needs hook:
 * --metrics) shows them in -o's words, these.
 */
#define TT_RESULT_NAME_LEN 32
const char *tt_outcome_result_name(__u32 result, char buf[TT_RESULT_NAME_LEN]);

#endif
