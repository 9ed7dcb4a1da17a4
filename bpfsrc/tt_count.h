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
 * The key an event is counted under: per address of both ends and the
 * server's port, and the client's (ephemeral) port too with -s
 * (client_port); the client's port is the local one, or the remote one
 * where the local end listens (local_listens: tcpaccept). result is the
 * event's outcome (-o), or 0.
 */
static inline __attribute__((always_inline)) void tt_count_key_fill(struct tt_count_key *key,
                                                                    const struct tt_event *event,
                                                                    __u32 result, _Bool client_port,
                                                                    _Bool local_listens)
{
	__builtin_memset(key, 0, sizeof(*key));
	key->flow = event->flow;
	if (!client_port && local_listens)
		key->flow.rport = 0;
	else if (!client_port)
		key->flow.lport = 0;
	key->cgroup_id = event->head.cgroup_id;
	key->result = result;
}

#endif
