/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Compiling in a short-lived child. libbcc links LLVM and clang: a process
 * that merely maps libbcc.so holds ~60 MiB of their pages, and one that has
 * compiled holds ~95 MiB for as long as it runs. So the tools do not link
 * libbcc at all: a forked child loads it (dlopen), compiles the plan's text,
 * loads every probe's function into the kernel and creates the maps, hands
 * the program and map fds back over a socketpair (SCM_RIGHTS) and exits.
 * The tracer attaches and reads with fds alone (libbcc_bpf, no LLVM).
 */
#ifndef TT_COMPILE_CHILD_H
#define TT_COMPILE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "event_buffers.h"
#include "tracer.h"

#define TT_TABLE_NAME_MAX 64

struct tt_loaded_table {
	char name[TT_TABLE_NAME_MAX];
	int fd;
};

/* What the child hands back: all the tracer keeps of libbcc's work. */
struct tt_loaded {
	enum tt_buffer_kind buffer_kind; /* RING or PERF, as the text was built for */
	int *prog_fds;                   /* one per probe of the plan, in its order */
	size_t prog_count;
	struct tt_loaded_table *tables; /* every map of the program, by name */
	size_t table_count;
	pid_t child; /* the compile child until reaped, or 0 */
};

/*
 * Fills out (closed with tt_loaded_close). 0; -1 after printing why (the
 * child prints its own errors, with -v the compiler's messages); 1 when a
 * stop signal came while compiling: the child is ended, nothing is kept.
 * With use_cache, an earlier compile of the same text is loaded instead,
 * and a new compile is stored (compile_cache.h).
 */
int tt_compile_child_load(const struct tt_tracer_spec *spec, const struct tt_tracer_options *opts,
                          bool use_cache, struct tt_loaded *out);
/* The fd of the program's map named table, or -1. */
int tt_loaded_table_fd(const struct tt_loaded *loaded, const char *table);
/* Reaps the exited compile child; without wait, only if it has ended. */
void tt_loaded_reap(struct tt_loaded *loaded, bool wait);
/* Closes every fd and reaps the child. */
void tt_loaded_close(struct tt_loaded *loaded);

#endif
