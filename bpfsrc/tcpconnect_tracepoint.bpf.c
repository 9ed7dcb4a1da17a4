// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect, tracepoint backend: for kernels without kprobes (4.17+).
 *
 * sock:inet_sock_set_state CLOSE -> SYN_SENT is the attempt, in the context of
 * the connecting task, but its source port is not assigned yet. The event is
 * completed when the socket leaves SYN_SENT (answered, refused, timed out or
 * closed: the port is still bound there), or at the SYN's first
 * retransmission (tcp:tcp_retransmit_skb, about a second on), so an
 * unanswered attempt is not held back until it times out.
 *
 * Both are raw tracepoints: the state change fires for every transition of
 * every TCP socket, and a raw tracepoint costs no perf record per hit, only
 * the reads this program makes. No syscall tracepoint is used: enabling one
 * sends every system call of every task through the kernel's slow path.
 */
#include "tt_event.bpf.h"
#include "tt_helpers.bpf.h"
#include "tt_sock.bpf.h"
#include "tt_sock_protocol.bpf.h"
#include "tt_submit.bpf.h"
#include "tcpconnect.h"
#ifdef TT_DNS
#include "tt_dns.bpf.h" /* -d: DNS answers, from a cgroup_skb program */
#endif

/* Attempts waiting for their source port, by socket address. */
BPF_TABLE("lru_hash", u64, struct tcpconnect_event, attempts, 16384);

#ifdef TT_BPF_ATOMICS
/*
 * Before that map, a table indexed by a hash of the socket's address: an
 * array slot costs no helper call, where the map's update, lookup and
 * delete were a third of the tracing cost under a connection storm. A slot
 * is claimed and released with compare-and-swap, so no two sockets ever
 * share one; an attempt whose slot is taken goes to the map.
 */
#define PENDING_SLOTS_LOG2 12
struct pending_attempt {
	u64 sk; /* 0: free */
	struct tcpconnect_event event;
};
BPF_ARRAY(pending, struct pending_attempt, 1 << PENDING_SLOTS_LOG2);

static __always_inline struct pending_attempt *pending_slot(u64 sk)
{
	/* Fibonacci hashing: the top bits of the product mix all of the address. */
	u32 index = (u32)((sk * 0x9E3779B97F4A7C15ULL) >> (64 - PENDING_SLOTS_LOG2));
	return pending.lookup(&index);
}
#endif

static __always_inline void record_attempt(struct sock *sk)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid))
		return;
	/* DCCP (before Linux 6.16) shares TCP's states and this tracepoint. */
	if (tt_sock_protocol(sk) != TT_IPPROTO_TCP)
		return;
	struct sock_common common = {};
	TT_READ_SPAN(&common, &sk->__sk_common, struct sock_common, skc_family, skc_dport);
	u16 dport = tt_ntohs(common.skc_dport);
	if (!tt_family_wanted(common.skc_family) || !TT_PORT_MATCH(dport))
		return;

	struct tcpconnect_event event = {};
	tt_event_head_fill(&event.base.head, pid_tgid);
	event.base.flow.family = common.skc_family;
	event.base.flow.rport = dport;
	u64 key = (u64)sk;
#ifdef TT_BPF_ATOMICS
	struct pending_attempt *slot = pending_slot(key);
	if (slot && __sync_val_compare_and_swap(&slot->sk, 0, key) == 0) {
		/* Claimed: its completion comes after this program has returned. */
		__builtin_memcpy(&slot->event, &event, sizeof(event));
		return;
	}
#endif
	attempts.update(&key, &event);
}

/*
 * Emits the attempt, now that its port is known. The source is read where
 * the tracepoint's own sport and saddr come from (inet_sport, inet_saddr):
 * when an attempt is refused, the socket's bound port (skc_num) is already
 * released at this state change.
 */
static __always_inline void emit_attempt(void *ctx, struct sock *sk, struct tcpconnect_event *event)
{
	char source[TT_SPAN_SIZE(struct inet_sock, inet_saddr, inet_sport)] = {};
	u32 saddr = 0;
	u16 sport = 0;
	TT_READ_SPAN_BYTES(source, sk, struct inet_sock, inet_saddr, inet_sport);
	TT_SPAN_MEMBER(saddr, source, struct inet_sock, inet_saddr, inet_sport, inet_saddr);
	TT_SPAN_MEMBER(sport, source, struct inet_sock, inet_saddr, inet_sport, inet_sport);
	/* No port: connect() failed before sending anything (e.g. no free port). */
	if (sport != 0) {
		struct tt_flow *flow = &event->base.flow;
		flow->lport = tt_ntohs(sport);
		/* Addresses are final now; at SYN_SENT an IPv4-mapped source may not be. */
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
		tt_submit_event(ctx, event);
	}
}

/* Emits and forgets the attempt on sk, if one waits. */
static __always_inline void complete_attempt(void *ctx, struct sock *sk)
{
	u64 key = (u64)sk;
#ifdef TT_BPF_ATOMICS
	struct pending_attempt *slot = pending_slot(key);
	if (slot && slot->sk == key) {
		emit_attempt(ctx, sk, &slot->event);
		/* Free it with a full barrier: the event is read before another claims it. */
		__sync_val_compare_and_swap(&slot->sk, key, 0);
		return;
	}
#endif
	struct tcpconnect_event *event = attempts.lookup(&key);
	if (!event)
		return;
	emit_attempt(ctx, sk, event);
	attempts.delete(&key);
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
		complete_attempt(ctx, sk);
	return 0;
}

/* Arguments: (struct sock *sk, struct sk_buff *skb). Rare: only retransmissions. */
RAW_TRACEPOINT_PROBE(tcp_retransmit_skb)
{
	complete_attempt(ctx, (struct sock *)ctx->args[0]);
	return 0;
}
