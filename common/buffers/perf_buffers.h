/* SPDX-License-Identifier: Apache-2.0 */
/* The per-CPU perf buffers behind a BPF_PERF_OUTPUT table, and their reading. */
#ifndef TT_PERF_BUFFERS_H
#define TT_PERF_BUFFERS_H

#include "event_callback.h"

struct perf_reader;

struct tt_perf_buffers {
	struct perf_reader **readers;
	int count;
	tt_event_fn on_event;
	void *cookie;
};

/*
 * Opens one buffer of page_count pages per online CPU and stores its fd in
 * the table; the kernel wakes the reader when wakeup_events samples wait in
 * one. Returns 0, or -1 after printing why.
 */
int tt_perf_buffers_open(struct tt_perf_buffers *pb, int table_fd, unsigned page_count,
                         unsigned wakeup_events, tt_event_fn on_event, void *cookie);
/* Waits up to timeout_ms (less when many samples wait) and reads them all. */
void tt_perf_buffers_poll(struct tt_perf_buffers *pb, int timeout_ms);
/* Reads everything still in the buffers, without waiting. */
void tt_perf_buffers_drain(struct tt_perf_buffers *pb);
void tt_perf_buffers_close(struct tt_perf_buffers *pb);

#endif
