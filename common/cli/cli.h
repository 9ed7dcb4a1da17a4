/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command lines from option tables: parsing with getopt_long, one-line
 * errors, and --help text. Options every tracing tool has (--backend,
 * --kernel-types, --buffer, --buffer-pages, -j, -v, --ebpf, -h, -V) live here; each tool adds
 * a table of its own.
 */
#ifndef TT_CLI_H
#define TT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tracer.h" /* struct tt_tracer_options */

struct tt_option {
	int key;          /* the short option's letter, or a value above 255 for long-only */
	const char *name; /* the long option */
	const char *arg;  /* the argument's name in --help; NULL for a flag */
	const char *doc;
};

/* Returns 0 when handled, or -1 after printing a one-line error. */
typedef int (*tt_option_fn)(int key, const char *arg, void *cookie);

struct tt_command {
	const char *about;    /* one line */
	const char *examples; /* lines for the end of --help */
	const struct tt_option *options;
	size_t option_count;
	tt_option_fn handle;
	void *cookie;
};

/* Options shared by every tool, filled in by tt_parse_command. */
struct tt_common_args {
	struct tt_tracer_options tracer;
	bool json; /* -j */
	bool print_ebpf;
	bool exit_now; /* --help or --version was printed */
};

/*
 * Parses argv against the tool's options and the common ones. Returns 0, or -1
 * after printing one line on stderr (unknown option, bad value, stray
 * argument).
 */
int tt_parse_command(const struct tt_command *cmd, struct tt_common_args *common, int argc,
                     char **argv);

#endif
