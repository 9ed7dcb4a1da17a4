// SPDX-License-Identifier: Apache-2.0
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "backend.h"
#include "log.h"
#include "parse.h"

enum {
	OPT_BACKEND = 256,
	OPT_KERNEL_TYPES,
	OPT_BUFFER,
	OPT_BUFFER_PAGES,
	OPT_EBPF,
};

#define MAX_OPTIONS 64

static const struct tt_option common_options[] = {
    {'j', "json", NULL, "one JSON object per line, no header"},
    {OPT_BACKEND, "backend", "MODE", "auto (default), kprobe or tracepoint: how to attach"},
    {OPT_KERNEL_TYPES, "kernel-types", "FROM", "auto (BTF, else headers), btf or headers"},
    {OPT_BUFFER, "buffer", "KIND", "auto (ring where the kernel has it), ring or perf"},
    {OPT_BUFFER_PAGES, "buffer-pages", "N",
     "buffer pages per CPU (power of 2, at most 8192; default 64)"},
    {OPT_EBPF, "ebpf", NULL, "print the BPF program that would be compiled, and exit"},
    {'v', "verbose", NULL, "say which backend and kernel types are used, on stderr"},
    {'h', "help", NULL, "show this help, and exit"},
    {'V', "version", NULL, "show the version, and exit"},
};

#define COMMON_COUNT (TT_ARRAY_SIZE(common_options))

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
	if (strlen(left) > 28)
		fprintf(out, "  %s\n  %-28s %s\n", left, "", o->doc);
	else
		fprintf(out, "  %-28s %s\n", left, o->doc);
}

static void print_help(const struct tt_command *cmd)
{
	printf("Usage: %s [OPTION...]\n%s\n\n", program_invocation_short_name, cmd->about);
	for (size_t i = 0; i < cmd->option_count; i++)
		print_option(stdout, &cmd->options[i]);
	for (size_t i = 0; i < COMMON_COUNT; i++)
		print_option(stdout, &common_options[i]);
	if (cmd->examples)
		printf("\nExamples:\n%s", cmd->examples);
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

static int handle_common(int key, const char *arg, struct tt_common_args *common)
{
	uint64_t pages;
	const char *why;
	switch (key) {
	case OPT_BACKEND:
	case OPT_KERNEL_TYPES:
	case OPT_BUFFER:
		return handle_choice(key, arg, common);
	case OPT_BUFFER_PAGES:
		/* At most 8192 pages (32 MiB with 4 KiB pages) per CPU. */
		why = tt_parse_uint(arg, 1, 8192, &pages);
		if (!why && (pages & (pages - 1)))
			why = "not a power of 2";
		if (why)
			return tt_bad_value("buffer pages", arg, why);
		common->tracer.buffer_pages = (unsigned)pages;
		return 0;
	case OPT_EBPF:
		common->print_ebpf = true;
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
		const struct tt_option *o = i < cmd->option_count
		                                ? &cmd->options[i]
		                                : &common_options[i - cmd->option_count];
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
		const char *given = argv[optind - 1];
		if (key == '?') {
			if (optopt && optopt < 256)
				tt_error("unknown option '-%c' (see --help)", optopt);
			else
				tt_error("unknown option '%s' (see --help)", given);
			return -1;
		}
		if (key == ':') {
			tt_error("option '%s' needs an argument (see --help)", given);
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
		tt_error("unexpected argument '%s' (see --help)", argv[optind]);
		return -1;
	}
	return 0;
}
