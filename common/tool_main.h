/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main() of a tracing tool, from a description: its own options, the modules
 * it wants (filters, columns, counting, ...), its programs, the kernel types
 * they read, and its printer. A new tool of this kind is its BPF text, its
 * event printer and one of these.
 */
#ifndef TT_TOOL_MAIN_H
#define TT_TOOL_MAIN_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "module.h"
#include "output.h"
#include "tracer.h"

struct tt_tool {
	const char *name;     /* its man page's */
	const char *about;    /* one line for --help */
	const char *examples; /* lines for the end of --help */
	/*
	 * The tool's own options, first in --help. An entry here may be one a
	 * module handles under the tool's wording (-P: whose port it is).
	 */
	const struct tt_option *options;
	size_t option_count;
	/* Optional: the tool's own options; 0, -1 after an error, 1 if not its own. */
	int (*handle_option)(int key, const char *arg);
	const struct tt_module_use *modules; /* in the order of their columns */
	size_t module_count;
	const struct tt_program *kprobe;
	const struct tt_program *tracepoint;
	const struct tt_kernel_types_spec *kernel_types;
	size_t event_size; /* its events start with struct tt_event; smaller samples are dropped */
	const struct tt_flow_names *flow_names;
	/* The tool's own columns: header cells, a line's cells, its JSON members (", "-led). */
	void (*print_header)(struct tt_output *out);
	void (*print_text)(struct tt_output *out, const void *event);
	void (*print_json)(struct tt_output *out, const void *event);
	/* Its own columns by name for --fields, beyond the task's and the flow's (print/fields.h).
	 */
	const struct tt_field *fields;
	size_t field_count;
};

/*
 * Prints one event of the tool's kind as a line or JSON object, with every
 * shown module's columns: the printing path, whose instructions
 * bench/loop_instructions.py counts by this name.
 */
void tt_columns_print_event(const struct tt_columns *columns, struct tt_output *out,
                            const void *event);

/* Parses the command line and traces until a signal; returns the exit status. */
int tt_tool_main(const struct tt_tool *tool, int argc, char **argv);

/*
 * For tests/verify_bpf.c: builds the plan this command line would build and
 * loads its programs into the verifier (the backend as --backend says, even
 * one this kernel cannot attach). Returns 0, or -1 after printing why.
 */
int tt_tool_verify(const struct tt_tool *tool, int argc, char **argv);

/*
 * For the unit tests and the fuzzer: prints the header (in table mode) and
 * the events as a run with this command line would, to out, with clock's
 * times. Returns 0, or -1 after printing why (the command line's error).
 */
int tt_tool_print(const struct tt_tool *tool, int argc, char **argv, FILE *out,
                  const struct tt_clock *clock, const void *events, size_t count);

#endif
