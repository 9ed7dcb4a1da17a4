/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The life of a tracing tool, from BPF text to detached probes: choose the
 * backend and the source of kernel types, compile through libbcc, attach,
 * read the event buffers until told to stop, drain, detach. A tool supplies
 * its programs, the kernel structures they read, and an event callback.
 */
#ifndef TT_TRACER_H
#define TT_TRACER_H

#include <stdbool.h>
#include <stdio.h>

#include "kernel_types.h"
#include "event_buffers.h"
#include "probes.h"

enum tt_backend { TT_BACKEND_AUTO, TT_BACKEND_KPROBE, TT_BACKEND_TRACEPOINT };

struct tt_tracer;

/* One backend's BPF text and where its functions attach. */
struct tt_program {
	const char *text;
	const struct tt_probe *probes;
	size_t probe_count;
};

struct tt_tracer_spec {
	const struct tt_program *kprobe;
	const struct tt_program *tracepoint;
	struct tt_kernel_types_spec kernel_types;
	const char *output_table; /* the events table (bpfsrc/tt_output.bpf.h), or NULL */
	size_t event_size;        /* the largest event written to it */
	tt_event_fn on_event;
	void *cookie;
	/* Optional: fills the program's maps after loading, before attaching. */
	int (*before_attach)(void *cookie, struct tt_tracer *tracer);
	/* Optional: called after each batch of events read from all buffers. */
	void (*after_batch)(void *cookie);
};

struct tt_tracer_options {
	enum tt_backend backend;
	enum tt_types_choice types;
	const char *defines; /* #define lines for the options, put before the program */
	enum tt_buffer_kind buffer_kind;
	unsigned buffer_pages; /* per CPU; a ring buffer gets as many in all */
};

#define TT_DEFAULT_BUFFER_PAGES 64

/* "auto", "kprobe" or "tracepoint"; returns -1 for anything else. */
int tt_parse_backend(const char *text, enum tt_backend *backend);

/* Writes the complete BPF text that would be compiled (for --ebpf). */
int tt_tracer_print_text(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                         FILE *out);

/*
 * Compiles the program of opts->backend (kprobe or tracepoint, even where
 * the kernel cannot attach it) and loads each function into the verifier,
 * attaching nothing. Returns 0, or -1 after printing why.
 */
int tt_tracer_verify(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts);

struct tt_tracer;

/*
 * Compiles, loads and attaches, and opens the event buffers: once it returns,
 * tracing is live. Returns NULL after printing why, or quietly when a stop
 * signal came while compiling (tt_stop_requested()), with nothing attached.
 */
struct tt_tracer *tt_tracer_start(const struct tt_tracer_spec *spec,
                                  const struct tt_tracer_options *opts);
/* The fd of a BPF table of the program, or -1. */
int tt_tracer_table_fd(struct tt_tracer *tracer, const char *table);
/*
 * Reads events, flushing stdout after each batch, until SIGINT, SIGTERM or
 * SIGHUP, or until stdout is closed; then reads what is left. Returns the
 * exit status: 0, or 1 after a write error other than a closed pipe.
 */
int tt_tracer_run(struct tt_tracer *tracer);
/* Detaches everything, frees the tracer, and reports lost events. */
void tt_tracer_stop(struct tt_tracer *tracer);

/* True once SIGINT, SIGTERM or SIGHUP arrived (handlers set by tt_tracer_start). */
bool tt_stop_requested(void);

#endif
