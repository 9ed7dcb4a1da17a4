/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --hist (TT_HIST): each attempt counted at its outcome (tt_submit.bpf.h)
 * by result and log2 slot of its latency (tt_hist.h), instead of streamed;
 * user space reads the table at the end, or with -i (TT_HIST_INTERVAL) the
 * two tables by turns at each interval (common/features/counter_tables.h).
 */
#ifndef TT_HIST_BPF_H
#define TT_HIST_BPF_H

#include "tt_epoch.bpf.h"
#include "tt_hist.h"

BPF_HASH(tt_hist, struct tt_hist_key, u64, TT_HIST_MAX_KEYS);
#ifdef TT_HIST_INTERVAL
BPF_HASH(tt_hist_other, struct tt_hist_key, u64, TT_HIST_MAX_KEYS); /* -i: by turns */
#endif

static __always_inline void tt_hist_count(u32 result, u64 latency_ns)
{
	struct tt_hist_key key = {};
	key.result = result;
	key.slot = tt_hist_slot(latency_ns);
#ifdef TT_HIST_INTERVAL
	if (tt_count_in_other()) {
		tt_hist_other.increment(key);
		return;
	}
#endif
	tt_hist.increment(key);
}

#endif
