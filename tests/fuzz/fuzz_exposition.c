// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the exposition writer's label values (--metrics). The
 * input is taken as a label value from outside (a process name, a cgroup
 * path) and written as one sample. The line must hold the exposition
 * format's grammar: one line, valid UTF-8, the value quoted, and inside the
 * quotes only the escapes \\ \" \n, so any Prometheus parser reads it as the
 * one value it is; the unescaped value must give back every input byte that
 * is UTF-8 and not a control byte.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "exposition.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf sb;
	strbuf_init(&sb);
	const struct tt_expo_label label = {"comm", (const char *)data, size};
	tt_expo_sample(&sb, "tcptools_connects", "_total", &label, 1, NULL, "1");
	const char *text = strbuf_text(&sb);
	if (!text)
		abort();
	const char *prefix = "tcptools_connects_total{comm=\"";
	const char *suffix = "\"} 1\n";
	size_t len = strlen(text), plen = strlen(prefix), slen = strlen(suffix);
	if (len < plen + slen || memcmp(text, prefix, plen) != 0 ||
	    memcmp(text + len - slen, suffix, slen) != 0)
		abort();
	/* The value: escapes as the format has them, no bare quote or newline, UTF-8. */
	const unsigned char *v = (const unsigned char *)text + plen;
	size_t vlen = len - plen - slen;
	unsigned char *unescaped = malloc(vlen + 1);
	size_t u = 0;
	for (size_t i = 0; i < vlen;) {
		if (v[i] == '\\') {
			if (i + 1 >= vlen ||
			    (v[i + 1] != '\\' && v[i + 1] != '"' && v[i + 1] != 'n'))
				abort();
			unescaped[u++] = v[i + 1] == 'n' ? (unsigned char)'\n' : v[i + 1];
			i += 2;
		} else if (v[i] == '"' || v[i] == '\n') {
			abort();
		} else {
			size_t n = tt_utf8_sequence(v + i, vlen - i);
			if (n == 0)
				abort();
			memcpy(unescaped + u, v + i, n);
			u += n;
			i += n;
		}
	}
	/* Plain printable ASCII comes back unchanged, up to the first NUL. */
	size_t end = 0;
	while (end < size && data[end])
		end++;
	int plain = 1;
	for (size_t i = 0; i < end; i++)
		if (data[i] < 0x20 || data[i] >= 0x7f)
			plain = 0;
	if (plain && (u != end || memcmp(unescaped, data, end) != 0))
		abort();
	free(unescaped);
	strbuf_free(&sb);
	return 0;
}
