/* SPDX-License-Identifier: Apache-2.0 */
/* The BPF ring buffer (Linux 5.8+) behind a BPF_RINGBUF_OUTPUT table, and its reading. */
#ifndef TT_RING_BUFFER_H
#define TT_RING_BUFFER_H

#include <stdbool.h>

#include "event_callback.h"

struct ring_buffer;

struct tt_ring_buffer {
	struct ring_buffer *ring;
	tt_event_fn on_event;
	void *cookie;
};

/* Whether this kernel lets us create a ring buffer map. */
bool tt_ring_buffer_supported(void);
/* Starts reading the ring of table_fd. Returns 0, or -1 after printing why. */
int tt_ring_buffer_open(struct tt_ring_buffer *rb, int table_fd, tt_event_fn on_event,
                        void *cookie);
/* Waits up to timeout_ms for a wakeup, then reads every record there is. */
void tt_ring_buffer_poll(struct tt_ring_buffer *rb, int timeout_ms);
/* Reads every record there is, without waiting. */
void tt_ring_buffer_drain(struct tt_ring_buffer *rb);
void tt_ring_buffer_close(struct tt_ring_buffer *rb);

#endif
