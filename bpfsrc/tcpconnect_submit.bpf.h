/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where a completed tcpconnect event goes: streamed to user space, or with
 * -c (TT_COUNT) counted per flow in the kernel, read once tracing stops.
 */
#ifndef TCPCONNECT_SUBMIT_BPF_H
#define TCPCONNECT_SUBMIT_BPF_H

#include "tcpconnect.h"

#ifdef TT_COUNT
BPF_HASH(counts, struct tcpconnect_flow, u64, 65536);

static __always_inline void tcpconnect_submit(void *ctx, struct tcpconnect_event *event)
{
	struct tcpconnect_flow flow = {};
	flow.family = event->family;
	flow.dport = event->dport;
	__builtin_memcpy(flow.saddr, event->saddr, 16);
	__builtin_memcpy(flow.daddr, event->daddr, 16);
	counts.increment(flow);
}
#else
#include "tt_output.bpf.h"

static __always_inline void tcpconnect_submit(void *ctx, struct tcpconnect_event *event)
{
	tt_submit(ctx, event, sizeof(*event));
}
#endif

#endif
