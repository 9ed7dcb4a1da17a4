/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Events of one read, printed in time order: perf buffers are one per CPU,
 * read one after another, and even one ring holds events in the order they
 * were written, not the order their timestamps were taken. Every event
 * starts with struct tt_event_head, whose ts_ns orders them.
 */
#ifndef TT_BATCH_H
#define TT_BATCH_H

#include <stdbool.h>
#include <stddef.h>

#define TT_BATCH_EVENTS   4096
#define TT_MAX_EVENT_SIZE 512

struct tt_batch {
	size_t event_size;
	size_t stride; /* event size rounded up to 8 bytes, so copies are aligned */
	size_t count;
	unsigned char *events; /* TT_BATCH_EVENTS of them */
};

/* 0, or -1 when out of memory or event_size is above TT_MAX_EVENT_SIZE. */
int tt_batch_init(struct tt_batch *batch, size_t event_size);
void tt_batch_free(struct tt_batch *batch);
/*
 * Copies one sample in (perf samples are 4 bytes past an 8-byte boundary: this
 * aligns); returns the copy.
 */
void *tt_batch_add(struct tt_batch *batch, const void *data);
static inline bool tt_batch_full(const struct tt_batch *batch)
{
	return batch->count == TT_BATCH_EVENTS;
}
void tt_batch_sort(struct tt_batch *batch);
static inline const void *tt_batch_event(const struct tt_batch *batch, size_t i)
{
	return batch->events + i * batch->stride;
}

#endif
