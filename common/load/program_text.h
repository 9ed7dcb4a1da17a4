/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The complete BPF text of a run: the plan's #defines, the event buffer's,
 * the kernel types, then the tool's program. Built where it is compiled
 * (compile_child.c) and for --ebpf.
 */
#ifndef TT_PROGRAM_TEXT_H
#define TT_PROGRAM_TEXT_H

#include <stdbool.h>

#include "event_buffers.h"
#include "kernel_types.h"
#include "strbuf.h"
#include "tracer.h"

struct tt_program_text {
	struct tt_kernel_types types; /* with make_tree, the header tree libbcc reads */
	struct strbuf text;
	enum tt_buffer_kind buffer_kind; /* RING or PERF, as resolved for this kernel */
};

/* 0, or -1 after printing why; tt_program_text_free either way. */
int tt_program_text_build(struct tt_program_text *pt, const struct tt_tracer_spec *spec,
                          const struct tt_tracer_options *opts, bool make_tree);
void tt_program_text_free(struct tt_program_text *pt);
/* The buffer of output i (0: the tool's events), sized for its largest event. */
struct tt_buffer_plan tt_program_buffer_plan(const struct tt_plan *plan, enum tt_buffer_kind kind,
                                             const struct tt_tracer_options *opts, size_t i);

#endif
