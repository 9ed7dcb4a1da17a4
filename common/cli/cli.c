// SPDX-License-Identifier: Apache-2.0
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "backend.h"
#include "safe_text.h"
#include "log.h"
#include "parse.h"

enum {
	OPT_BACKEND = 256,
	OPT_KERNEL_TYPES,
	OPT_BUFFER,
	OPT_BUFFER_PAGES,
	OPT_EBPF,
	OPT_FIELDS,
};

#define MAX_OPTIONS  64
#define MAX_DURATION 2147483647 /* seconds: 68 years */

static const struct tt_option common_options[] = {
    {'D', "duration", "SECONDS", "stop after this many seconds, as Ctrl-C would", TT_HELP_MODES},
    {'i', "interval", "SECONDS",
     "with -c: print the counts every SECONDS, each interval's own, after a time line",
     TT_HELP_MODES},
    {OPT_FIELDS, "fields", "LIST",
     "these columns (JSON keys) in this order, e.g. pid,comm,ip,saddr,daddr,dport (BCC's)",
     TT_HELP_COLUMNS},
    {'j', "json", NULL, "one JSON object per line, no header", TT_HELP_OUTPUT},
    {'v', "verbose", NULL,
     "on stderr: the backend, kernel types and compile cache used, and the messages of "
     "the compiler and libbcc",
     TT_HELP_OUTPUT},
    {OPT_BACKEND, "backend", "MODE", "auto (default), kprobe or tracepoint: how to attach",
     TT_HELP_TUNING},
    {OPT_KERNEL_TYPES, "kernel-types", "FROM", "auto (BTF, else headers), btf or headers",
     TT_HELP_TUNING},
    {OPT_BUFFER, "buffer", "KIND", "auto (ring where the kernel has it), ring or perf",
     TT_HELP_TUNING},
    {OPT_BUFFER_PAGES, "buffer-pages", "N",
     "buffer pages per CPU (power of 2, at most 8192; default 64)", TT_HELP_TUNING},
    {OPT_EBPF, "ebpf", NULL, "print the BPF program that would be compiled, and exit",
     TT_HELP_OTHER},
    {'h', "help", NULL, "show this help, and exit", TT_HELP_OTHER},
    {'V', "version", NULL, "show the version, and exit", TT_HELP_OTHER},
};

#define COMMON_COUNT (TT_ARRAY_SIZE(common_options))

/* --help within 80 columns: the option in the first 31, its text wrapped after. */
#define HELP_WIDTH 80
#define HELP_LEFT  28

static const char *const help_headings[TT_HELP_GROUPS] = {
    [TT_HELP_FILTERS] = "Filters (run in the kernel)",
    [TT_HELP_COLUMNS] = "Columns",
    [TT_HELP_MODES] = "Modes",
    [TT_HELP_OUTPUT] = "Output",
    [TT_HELP_TUNING] = "Tuning",
    [TT_HELP_OTHER] = "Other",
};

/* The text of one option, wrapped at spaces into lines that start at column indent. */
static void print_wrapped(FILE *out, const char *text, size_t indent)
{
	size_t room = HELP_WIDTH - indent;
	while (*text) {
		size_t len = strlen(text);
		if (len > room) {
			len = room;
			while (len > 0 && text[len] != ' ')
				len--;
			if (len == 0) /* one word longer than the line: not cut */
				len = strcspn(text, " ");
		}
		fprintf(out, "%.*s\n", (int)len, text);
		text += len;
		text += strspn(text, " ");
		if (*text)
			fprintf(out, "%*s", (int)indent, "");
	}
}

static void print_option(FILE *out, const struct tt_option *o)
{
	char left[64];
	int n = 0;
	if (o->key < 256)
		n = snprintf(left, sizeof(left), "-%c, --%s", o->key, o->name);
	else
		n = snprintf(left, sizeof(left), "    --%s", o->name);
	if (o->arg && n >= 0 && (size_t)n < sizeof(left))
		snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->arg);
	if (strlen(left) > HELP_LEFT)
		fprintf(out, "  %s\n  %-*s ", left, HELP_LEFT, "");
	else
		fprintf(out, "  %-*s ", HELP_LEFT, left);
	print_wrapped(out, o->doc, 2 + HELP_LEFT + 1);
}

static const struct tt_option *option_at(const struct tt_command *cmd, size_t i)
{
	return i < cmd->option_count ? &cmd->options[i] : &common_options[i - cmd->option_count];
}

