// SPDX-License-Identifier: Apache-2.0
#include "program_text.h"

#include <string.h>

#include "log.h"
#include "system_checks.h"
#include "tt_contract.h"

struct tt_buffer_plan tt_program_buffer_plan(const struct tt_plan *plan, enum tt_buffer_kind kind,
                                             const struct tt_tracer_options *opts, size_t i)
{
	return (struct tt_buffer_plan){kind, opts->buffer_pages, plan->outputs[i].event_size};
}

int tt_program_text_build(struct tt_program_text *pt, const struct tt_tracer_spec *spec,
                          const struct tt_tracer_options *opts, bool make_tree)
{
	const struct tt_plan *plan = spec->plan;
	memset(pt, 0, sizeof(*pt));
	struct strbuf *text = &pt->text;
	strbuf_init(text);
	strbuf_init(&pt->types.preamble);
	pt->buffer_kind = TT_BUFFER_PERF;
	if (plan->output_count && tt_buffer_kind_resolve(opts->buffer_kind, &pt->buffer_kind) != 0)
		return -1;
	const struct tt_kernel_types_spec types_spec = {plan->structs, plan->struct_count,
	                                                strbuf_text(&plan->headers)};
	if (tt_kernel_types_prepare(&pt->types, &types_spec, opts->types, make_tree) != 0)
		return -1;
	strbuf_append(text, strbuf_text(&plan->defines));
	if (plan->output_count) {
		struct tt_buffer_plan first =
		    tt_program_buffer_plan(plan, pt->buffer_kind, opts, 0);
		tt_event_buffers_defines(&first, text);
	}
	if (tt_bpf_atomics_available())
		strbuf_appendf(text, "#define %s 1\n", TT_DEFINE(TT_BPF_ATOMICS));
	strbuf_append(text, strbuf_text(&pt->types.preamble));
	strbuf_append(text, "\n");
	strbuf_append(text, spec->text);
	if (!strbuf_text(text) || plan->out_of_memory) {
		tt_error("out of memory");
		return -1;
	}
	return 0;
}

void tt_program_text_free(struct tt_program_text *pt)
{
	tt_kernel_types_free(&pt->types);
	strbuf_free(&pt->text);
}
