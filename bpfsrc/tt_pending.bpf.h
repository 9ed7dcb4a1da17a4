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
/*
 * Entries put in the map (never fewer than it holds: an LRU's evictions and
 * an update that replaces are not taken off). Mostly 0, while the slots have
 * room: then a socket with no slot is known to have no attempt without a
 * lookup, which every end of a socket not followed (a client's, an accepted
 * one's) would otherwise pay.
 */
BPF_ARRAY(tt_pending_in_map, u64, 1);

static __always_inline u64 *tt_pending_map_count(void)
{
	int zero = 0;
	return tt_pending_in_map.lookup(&zero);
}

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
#ifdef TT_BPF_ATOMICS
	/* Counted before it is there, so that no lookup that should find it skips it. */
	u64 *in_map = tt_pending_map_count();
	if (!in_map)
		return;
	__sync_fetch_and_add(in_map, 1);
#endif
	int error = attempts.update(&sk, event);
#ifdef TT_BPF_ATOMICS
	if (error)
		__sync_fetch_and_add(in_map, -1);
#endif
#ifdef TT_OUTCOME
	if (error) {
		int zero = 0;
		u64 *overflow = tt_pending_overflow.lookup(&zero);
		if (overflow)
			(*overflow)++;
	}
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
	u64 *in_map = tt_pending_map_count();
	if (!in_map || *in_map == 0)
		return NULL;
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
	u64 *in_map = tt_pending_map_count();
	if (in_map && attempts.delete(&sk) == 0)
		__sync_fetch_and_add(in_map, -1);
#else
	attempts.delete(&sk);
#endif
}

#endif
