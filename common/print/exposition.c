// SPDX-License-Identifier: Apache-2.0
#include "exposition.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "utf8.h"

const char *tt_expo_content_type(enum tt_expo_format format)
{
	return format == TT_EXPO_OPENMETRICS
	           ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
	           : "text/plain; version=0.0.4; charset=utf-8";
}

enum tt_expo_format tt_expo_format_for(const char *accept)
{
	/* Prometheus lists OpenMetrics first when it wants it; text is always understood. */
	return accept && strstr(accept, "application/openmetrics-text") ? TT_EXPO_OPENMETRICS
	                                                                : TT_EXPO_TEXT;
}

static void append_bytes(struct strbuf *out, const char *bytes, size_t n)
{
	strbuf_appendf(out, "%.*s", (int)n, bytes);
}

void tt_expo_label_value(struct strbuf *out, const char *value, size_t len)
{
	const unsigned char *s = (const unsigned char *)value;
	size_t n = 0;
	while (n < len && s[n])
		n++;
	strbuf_append(out, "\"");
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		size_t run = i;
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) { /* plain ASCII, in one piece: most names are all of it */
			append_bytes(out, value + i, run - i);
			i = run;
			continue;
		}
		size_t utf8 = c >= 0x80 ? tt_utf8_sequence(s + i, n - i) : 0;
		if (c == '"' || c == '\\') {
			strbuf_appendf(out, "\\%c", c);
			i++;
		} else if (c == '\n') {
			strbuf_append(out, "\\n");
			i++;
		} else if (utf8 > 0) {
			append_bytes(out, value + i, utf8);
			i += utf8;
		} else { /* a control byte, or no UTF-8: shown, not passed on */
			strbuf_appendf(out, "\\\\x%02x", c);
			i++;
		}
	}
	strbuf_append(out, "\"");
}

void tt_expo_family(struct strbuf *out, enum tt_expo_format format, const char *name,
                    const char *type, const char *help)
{
	/* 0.0.4 names a counter family by its samples' name; OpenMetrics without _total. */
	const char *suffix = format == TT_EXPO_TEXT && strcmp(type, "counter") == 0 ? "_total" : "";
	strbuf_appendf(out, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, suffix, help, name, suffix,
	               type);
}

void tt_expo_sample(struct strbuf *out, const char *name, const char *suffix,
                    const struct tt_expo_label *labels, size_t count, const char *le,
                    const char *value)
{
	strbuf_append(out, name);
	strbuf_append(out, suffix);
	if (count > 0 || le) {
		strbuf_append(out, "{");
		for (size_t i = 0; i < count; i++) {
			strbuf_appendf(out, "%s%s=", i ? "," : "", labels[i].name);
			tt_expo_label_value(out, labels[i].value, labels[i].len);
		}
		if (le)
			strbuf_appendf(out, "%sle=\"%s\"", count ? "," : "", le);
		strbuf_append(out, "}");
	}
	strbuf_appendf(out, " %s\n", value);
}

void tt_expo_end(struct strbuf *out, enum tt_expo_format format)
{
	if (format == TT_EXPO_OPENMETRICS)
		strbuf_append(out, "# EOF\n");
}

const char *tt_expo_u64(uint64_t value, char buf[TT_EXPO_NUMBER_LEN])
{
	snprintf(buf, TT_EXPO_NUMBER_LEN, "%" PRIu64, value);
	return buf;
}

const char *tt_expo_seconds(uint64_t ns, char buf[TT_EXPO_NUMBER_LEN])
{
	snprintf(buf, TT_EXPO_NUMBER_LEN, "%" PRIu64 ".%09" PRIu64, ns / 1000000000u,
	         ns % 1000000000u);
	return buf;
}