static void print_help(const struct tt_command *cmd)
{
	printf("Usage: %s [OPTION...]\n%s\n", program_invocation_short_name, cmd->about);
	size_t total = cmd->option_count + COMMON_COUNT;
	/* Other last: where an option without a heading lands. */
	for (int g = 1; g <= TT_HELP_GROUPS; g++) {
		enum tt_help_group group = (enum tt_help_group)(g % TT_HELP_GROUPS);
		bool headed = false;
		for (size_t i = 0; i < total; i++) {
			const struct tt_option *o = option_at(cmd, i);
			if (o->group != group)
				continue;
			if (!headed)
				printf("\n%s:\n", help_headings[group]);
			headed = true;
			print_option(stdout, o);
		}
	}
	if (cmd->examples)
		printf("\nExamples:\n%s", cmd->examples);
	printf("\nEvery option, column and JSON key: man 8 %s\n", cmd->name);
}

const char *tt_shown_arg(const char *arg, char shown[TT_SHOWN_ARG_MAX])
{
	if (!*arg) {
		snprintf(shown, TT_SHOWN_ARG_MAX, "''");
		return shown;
	}
	tt_format_safe(arg, TT_SHOWN_ARG_MAX, shown, TT_SHOWN_ARG_MAX);
	return shown;
}

int tt_bad_value(const char *what, const char *value, const char *why)
{
	char shown[TT_SHOWN_ARG_MAX];
	tt_format_safe(value, TT_SHOWN_ARG_MAX, shown, sizeof(shown));
	tt_error("invalid %s '%s': %s", what, shown, why);
	return -1;
}

/* The options that name one of a few choices: their names, in their enum's order. */
static const struct {
	int key;
	const char *what;
	const char *const *names;
	int count;
} choice_options[] = {
    {OPT_BACKEND, "backend", tt_backend_names, TT_BACKEND_CHOICES},
    {OPT_KERNEL_TYPES, "kernel types", tt_types_choice_names, TT_TYPES_CHOICES},
    {OPT_BUFFER, "buffer", tt_buffer_kind_names, TT_BUFFER_CHOICES},
};

/* The index of arg among key's choices, or -1 after a one-line error naming them. */
static int parse_choice(size_t option, const char *arg)
{
	const char *const *names = choice_options[option].names;
	int count = choice_options[option].count;
	int i = tt_parse_choice(arg, names, count);
	if (i < 0) {
		char expected[128] = "expected ";
		for (int n = 0; n < count; n++) {
			const char *glue = n == 0 ? "" : n == count - 1 ? " or " : ", ";
			strncat(expected, glue, sizeof(expected) - strlen(expected) - 1);
			strncat(expected, names[n], sizeof(expected) - strlen(expected) - 1);
		}
		tt_bad_value(choice_options[option].what, arg, expected);
	}
	return i;
}

static int handle_choice(int key, const char *arg, struct tt_common_args *common)
{
	for (size_t option = 0; option < TT_ARRAY_SIZE(choice_options); option++) {
		if (choice_options[option].key != key)
			continue;
		int i = parse_choice(option, arg);
		if (i < 0)
			return -1;
		if (key == OPT_BACKEND)
			common->tracer.backend = (enum tt_backend)i;
		else if (key == OPT_KERNEL_TYPES)
			common->tracer.types = (enum tt_types_choice)i;
		else
			common->tracer.buffer_kind = (enum tt_buffer_kind)i;
		return 0;
	}
	return 1;
}

/* -D's and -i's SECONDS: 0, or -1 after the one-line error. */
static int parse_seconds(const char *what, const char *arg, unsigned *seconds)
{
	uint64_t value;
	const char *why =
	    tt_parse_ranged(arg, 1, MAX_DURATION, &value, "out of range (1 to 2147483647)");
	if (why)
		return tt_bad_value(what, arg, why);
	*seconds = (unsigned)value;
	return 0;
}

static int handle_common(int key, const char *arg, struct tt_common_args *common)
{
	uint64_t value;
	const char *why;
	switch (key) {
	case OPT_BACKEND:
	case OPT_KERNEL_TYPES:
	case OPT_BUFFER:
		return handle_choice(key, arg, common);
	case OPT_BUFFER_PAGES:
		/* At most 8192 pages (32 MiB with 4 KiB pages) per CPU. */
		why = tt_parse_ranged(arg, 1, 8192, &value, "out of range (1 to 8192)");
		if (!why && (value & (value - 1)))
			why = "not a power of 2";
		if (why)
			return tt_bad_value("buffer pages", arg, why);
		common->tracer.buffer_pages = (unsigned)value;
		return 0;
	case 'D':
		return parse_seconds("duration", arg, &common->duration_seconds);
	case 'i':
		return parse_seconds("interval", arg, &common->interval_seconds);
	case OPT_EBPF:
		common->print_ebpf = true;
		return 0;
	case OPT_FIELDS:
		common->fields =
		    arg; /* checked against the tool's fields once its modules are planned */
		return 0;
	case 'j':
		common->json = true;
		return 0;
	case 'v':
		tt_log_verbose = true;
		return 0;
	default:
		return 1;
	}
}

