/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a file descriptor of the current task to its struct sock: task ->
 * files -> fdtable -> file -> socket -> sock. For syscall tracepoints, which
 * see descriptors where kprobes would see sockets. Each read is a helper
 * call, so the table is read once for every descriptor looked up in it.
 */
#ifndef TT_FD_BPF_H
#define TT_FD_BPF_H

#include "tt_helpers.bpf.h"

/* The current task's descriptor table: max_fds and fd, read in one copy. */
static __always_inline bool tt_current_fdtable(struct fdtable *table)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct files_struct *files = NULL;
	struct fdtable *fdt = NULL;

	TT_READ(files, task->files);
	if (!files)
		return false;
	TT_READ(fdt, files->fdt);
	if (!fdt)
		return false;
	TT_READ_SPAN(table, fdt, struct fdtable, max_fds, fd);
	return table->fd != NULL;
}

/* The socket of a socket's file; the caller knows the file is one. */
static __always_inline struct sock *tt_sock_of_file(struct file *file)
{
	struct socket *socket = NULL;
	struct sock *sk = NULL;

	if (!file)
		return NULL;
	/* A socket's file keeps its struct socket in private_data. */
	TT_READ(socket, file->private_data);
	if (!socket)
		return NULL;
	TT_READ(sk, socket->sk);
	return sk;
}

static __always_inline struct sock *tt_sock_in_fdtable(const struct fdtable *table, int fd)
{
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= table->max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &table->fd[fd]);
	return tt_sock_of_file(file);
}

static __always_inline struct sock *tt_sock_of_fd(int fd)
{
	struct fdtable table = {};
	return tt_current_fdtable(&table) ? tt_sock_in_fdtable(&table, fd) : NULL;
}

#endif
