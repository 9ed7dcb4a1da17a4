/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's event from the accepted socket and its listener, for either backend. */
#ifndef TT_ACCEPT_BPF_H
#define TT_ACCEPT_BPF_H

#include "tt_event.bpf.h"
#include "tt_helpers.bpf.h"
#include "tt_sock.bpf.h"
#include "tt_sock_protocol.bpf.h"
#include "tcpaccept.h"
#include "tt_submit.bpf.h"

#define TT_IPPROTO_MPTCP 262

/*
 * -P on the listener's port, before accept() runs: an accepted socket's
 * local port is its listener's, so rejected listeners cost no more work.
 */
static __always_inline bool tt_listener_wanted(struct sock *listener)
{
	u16 port = 0;
	if (!listener)
		return false;
	TT_READ(port, listener->__sk_common.skc_num);
	return TT_PORT_MATCH(port);
}

/* The listener's accept queue now, into the event. */
static __always_inline void tt_accept_read_queue(struct sock *listener,
                                                 struct tcpaccept_event *event)
{
	/* u16 before Linux 5.6, u32 since: read them as what they are, in one copy. */
	__typeof__(listener->sk_ack_backlog) backlog = 0;
	__typeof__(listener->sk_max_ack_backlog) backlog_max = 0;
	char queue[TT_SPAN_SIZE(struct sock, sk_ack_backlog, sk_max_ack_backlog)] = {};
	TT_READ_SPAN_BYTES(queue, listener, struct sock, sk_ack_backlog, sk_max_ack_backlog);
	TT_SPAN_MEMBER(backlog, queue, struct sock, sk_ack_backlog, sk_max_ack_backlog,
	               sk_ack_backlog);
	TT_SPAN_MEMBER(backlog_max, queue, struct sock, sk_ack_backlog, sk_max_ack_backlog,
	               sk_max_ack_backlog);
	event->backlog = backlog;
	event->backlog_max = backlog_max;
	event->flags = TCPACCEPT_BACKLOG_KNOWN;
}

#define TT_LISTENER_SPAN_START                                                                     \
	TT_MIN(TT_OFFSET_OF(struct sock, sk_protocol),                                             \
	       TT_SPAN_START(struct sock, sk_ack_backlog, sk_max_ack_backlog))
#define TT_LISTENER_SPAN_END                                                                       \
	TT_MAX(TT_END_OF(struct sock, sk_protocol),                                                \
	       TT_MAX(TT_END_OF(struct sock, sk_ack_backlog),                                      \
	              TT_END_OF(struct sock, sk_max_ack_backlog)))
#define TT_LISTENER_SPAN_MAX 128 /* bytes of stack; more is read in two copies */

/*
 * The listener's accept queue into the event, unless it is an MPTCP
 * listener: its queue is its first subflow's, a socket private to net/mptcp,
 * so its own counts are not the backlog. Where sk_protocol is a plain member
 * (Linux 5.6 on) near the queue's counts, one copy reads all three.
 */
static __always_inline void tt_accept_read_listener(struct sock *listener,
                                                    struct tcpaccept_event *event)
{
#if defined(TT_BITFIELD_sock__sk_protocol) ||                                                      \
    (defined(TT_KERNEL_TYPES_HEADERS) && LINUX_VERSION_CODE < KERNEL_VERSION(5, 6, 0))
	if (tt_sock_protocol(listener) != TT_IPPROTO_MPTCP)
		tt_accept_read_queue(listener, event);
#else
	if (TT_LISTENER_SPAN_END - TT_LISTENER_SPAN_START > TT_LISTENER_SPAN_MAX) {
		if (tt_sock_protocol(listener) != TT_IPPROTO_MPTCP)
			tt_accept_read_queue(listener, event);
		return;
	}
	char span[TT_MIN(TT_LISTENER_SPAN_END - TT_LISTENER_SPAN_START, TT_LISTENER_SPAN_MAX)] = {};
	__typeof__(listener->sk_protocol) protocol = 0;
	__typeof__(listener->sk_ack_backlog) backlog = 0;
	__typeof__(listener->sk_max_ack_backlog) backlog_max = 0;
	bpf_probe_read_kernel(span, sizeof(span), (const char *)listener + TT_LISTENER_SPAN_START);
	__builtin_memcpy(&protocol,
	                 span + TT_OFFSET_OF(struct sock, sk_protocol) - TT_LISTENER_SPAN_START,
	                 sizeof(protocol));
	if (protocol == TT_IPPROTO_MPTCP)
		return;
	__builtin_memcpy(&backlog,
	                 span + TT_OFFSET_OF(struct sock, sk_ack_backlog) - TT_LISTENER_SPAN_START,
	                 sizeof(backlog));
	__builtin_memcpy(&backlog_max,
	                 span + TT_OFFSET_OF(struct sock, sk_max_ack_backlog) -
	                     TT_LISTENER_SPAN_START,
	                 sizeof(backlog_max));
	event->backlog = backlog;
	event->backlog_max = backlog_max;
	event->flags = TCPACCEPT_BACKLOG_KNOWN;
#endif
}

#ifdef TT_OUTCOME
#include "tt_accept_outcome.bpf.h"
#endif

static __always_inline void tt_emit_accept(void *ctx, struct sock *newsk, struct sock *listener)
{
	if (!newsk)
		return;
	/*
	 * accept() on an MPTCP listener returns an MPTCP socket when both ends
	 * speak it; it carries its first subflow's addresses.
	 */
	u16 protocol = tt_sock_protocol(newsk);
	if (protocol != TT_IPPROTO_TCP && protocol != TT_IPPROTO_MPTCP)
		return;
	struct tcpaccept_event event = {};
	struct tt_flow *flow = &event.base.flow;
	u8 state = tt_read_sock_flow(newsk, flow);
#ifdef TT_OUTCOME
	/* Whatever is shown of it: the accepting process owns the listener (door lines). */
	if (listener)
		tt_listener_accepted(listener);
	/* A child reset in the queue has lost its port: the flow as it was queued. */
	tt_accept_outcome(newsk, state, &event);
	if (!tt_outcome_wanted(&event.outcome))
		return;
#endif
	if ((flow->family != TT_AF_INET && flow->family != TT_AF_INET6) ||
	    !tt_family_wanted(flow->family) || !TT_PORT_MATCH(flow->lport) ||
	    !TT_PEER_MATCH(flow->family, flow->raddr))
		return;
	u32 netns = tt_sock_netns(newsk);
	if (!TT_NETNS_MATCH(netns))
		return;

#ifdef TT_METRICS_ONLY
	tt_metrics_head_fill(&event.base.head);
#else
	/* -o may have read the clock already, for the wait. */
	u64 now = event.base.head.ts_ns ? event.base.head.ts_ns : bpf_ktime_get_ns();
	tt_event_head_fill_at(&event.base.head, bpf_get_current_pid_tgid(), now);
	TT_EVENT_NETNS_SET(&event.base.head, netns);
	if (listener)
		tt_accept_read_listener(listener, &event);
#endif
	tt_submit_event(ctx, &event);
}

#endif
