/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a finished event goes: streamed to user space (tt_output.bpf.h), or
 * with -c (TT_COUNT) counted per flow in the kernel, in the counts map that
 * user space reads once tracing stops (common/features/count.c), or with
 * --hist (TT_HIST) counted by result and latency (tt_hist.bpf.h). With
 * --metrics (TT_METRICS) it is first counted by its labels
 * (tt_metrics.bpf.h); with -q too (TT_METRICS_QUIET) it goes nowhere else.
 */
#ifndef TT_SUBMIT_BPF_H
#define TT_SUBMIT_BPF_H

#include "tt_epoch.bpf.h" /* -i: which of a counting module's two tables is counted in */
#include "tt_event.h"

/*
 * -o (TT_OUTCOME): each tool's event carries its outcome as
 * `struct tt_outcome outcome` (tcpconnect.h, tcpaccept.h; user space reads
 * it at that offset, tests/unit/test_contract.c checks both events have it):
 * the result -c, --hist and --metrics count by, and the latency.
 */
/*
 * --metrics -q alone: an event is only counted by its labels, so a probe
 * builds just what they read (tt_metrics_head_fill) and nothing else of it.
 */
#if defined(TT_METRICS_QUIET) && !defined(TT_COUNT) && !defined(TT_HIST) && !defined(TT_OUTCOME)
#define TT_METRICS_ONLY 1
#endif

#ifdef TT_OUTCOME
#define TT_COUNT_RESULT(event)     ((event)->outcome.result)
#define TT_EVENT_LATENCY_NS(event) ((event)->outcome.latency_ns)
#else
#define TT_COUNT_RESULT(event)     0
#define TT_EVENT_LATENCY_NS(event) 0
#endif

#ifdef TT_COUNT
#include "tt_count.h"

BPF_HASH(counts, struct tt_count_key, u64, 65536);

#ifdef TT_COUNT_INTERVAL
BPF_HASH(counts_other, struct tt_count_key, u64, 65536); /* -i: by turns with counts */
#endif

#ifdef TT_COUNT_CLIENT_PORT
#define TT_COUNT_BY_CLIENT_PORT true /* -s */
#else
#define TT_COUNT_BY_CLIENT_PORT false
#endif
#ifdef TT_COUNT_LOCAL_LISTENS
#define TT_COUNT_PASSIVE true /* tcpaccept: the local port is the server's */
#else
#define TT_COUNT_PASSIVE false
#endif

/* event: a tool's event, starting with struct tt_event; result: its outcome, or 0. */
static __always_inline void tt_count_event(const struct tt_event *event, u32 result)
{
	struct tt_count_key key;
	tt_count_key_fill(&key, event, result, TT_COUNT_BY_CLIENT_PORT, TT_COUNT_PASSIVE);
#ifdef TT_COUNT_INTERVAL
	if (tt_count_in_other()) {
		counts_other.increment(key);
		return;
	}
#endif
	counts.increment(key);
}

#define tt_deliver_event(ctx, event) tt_count_event(&(event)->base, TT_COUNT_RESULT(event))
#elif defined(TT_HIST)
#include "tt_hist.bpf.h"

#define tt_deliver_event(ctx, event)                                                               \
	tt_hist_count(TT_COUNT_RESULT(event), TT_EVENT_LATENCY_NS(event))
#elif defined(TT_METRICS_QUIET)
#define tt_deliver_event(ctx, event) ((void)(ctx))
#else
#include "tt_output.bpf.h"

#define tt_deliver_event(ctx, event) tt_submit(ctx, event, sizeof(*(event)))
#endif

#ifdef TT_METRICS
#include "tt_metrics.bpf.h"

/* --failed shows the failures only; the metrics count every attempt. */
#ifdef TT_OUTCOME_FAILED
#define tt_metrics_shown(event) (!TT_RESULT_SUCCEEDED(TT_COUNT_RESULT(event)))
#else
#define tt_metrics_shown(event) 1
#endif
#define tt_submit_event(ctx, event)                                                                \
	do {                                                                                       \
		tt_metrics_count(&(event)->base, TT_COUNT_RESULT(event),                           \
		                 TT_EVENT_LATENCY_NS(event));                                      \
		if (tt_metrics_shown(event))                                                       \
			tt_deliver_event(ctx, event);                                              \
	} while (0)
#else
#define tt_submit_event(ctx, event) tt_deliver_event(ctx, event)
#endif

#endif
