/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a connection attempt ended (-o), shared by the BPF text
 * (bpfsrc/tt_outcome.bpf.h; tcpaccept's in bpfsrc/tt_accept_outcome.bpf.h)
 * and user space (common/features/outcome.c).
 */
#ifndef TT_OUTCOME_H
#define TT_OUTCOME_H

/* Results; an error with no word of its own is TT_RESULT_ERRNO + its errno. */
#define TT_RESULT_NONE        0 /* no -o */
#define TT_RESULT_CONNECTED   1 /* SYN_SENT -> ESTABLISHED */
#define TT_RESULT_REFUSED     2 /* a RST: ECONNREFUSED */
#define TT_RESULT_TIMEOUT     3 /* the kernel gave up: ETIMEDOUT */
#define TT_RESULT_UNREACHABLE 4 /* an ICMP error: EHOSTUNREACH or ENETUNREACH */
#define TT_RESULT_ABORTED     5 /* closed or shut down by its caller before any answer */
#define TT_RESULT_PENDING     6 /* still waiting when tracing stopped */
/* tcpaccept's: a connection the handshake completed on a listener of this host */
#define TT_RESULT_ACCEPTED 7  /* accept() returned it, open */
#define TT_RESULT_RESET    8  /* the client reset or closed it before accept() returned it */
#define TT_RESULT_ORPHANED 9  /* still queued when its listener was closed */
#define TT_RESULT_DROPPED  10 /* its SYN dropped: the listener's accept queue was full */
#define TT_RESULT_COOKIE   11 /* its SYN answered with a SYN cookie */
#define TT_RESULT_ERRNO    256

/* What --failed leaves out: the attempts that got in. */
#define TT_RESULT_SUCCEEDED(result)                                                                \
	((result) == TT_RESULT_CONNECTED || (result) == TT_RESULT_ACCEPTED)

/* latency_ns when it is not known (tcpaccept: queued before tracing began) */
#define TT_OUTCOME_LATENCY_UNKNOWN (~(__u64)0)

struct tt_outcome {
	/*
	 * From the SYN to the outcome (to the stop, when pending); tcpaccept's:
	 * from the handshake's end to accept()'s return, its time in the queue
	 */
	__u64 latency_ns;
	__s32 error;  /* the socket's sk_err when it left SYN_SENT */
	__u32 result; /* TT_RESULT_* */
	/*
	 * tcpconnect's attempt's socket inode, from the connecting task: for an
	 * attempt still pending at the end whose source port no event brought
	 * (common/features/outcome.c reads it from /proc/PID/net/tcp then).
	 * tcpaccept's: on a line lost at a listener's door (dropped, cookie)
	 * whose listener has no owner in tt_listener_owners, the listener's
	 * socket inode, which user space resolves through /proc (as ss -p);
	 * else 0.
	 */
	__u64 sock_inode;
};

/*
 * tcpaccept -o: the process holding a listener, by the listener's socket
 * inode (the tt_listener_owners table): set by the BPF text when a task
 * calls listen() and each time another process accepts on it (the last
 * acceptor owns it), and by user space, from /proc, for the listeners opened
 * before tracing. It names the server on the lines of connections lost at
 * its door (dropped, cookie) and in the listeners' drop summaries.
 */
struct tt_listener_owner {
	__u32 pid;
	__u32 uid;
	char comm[16]; /* TT_COMM_LEN */
};

#endif
