// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: event formatting. The input is taken as a tcpconnect or
 * tcpaccept event from the kernel (any bytes: a hostile process name, absurd
 * families and ports) and printed as text and as JSON. Besides not crashing,
 * the output must hold two properties: text lines carry no control
 * characters but the final newline, and each JSON line is one line with no
 * raw control characters; both are valid UTF-8 without C1 controls.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "json.h"
#include "tcpaccept.h"
#include "tcpaccept_tool.h"
#include "tcpconnect.h"
#include "tcpconnect_tool.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_line(const char *text, size_t len)
{
	/* One line: a single newline, at the end; no other control bytes. */
	if (len == 0 || text[len - 1] != '\n')
		abort();
	fuzz_check_controls(text, len - 1, false);
	fuzz_check_utf8(text, len);
}

static void print_one(const uint8_t *data, size_t size, int json, int elapsed, int uid)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return;
	char *argv[4] = {"fuzz"};
	int argc = 1;
	if (json)
		argv[argc++] = "-j";
	if (elapsed)
		argv[argc++] = "-t";
	if (uid)
		argv[argc++] = "-U";
	struct tt_clock clock;
	tt_clock_init(&clock);
	/* The event as the kernel might hand it over, header lines aside. */
	union {
		struct tcpaccept_event accept;
		struct tcpconnect_event connect;
	} e;
	memset(&e, 0, sizeof(e));
	memcpy(&e, data + 1, size - 1 < sizeof(e) ? size - 1 : sizeof(e));
	const struct tt_tool *tool = data[0] & 1 ? &tcpaccept_tool : &tcpconnect_tool;
	tt_tool_print(tool, argc, argv, out, &clock, &e, 1);
	fclose(out);
	/* The line after the header, or the one JSON line. */
	char *line = json ? text : memchr(text, '\n', len);
	if (!line)
		abort();
	if (!json)
		line++;
	check_line(line, len - (size_t)(line - text));
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int flags = data[0] >> 1;
	print_one(data, size, flags & 1, flags & 2, flags & 4);

	/* JSON strings of arbitrary bytes, as a process name may be. */
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	if (!out)
		return 0;
	tt_json_string(out, (const char *)data, size);
	fputc('\n', out);
	fclose(out);
	check_line(text, len);
	free(text);
	return 0;
}
