/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The table of claimed slots where attempts wait for their completion
 * (bpfsrc/tt_pending.bpf.h), as user space reads it when tracing stops
 * (common/features/outcome.c): a slot is the socket's address (0: free),
 * then the tool's event. tests/unit/test_contract.c checks the two views.
 */
#ifndef TT_PENDING_H
#define TT_PENDING_H

#ifndef __BPF__ /* user space; the BPF text has the kernel's own */
#include <linux/types.h>
#endif

#define TT_PENDING_SLOTS_LOG2 12
#define TT_PENDING_SLOTS      (1U << TT_PENDING_SLOTS_LOG2)

/* The members of a slot holding an event_type (a tool's event, 8-byte aligned). */
#define TT_PENDING_SLOT_MEMBERS(event_type)                                                        \
	__u64 sk; /* 0: free */                                                                    \
	event_type event

/* For user space, which knows the event's size only: where it lies in a slot, and a slot's size. */
#define TT_PENDING_SLOT_EVENT_OFFSET      sizeof(__u64)
#define TT_PENDING_EVENT_SIZE(event_size) (((event_size) + 7) & ~(__u64)7)
#define TT_PENDING_SLOT_SIZE(event_size)                                                           \
	(TT_PENDING_SLOT_EVENT_OFFSET + TT_PENDING_EVENT_SIZE(event_size))

#endif
