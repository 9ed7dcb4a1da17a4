/* SPDX-License-Identifier: Apache-2.0 */
/*
 * tcpaccept -o (TT_OUTCOME): how long each connection waited in its
 * listener's accept queue, and what became of it (tt_outcome.h's
 * TT_RESULT_ACCEPTED, _RESET, _ORPHANED). Included by tt_accept.bpf.h; the
 * programs are attached by common/features/outcome.c, as raw tracepoints on
 * either backend (all of them exist from Linux 4.16 on).
 *
 * A connection is queued when the handshake completes: the kernel clones
 * the listener into the child (inet_csk_clone_lock) and sets it LISTEN ->
 * SYN_RECV (sock:inet_sock_set_state, on the child), then queues it. Its
 * record waits in tt_pending.bpf.h's table, keyed by the child, with the
 * time; before Linux 6.15 the child's addresses are set after that state
 * change, so they are read again at SYN_RECV -> ESTABLISHED.
 *
 * - accept() returns it (tt_emit_accept): WAIT is the time since; it is
 *   accepted, or reset when the client reset it (tcp:tcp_receive_reset on
 *   the child) or closed it (the child is in CLOSE or CLOSE_WAIT).
 * - its listener is closed: close() sets the listener LISTEN -> CLOSE, then,
 *   in the same task, destroys each child still queued
 *   (inet_csk_listen_stop -> inet_child_forget -> tcp:tcp_destroy_sock) and
 *   at last the listener. A child destroyed that way is orphaned (reset, if
 *   the client had reset it), printed with the task that closed the
 *   listener. A child destroyed by any other task was accepted by a task
 *   not followed (-p): its record is forgotten.
 * - tracing stops: user space prints what is still queued, as pending.
 *
 * The table is bounded: a child it has no room for is counted in
 * tt_pending_overflow and reported; its accept shows no WAIT.
 */
#ifndef TT_ACCEPT_OUTCOME_BPF_H
#define TT_ACCEPT_OUTCOME_BPF_H

#include "tt_helpers.bpf.h"
#include "tt_outcome.h"
#include "tt_sock.bpf.h" /* tt_sock_inode */
#include "tcpaccept.h"

#define TT_PENDING_EVENT struct tcpaccept_event
#include "tt_pending.bpf.h"
#include "tt_outcome.bpf.h"

#define TT_ECONNRESET 104

/* The listener each task is closing (a LISTEN socket going to CLOSE), by pid_tgid. */
BPF_TABLE("lru_hash", u64, u64, tt_accept_closing, 1024);
/*
 * Entries put in tt_accept_closing (never fewer than it holds): while 0, the
 * end of a socket with no record, every socket's but a queued child's, needs
 * no lookup there.
 */
BPF_ARRAY(tt_accept_closing_count, u64, 1);

/*
 * The process holding each listener (tt_outcome.h's struct tt_listener_owner),
 * by the listener's socket inode: the last process that accepted on it
 * (tt_listener_accepted: a socket-activated service, or workers handed the
 * listener by a parent, are not the listen() caller), else the task that
 * called listen() (CLOSE -> LISTEN, in its own context), else, for the
 * listeners opened before tracing, what user space found in /proc
 * (common/features/outcome.c: at the start for the tool's own network
 * namespace, on kprobes; and for any other listener a door event names by
 * its inode, tt_outcome.sock_inode). Forgotten when the listener closes.
 */
BPF_TABLE("lru_hash", u64, struct tt_listener_owner, tt_listener_owners, 4096);

/*
 * Bumped whenever a listener is opened or closed here, so that a CPU's memory
 * of the last accept (tt_accepted_last) does not outlive its listener: a new
 * listener may have the old one's address.
 */
BPF_ARRAY(tt_listeners_changed, u32, 1);

/*
 * What this CPU last wrote to tt_listener_owners from an accept: a server
 * accepting in a loop on one listener is known to own it without reading
 * its inode or the table.
 */
struct tt_accepted_last {
	u64 listener;
	u32 pid;
	u32 listeners_changed; /* tt_listeners_changed then */
};
BPF_PERCPU_ARRAY(tt_accepted_last, struct tt_accepted_last, 1);

static __always_inline u32 *listeners_changed(void)
{
	int zero = 0;
	return tt_listeners_changed.lookup(&zero);
}

