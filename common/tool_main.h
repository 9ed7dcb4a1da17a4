/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main() of a tracing tool, from a description: its options, its programs,
 * the kernel types they read, and its printer. A new tool of this kind is its
 * BPF text, its event printer and one of these.
 */
#ifndef TT_TOOL_MAIN_H
#define TT_TOOL_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "output.h"
#include "strbuf.h"
#include "tracer.h"

struct tt_tool {
	const char *about;    /* one line for --help */
	const char *examples; /* lines for the end of --help */
	/*
	 * The tool's options. Filters (-p -u -4 -6 -P --cgroup --cgroupmap
	 * --mntnsmap) and output options (-t -U -j) listed here are handled by
	 * common code; anything else goes to handle_option.
	 */
	const struct tt_option *options;
	size_t option_count;
	/* Optional: the tool's own options; 0, -1 after an error, 1 if unknown. */
	int (*handle_option)(int key, const char *arg);
	const struct tt_program *kprobe;
	const struct tt_program *tracepoint;
	const struct tt_kernel_types_spec *kernel_types;
	size_t event_size; /* smaller samples are ignored */
	void (*print_header)(struct tt_output *out);
	void (*print_event)(struct tt_output *out, const void *event);
	/*
	 * Optional counting mode: when counting() is true, the BPF text gets
	 * TT_COUNT and counts in its "counts" map instead of streaming events,
	 * and print_counts prints that map once tracing stops.
	 */
	bool (*counting)(void);
	void (*print_counts)(struct tt_output *out, int counts_fd);
};

/* Parses the command line and traces until a signal; returns the exit status. */
int tt_tool_main(const struct tt_tool *tool, int argc, char **argv);

#endif
