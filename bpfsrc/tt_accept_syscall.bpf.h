/* SPDX-License-Identifier: Apache-2.0 */
/*
 * accept(2) and accept4(2) seen from the syscall tracepoints, for both
 * backends: sys_exit gives the new descriptor, in the context of the process
 * that called accept(), and the listening one comes from the registers the
 * call saved (TT_SYSCALL_REGS) or from sys_enter (TT_ACCEPT_ENTER; which,
 * common/features/accept_syscalls.h); both are looked up in its descriptor
 * table. Nothing here depends on when the call began or on how many callers
 * wait at once: an accept() that was already blocked when tracing started,
 * or each of a pool of workers sleeping on one listener, is reported when it
 * returns. (sock:inet_sock_set_state would be
 * wrong here: it fires in softirq context, with whatever task the CPU was
 * running, iovisor/bcc#2304.)
 */
#ifndef TT_ACCEPT_SYSCALL_BPF_H
#define TT_ACCEPT_SYSCALL_BPF_H

#include "tt_accept.bpf.h"
#include "tt_fd.bpf.h"

#ifdef TT_SYSCALL_REGS
/*
 * The call's first argument at its exit, from the registers the task saved
 * on entering it: x86-64 leaves rdi as it was; arm64 overwrites x0 with the
 * result and keeps the argument in orig_x0 (user space sets TT_SYSCALL_REGS
 * on these two only).
 */
#if defined(bpf_target_x86)
#define TT_SYSCALL_FIRST_ARG(regs) ((regs)->di)
#elif defined(bpf_target_arm64)
#define TT_SYSCALL_FIRST_ARG(regs) ((regs)->orig_x0)
#else
#error "TT_SYSCALL_REGS: which register holds the first argument at exit on this architecture?"
#endif
#endif

#define LISTENER_UNKNOWN (-1) /* it entered before tracing began: reported all the same */

#ifdef TT_ACCEPT_ENTER
/*
 * The listening descriptor each thread is accepting on, for the exit. Mostly
 * in a table indexed by thread id, which costs no helper call; a thread
 * whose entry another live thread holds uses the hash instead.
 */
#define LISTENER_REJECTED (-2) /* -P: the listener's port is not wanted */
#define ACCEPT_SLOTS      16384
struct accept_slot {
	u64 pid_tgid;
	s64 listen_fd;
};
BPF_ARRAY(accept_slots, struct accept_slot, ACCEPT_SLOTS);
BPF_HASH(accept_overflow, u64, s64, 16384);

static __always_inline void accept_entered(int fd)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid))
		return;
	s64 listen_fd = fd;
#ifdef TT_PORT_FILTER
	/* Only with -P: looking at the listener costs a descriptor walk. */
	if (!tt_listener_wanted(tt_sock_of_fd(fd)))
		listen_fd = LISTENER_REJECTED;
#endif
	u32 index = (u32)pid_tgid % ACCEPT_SLOTS;
	struct accept_slot *slot = accept_slots.lookup(&index);
	if (slot && (slot->pid_tgid == 0 || slot->pid_tgid == pid_tgid)) {
		slot->pid_tgid = pid_tgid;
		slot->listen_fd = listen_fd;
	} else {
		accept_overflow.update(&pid_tgid, &listen_fd);
	}
}

/* The listener the thread entered accept() with, forgotten; LISTENER_UNKNOWN if none. */
static __always_inline s64 accept_listener(u64 pid_tgid)
{
	u32 index = (u32)pid_tgid % ACCEPT_SLOTS;
	struct accept_slot *slot = accept_slots.lookup(&index);
	if (slot && slot->pid_tgid == pid_tgid) {
		slot->pid_tgid = 0;
		return slot->listen_fd;
	}
	s64 *listen_fd = accept_overflow.lookup(&pid_tgid);
	if (!listen_fd)
		return LISTENER_UNKNOWN;
	s64 fd = *listen_fd;
	accept_overflow.delete(&pid_tgid);
	return fd;
}

/*
 * Whether the thread is inside an accept syscall that the tracepoints saw
 * begin: what they report, other probes leave alone.
 */
static __always_inline bool tt_accept_syscall_active(u64 pid_tgid)
{
	u32 index = (u32)pid_tgid % ACCEPT_SLOTS;
	struct accept_slot *slot = accept_slots.lookup(&index);
	if (slot && slot->pid_tgid == pid_tgid)
		return true;
	return accept_overflow.lookup(&pid_tgid) != NULL;
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
#endif

/*
 * The current task's descriptor table, and the listening descriptor. With
 * the registers, through BTF: plain loads the verifier checks, where each
 * read of the walk would otherwise be a helper call.
 */
static __always_inline bool accept_exit_table(struct fdtable *table, s64 *listen_fd)
{
#ifdef TT_SYSCALL_REGS
	struct task_struct *task = bpf_get_current_task_btf();
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
	if (*listen_fd == LISTENER_UNKNOWN)
		*listen_fd = (int)TT_SYSCALL_FIRST_ARG(regs);
	struct fdtable *fdt = task->files->fdt;
	table->max_fds = fdt->max_fds;
	table->fd = fdt->fd;
	return table->fd != NULL;
#else
	return tt_current_fdtable(table);
#endif
}

static __always_inline void accept_returned(void *ctx, long ret)
{
	u64 pid_tgid = bpf_get_current_pid_tgid();
	if (!tt_task_wanted(pid_tgid))
		return;
	s64 listen_fd = LISTENER_UNKNOWN;
#ifdef TT_ACCEPT_ENTER
	listen_fd = accept_listener(pid_tgid);
	if (listen_fd == LISTENER_REJECTED)
		return;
#endif
	struct fdtable table = {};
	if (ret < 0 || !accept_exit_table(&table, &listen_fd))
		return;
#ifdef TT_METRICS_ONLY
	/* Counted by the accepted socket alone: the listener's queue would go nowhere. */
	tt_emit_accept(ctx, tt_sock_in_fdtable(&table, (int)ret), NULL);
#else
	tt_emit_accept(ctx, tt_sock_in_fdtable(&table, (int)ret),
	               tt_sock_in_fdtable(&table, (int)listen_fd));
#endif
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

#endif
