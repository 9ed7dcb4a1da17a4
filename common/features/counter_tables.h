/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Counters a module keeps in the kernel by key (a hash table of u64, counted
 * by the BPF text's .increment()), read by user space: at the end, or, with
 * -i, at each interval from two tables the text counts in by turns (an array
 * of one u32 says which: 0 the first). At each interval the counting turns
 * to the other table, emptied, and the one it leaves is read; what an
 * increment begun before the turn still adds to that one is read at the
 * next interval, before it is emptied. So every increment is read once,
 * and the intervals add up to the whole run. -c (count.c) and --hist
 * (hist.c) each have their own tables.
 */
#ifndef TT_COUNTER_TABLES_H
#define TT_COUNTER_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tt_tracer;

/*
 * What the tables hold: entries of key_size bytes (a multiple of 8) and the
 * u64 count right after, as a struct { key; uint64_t count; } lays them out.
 */
struct tt_counter_tables {
	const char *tables[2]; /* TT_TABLE()s; the second and epoch only with -i */
	const char *epoch;
	size_t key_size;
	bool turns;           /* -i: two tables by turns */
	unsigned epoch_value; /* the table counted in now */
	/* -i: the table left at the last interval, as read then, sorted by key. */
	unsigned char *left;
	size_t left_count;
};

#define TT_COUNTER_ENTRY_SIZE(t) ((t)->key_size + sizeof(uint64_t))

/*
 * The tables of a module's plan hook: counted in table, with -i (turns) in
 * table and other by turns as epoch says (TT_TABLE()s), keyed by key_size.
 */
void tt_counter_tables_init(struct tt_counter_tables *t, const char *table, const char *other,
                            const char *epoch, size_t key_size, bool turns);

/* The table counted in now: where user space adds what it counts itself. */
int tt_counter_tables_fd(const struct tt_counter_tables *t, struct tt_tracer *tracer);

/*
 * One more under key, in the table counted in now, as the BPF text's
 * .increment() counts: what user space counts itself (an attempt still
 * pending at the end). A warning when it cannot.
 */
void tt_counter_tables_add(const struct tt_counter_tables *t, struct tt_tracer *tracer, void *key);

/*
 * What was counted since the last call (with -i), or in the whole run
 * (without): entries of TT_COUNTER_ENTRY_SIZE, one per key, *count of them.
 * malloc'd; NULL after a one-line error.
 */
void *tt_counter_tables_take(struct tt_counter_tables *t, struct tt_tracer *tracer, size_t *count);

void tt_counter_tables_free(struct tt_counter_tables *t);

#endif
