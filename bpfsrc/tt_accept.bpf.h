/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's event from the accepted socket and its listener, for either backend. */
#ifndef TT_ACCEPT_BPF_H
#define TT_ACCEPT_BPF_H

#include "tt_helpers.bpf.h"
#include "tt_sock.bpf.h"
#include "tt_sock_protocol.bpf.h"
#include "tt_output.bpf.h"
#include "tcpaccept.h"

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

static __always_inline void tt_emit_accept(void *ctx, struct sock *newsk, struct sock *listener)
{
	if (!newsk || tt_sock_protocol(newsk) != TT_IPPROTO_TCP)
		return;
	struct tt_sock_tuple tuple = {};
	tt_read_sock_tuple(newsk, &tuple);
	if ((tuple.family != TT_AF_INET && tuple.family != TT_AF_INET6) ||
	    !tt_family_wanted(tuple.family) || !TT_PORT_MATCH(tuple.local_port))
		return;

	struct tcpaccept_event event = {};
	event.ts_ns = bpf_ktime_get_ns();
	event.pid = bpf_get_current_pid_tgid() >> 32;
	event.uid = (u32)bpf_get_current_uid_gid();
	event.family = tuple.family;
	event.lport = tuple.local_port;
	event.rport = tuple.remote_port;
	__builtin_memcpy(event.laddr, tuple.local_addr, 16);
	__builtin_memcpy(event.raddr, tuple.remote_addr, 16);
	if (listener) {
		/* u16 before Linux 5.6, u32 since: read them as what they are. */
		__typeof__(listener->sk_ack_backlog) backlog = 0;
		__typeof__(listener->sk_max_ack_backlog) backlog_max = 0;
		TT_READ(backlog, listener->sk_ack_backlog);
		TT_READ(backlog_max, listener->sk_max_ack_backlog);
		event.backlog = backlog;
		event.backlog_max = backlog_max;
		event.flags = TCPACCEPT_BACKLOG_KNOWN;
	}
	bpf_get_current_comm(&event.comm, sizeof(event.comm));
	tt_submit(ctx, &event, sizeof(event));
}

#endif
