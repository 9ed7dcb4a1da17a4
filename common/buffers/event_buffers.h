/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How events reach user space: one BPF ring buffer where the kernel has it
 * (Linux 5.8+), else a perf buffer per CPU. A ring write costs the traced
 * task a fraction of a perf write, which is most of the tracing cost under a
 * connection storm (bench/RESULTS.md). The BPF side is bpfsrc/tt_output.bpf.h.
 */
#ifndef TT_EVENT_BUFFERS_H
#define TT_EVENT_BUFFERS_H

#include <stddef.h>

#include "event_callback.h"
#include "perf_buffers.h"
#include "ring_buffer.h"
#include "strbuf.h"

enum tt_buffer_kind { TT_BUFFER_AUTO, TT_BUFFER_RING, TT_BUFFER_PERF };

struct tt_event_buffers {
	enum tt_buffer_kind kind; /* RING or PERF once opened */
	struct tt_perf_buffers perf;
	struct tt_ring_buffer ring;
};

/* --buffer's choices, in enum order. */
#define TT_BUFFER_CHOICES 3
extern const char *const tt_buffer_kind_names[TT_BUFFER_CHOICES];
/* RING or PERF for this kernel; -1 after printing why a ring cannot be had. */
int tt_buffer_kind_resolve(enum tt_buffer_kind wanted, enum tt_buffer_kind *kind);
const char *tt_buffer_kind_name(enum tt_buffer_kind kind);

/* What sizes a buffer: its kind, its pages per CPU, and the largest event. */
struct tt_buffer_plan {
	enum tt_buffer_kind kind; /* RING or PERF */
	unsigned pages_per_cpu;
	size_t event_size;
};

/* The #defines that make the BPF text write to this kind of buffer. */
void tt_event_buffers_defines(const struct tt_buffer_plan *plan, struct strbuf *defines);

int tt_event_buffers_open(struct tt_event_buffers *eb, const struct tt_buffer_plan *plan,
                          int table_fd, tt_event_fn on_event, void *cookie);
void tt_event_buffers_poll(struct tt_event_buffers *eb, int timeout_ms);
void tt_event_buffers_drain(struct tt_event_buffers *eb);
void tt_event_buffers_close(struct tt_event_buffers *eb);

#endif
