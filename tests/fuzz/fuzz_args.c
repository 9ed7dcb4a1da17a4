// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: command lines. The input, split at NUL bytes, is an argv
 * for the shared parser with the tools' filters and output options. Parsing
 * must end in success or a one-line error, never a crash or a leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "filters.h"
#include "output.h"
#include "tool_main.h"

static const struct tt_option options[] = {
    TT_TIMESTAMP_OPTION, TT_PID_OPTION,  {'P', "port", "PORTS", ""},
    TT_FAMILY_OPTIONS,   TT_UID_OPTIONS, TT_CONTAINER_OPTIONS,
    TT_JSON_OPTION,
};

struct state {
	struct tt_filters filters;
	struct tt_output output;
};

static int handle(int key, const char *arg, void *ctx)
{
	struct state *st = ctx;
	int rc = tt_filters_option(&st->filters, key, arg);
	if (rc == 1)
		rc = tt_output_option(&st->output, key);
	return rc == 0 ? 0 : -1;
}

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

	struct state st;
	memset(&st, 0, sizeof(st));
	struct tt_common_args common;
	const struct tt_command cmd = {
	    "", "", "", options, sizeof(options) / sizeof(options[0]), handle, &st};
	if (tt_parse_command(&cmd, &common, argc, argv) == 0 && !common.exit_now) {
		struct strbuf defines;
		strbuf_init(&defines);
		tt_filters_defines(&st.filters, &defines);
		strbuf_free(&defines);
	}
	free(text);
	return 0;
}
