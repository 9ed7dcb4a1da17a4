// SPDX-License-Identifier: Apache-2.0
/*
 * tcpaccept, kprobe backend (the default where kprobes exist).
 *
 * accept(2) and accept4(2) come from the syscall tracepoints, as on the
 * tracepoint backend (tt_accept_syscall.bpf.h): a kretprobe would miss an
 * accept() begun before it was attached, and all but maxactive of a pool of
 * workers sleeping in accept() at once (iovisor/bcc#2165, #1072).
 *
 * The kprobe pair on inet_csk_accept sees the accepts that make no accept
 * syscall (io_uring, in-kernel servers); those do not sleep in it, so
 * maxactive is enough, and what the kretprobe misses anyway the tool reads
 * from the kernel and reports as lost. The entry remembers the listening
 * socket (its first argument, before and since the 6.10 signature change)
 * per thread; the return reads the new socket. A NULL return is no event.
 */
/* The enter tracepoints mark the calls in progress, for the kprobes. */
#define TT_ACCEPT_ENTER 1
#include "tt_accept_syscall.bpf.h"

/* The listening socket each thread is accepting on, outside accept syscalls. */
BPF_HASH(accepting, u32, struct sock *, 16384);

int trace_accept_entry(struct pt_regs *ctx, struct sock *listener)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (tt_accept_syscall_active(pid_tgid) || !tt_task_wanted(pid_tgid) ||
	    !tt_listener_wanted(listener))
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
