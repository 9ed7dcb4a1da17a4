/* SPDX-License-Identifier: Apache-2.0 */
/*
 * -i with the module that counts the tool's events in the kernel (-c in
 * tt_submit.bpf.h, --hist in tt_hist.bpf.h; a run has at most one): it
 * counts in two tables by turns. count_epoch's entry 0, set by user space
 * (common/features/counter_tables.c), names the one counted in now: 0 the
 * first, 1 the other. At each interval user space turns the counting to
 * the other, empty table and reads the one it left; what an increment
 * begun before the turn adds to it is read at the next interval, before
 * it is emptied.
 *
 * Included unconditionally by tt_submit.bpf.h: cmake/bpf_embed.c inlines a
 * header once, where it is first included, #ifdef or not.
 */
#ifndef TT_EPOCH_BPF_H
#define TT_EPOCH_BPF_H

#if defined(TT_COUNT_INTERVAL) || defined(TT_HIST_INTERVAL)

BPF_ARRAY(count_epoch, u32, 1);

/* Whether the counting is turned to the other table now. */
static __always_inline bool tt_count_in_other(void)
{
	int zero = 0;
	u32 *epoch = count_epoch.lookup(&zero);
	return epoch && *epoch;
}
#endif

#endif
