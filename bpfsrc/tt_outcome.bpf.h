/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -o (TT_OUTCOME): what became of an attempt, from the kernel's own state
 * change out of SYN_SENT (sock:inet_sock_set_state) and the socket's error
 * at that moment. The kernel sets sk_err before it closes a socket that was
 * refused (tcp_reset), timed out (tcp_write_err) or hit by an ICMP error
 * (tcp_v4_err, tcp_v6_err); a close or shutdown by the caller leaves it 0.
 */
#ifndef TT_OUTCOME_BPF_H
#define TT_OUTCOME_BPF_H

#include "tt_helpers.bpf.h"
#include "tt_outcome.h"

/* Stable errno values of the kernel ABI (asm-generic/errno.h). */
#define TT_ENETUNREACH  101
#define TT_ETIMEDOUT    110
#define TT_ECONNREFUSED 111
#define TT_EHOSTUNREACH 113

/*
 * Fills *outcome for a socket leaving SYN_SENT for newstate, for an attempt
 * made at since_ns. Any state but CLOSE means an answer came (ESTABLISHED,
 * or SYN_RECV in a simultaneous open).
 */
static __always_inline void tt_outcome_fill(struct sock *sk, int newstate, u64 since_ns,
                                            struct tt_outcome *outcome)
{
	outcome->latency_ns = bpf_ktime_get_ns() - since_ns;
	outcome->error = 0;
	outcome->result = TT_RESULT_CONNECTED;
	if (newstate != TT_TCP_CLOSE)
		return;
	int error = 0;
	TT_READ(error, sk->sk_err);
	outcome->error = error;
	if (error == 0)
		outcome->result = TT_RESULT_ABORTED;
	else if (error == TT_ECONNREFUSED)
		outcome->result = TT_RESULT_REFUSED;
	else if (error == TT_ETIMEDOUT)
		outcome->result = TT_RESULT_TIMEOUT;
	else if (error == TT_EHOSTUNREACH || error == TT_ENETUNREACH)
		outcome->result = TT_RESULT_UNREACHABLE;
	else
		outcome->result = TT_RESULT_ERRNO + (u32)error;
}

/* --failed (TT_OUTCOME_FAILED): only attempts that did not connect are shown. */
static __always_inline bool tt_outcome_wanted(const struct tt_outcome *outcome)
{
#if defined(TT_OUTCOME_FAILED) && !defined(TT_METRICS) /* metrics count all (tt_submit.bpf.h) */
	return !TT_RESULT_SUCCEEDED(outcome->result);
#else
	return true;
#endif
}

#ifdef TT_OUTCOME_PROBE
/*
 * For a backend whose own probes record attempts elsewhere (kprobes): the
 * state change that completes them, attempts held in tt_pending.bpf.h (an
 * event with a struct tt_event base and a struct tt_outcome outcome).
 * Arguments: (struct sock *sk, int oldstate, int newstate).
 */
int tt_outcome_state_change(struct bpf_raw_tracepoint_args *ctx)
{
	if ((int)ctx->args[1] != TT_TCP_SYN_SENT)
		return 0; /* most transitions of a busy machine */
	struct sock *sk = (struct sock *)ctx->args[0];
	u64 key = (u64)sk;
	struct tt_pending_slot *slot;
	TT_PENDING_EVENT *event = tt_pending_find(key, &slot);
	if (!event)
		return 0;
	tt_outcome_fill(sk, (int)ctx->args[2], event->base.head.ts_ns, &event->outcome);
	if (tt_outcome_wanted(&event->outcome))
		tt_submit_event(ctx, event);
	tt_pending_forget(key, slot);
	return 0;
}
#endif

#endif
