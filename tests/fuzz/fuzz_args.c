// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: command lines. The input, split at NUL bytes, is an argv
 * for the shared parser with the tools' filters and output options. Parsing
 * must end in success or a one-line error, never a crash or a leak, and what
 * it says on stderr must be safe for a terminal: every argument it echoes is
 * escaped, so no control character (C0, DEL, C1) gets through.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "tcpaccept_tool.h"
#include "tcpconnect_tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One tool's parse and plan of argv, its stderr taken and checked. */
static void parse_with(const struct tt_tool *tool, int argc, char **argv, FILE *out,
                       const struct tt_clock *clock)
{
	char *said = NULL;
	size_t said_len = 0;
	FILE *real_stderr = stderr;
	FILE *capture = open_memstream(&said, &said_len);
	if (!capture)
		return;
	stderr = capture;
	tt_tool_print(tool, argc, argv, out, clock, NULL, 0);
	stderr = real_stderr;
	fclose(capture);
	fuzz_check_controls(said, said_len, true);
	free(said);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	char *argv[64];
	int argc = 0;
	if (!text)
		return 0;
	argv[argc++] = "fuzz";
	for (char *p = text; argc < 63 && p < text + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	/* Through each tool's own route: its options, its modules' options and plans. */
	FILE *out = fopen("/dev/null", "w");
	struct tt_clock clock;
	tt_clock_init(&clock);
	if (out) {
		parse_with(&tcpconnect_tool, argc, argv, out, &clock);
		parse_with(&tcpaccept_tool, argc, argv, out, &clock);
		fclose(out);
	}
	free(text);
	return 0;
}
