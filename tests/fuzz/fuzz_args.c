// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: command lines. The input, split at NUL bytes, is an argv
 * for the shared parser with the tools' filters and output options. Parsing
 * must end in success or a one-line error, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcpaccept_tool.h"
#include "tcpconnect_tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char *argv[64];
	int argc = 0;
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	argv[argc++] = "fuzz";
	for (char *p = text; argc < 63 && p < text + size; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;

	/* Through each tool's own route: its options, its modules' options and plans. */
	FILE *out = fopen("/dev/null", "w");
	struct tt_clock clock;
	tt_clock_init(&clock);
	if (out) {
		tt_tool_print(&tcpconnect_tool, argc, argv, out, &clock, NULL, 0);
		tt_tool_print(&tcpaccept_tool, argc, argv, out, &clock, NULL, 0);
		fclose(out);
	}
	free(text);
	return 0;
}
