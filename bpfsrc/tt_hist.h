/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --hist: the latency of each attempt (-o's, from its SYN to its outcome)
 * counted per result in log2 slots of microseconds, as BCC's -hist tools
 * and bpftrace's hist() count, by the BPF text (bpfsrc/tt_hist.bpf.h) and
 * user space (common/features/hist.c: the attempts still pending at the
 * end), both by this rule.
 */
#ifndef TT_HIST_H
#define TT_HIST_H

#ifndef __BPF__ /* user space; the BPF text has the kernel's own */
#include <linux/types.h>
#endif

/* Slot s holds latencies of 2^(s-1) to 2^s - 1 us; slot 1 holds 0 and 1 (BCC's bpf_log2l). */
#define TT_HIST_SLOTS 65

struct tt_hist_key {
	__u32 result; /* TT_RESULT_* (tt_outcome.h) */
	__u32 slot;
};

/* The table's entries at most: a slot per result, for every result -o names and then some. */
#define TT_HIST_MAX_KEYS 4096

static inline __attribute__((always_inline)) __u32 tt_hist_slot(__u64 latency_ns)
{
	__u64 v = latency_ns / 1000;
	__u32 r = 0, s;
	s = (v > 0xFFFFFFFFULL) << 5;
	v >>= s;
	r |= s;
	s = (v > 0xFFFF) << 4;
	v >>= s;
	r |= s;
	s = (v > 0xFF) << 3;
	v >>= s;
	r |= s;
	s = (v > 0xF) << 2;
	v >>= s;
	r |= s;
	s = (v > 0x3) << 1;
	v >>= s;
	r |= s;
	r |= (__u32)(v >> 1);
	return r + 1; /* floor(log2(us)) + 1, and 1 for 0 us */
}

#endif
