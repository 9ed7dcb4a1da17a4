/* SPDX-License-Identifier: Apache-2.0 */
/*
 * io_uring accepts (IORING_OP_ACCEPT) on the tracepoint backend: they make no
 * accept syscall (common/features/uring_accept.c adds this with
 * TT_URING_ACCEPT). At submission the request is prepared: its listening
 * descriptor and direct-descriptor slot are known. Its completions carry the new
 * descriptor, looked up in the table of the task posting them (the ring's
 * owner, or one of its io_uring threads, which share that table).
 *
 * A single-shot accept completes once, naming its request; a multishot one
 * posts one completion per connection, without naming it (req is NULL), and
 * keeps IORING_CQE_F_MORE while armed: so requests are known by ring and
 * user_data, and an accepted socket must have its listener's port.
 *
 * Not seen: accepts into direct descriptors (a fixed-file slot, not a
 * descriptor of the process) or on a registered (fixed) listener, and any
 * before Linux 6.0, whose completions do not name their request.
 */
#ifndef TT_URING_ACCEPT_BPF_H
#define TT_URING_ACCEPT_BPF_H

#include "tt_accept.bpf.h"
#include "tt_fd.bpf.h"

#define TT_IORING_OP_ACCEPT  13
#define TT_IORING_CQE_F_MORE (1U << 1)
#define TT_REQ_F_FIXED_FILE  1U /* IOSQE_FIXED_FILE, mirrored in the request's flags */

struct uring_request_key {
	u64 ring;
	u64 user_data;
};

struct uring_accept {
	u64 request;           /* struct io_kiocb *, as the completion names it */
	struct sock *listener; /* for the backlog and the port check */
};

BPF_HASH(uring_accepts, struct uring_request_key, struct uring_accept, 16384);

static __always_inline void uring_accept_submitted(u64 ring, u64 request, u64 user_data, u8 opcode)
{
	if (opcode != TT_IORING_OP_ACCEPT || !tt_task_wanted(bpf_get_current_pid_tgid()))
		return;
#ifdef TT_KERNEL_TYPES_BTF /* struct io_accept is private to io_uring/net.c: BTF only */
	/* Prepared, not yet issued: the listener is still the descriptor the SQE named. */
	struct io_kiocb *req = (struct io_kiocb *)request;
	__typeof__(req->flags) flags = 0;
	int listen_fd = -1;
	u32 file_slot = 0;
	TT_READ(flags, req->flags);
	TT_READ(listen_fd, req->cqe.fd);
	TT_READ(file_slot, ((struct io_accept *)req)->file_slot);
	/* A direct descriptor is no descriptor of the process: neither a fixed listener. */
	if (file_slot || (flags & TT_REQ_F_FIXED_FILE))
		return;
	struct uring_accept value = {request, tt_sock_of_fd(listen_fd)};
	if (!tt_listener_wanted(value.listener))
		return;
	struct uring_request_key key = {ring, user_data};
	uring_accepts.update(&key, &value);
#endif
}

static __always_inline void uring_completed(void *ctx, u64 ring, u64 request, u64 user_data,
                                            int result, u32 cflags)
{
	struct uring_request_key key = {ring, user_data};
	struct uring_accept *accept = uring_accepts.lookup(&key);
	if (!accept || (request && request != accept->request))
		return; /* not an accept; or another request with the same user_data */
	struct sock *listener = accept->listener;
	if (!(cflags & TT_IORING_CQE_F_MORE))
		uring_accepts.delete(&key);
	struct fdtable table = {};
	if (result < 0 || !tt_task_wanted(bpf_get_current_pid_tgid()) ||
	    !tt_current_fdtable(&table))
		return;
	struct sock *newsk = tt_sock_in_fdtable(&table, result);
	u16 lport = 0, listener_port = 0;
	TT_READ(lport, newsk->__sk_common.skc_num);
	TT_READ(listener_port, listener->__sk_common.skc_num);
	if (newsk && lport == listener_port)
		tt_emit_accept(ctx, newsk, listener);
}

#ifdef TT_URING_SUBMIT_REQ
TRACEPOINT_PROBE(io_uring, io_uring_submit_req)
#else
TRACEPOINT_PROBE(io_uring, io_uring_submit_sqe)
#endif
{
	uring_accept_submitted((u64)args->ctx, (u64)args->req, args->user_data, args->opcode);
	return 0;
}

TRACEPOINT_PROBE(io_uring, io_uring_complete)
{
	uring_completed(args, (u64)args->ctx, (u64)args->req, args->user_data, args->res,
	                args->cflags);
	return 0;
}

#endif
