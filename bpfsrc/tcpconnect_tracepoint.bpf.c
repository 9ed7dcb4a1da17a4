// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect, tracepoint backend: for kernels without kprobes (4.17+).
 *
 * sock:inet_sock_set_state CLOSE -> SYN_SENT is the attempt, in the context of
 * the connecting task, but its source port is not assigned yet. The event is
 * completed when the socket leaves SYN_SENT (answered, refused, timed out or
 * closed: the port is still bound there), or at the SYN's first
 * retransmission (tcp:tcp_retransmit_skb, about a second on), so an
 * unanswered attempt is not held back until it times out. With -o
 * (TT_OUTCOME) it is held back: it is emitted when it leaves SYN_SENT, with
 * its outcome (bpfsrc/tt_outcome.bpf.h).
 *
 * Both are raw tracepoints: the state change fires for every transition of
 * every TCP socket, and a raw tracepoint costs no perf record per hit, only
 * the reads this program makes. No syscall tracepoint is used: enabling one
 * sends every system call of every task through the kernel's slow path.
 */
#include "tt_connect.bpf.h"
#include "tt_sock_protocol.bpf.h"

/* Attempts waiting for their source port (and with -o, their outcome). */
#define TT_PENDING_EVENT struct tcpconnect_event
#include "tt_pending.bpf.h"
#ifdef TT_OUTCOME
#include "tt_outcome.bpf.h"
#endif

/*
 * Reads the attempt's addresses and source port into its flow; false when
 * it has no port yet (before the port is chosen, or when connect() failed
 * before sending anything, e.g. for want of a free port). The source is read
 * where the tracepoint's own sport and saddr come from (inet_sport,
 * inet_saddr): when an attempt is refused, the socket's bound port (skc_num)
 * is already released at this state change.
 */
static __always_inline bool read_addresses(struct sock *sk, struct tt_flow *flow)
{
	char source[TT_SPAN_SIZE(struct inet_sock, inet_saddr, inet_sport)] = {};
	u32 saddr = 0;
	u16 sport = 0;
	TT_READ_SPAN_BYTES(source, sk, struct inet_sock, inet_saddr, inet_sport);
	TT_SPAN_MEMBER(saddr, source, struct inet_sock, inet_saddr, inet_sport, inet_saddr);
	TT_SPAN_MEMBER(sport, source, struct inet_sock, inet_saddr, inet_sport, inet_sport);
	flow->lport = tt_ntohs(sport);
	/* Addresses are final once the port is; at SYN_SENT an IPv4-mapped source may not be. */
	if (flow->family == TT_AF_INET) {
		__typeof__(sk->__sk_common.skc_daddr) daddr = 0;
		TT_READ(daddr, sk->__sk_common.skc_daddr);
		__builtin_memcpy(flow->laddr, &saddr, 4);
		__builtin_memcpy(flow->raddr, &daddr, 4);
	} else {
		struct sock_common common = {};
		TT_READ_SPAN(&common, &sk->__sk_common, struct sock_common, skc_v6_daddr,
		             skc_v6_rcv_saddr);
		__builtin_memcpy(flow->laddr, &common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(flow->raddr, &common.skc_v6_daddr, 16);
	}
	return sport != 0;
}

static __always_inline void record_attempt(struct sock *sk)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid))
		return;
	/* DCCP (before Linux 6.16) shares TCP's states and this tracepoint. */
	if (tt_sock_protocol(sk) != TT_IPPROTO_TCP)
		return;
	/* The family, the port and the IPv4 peer: one read (--daddr needs no other for IPv4). */
	struct sock_common common = {};
	TT_READ_SPAN3(&common, &sk->__sk_common, struct sock_common, skc_family, skc_dport,
	              skc_daddr);
	u16 dport = tt_ntohs(common.skc_dport);
	if (!tt_family_wanted(common.skc_family) || !TT_PORT_MATCH(dport))
		return;
	/* The peer is set before SYN_SENT, in tcp_v4_connect and tcp_v6_connect. */
	if (!tt_sock_peer_wanted(sk, &common))
		return;
	u32 netns = tt_sock_netns(sk);
	if (!TT_NETNS_MATCH(netns))
		return;

	struct tcpconnect_event event = {};
	tt_event_head_fill(&event.base.head, pid_tgid);
	TT_EVENT_NETNS_SET(&event.base.head, netns);
	event.base.flow.family = common.skc_family;
	event.base.flow.rport = dport;
#ifdef TT_OUTCOME
	/*
	 * The addresses, for an attempt still pending at the end (its port comes
	 * later); and the socket's inode, by which user space finds that port in
	 * /proc/PID/net/tcp if no event brought it: a kernel may run no program
	 * at the first retransmission (see man/tcpconnect.8, OUTCOMES).
	 */
	read_addresses(sk, &event.base.flow);
	event.outcome.sock_inode = tt_sock_inode(sk);
#endif
	tt_pending_add((u64)sk, &event);
}

/*
 * The attempt on sk, if one waits: emitted and forgotten when it leaves
 * SYN_SENT for newstate, or at its first retransmission (newstate -1). With
 * -o it is emitted only at its outcome; a retransmission just records its
 * port, for an attempt still pending when tracing stops.
 */
static __always_inline void complete_attempt(void *ctx, struct sock *sk, int newstate)
{
	u64 key = (u64)sk;
	struct tt_pending_slot *slot;
	struct tcpconnect_event *event = tt_pending_find(key, &slot);
	if (!event)
		return;
#ifdef TT_OUTCOME
	if (newstate < 0) {
		read_addresses(sk, &event->base.flow);
		return;
	}
	tt_outcome_fill(sk, newstate, event->base.head.ts_ns, &event->outcome);
	if (read_addresses(sk, &event->base.flow) && tt_outcome_wanted(&event->outcome))
		tt_submit_event(ctx, event);
#else
	if (read_addresses(sk, &event->base.flow))
		tt_submit_event(ctx, event);
#endif
	tt_pending_forget(key, slot);
}

/* Arguments: (struct sock *sk, int oldstate, int newstate). */
RAW_TRACEPOINT_PROBE(inet_sock_set_state)
{
	struct sock *sk = (struct sock *)ctx->args[0];
	int oldstate = (int)ctx->args[1];
	int newstate = (int)ctx->args[2];
	/* Most transitions of a busy machine are neither: they return here. */
	if (oldstate == TT_TCP_CLOSE && newstate == TT_TCP_SYN_SENT)
		record_attempt(sk);
	else if (oldstate == TT_TCP_SYN_SENT)
		complete_attempt(ctx, sk, newstate);
	return 0;
}

/* Arguments: (struct sock *sk, struct sk_buff *skb). Rare: only retransmissions. */
RAW_TRACEPOINT_PROBE(tcp_retransmit_skb)
{
	complete_attempt(ctx, (struct sock *)ctx->args[0], -1);
	return 0;
}
