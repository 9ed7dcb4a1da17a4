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

#include "tt_event.h"

/* A tool whose events carry a result (-o) defines where it is, before this header. */
#ifndef TT_COUNT_RESULT
#define TT_COUNT_RESULT(event) 0
#endif
/* And its latency (-o), for the histograms. */
#ifndef TT_EVENT_LATENCY_NS
#define TT_EVENT_LATENCY_NS(event) 0
#endif

#ifdef TT_COUNT
#include "tt_count.h"

BPF_HASH(counts, struct tt_count_key, u64, 65536);

#ifdef TT_COUNT_INTERVAL
/*
 * -i: two tables, and which one is counted in (count_epoch, set by user
 * space): at each interval user space turns the counting to the other,
 * empty one, and reads the one it left; what an increment begun before
 * the turn adds to it is read at the next interval, before it is emptied.
 */
BPF_HASH(counts_other, struct tt_count_key, u64, 65536);
BPF_ARRAY(count_epoch, u32, 1);
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
	int zero = 0;
	u32 *epoch = count_epoch.lookup(&zero);
	if (epoch && *epoch) {
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
