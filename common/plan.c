// SPDX-License-Identifier: Apache-2.0
#include "plan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void tt_plan_init(struct tt_plan *plan)
{
	memset(plan, 0, sizeof(*plan));
	strbuf_init(&plan->defines);
	strbuf_init(&plan->headers);
}

void tt_plan_free(struct tt_plan *plan)
{
	strbuf_free(&plan->defines);
	strbuf_free(&plan->headers);
	free(plan->structs);
	free(plan->probes);
	memset(plan, 0, sizeof(*plan));
}

void tt_plan_define(struct tt_plan *plan, const char *name, const char *value_fmt, ...)
{
	char value[512];
	va_list ap;
	va_start(ap, value_fmt);
	int n = vsnprintf(value, sizeof(value), value_fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(value)) {
		plan->out_of_memory = true; /* no value is that long: a caller's mistake */
		return;
	}
	strbuf_appendf(&plan->defines, "#define %s %s\n", name, value);
}

/* Room for one more of size bytes in *items (count used of *cap). */
static bool grow(void **items, size_t count, size_t *cap, size_t size)
{
	if (count < *cap)
		return true;
	size_t more = *cap ? 2 * *cap : 8;
	void *bigger = realloc(*items, more * size);
	if (!bigger)
		return false;
	*items = bigger;
	*cap = more;
	return true;
}

void tt_plan_add_structs(struct tt_plan *plan, const struct tt_kernel_struct *structs, size_t count,
                         const char *headers)
{
	for (size_t i = 0; i < count; i++) {
		if (!grow((void **)&plan->structs, plan->struct_count, &plan->struct_cap,
		          sizeof(*plan->structs))) {
			plan->out_of_memory = true;
			return;
		}
		plan->structs[plan->struct_count++] = structs[i];
	}
	if (headers)
		strbuf_append(&plan->headers, headers);
}

void tt_plan_add_probe(struct tt_plan *plan, const struct tt_probe *probe)
{
	if (!grow((void **)&plan->probes, plan->probe_count, &plan->probe_cap,
	          sizeof(*plan->probes))) {
		plan->out_of_memory = true;
		return;
	}
	plan->probes[plan->probe_count++] = *probe;
}

void tt_plan_add_loss_counter(struct tt_plan *plan, const char *table)
{
	if (plan->loss_counter_count == TT_MAX_LOSS_COUNTERS) {
		plan->out_of_memory = true;
		return;
	}
	plan->loss_counters[plan->loss_counter_count++] = table;
}

static int insert_output(struct tt_plan *plan, size_t at, const struct tt_plan_output *output)
{
	if (plan->output_count == TT_MAX_OUTPUTS) {
		tt_error("too many event tables (at most %d)", TT_MAX_OUTPUTS);
		return -1;
	}
	memmove(plan->outputs + at + 1, plan->outputs + at,
	        (plan->output_count - at) * sizeof(*plan->outputs));
	plan->outputs[at] = *output;
	plan->output_count++;
	return 0;
}

int tt_plan_add_output(struct tt_plan *plan, const struct tt_plan_output *output)
{
	return insert_output(plan, plan->output_count, output);
}

int tt_plan_add_first_output(struct tt_plan *plan, const struct tt_plan_output *output)
{
	return insert_output(plan, 0, output);
}
