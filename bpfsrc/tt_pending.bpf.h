/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Attempts waiting for their completion, by socket address: a table of
 * TT_PENDING_EVENT (defined by the includer) claimed with compare-and-swap,
 * then a map. An array slot costs no helper call, where the map's update,
 * lookup and delete were a third of the tracing cost under a connection
 * storm; a slot is claimed and released with compare-and-swap, so no two
 * sockets ever share one, and an attempt whose slot is taken goes to the map.
 *
 * Without -o an attempt waits a second at most (it is emitted at its first
 * retransmission), and the map is an LRU. With -o (TT_OUTCOME) it waits for
 * its outcome, a minute or more for a timeout, so the map is a plain hash
 * that refuses what does not fit, and what it refuses is counted in
 * tt_pending_overflow for user space to report (common/features/outcome.c).
 * User space also reads both at the end, for the attempts still pending.
 */
#ifndef TT_PENDING_BPF_H
#define TT_PENDING_BPF_H

#include "tt_helpers.bpf.h"
#include "tt_pending.h"

#ifdef TT_OUTCOME
BPF_HASH(attempts, u64, TT_PENDING_EVENT, 16384);
BPF_PERCPU_ARRAY(tt_pending_overflow, u64, 1);
#else
BPF_TABLE("lru_hash", u64, TT_PENDING_EVENT, attempts, 16384);
#endif

#ifdef TT_BPF_ATOMICS
struct tt_pending_slot {
	TT_PENDING_SLOT_MEMBERS(TT_PENDING_EVENT);
};
BPF_ARRAY(pending, struct tt_pending_slot, TT_PENDING_SLOTS);

static __always_inline struct tt_pending_slot *tt_pending_slot_of(u64 sk)
{
	/* Fibonacci hashing: the top bits of the product mix all of the address. */
	u32 index = (u32)((sk * 0x9E3779B97F4A7C15ULL) >> (64 - TT_PENDING_SLOTS_LOG2));
	return pending.lookup(&index);
}
#else
struct tt_pending_slot; /* none without atomics: every attempt waits in the map */
#endif

static __always_inline void tt_pending_add(u64 sk, TT_PENDING_EVENT *event)
{
#ifdef TT_BPF_ATOMICS
	struct tt_pending_slot *slot = tt_pending_slot_of(sk);
	if (slot && __sync_val_compare_and_swap(&slot->sk, 0, sk) == 0) {
		/* Claimed: its completion comes after this program has returned. */
		__builtin_memcpy(&slot->event, event, sizeof(*event));
		return;
	}
#endif
#ifdef TT_OUTCOME
	if (attempts.update(&sk, event) != 0) {
		int zero = 0;
		u64 *overflow = tt_pending_overflow.lookup(&zero);
		if (overflow)
			(*overflow)++;
	}
#else
	attempts.update(&sk, event);
#endif
}

/* The attempt waiting on sk, or NULL; *slot tells tt_pending_forget where it was. */
static __always_inline TT_PENDING_EVENT *tt_pending_find(u64 sk, struct tt_pending_slot **slot)
{
	*slot = NULL;
#ifdef TT_BPF_ATOMICS
	struct tt_pending_slot *claimed = tt_pending_slot_of(sk);
	if (claimed && claimed->sk == sk) {
		*slot = claimed;
		return &claimed->event;
	}
#endif
	return attempts.lookup(&sk);
}

static __always_inline void tt_pending_forget(u64 sk, struct tt_pending_slot *slot)
{
#ifdef TT_BPF_ATOMICS
	if (slot) {
		/* Freed with a full barrier: the event is read before another claims it. */
		__sync_val_compare_and_swap(&slot->sk, sk, 0);
		return;
	}
#endif
	attempts.delete(&sk);
}

#endif
