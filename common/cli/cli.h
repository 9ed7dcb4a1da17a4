/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Command lines from option tables: parsing with getopt_long, one-line
 * errors, and --help text. Options every tracing tool has (-D, -i, --fields, -j, -v,
 * --backend, --kernel-types, --buffer, --buffer-pages, --ebpf, -h, -V) live here; each
 * tool adds a table of its own.
 *
 * A usage error (unknown option, bad value, missing or stray argument) ends
 * the tool with TT_EXIT_USAGE, as argparse's do (BCC's tools); what fails once
 * the command line is understood, with TT_EXIT_FAILURE.
 */
#ifndef TT_CLI_H
#define TT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tracer.h" /* struct tt_tracer_options */

#define TT_EXIT_FAILURE 1
#define TT_EXIT_USAGE   2

/* The headings of --help, in the order shown; an option without one is under "Other". */
enum tt_help_group {
	TT_HELP_OTHER,
	TT_HELP_FILTERS, /* what is traced, decided in the kernel */
	TT_HELP_COLUMNS, /* what each line shows */
	TT_HELP_MODES,   /* what is printed instead of a line per event, and for how long */
	TT_HELP_OUTPUT,  /* how it is printed */
	TT_HELP_TUNING,  /* how the tool attaches and reads */
	TT_HELP_GROUPS
};

/* Tables list the key first and the heading last: readable beats 8 bytes. */
struct tt_option {        // NOLINT(clang-analyzer-optin.performance.Padding)
	int key;          /* the short option's letter, or a value above 255 for long-only */
	const char *name; /* the long option */
	const char *arg;  /* the argument's name in --help; NULL for a flag */
	const char *doc;  /* wrapped to fit 80 columns */
	enum tt_help_group group;
};

/* Returns 0 when handled, or -1 after printing a one-line error. */
typedef int (*tt_option_fn)(int key, const char *arg, void *cookie);

struct tt_command {
	const char *name;     /* the tool's, for its man page */
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
	bool json;                 /* -j */
	unsigned duration_seconds; /* -D; 0: until a signal */
	unsigned interval_seconds; /* -i; 0: what was gathered is printed at the end only */
	const char *fields;        /* --fields LIST, or NULL: the tool's own layout */
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

/* The longest argument echoed in an error; a longer one is cut. */
#define TT_SHOWN_ARG_MAX 4096

/*
 * An argument from the command line, safe to echo on a terminal: escaped as
 * COMM is (control characters and bytes that are not UTF-8 become '?'), and
 * '' when empty, so that an empty path is seen. Returns shown.
 */
const char *tt_shown_arg(const char *arg, char shown[TT_SHOWN_ARG_MAX]);

/* A one-line error about an option value: "invalid PORT '70000': out of range"; -1. */
int tt_bad_value(const char *what, const char *value, const char *why);

#endif
