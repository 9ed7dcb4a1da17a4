// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect, tracepoint backend: for kernels without kprobes.
 *
 * sock:inet_sock_set_state CLOSE -> SYN_SENT is the attempt, in the context of
 * the connecting task, but its source port is not assigned yet. The event is
 * completed at the socket's next state change out of SYN_SENT (established or
 * refused: the tracepoint's sport is still valid there), or at the end of a
 * connect() still in progress. Reading the port at sys_exit_connect alone
 * would give 0 for a refused connect on loopback: the port is released before
 * connect() returns.
 *
 * (libbcc defines a tracepoint's args struct only inside TRACEPOINT_PROBE,
 * so the state-change logic stays in its body.)
 */
#include "tt_helpers.bpf.h"
#include "tt_sock.bpf.h"
#include "tcpconnect_submit.bpf.h"

/* Attempts waiting for their source port, by socket address. */
BPF_TABLE("lru_hash", u64, struct tcpconnect_event, attempts, 16384);
/* The socket each thread is connecting, for sys_exit_connect. */
BPF_TABLE("lru_hash", u64, u64, connecting, 16384);

static __always_inline void record_attempt(u64 sk, u16 family, u16 dport)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u32 tgid = pid_tgid >> 32;
	if (!tt_task_wanted(pid_tgid) || !tt_family_wanted(family) || !TT_PORT_MATCH(dport))
		return;

	struct tcpconnect_event event = {};
	event.ts_ns = bpf_ktime_get_ns();
	event.pid = tgid;
	event.uid = (u32)bpf_get_current_uid_gid();
	event.family = family;
	event.dport = dport;
	bpf_get_current_comm(&event.comm, sizeof(event.comm));
	attempts.update(&sk, &event);
	connecting.update(&pid_tgid, &sk);
}

TRACEPOINT_PROBE(sock, inet_sock_set_state)
{
	if (args->protocol != TT_IPPROTO_TCP)
		return 0;
	u64 sk = (u64)args->skaddr;
	if (args->oldstate == TT_TCP_CLOSE && args->newstate == TT_TCP_SYN_SENT) {
		record_attempt(sk, args->family, args->dport);
		return 0;
	}
	if (args->oldstate != TT_TCP_SYN_SENT)
		return 0;

	struct tcpconnect_event *event = attempts.lookup(&sk);
	if (!event)
		return 0;
	/* No port: connect() failed before sending anything (e.g. no free port). */
	if (args->sport != 0) {
		event->sport = args->sport;
		/* Addresses are final now; at SYN_SENT an IPv4-mapped source may not be. */
		if (event->family == TT_AF_INET) {
			__builtin_memcpy(event->saddr, args->saddr, 4);
			__builtin_memcpy(event->daddr, args->daddr, 4);
		} else {
			__builtin_memcpy(event->saddr, args->saddr_v6, 16);
			__builtin_memcpy(event->daddr, args->daddr_v6, 16);
		}
		tcpconnect_submit(args, event);
	}
	attempts.delete(&sk);
	return 0;
}

/* A connect() still in progress (non-blocking, or a slow peer): the port is assigned. */
TRACEPOINT_PROBE(syscalls, sys_exit_connect)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	u64 *skp = connecting.lookup(&pid_tgid);
	if (!skp)
		return 0;
	u64 sk = *skp;
	connecting.delete(&pid_tgid);

	struct tcpconnect_event *event = attempts.lookup(&sk);
	if (!event)
		return 0; /* already completed by a state change */
	struct tt_sock_tuple tuple = {};
	tt_read_sock_tuple((struct sock *)sk, &tuple);
	if (tuple.local_port == 0)
		return 0; /* not bound yet: the state change will complete it */
	event->sport = tuple.local_port;
	__builtin_memcpy(event->saddr, tuple.local_addr, 16);
	__builtin_memcpy(event->daddr, tuple.remote_addr, 16);
	tcpconnect_submit(args, event);
	attempts.delete(&sk);
	return 0;
}
