/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -c's key, and its one rule, for every writer of counts: the BPF text
 * (bpfsrc/tt_submit.bpf.h) and user space, which counts the attempts still
 * pending when tracing stops (common/features/count.c).
 */
#ifndef TT_COUNT_KEY_H
#define TT_COUNT_KEY_H

#include "tt_event.h"

/* The flow as counted (ports the count ignores are 0), and what the other modules count by. */
struct tt_count_key {
	struct tt_flow flow;
	__u64 cgroup_id; /* with -G */
	__u32 result;    /* with -o */
	__u32 reserved;
};

/*
 * The key an event is counted under: per source address, and per source
 * port too with -s (local_port); result is its outcome (-o), or 0.
 */
static inline __attribute__((always_inline)) void tt_count_key_fill(struct tt_count_key *key,
                                                                    const struct tt_event *event,
                                                                    __u32 result, _Bool local_port)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->flow = event->flow;
	if (!local_port)
		key->flow.lport = 0;
	key->cgroup_id = event->head.cgroup_id;
	key->result = result;
}

#endif