static int build_getopt_tables(const struct tt_command *cmd, struct option *longs, char *shorts,
                               size_t shorts_len)
{
	size_t n = 0, s = 0;
	shorts[s++] = ':'; /* report a missing argument as ':' */
	for (size_t i = 0; i < cmd->option_count + COMMON_COUNT; i++) {
		const struct tt_option *o = option_at(cmd, i);
		if (n + 1 >= MAX_OPTIONS || s + 3 >= shorts_len)
			return -1;
		longs[n++] = (struct option){o->name, o->arg ? required_argument : no_argument,
		                             NULL, o->key};
		if (o->key < 256) {
			shorts[s++] = (char)o->key;
			if (o->arg)
				shorts[s++] = ':';
		}
	}
	longs[n] = (struct option){0};
	shorts[s] = '\0';
	return 0;
}

static const struct option *long_option_of(const struct option *longs, int key)
{
	for (const struct option *o = longs; o->name; o++)
		if (o->val == key)
			return o;
	return NULL;
}

/* An unknown long option (optopt 0): ambiguous when it begins several names. */
static void report_unknown_long(const char *given, const struct option *longs)
{
	char name[TT_SHOWN_ARG_MAX], shown[TT_SHOWN_ARG_MAX], candidates[512] = "";
	size_t len = strcspn(given + 2, "=");
	int matches = 0;
	for (const struct option *o = longs; len > 0 && o->name; o++) { /* "--=x" begins none */
		if (strncmp(o->name, given + 2, len) != 0)
			continue;
		size_t used = strlen(candidates);
		snprintf(candidates + used, sizeof(candidates) - used, "%s--%s",
		         matches++ ? ", " : "", o->name);
	}
	snprintf(name, sizeof(name), "%.*s", (int)(len + 2), given); /* without its =value */
	tt_format_safe(name, sizeof(name), shown, sizeof(shown));
	if (matches > 1)
		tt_error("option '%s' is ambiguous: %s (see --help)", shown, candidates);
	else
		tt_error("unknown option '%s' (see --help)", shown);
}

/*
 * getopt_long's '?' or ':' as one line. optopt tells which case: 0 for an
 * unknown long option; the key of a long option given a value it does not
 * take ('?') or lacking the one it needs (':'); else a short option's letter.
 * given is the argument at fault when it is a long option.
 */
static void report_getopt_error(int key, const char *given, const struct option *longs)
{
	bool is_long = strncmp(given, "--", 2) == 0;
	const struct option *o = optopt ? long_option_of(longs, optopt) : NULL;
	if (key == '?' && optopt == 0 && is_long) {
		report_unknown_long(given, longs);
	} else if (key == '?' && o) {
		tt_error("option '--%s' takes no value (see --help)", o->name);
	} else if (key == ':' && is_long && o) {
		tt_error("option '--%s' needs an argument (see --help)", o->name);
	} else {
		char letter[3] = {'-', (char)optopt, '\0'}, shown[8];
		tt_format_safe(letter, sizeof(letter), shown, sizeof(shown));
		if (key == ':')
			tt_error("option '%s' needs an argument (see --help)", shown);
		else
			tt_error("unknown option '%s' (see --help)", shown);
	}
}

int tt_parse_command(const struct tt_command *cmd, struct tt_common_args *common, int argc,
                     char **argv)
{
	struct option longs[MAX_OPTIONS];
	char shorts[2 * MAX_OPTIONS + 2];
	memset(common, 0, sizeof(*common));
	common->tracer.buffer_pages = TT_DEFAULT_BUFFER_PAGES;
	if (build_getopt_tables(cmd, longs, shorts, sizeof(shorts)) != 0) {
		tt_error("too many options");
		return -1;
	}

	opterr = 0;
	/* 0, not 1: glibc then also forgets a half-parsed group of short options. */
	optind = 0;
	int key;
	while ((key = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		if (key == '?' || key == ':') {
			report_getopt_error(key, argv[optind - 1], longs);
			return -1;
		}
		if (key == 'h' || key == 'V') {
			if (key == 'h')
				print_help(cmd);
			else
				printf("%s %s\n", program_invocation_short_name, TT_VERSION);
			common->exit_now = true;
			return 0;
		}
		int rc = handle_common(key, optarg, common);
		if (rc == 1)
			rc = cmd->handle(key, optarg, cmd->cookie);
		if (rc != 0)
			return -1;
	}
	if (optind < argc) {
		char shown[TT_SHOWN_ARG_MAX];
		tt_format_safe(argv[optind], TT_SHOWN_ARG_MAX, shown, sizeof(shown));
		tt_error("unexpected argument '%s' (see --help)", shown);
		return -1;
	}
	return 0;
}
