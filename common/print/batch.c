// SPDX-License-Identifier: Apache-2.0
#include "batch.h"

#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "tt_event.h"

int tt_batch_init(struct tt_batch *batch, size_t event_size)
{
	memset(batch, 0, sizeof(*batch));
	if (event_size < sizeof(struct tt_event_head) || event_size > TT_MAX_EVENT_SIZE)
		return -1;
	batch->event_size = event_size;
	batch->stride = (event_size + 7) & ~(size_t)7;
	batch->events = aligned_alloc(8, TT_BATCH_EVENTS * batch->stride);
	return batch->events ? 0 : -1;
}

void tt_batch_free(struct tt_batch *batch)
{
	free(batch->events);
	batch->events = NULL;
}

void *tt_batch_add(struct tt_batch *batch, const void *data)
{
	return memcpy(batch->events + batch->count++ * batch->stride, data, batch->event_size);
}

static int earlier(const void *a, const void *b)
{
	const struct tt_event_head *x = a, *y = b;
	return x->ts_ns < y->ts_ns ? -1 : x->ts_ns > y->ts_ns;
}

void tt_batch_sort(struct tt_batch *batch)
{
	qsort(batch->events, batch->count, batch->stride, earlier);
}