/* listen() on sk, in the task that called it (listening), or its close: owner set, or forgotten. */
static __always_inline void listener_owned(struct sock *sk, bool listening)
{
	u32 *changed = listeners_changed();
	if (changed)
		__sync_fetch_and_add(changed, 1);
	u64 inode = tt_sock_inode(sk);
	if (!inode)
		return;
	if (!listening) {
		tt_listener_owners.delete(&inode);
		return;
	}
	struct tt_listener_owner owner = {};
	owner.pid = bpf_get_current_pid_tgid() >> 32;
	owner.uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&owner.comm, sizeof(owner.comm));
	tt_listener_owners.update(&inode, &owner);
}

/*
 * accept() returned a connection of listener in the current task: it owns the
 * listener from now on. Looked up first, written only when the owner changes,
 * so that a server accepting in a loop costs one lookup per accept.
 */
static __always_inline void tt_listener_accepted(struct sock *listener)
{
	u32 pid = bpf_get_current_pid_tgid() >> 32;
	int zero = 0;
	struct tt_accepted_last *last = tt_accepted_last.lookup(&zero);
	u32 *changed = listeners_changed();
	if (!last || !changed)
		return;
	u32 changed_now = *changed;
	if (last->listener == (u64)listener && last->pid == pid &&
	    last->listeners_changed == changed_now)
		return;
	u64 inode = tt_sock_inode(listener);
	if (!inode)
		return;
	last->listener = (u64)listener;
	last->pid = pid;
	last->listeners_changed = changed_now;
	struct tt_listener_owner *was = tt_listener_owners.lookup(&inode);
	if (was && was->pid == pid)
		return;
	struct tt_listener_owner owner = {};
	owner.pid = pid;
	owner.uid = (u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(&owner.comm, sizeof(owner.comm));
	tt_listener_owners.update(&inode, &owner);
}

static __always_inline void accept_queued(struct sock *child)
{
	if (tt_sock_protocol(child) != TT_IPPROTO_TCP)
		return;
	struct tcpaccept_event event = {};
	tt_read_sock_flow(child, &event.base.flow); /* the listener's port, at least */
	if (!tt_family_wanted(event.base.flow.family) || !TT_PORT_MATCH(event.base.flow.lport))
		return;
	event.base.head.ts_ns = bpf_ktime_get_ns();
	tt_pending_add((u64)child, &event);
}

/* The record of the child sk, if one waits; *slot for tt_pending_forget. */
static __always_inline struct tcpaccept_event *accept_record(struct sock *sk,
                                                             struct tt_pending_slot **slot)
{
	return tt_pending_find((u64)sk, slot);
}

/* Arguments: (struct sock *sk, int oldstate, int newstate). */
int tt_accept_state_change(struct bpf_raw_tracepoint_args *ctx)
{
	struct sock *sk = (struct sock *)ctx->args[0];
	int oldstate = (int)ctx->args[1];
	int newstate = (int)ctx->args[2];
	struct tt_pending_slot *slot;
	if (oldstate == TT_TCP_LISTEN && newstate == TT_TCP_SYN_RECV) {
		accept_queued(sk);
	} else if (oldstate == TT_TCP_SYN_RECV && newstate == TT_TCP_ESTABLISHED) {
		/* Only where the tuple came after the clone (before Linux 6.15). */
		struct tcpaccept_event *record = accept_record(sk, &slot);
		if (record && record->base.flow.rport == 0)
			tt_read_sock_flow(sk, &record->base.flow);
	} else if (oldstate == TT_TCP_LISTEN && newstate == TT_TCP_CLOSE) {
		u64 pid_tgid = bpf_get_current_pid_tgid(), listener = (u64)sk;
		int zero = 0;
		u64 *closing_count = tt_accept_closing_count.lookup(&zero);
		if (closing_count) {
			__sync_fetch_and_add(closing_count, 1);
			if (tt_accept_closing.update(&pid_tgid, &listener) != 0)
				__sync_fetch_and_add(closing_count, -1);
		}
		listener_owned(sk, false);
	} else if (oldstate == TT_TCP_CLOSE && newstate == TT_TCP_LISTEN) {
		listener_owned(sk, true);
	}
	return 0;
}

/* Arguments: (struct sock *sk). Rare: a RST received. */
int tt_accept_reset(struct bpf_raw_tracepoint_args *ctx)
{
	struct tt_pending_slot *slot;
	struct tcpaccept_event *record = accept_record((struct sock *)ctx->args[0], &slot);
	if (record)
		record->outcome.error = TT_ECONNRESET;
	return 0;
}

/* Arguments: (struct sock *sk). Every TCP socket's end. */
int tt_accept_destroy(struct bpf_raw_tracepoint_args *ctx)
{
	struct sock *sk = (struct sock *)ctx->args[0];
	struct tt_pending_slot *slot;
	struct tcpaccept_event *record = accept_record(sk, &slot);
	int zero = 0;
	u64 *closing_count = tt_accept_closing_count.lookup(&zero);
	if (!closing_count || (!record && *closing_count == 0))
		return 0;
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u64 *closing = tt_accept_closing.lookup(&pid_tgid);
	if (!record) {
		/* The listener itself, after its queue. */
		if (closing && *closing == (u64)sk && tt_accept_closing.delete(&pid_tgid) == 0)
			__sync_fetch_and_add(closing_count, -1);
		return 0;
	}
	if (closing && tt_task_wanted(pid_tgid)) {
		struct tt_outcome *outcome = &record->outcome;
		outcome->latency_ns = bpf_ktime_get_ns() - record->base.head.ts_ns;
		outcome->result = outcome->error ? TT_RESULT_RESET : TT_RESULT_ORPHANED;
		if (tt_outcome_wanted(outcome)) {
			tt_event_head_fill(&record->base.head, pid_tgid);
			tt_accept_read_queue((struct sock *)*closing, record);
			tt_submit_event(ctx, record);
		}
	}
	tt_pending_forget((u64)sk, slot);
	return 0;
}

/*
 * refused: a SYN to a port with no listener, answered with a RST. The kernel
 * sends it with no socket (tcp_v4_rcv's no_tcp_socket -> tcp_v4_send_reset(NULL,
 * skb), tcp_v6_rcv's alike); the skb is the SYN, read at its IP and TCP
 * headers (their wire layout: the addresses and ports the client used). The
 * kprobe backend probes tcp_v4_send_reset and tcp_v6_send_reset; the
 * tracepoint backend has tcp:tcp_send_reset, which fires without a socket
 * from Linux 6.10 on (before, only for a full socket: no refused lines).
 * No process can be named; with a task filter (-p -u, cgroups) none is shown.
 */
#define TT_TCP_FLAG_SYN 0x02
#define TT_TCP_FLAG_ACK 0x10

/*
 * The flow a SYN (without ACK) asks for, from its IP and TCP headers (their
 * wire layout); false when skb is no such SYN.
 */
static __always_inline bool syn_flow(const struct sk_buff *skb, struct tt_flow *flow)
{
	/*
	 * The header offsets sit in an anonymous struct of a union (struct_group),
	 * whose members libbcc's rewriter reads wrongly through skb->: by offset.
	 */
	unsigned char *head = NULL;
	u16 network = 0, transport = 0;
	const char *base = (const char *)skb;
	bpf_probe_read_kernel(&head, sizeof(head), base + TT_OFFSET_OF(struct sk_buff, head));
	bpf_probe_read_kernel(&network, sizeof(network),
	                      base + TT_OFFSET_OF(struct sk_buff, network_header));
	bpf_probe_read_kernel(&transport, sizeof(transport),
	                      base + TT_OFFSET_OF(struct sk_buff, transport_header));
	u8 tcp[14] = {};
	if (!head || bpf_probe_read_kernel(tcp, sizeof(tcp), head + transport) != 0)
		return false;
	if ((tcp[13] & (TT_TCP_FLAG_SYN | TT_TCP_FLAG_ACK)) != TT_TCP_FLAG_SYN)
		return false;
	flow->rport = ((u16)tcp[0] << 8) | tcp[1];
	flow->lport = ((u16)tcp[2] << 8) | tcp[3];
	u8 version = 0;
	bpf_probe_read_kernel(&version, 1, head + network);
	if (version >> 4 == 4) {
		flow->family = TT_AF_INET;
		bpf_probe_read_kernel(flow->raddr, 4, head + network + 12);
		bpf_probe_read_kernel(flow->laddr, 4, head + network + 16);
		return true;
	}
	if (version >> 4 == 6) {
		flow->family = TT_AF_INET6;
		bpf_probe_read_kernel(flow->raddr, 16, head + network + 8);
		bpf_probe_read_kernel(flow->laddr, 16, head + network + 24);
		return true;
	}
	return false;
}

/*
 * A connection lost at the door (refused, dropped) or answered with a SYN
 * cookie, in softirq: none is shown with a task filter (-p -u, cgroups),
 * which would judge whatever task the CPU was running. Where there is a
 * listener, its queue, and the process holding it as the event's task; a
 * listener with no owner known yet (older than the trace, outside the tool's
 * network namespace) leaves its inode in outcome.sock_inode, for user space
 * to name it from /proc.
 */
static __always_inline void accept_at_the_door(void *ctx, struct tcpaccept_event *event,
                                               struct sock *listener, u32 result)
{
#if defined(TT_PID_FILTER) || defined(TT_UID_FILTER) || defined(TT_CGROUP_FILTER) ||               \
    defined(TT_CGROUPMAP_PATH) || defined(TT_MNTNSMAP_PATH)
	return;
#endif
	struct tt_flow *flow = &event->base.flow;
	if (!tt_family_wanted(flow->family) || !TT_PORT_MATCH(flow->lport))
		return;
	event->base.head.ts_ns = bpf_ktime_get_ns();
	event->outcome.latency_ns = TT_OUTCOME_LATENCY_UNKNOWN;
	event->outcome.result = result;
	if (listener) {
		tt_accept_read_queue(listener, event);
		u64 inode = tt_sock_inode(listener);
		struct tt_listener_owner *owner = tt_listener_owners.lookup(&inode);
		if (owner) {
			event->base.head.pid = owner->pid;
			event->base.head.uid = owner->uid;
			__builtin_memcpy(event->base.head.comm, owner->comm, sizeof(owner->comm));
		} else {
			event->outcome.sock_inode = inode;
		}
	}
	if (tt_outcome_wanted(&event->outcome))
		tt_submit_event(ctx, event);
}

static __always_inline void accept_refused(void *ctx, const struct sock *sk,
                                           const struct sk_buff *skb)
{
	struct tcpaccept_event event = {};
	/* Not a SYN: a RST for a stray segment, not a refused connection. */
	if (!sk && skb && syn_flow(skb, &event.base.flow))
		accept_at_the_door(ctx, &event, NULL, TT_RESULT_REFUSED);
}

/* Arguments: (const struct sock *sk, const struct sk_buff *skb, ...). */
int tt_accept_send_reset(struct bpf_raw_tracepoint_args *ctx)
{
	accept_refused(ctx, (const struct sock *)ctx->args[0],
	               (const struct sk_buff *)ctx->args[1]);
	return 0;
}

/*
 * tcp_v4_send_reset and tcp_v6_send_reset: (const struct sock *sk, struct
 * sk_buff *skb, ...). Its context is named regs, not ctx: a kprobe context
 * named ctx is what marks a kprobe backend's text (tests/live/ttlib.py's
 * backend_of), and this text is the tracepoint backend's too.
 */
int tt_accept_send_reset_kprobe(struct pt_regs *regs)
{
	accept_refused(regs, (const struct sock *)PT_REGS_PARM1(regs),
	               (const struct sk_buff *)PT_REGS_PARM2(regs));
	return 0;
}

/*
 * dropped and cookie, on the kprobe backend only (no tracepoint sees them).
 * tcp_conn_request(rsk_ops, af_ops, sk, skb) takes each SYN to a listener;
 * with its accept queue full (sk_acceptq_is_full: more than the maximum
 * queued) it drops the SYN, cookies or not. A SYN dropped because the SYN
 * queue is full without syncookies is counted only (the listeners' drops
 * said at the end); a final ACK dropped on a full queue is
 * tt_accept_syn_recv_sock's.
 */
int tt_accept_conn_request(struct pt_regs *regs)
{
	struct sock *listener = (struct sock *)PT_REGS_PARM3(regs);
	struct tcpaccept_event event = {};
	if (!syn_flow((const struct sk_buff *)PT_REGS_PARM4(regs), &event.base.flow))
		return 0;
	tt_accept_read_queue(listener, &event);
	if (event.backlog > event.backlog_max)
		accept_at_the_door(regs, &event, listener, TT_RESULT_DROPPED);
	return 0;
}

#define TT_ETH_P_IP 0x0800

/*
 * dropped, the final ACK: tcp_v4_syn_recv_sock and tcp_v6_syn_recv_sock(sk,
 * skb, req, dst, req_unhash, own_req) make the connection's socket when the
 * handshake's last ACK comes (tcp_check_req), and their first test, on every
 * kernel from 5.10 to 6.18, is sk_acceptq_is_full(sk): if the listener's
 * queue is full they return NULL (exit_overflow: ListenOverflows, and
 * tcp_listendrop). So the queue at entry decides the NULL, and the request
 * socket has the client's flow; a kretprobe, on every handshake, would add
 * nothing but its cost. The kernel then drops the ACK (the client, which
 * thinks itself connected, sends again) or, with
 * net.ipv4.tcp_abort_on_overflow=1, resets the client. An IPv4 client of an
 * IPv6 listener: tcp_v6_syn_recv_sock hands it to tcp_v4_syn_recv_sock
 * before that test, which sees it then.
 */
static __always_inline void syn_recv_sock(struct pt_regs *regs, bool v6)
{
	struct sock *listener = (struct sock *)PT_REGS_PARM1(regs);
	struct tcpaccept_event event = {};
	tt_accept_read_queue(listener, &event);
	if (event.backlog <= event.backlog_max)
		return;
	if (v6) {
		u16 protocol = 0;
		bpf_probe_read_kernel(&protocol, sizeof(protocol),
		                      (const char *)PT_REGS_PARM2(regs) +
		                          TT_OFFSET_OF(struct sk_buff, protocol));
		if (tt_ntohs(protocol) == TT_ETH_P_IP)
			return; /* tcp_v4_syn_recv_sock's, next */
	}
	tt_read_sock_flow((struct sock *)PT_REGS_PARM3(regs), &event.base.flow);
	accept_at_the_door(regs, &event, listener, TT_RESULT_DROPPED);
}

int tt_accept_syn_recv_sock(struct pt_regs *regs)
{
	syn_recv_sock(regs, false);
	return 0;
}

int tt_accept_syn_recv_sock6(struct pt_regs *regs)
{
	syn_recv_sock(regs, true);
	return 0;
}

#define TT_TCP_SYNACK_COOKIE 2 /* enum tcp_synack_type: NORMAL, FASTOPEN, COOKIE */

/*
 * tcp_v4_send_synack and tcp_v6_send_synack(sk, dst, fl, req, foc,
 * synack_type, syn_skb): a SYN-ACK carrying a SYN cookie (the SYN queue was
 * full, or net.ipv4.tcp_syncookies=2). The request socket has the flow.
 */
int tt_accept_send_synack(struct pt_regs *regs)
{
	if ((int)PT_REGS_PARM6(regs) != TT_TCP_SYNACK_COOKIE)
		return 0;
	struct tcpaccept_event event = {};
	tt_read_sock_flow((struct sock *)PT_REGS_PARM4(regs), &event.base.flow);
	accept_at_the_door(regs, &event, (struct sock *)PT_REGS_PARM1(regs), TT_RESULT_COOKIE);
	return 0;
}

/*
 * At accept()'s return with newsk, in state: its outcome, the flow as it was
 * queued (a child reset since has lost its port), and its record forgotten.
 * The event's time is the outcome's: one clock read for both.
 */
static __always_inline void tt_accept_outcome(struct sock *newsk, u8 state,
                                              struct tcpaccept_event *event)
{
	struct tt_outcome *outcome = &event->outcome;
	outcome->latency_ns = TT_OUTCOME_LATENCY_UNKNOWN; /* queued before tracing began */
	outcome->error = 0;
	bool closed = state == TT_TCP_CLOSE || state == TT_TCP_CLOSE_WAIT;
	struct tt_pending_slot *slot;
	struct tcpaccept_event *record = accept_record(newsk, &slot);
	if (record) {
		event->base.head.ts_ns = bpf_ktime_get_ns();
		outcome->latency_ns = event->base.head.ts_ns - record->base.head.ts_ns;
		outcome->error = record->outcome.error;
		if (closed)
			event->base.flow = record->base.flow;
		tt_pending_forget((u64)newsk, slot);
	}
	outcome->result = closed || outcome->error ? TT_RESULT_RESET : TT_RESULT_ACCEPTED;
}

#endif
