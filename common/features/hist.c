// SPDX-License-Identifier: Apache-2.0
#include "hist.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "counter_tables.h"
#include "json.h"
#include "log.h"
#include "outcome.h"
#include "output.h"
#include "tracer.h"
#include "tt_contract.h"
#include "tt_hist.h"
#include "tt_outcome.h"

struct hist {
	bool wanted;        /* --hist */
	size_t part_offset; /* of the struct tt_outcome in the tool's events */
	struct tt_counter_tables tables;
};

struct slot_count {
	struct tt_hist_key key;
	uint64_t count;
};

_Static_assert(sizeof(struct slot_count) == sizeof(struct tt_hist_key) + sizeof(uint64_t),
               "a slot's count is a counter table's entry");

#define STARS 40 /* BCC's width of the distribution */

static int hist_option(void *state, int key, const char *arg)
{
	(void)arg;
	if (key != TT_OPT_HIST)
		return 1;
	((struct hist *)state)->wanted = true;
	return 0;
}

/* Each attempt's outcome and latency from the kernel, the pending ones at the end too. */
static void hist_needs(void *state, struct tt_module_needs *needs)
{
	if (!((struct hist *)state)->wanted)
		return;
	needs->outcomes = true;
	needs->pending = true;
}

static int hist_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                     struct tt_module_offer *offer)
{
	struct hist *h = state;
	if (!h->wanted)
		return 0;
	if (input->part_offset == 0) {
		tt_error("--hist: this tool's events have no latency");
		return TT_PLAN_USAGE;
	}
	h->part_offset = input->part_offset;
	tt_counter_tables_init(&h->tables, TT_TABLE(tt_hist), TT_TABLE(tt_hist_other),
	                       TT_TABLE(count_epoch), sizeof(struct tt_hist_key), input->intervals);
	tt_plan_define(plan, TT_DEFINE(TT_HIST), "1");
	if (input->intervals)
		tt_plan_define(plan, TT_DEFINE(TT_HIST_INTERVAL), "1");
	offer->counts = true;
	offer->intervals = input->intervals;
	offer->live_note = "counting latencies in the kernel until Ctrl-C";
	return 0;
}

/* An attempt still pending at the end, counted as the kernel counts the others. */
static int hist_count_event(void *state, struct tt_tracer *tracer, const struct tt_event *event,
                            __u32 result)
{
	const struct hist *h = state;
	struct tt_outcome outcome;
	memcpy(&outcome, (const char *)event + h->part_offset, sizeof(outcome));
	struct tt_hist_key key = {result, tt_hist_slot(outcome.latency_ns)};
	tt_counter_tables_add(&h->tables, tracer, &key);
	return 0;
}

static int by_result_and_slot(const void *a, const void *b)
{
	const struct tt_hist_key *x = a, *y = b;
	if (x->result != y->result)
		return x->result < y->result ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/* A slot's range of microseconds, as BCC prints it: slot 1 is "0 -> 1". */
static void slot_range(uint32_t slot, uint64_t *low, uint64_t *high)
{
	*high = slot >= 64 ? UINT64_MAX : (1ULL << slot) - 1;
	*low = slot == 0 ? 0 : 1ULL << (slot - 1);
	if (*low == *high)
		(*low)--;
}

/* One result's histogram, BCC's print_log2_hist: slots 1 to the last with a count. */
static void print_text(FILE *out, const char *result, const struct slot_count *slots, size_t n)
{
	uint64_t counts[TT_HIST_SLOTS] = {0}, most = 0;
	uint32_t last = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t slot = slots[i].key.slot < TT_HIST_SLOTS ? slots[i].key.slot : 0;
		counts[slot] += slots[i].count;
		most = counts[slot] > most ? counts[slot] : most;
		last = slot > last ? slot : last;
	}
	bool wide = last > 32; /* BCC's wider columns past 2^32 */
	fprintf(out, "result = %s\n", result);
	fprintf(out,
	        wide ? "               %-29s : count     distribution\n"
	             : "     %-19s : count     distribution\n",
	        "usecs");
	for (uint32_t slot = 1; slot <= last; slot++) {
		uint64_t low, high;
		slot_range(slot, &low, &high);
		int stars = most ? (int)(counts[slot] * STARS / most) : 0;
		fprintf(out, wide ? "%20llu -> %-20llu : %-8llu |" : "%10llu -> %-10llu : %-8llu |",
		        (unsigned long long)low, (unsigned long long)high,
		        (unsigned long long)counts[slot]);
		for (int i = 0; i < STARS; i++)
			fputc(i < stars ? '*' : ' ', out);
		fputs("|\n", out);
	}
}

/* One result's slots with a count, an object each. */
static void print_json(struct tt_output *o, const char *result, const struct slot_count *slots,
                       size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t low, high;
		slot_range(slots[i].key.slot, &low, &high);
		tt_output_json_row_open(o, "result", result);
		tt_json_uint(o->out, "min_us", low);
		tt_json_uint(o->out, "max_us", high);
		tt_json_uint(o->out, "count", slots[i].count);
		tt_json_close(o->out);
	}
}

/* What was counted: at the end, or with -i in the interval that ends; a histogram per result. */
static int print_hists(void *state, struct tt_tracer *tracer, struct tt_output *o,
                       const struct tt_columns *columns)
{
	(void)columns;
	struct hist *h = state;
	size_t count;
	struct slot_count *slots = tt_counter_tables_take(&h->tables, tracer, &count);
	if (!slots)
		return -1;
	qsort(slots, count, sizeof(*slots), by_result_and_slot);
	for (size_t first = 0, next; first < count; first = next) {
		for (next = first;
		     next < count && slots[next].key.result == slots[first].key.result;)
			next++;
		char buf[TT_RESULT_NAME_LEN];
		const char *result = tt_outcome_result_name(slots[first].key.result, buf);
		if (o->json) {
			print_json(o, result, slots + first, next - first);
		} else {
			if (first > 0)
				fputc('\n', o->out);
			print_text(o->out, result, slots + first, next - first);
		}
	}
	free(slots);
	return 0;
}

static int hist_after_run(void *state, struct tt_tracer *tracer, struct tt_output *o,
                          const struct tt_columns *columns)
{
	return ((struct hist *)state)->wanted ? print_hists(state, tracer, o, columns) : 0;
}

static void hist_close(void *state)
{
	tt_counter_tables_free(&((struct hist *)state)->tables);
}

static const struct tt_option hist_options[] = {
    {TT_OPT_HIST, "hist", NULL,
     "per result, a log2 histogram of -o's latency (SYN to outcome, in us), counted in the "
     "kernel; printed at the end, or every -i SECONDS",
     TT_HELP_MODES},
};

const struct tt_module tt_hist_module = {
    .options = hist_options,
    .option_count = TT_ARRAY_SIZE(hist_options),
    .mode_option = "--hist",
    .state_size = sizeof(struct hist),
    .option = hist_option,
    .needs = hist_needs,
    .plan = hist_plan,
    .count_event = hist_count_event,
    .interval = print_hists,
    .after_run = hist_after_run,
    .close = hist_close,
};
