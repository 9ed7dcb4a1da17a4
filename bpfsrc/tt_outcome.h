/* SPDX-License-Identifier: Apache-2.0 */
/*
 * How a connection attempt ended (-o), shared by the BPF text
 * (bpfsrc/tt_outcome.bpf.h) and user space (common/features/outcome.c).
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
#define TT_RESULT_ERRNO       256

struct tt_outcome {
	__u64 latency_ns; /* from the SYN to the outcome (to the stop, when pending) */
	__s32 error;      /* the socket's sk_err when it left SYN_SENT */
	__u32 result;     /* TT_RESULT_* */
};

#endif
