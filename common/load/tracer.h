/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The life of a traced program, from BPF text to detached probes: compile the
 * plan's text through libbcc against the kernel types and load the plan's
 * probes (in a child process, compile_child.h), attach them, open its event
 * tables, read them, detach. What to compile
 * and attach comes from the plan (plan.h); what to print is not its business.
 */
#ifndef TT_TRACER_H
#define TT_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "event_buffers.h"
#include "kernel_types.h"
#include "plan.h"
#include "probes.h"

/* One backend's BPF text and where its functions attach. */
struct tt_program {
	const char *text;
	const struct tt_probe *probes;
	size_t probe_count;
};

struct tt_tracer;

struct tt_tracer_spec {
	const char *text;           /* the backend's BPF program */
	const struct tt_plan *plan; /* its #defines, kernel structures, probes and outputs */
	/* Optional: fills the program's maps after loading, before attaching. */
	int (*after_load)(void *cookie, struct tt_tracer *tracer);
	void *cookie;
};

struct tt_tracer_options {
	enum tt_backend backend;
	enum tt_types_choice types;
	enum tt_buffer_kind buffer_kind;
	unsigned buffer_pages; /* per CPU; a ring buffer gets as many in all */
};

#define TT_DEFAULT_BUFFER_PAGES 64

/* Writes the complete BPF text that would be compiled (for --ebpf). */
int tt_tracer_print_text(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                         FILE *out);

/*
 * Compiles the text and loads each probe's function into the verifier,
 * attaching nothing (the kprobe text is checked even where the kernel cannot
 * attach it). Returns 0, or -1 after printing why.
 */
int tt_tracer_verify(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts);

/*
 * Compiles, loads and attaches, and opens the event tables: once it returns,
 * tracing is live. Returns NULL after printing why, or quietly when a stop
 * signal came while compiling (tt_stop_requested()), with nothing attached.
 */
struct tt_tracer *tt_tracer_start(const struct tt_tracer_spec *spec,
                                  const struct tt_tracer_options *opts);
/* The fd of a BPF table of the program, or -1. */
int tt_tracer_table_fd(struct tt_tracer *tracer, const char *table);
/* A per-CPU counter of the program (entry 0 of a per-CPU u64 array), summed over CPUs; 0 if none.
 */
uint64_t tt_tracer_counter(struct tt_tracer *tracer, const char *table);
/*
 * The fds of the program's per-CPU counters of lost events: the buffer's
 * (tt_lost, where the text has it) and the plan's loss counters; at most cap.
 * For a reader on another thread, which sums them with its own buffer.
 */
size_t tt_tracer_loss_fds(struct tt_tracer *tracer, int *fds, size_t cap);
/*
 * Waits up to timeout_ms for the first output's events, then reads what
 * every output holds (the others after it, so that what they say is known
 * before the batch is printed). With drain, reads what is left without
 * waiting. Events go to each output's handler.
 */
void tt_tracer_read(struct tt_tracer *tracer, int timeout_ms, bool drain);
/* Detaches everything, reports lost events, and frees the tracer. */
void tt_tracer_stop(struct tt_tracer *tracer);

#endif
