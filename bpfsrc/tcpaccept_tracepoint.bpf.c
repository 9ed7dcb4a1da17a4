// SPDX-License-Identifier: Apache-2.0
/*
 * tcpaccept, tracepoint backend: for kernels without kprobes.
 *
 * sys_enter_accept/accept4 give the listening descriptor and sys_exit the new
 * one, both in the context of the process that called accept(); both are
 * looked up in its descriptor table. (sock:inet_sock_set_state would be wrong here:
 * it fires in softirq context, with whatever task the CPU was running,
 * iovisor/bcc#2304.) Accepts made through io_uring make no syscall and are
 * not seen.
 */
#include "tt_accept.bpf.h"
#include "tt_fd.bpf.h"

/* The listening descriptor each thread is accepting on. */
BPF_HASH(accepting, u64, int, 16384);

static __always_inline void accept_entered(int listen_fd)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid))
		return;
#ifdef TT_PORT_FILTER
	/* Only with -P: looking at the listener costs a descriptor walk. */
	if (!tt_listener_wanted(tt_sock_of_fd(listen_fd)))
		return;
#endif
	accepting.update(&pid_tgid, &listen_fd);
}

static __always_inline void accept_returned(void *ctx, long ret)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	int *listen_fd = accepting.lookup(&pid_tgid);
	if (!listen_fd)
		return;
	int fd = *listen_fd;
	accepting.delete(&pid_tgid);
	struct fdtable table = {};
	if (ret < 0 || !tt_current_fdtable(&table))
		return;
	tt_emit_accept(ctx, tt_sock_in_fdtable(&table, (int)ret), tt_sock_in_fdtable(&table, fd));
}

TRACEPOINT_PROBE(syscalls, sys_enter_accept)
{
	accept_entered((int)args->fd);
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_enter_accept4)
{
	accept_entered((int)args->fd);
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_accept)
{
	accept_returned(args, args->ret);
	return 0;
}

TRACEPOINT_PROBE(syscalls, sys_exit_accept4)
{
	accept_returned(args, args->ret);
	return 0;
}
