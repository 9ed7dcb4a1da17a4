/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --metrics (TT_METRICS): every finished event counted in the kernel by the
 * labels the user chose (TT_METRICS_LABELS), with the SYN-to-outcome latency
 * in a histogram when the tool's events carry one (TT_METRICS_HISTOGRAM).
 * User space reads the table when it is scraped (common/features/metrics.c);
 * with -q nothing per event leaves the kernel. The names and layouts are in
 * tt_metrics.h. Defined by the plan: TT_METRICS_LABELS, TT_METRICS_PORT_MEMBER
 * (rport or lport), and with the port label TT_METRICS_EPHEMERAL_LO/HI; for
 * tcpaccept -o without the result label, TT_METRICS_ACCEPTED.
 */
#ifndef TT_METRICS_BPF_H
#define TT_METRICS_BPF_H

#include "tt_event.h"
#include "tt_metrics.h"

/* Not preallocated: most runs count a handful of label sets. */
BPF_F_TABLE("hash", struct tt_metrics_key, struct tt_metrics_value, tt_metrics, TT_METRICS_MAX_KEYS,
            BPF_F_NO_PREALLOC);
/* A zeroed value to insert from: too large for the stack beside an event. */
BPF_PERCPU_ARRAY(tt_metrics_zero, struct tt_metrics_value, 1);

#ifdef TT_METRICS_HISTOGRAM
/* The bucket of a latency: the first edge it does not exceed, else +Inf. */
static __always_inline u32 tt_metrics_bucket(u64 latency_ns)
{
	u32 bucket = 0;
#define TT_METRICS_LADDER(ns, le)                                                                  \
	if (latency_ns <= (ns))                                                                    \
		return bucket;                                                                     \
	bucket++;
	TT_METRICS_EDGES(TT_METRICS_LADDER)
#undef TT_METRICS_LADDER
	return TT_METRICS_EDGE_COUNT;
}
#endif

/* Of the head, only what the labels count by: for a probe that builds no more (TT_METRICS_ONLY). */
static __always_inline void tt_metrics_head_fill(struct tt_event_head *head)
{
#if TT_METRICS_LABELS & TT_METRICS_LABEL_COMM
	bpf_get_current_comm(&head->comm, sizeof(head->comm));
#endif
#if TT_METRICS_LABELS & TT_METRICS_LABEL_CGROUP
	head->cgroup_id = bpf_get_current_cgroup_id();
#endif
}

/* event: a tool's event, starting with struct tt_event; result: its outcome, or 0. */
static __always_inline void tt_metrics_count(const struct tt_event *event, u32 result,
                                             u64 latency_ns)
{
#ifdef TT_METRICS_ACCEPTED
	/* tcpaccept -o without the result label: the connections accepted open only. */
	if (result != TT_RESULT_ACCEPTED)
		return;
#endif
	struct tt_metrics_key key = {};
#if TT_METRICS_LABELS & TT_METRICS_LABEL_RESULT
	key.result = result;
#endif
#if TT_METRICS_LABELS & TT_METRICS_LABEL_FAMILY
	key.family = event->flow.family;
#endif
#if TT_METRICS_LABELS & TT_METRICS_LABEL_PORT
	u16 port = event->flow.TT_METRICS_PORT_MEMBER;
	if (port >= TT_METRICS_EPHEMERAL_LO && port <= TT_METRICS_EPHEMERAL_HI)
		key.flags = TT_METRICS_KEY_EPHEMERAL; /* a client's port is no series of its own */
	else
		key.port = port;
#endif
#if TT_METRICS_LABELS & TT_METRICS_LABEL_COMM
	__builtin_memcpy(key.comm, event->head.comm, TT_COMM_LEN);
#endif
#if TT_METRICS_LABELS & TT_METRICS_LABEL_CGROUP
	key.cgroup_id = event->head.cgroup_id;
#endif
#if TT_METRICS_LABELS & TT_METRICS_LABEL_PEER
	__builtin_memcpy(key.peer, event->flow.raddr, 16);
	key.family = event->flow.family; /* how to read the address */
#endif
	struct tt_metrics_value *value = tt_metrics.lookup(&key);
	if (!value) {
		int zero = 0;
		struct tt_metrics_value *empty = tt_metrics_zero.lookup(&zero);
		if (!empty)
			return;
		if (tt_metrics.insert(&key, empty) != 0) {
			/* Full (or inserted meanwhile by another CPU): the totals are kept. */
			struct tt_metrics_key other = {};
			other.flags = TT_METRICS_KEY_OTHER;
			value = tt_metrics.lookup(&key);
			if (!value) {
				tt_metrics.insert(&other, empty);
				value = tt_metrics.lookup(&other);
			}
		} else {
			value = tt_metrics.lookup(&key);
		}
		if (!value)
			return;
	}
	__sync_fetch_and_add(&value->count, 1);
#ifdef TT_METRICS_HISTOGRAM
	__sync_fetch_and_add(&value->sum_ns, latency_ns);
	u32 bucket = tt_metrics_bucket(latency_ns);
	if (bucket < TT_METRICS_BUCKET_COUNT)
		__sync_fetch_and_add(&value->buckets[bucket], 1);
#endif
}

#endif
