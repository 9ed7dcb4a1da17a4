// SPDX-License-Identifier: Apache-2.0
#include "counter_tables.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/types.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "tracer.h"

/* The largest key a module counts by (struct tt_count_key). */
#define MAX_KEY_SIZE 128

static uint64_t *count_of(const struct tt_counter_tables *t, unsigned char *entry)
{
	return (uint64_t *)(void *)(entry + t->key_size);
}

void tt_counter_tables_init(struct tt_counter_tables *t, const char *table, const char *other,
                            const char *epoch, size_t key_size, bool turns)
{
	t->tables[0] = table;
	t->tables[1] = other;
	t->epoch = epoch;
	t->key_size = key_size;
	t->turns = turns;
}

int tt_counter_tables_fd(const struct tt_counter_tables *t, struct tt_tracer *tracer)
{
	return tt_tracer_table_fd(tracer, t->tables[t->turns && t->epoch_value]);
}

void tt_counter_tables_add(const struct tt_counter_tables *t, struct tt_tracer *tracer, void *key)
{
	int fd = tt_counter_tables_fd(t, tracer);
	uint64_t count = 0;
	if (fd < 0)
		return;
	bpf_lookup_elem(fd, key, &count); /* a new key: 0 */
	count++;
	if (bpf_update_elem(fd, key, &count, 0) != 0)
		tt_warn("an attempt still pending was not counted: %s", strerror(errno));
}

/* Every key of table fd with its count; *count set. NULL when out of memory. */
static unsigned char *read_all(const struct tt_counter_tables *t, int fd, size_t *count)
{
	size_t size = TT_COUNTER_ENTRY_SIZE(t), cap = 256;
	unsigned char *entries = malloc(cap * size);
	unsigned char key[MAX_KEY_SIZE], next[MAX_KEY_SIZE];
	void *prev = NULL;
	*count = 0;
	if (!entries)
		return NULL;
	while (bpf_get_next_key(fd, prev, next) == 0) {
		if (*count == cap) {
			unsigned char *more = realloc(entries, 2 * cap * size);
			if (!more) {
				free(entries);
				return NULL;
			}
			entries = more;
			cap *= 2;
		}
		unsigned char *entry = entries + *count * size;
		if (bpf_lookup_elem(fd, next, count_of(t, entry)) == 0) {
			memcpy(entry, next, t->key_size);
			(*count)++;
		}
		memcpy(key, next, t->key_size);
		prev = key;
	}
	return entries;
}

static size_t sorted_key_size; /* qsort has no context argument */

static int by_key(const void *a, const void *b)
{
	return memcmp(a, b, sorted_key_size);
}

static void sort_by_key(const struct tt_counter_tables *t, unsigned char *entries, size_t count)
{
	sorted_key_size = t->key_size;
	qsort(entries, count, TT_COUNTER_ENTRY_SIZE(t), by_key);
}

/* Empties a table no program counts in. */
static void empty_table(int fd)
{
	unsigned char key[MAX_KEY_SIZE];
	while (bpf_get_next_key(fd, NULL, key) == 0)
		if (bpf_delete_elem(fd, key) != 0)
			break;
}

/* What the left table gained since it was read at the turn: appended to block. */
static size_t add_gains(struct tt_counter_tables *t, unsigned char *late, size_t late_count,
                        unsigned char *block)
{
	size_t size = TT_COUNTER_ENTRY_SIZE(t), count = 0;
	sorted_key_size = t->key_size;
	for (size_t i = 0; i < late_count; i++) {
		unsigned char *now = late + i * size;
		unsigned char *then =
		    t->left_count ? bsearch(now, t->left, t->left_count, size, by_key) : NULL;
		uint64_t was = then ? *count_of(t, then) : 0;
		uint64_t gained = *count_of(t, now) > was ? *count_of(t, now) - was : 0;
		if (gained == 0)
			continue;
		memcpy(block + count * size, now, t->key_size);
		*count_of(t, block + count * size) = gained;
		count++;
	}
	return count;
}

/* Entries of one key in a row: one entry, their counts summed. */
static size_t merge_keys(const struct tt_counter_tables *t, unsigned char *block, size_t count)
{
	size_t size = TT_COUNTER_ENTRY_SIZE(t), rows = 0;
	sort_by_key(t, block, count);
	for (size_t i = 0; i < count; i++) {
		unsigned char *entry = block + i * size;
		unsigned char *last = rows ? block + (rows - 1) * size : NULL;
		if (last && memcmp(last, entry, t->key_size) == 0)
			*count_of(t, last) += *count_of(t, entry);
		else
			memmove(block + rows++ * size, entry, size);
	}
	return rows;
}

static void *take_turn(struct tt_counter_tables *t, struct tt_tracer *tracer, size_t *count)
{
	int left_fd = tt_tracer_table_fd(tracer, t->tables[!t->epoch_value]);
	int counted_fd = tt_tracer_table_fd(tracer, t->tables[t->epoch_value]);
	size_t size = TT_COUNTER_ENTRY_SIZE(t), late_count, now_count;
	unsigned char *late = read_all(t, left_fd, &late_count);
	if (!late) {
		tt_error("out of memory");
		return NULL;
	}
	empty_table(left_fd);
	int zero = 0;
	__u32 next = !t->epoch_value;
	if (bpf_update_elem(tt_tracer_table_fd(tracer, t->epoch), &zero, &next, 0) != 0) {
		tt_error("cannot turn the counting to the other table: %s", strerror(errno));
		free(late);
		return NULL;
	}
	t->epoch_value = next;
	unsigned char *now = read_all(t, counted_fd, &now_count);
	unsigned char *block = now ? malloc((now_count + late_count + 1) * size) : NULL;
	if (!block) {
		tt_error("out of memory");
		free(late);
		free(now);
		return NULL;
	}
	size_t gains = add_gains(t, late, late_count, block);
	free(late);
	memcpy(block + gains * size, now, now_count * size);
	*count = merge_keys(t, block, gains + now_count);
	sort_by_key(t, now, now_count);
	free(t->left);
	t->left = now;
	t->left_count = now_count;
	return block;
}

void *tt_counter_tables_take(struct tt_counter_tables *t, struct tt_tracer *tracer, size_t *count)
{
	if (t->key_size > MAX_KEY_SIZE || t->key_size % sizeof(uint64_t)) {
		tt_error("a counter key of %zu bytes", t->key_size);
		return NULL;
	}
	if (t->turns)
		return take_turn(t, tracer, count);
	void *entries = read_all(t, tt_tracer_table_fd(tracer, t->tables[0]), count);
	if (!entries)
		tt_error("out of memory");
	return entries;
}

void tt_counter_tables_free(struct tt_counter_tables *t)
{
	free(t->left);
	t->left = NULL;
	t->left_count = 0;
}
