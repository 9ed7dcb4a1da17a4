/* SPDX-License-Identifier: Apache-2.0 */
/*
 * From a file descriptor of the current task to its struct sock: task ->
 * files -> fdtable -> file -> socket -> sock. For syscall tracepoints, which
 * see descriptors where kprobes would see sockets.
 */
#ifndef TT_FD_BPF_H
#define TT_FD_BPF_H

#include "tt_helpers.bpf.h"

static __always_inline struct sock *tt_sock_of_fd(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct files_struct *files = NULL;
	struct fdtable *fdt = NULL;
	struct file **fds = NULL;
	struct file *file = NULL;
	struct socket *socket = NULL;
	struct sock *sk = NULL;
	unsigned int max_fds = 0;

	if (fd < 0)
		return NULL;
	TT_READ(files, task->files);
	if (!files)
		return NULL;
	TT_READ(fdt, files->fdt);
	if (!fdt)
		return NULL;
	TT_READ(max_fds, fdt->max_fds);
	if ((unsigned int)fd >= max_fds)
		return NULL;
	TT_READ(fds, fdt->fd);
	if (!fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file)
		return NULL;
	/* A socket's file keeps its struct socket in private_data. */
	TT_READ(socket, file->private_data);
	if (!socket)
		return NULL;
	TT_READ(sk, socket->sk);
	return sk;
}

#endif
