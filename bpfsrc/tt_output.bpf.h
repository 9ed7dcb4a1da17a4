/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The events table and tt_submit(): a BPF ring buffer when user space
 * defines TT_RING_BUFFER_PAGES (Linux 5.8+), else per-CPU perf buffers
 * (common/buffers/event_buffers.c chooses).
 */
#ifndef TT_OUTPUT_BPF_H
#define TT_OUTPUT_BPF_H

#include "tt_helpers.bpf.h"

/*
 * Events that found their buffer full. The kernel's own PERF_RECORD_LOST
 * reaches user space only with the next sample that fits, so a burst that
 * ends while the buffer is full would go unreported, and a ring buffer has
 * no such record at all; this count is exact, and user space reads it
 * (common/load/tracer.c).
 */
BPF_PERCPU_ARRAY(tt_lost, u64, 1);

static __always_inline void tt_count_lost(int submit_error)
{
	if (submit_error) {
		int zero = 0;
		u64 *lost = tt_lost.lookup(&zero);
		if (lost)
			(*lost)++;
	}
}

#ifdef TT_RING_BUFFER_PAGES
BPF_RINGBUF_OUTPUT(events, TT_RING_BUFFER_PAGES);
/* Events this CPU wrote since it last woke the reader. */
BPF_PERCPU_ARRAY(tt_unwoken, u32, 1);

static __always_inline void tt_submit(void *ctx, void *data, u32 size)
{
	/*
	 * The ring's own policy wakes the reader whenever it has caught up,
	 * which for a fast reader is every event: ten times the cost of the
	 * write. Wake it every TT_WAKEUP_EVENTS events of a CPU instead, as
	 * the perf buffers do; the reader also looks every 100 ms.
	 */
	u64 flags = BPF_RB_NO_WAKEUP;
	int zero = 0;
	u32 *unwoken = tt_unwoken.lookup(&zero);
	if (unwoken && ++*unwoken >= TT_WAKEUP_EVENTS) {
		*unwoken = 0;
		flags = BPF_RB_FORCE_WAKEUP;
	}
	tt_count_lost(events.ringbuf_output(data, size, flags));
}
#else
BPF_PERF_OUTPUT(events);

static __always_inline void tt_submit(void *ctx, void *data, u32 size)
{
	tt_count_lost(events.perf_submit(ctx, data, size));
}
#endif

#endif
