// SPDX-License-Identifier: Apache-2.0
/*
 * tcpaccept, kprobe backend (the default where kprobes exist): the entry of
 * inet_csk_accept remembers the listening socket (its first argument, before
 * and since the 6.10 signature change) per thread; its return reads the new
 * socket and the listener's queue. A NULL return is no event.
 */
#include "tt_accept.bpf.h"

/* The listening socket each thread is accepting on. */
BPF_HASH(accepting, u32, struct sock *, 16384);

int trace_accept_entry(struct pt_regs *ctx, struct sock *listener)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid) || !tt_listener_wanted(listener))
		return 0;
	u32 tid = (u32)pid_tgid;
	accepting.update(&tid, &listener);
	return 0;
}

int trace_accept_return(struct pt_regs *ctx)
{
	u32 tid = (u32)bpf_get_current_pid_tgid();
	struct sock **listenerp = accepting.lookup(&tid);
	if (!listenerp)
		return 0;
	struct sock *listener = *listenerp;
	accepting.delete(&tid);
	tt_emit_accept(ctx, (struct sock *)PT_REGS_RC(ctx), listener);
	return 0;
}
