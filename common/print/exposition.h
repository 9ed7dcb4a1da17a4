/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The Prometheus exposition formats, written into a string: the text format
 * 0.0.4 and OpenMetrics 1.0.0 (what a scraper asks for). Pure functions of
 * their arguments, for --metrics (features/metrics.c), the unit tests and the
 * fuzzer (tests/fuzz/fuzz_exposition.c). Label values come from outside
 * (process names, cgroup paths): whatever their bytes, what is written is one
 * valid, quoted, UTF-8 label value.
 */
#ifndef TT_EXPOSITION_H
#define TT_EXPOSITION_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum tt_expo_format { TT_EXPO_TEXT, TT_EXPO_OPENMETRICS };

struct tt_expo_label {
	const char *name; /* [a-zA-Z_][a-zA-Z0-9_]*: the caller's own */
	const char *value;
	size_t len; /* bytes of value; a NUL among them ends it */
};

/* The Content-Type of a format. */
const char *tt_expo_content_type(enum tt_expo_format format);
/* The format an Accept header asks for: OpenMetrics only when named; NULL: text. */
enum tt_expo_format tt_expo_format_for(const char *accept);

/*
 * A label value, escaped: backslash, double quote and newline as the format
 * says (\\ \" \n), other control bytes and bytes that are not UTF-8 as the
 * text \xNN (its backslash escaped), so nothing is lost or invalid.
 */
void tt_expo_label_value(struct strbuf *out, const char *value, size_t len);

/*
 * A family's # HELP and # TYPE lines. name is the family's (a counter's
 * without _total: that suffix is added where each format wants it).
 */
void tt_expo_family(struct strbuf *out, enum tt_expo_format format, const char *name,
                    const char *type, const char *help);
/*
 * One sample: name and suffix ("_total", "_bucket", "" ...), the labels, an
 * optional le (NULL: none) and the value's text.
 */
void tt_expo_sample(struct strbuf *out, const char *name, const char *suffix,
                    const struct tt_expo_label *labels, size_t count, const char *le,
                    const char *value);
/* What ends an exposition (OpenMetrics' # EOF). */
void tt_expo_end(struct strbuf *out, enum tt_expo_format format);

#define TT_EXPO_NUMBER_LEN 32
/* A count as text; nanoseconds as seconds, exactly ("1.500000000"). */
const char *tt_expo_u64(uint64_t value, char buf[TT_EXPO_NUMBER_LEN]);
const char *tt_expo_seconds(uint64_t ns, char buf[TT_EXPO_NUMBER_LEN]);

#endif
