// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect, kprobe backend (the default where kprobes exist): the entry of
 * tcp_v4_connect/tcp_v6_connect remembers the socket per thread, and their
 * return emits the attempt when the call returned 0, once the source port
 * is known.
 *
 * With -o (TT_OUTCOME) the attempt waits instead, for its socket to leave
 * SYN_SENT: the outcome comes from the same raw tracepoint as on the
 * tracepoint backend (sock:inet_sock_set_state), whose program is in
 * tt_outcome.bpf.h and which -o adds to the plan (common/features/outcome.c).
 * connect() holds the socket lock until after it returns, so no answer is
 * processed before the attempt waits.
 */
#include "tt_connect.bpf.h"

#ifdef TT_OUTCOME
#define TT_PENDING_EVENT struct tcpconnect_event
#include "tt_pending.bpf.h"
#include "tt_outcome.bpf.h" /* with its own state-change probe on this backend */
#endif

/* The socket each thread is connecting. */
BPF_HASH(connecting, u32, struct sock *, 16384);

int trace_connect_entry(struct pt_regs *ctx, struct sock *sk, void *uaddr)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid))
		return 0;
	/* sin_port and sin6_port are both at offset 2: a rejected port costs no map update. */
	u16 dport = 0;
	bpf_probe_read_kernel(&dport, sizeof(dport), (const char *)uaddr + 2);
	if (!TT_PORT_MATCH(tt_ntohs(dport)))
		return 0;
	u32 tid = (u32)pid_tgid;
	/*
	 * tcp_v6_connect calls tcp_v4_connect with the same socket for an
	 * IPv4-mapped peer, so updating keeps it; the inner return skips it (the
	 * family differs) and the outer one emits it, addresses complete.
	 */
	connecting.update(&tid, &sk);
	return 0;
}

static __always_inline int trace_connect_return(struct pt_regs *ctx, u16 family)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct sock **skp = connecting.lookup(&tid);
	if (!skp)
		return 0;
	struct sock *sk = *skp;

	struct tcpconnect_event event = {};
	tt_read_sock_flow(sk, &event.base.flow);
	if (event.base.flow.family != family)
		return 0; /* the inner tcp_v4_connect of an IPv4-mapped connect */
	connecting.delete(&tid);
	if (PT_REGS_RC(ctx) != 0 || !tt_family_wanted(event.base.flow.family) ||
	    !TT_PORT_MATCH(event.base.flow.rport) ||
	    !TT_PEER_MATCH(event.base.flow.family, event.base.flow.raddr))
		return 0;
	u32 netns = tt_sock_netns(sk);
	if (!TT_NETNS_MATCH(netns))
		return 0;

	tt_event_head_fill(&event.base.head, bpf_get_current_pid_tgid());
	TT_EVENT_NETNS_SET(&event.base.head, netns);
#ifdef TT_OUTCOME
	tt_pending_add((u64)sk, &event);
#else
	tt_submit_event(ctx, &event);
#endif
	return 0;
}

int trace_connect_v4_return(struct pt_regs *ctx)
{
	return trace_connect_return(ctx, TT_AF_INET);
}

int trace_connect_v6_return(struct pt_regs *ctx)
{
	return trace_connect_return(ctx, TT_AF_INET6);
}
