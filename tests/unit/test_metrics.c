// SPDX-License-Identifier: Apache-2.0
/*
 * --metrics: the contract between the BPF text and user space
 * (bpfsrc/tt_metrics.h) and the exposition writer (common/print/exposition.c).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check.h"
#include "exposition.h"
#include "tt_contract.h"
#include "tt_metrics.h"

extern const char tcpconnect_kprobe_bpf[];
extern const char tcpconnect_tracepoint_bpf[];
extern const char tcpaccept_kprobe_bpf[];
extern const char tcpaccept_tracepoint_bpf[];

/* A decimal text of seconds as nanoseconds, exactly; UINT64_MAX if not one. */
static uint64_t decimal_ns(const char *text)
{
	uint64_t whole = 0, frac = 0, scale = 1000000000ULL;
	const char *p = text;
	for (; *p >= '0' && *p <= '9'; p++)
		whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++) {
			scale /= 10;
			frac += (uint64_t)(*p - '0') * scale;
		}
	return *p || p == text ? UINT64_MAX : whole * 1000000000ULL + frac;
}

/* The kernel's ladder and the exposition's le: the same edges, ascending, all counted. */
static void test_edges(void)
{
	static const uint64_t ns[] = {
#define EDGE_NS(n, le) n,
	    TT_METRICS_EDGES(EDGE_NS)
#undef EDGE_NS
	};
	static const char *const le[] = {
#define EDGE_LE(n, le) le,
	    TT_METRICS_EDGES(EDGE_LE)
#undef EDGE_LE
	};
	CHECK(TT_ARRAY_SIZE(ns) == TT_METRICS_EDGE_COUNT);
	for (size_t i = 0; i < TT_METRICS_EDGE_COUNT; i++) {
		CHECK(decimal_ns(le[i]) == ns[i]);
		CHECK(i == 0 || ns[i] > ns[i - 1]);
	}
	/* Each SYN retransmission (1 s, then doubling) has its own bucket up to 128 s. */
	for (uint64_t s = 1; s <= 128; s *= 2) {
		int found = 0;
		for (size_t i = 0; i < TT_METRICS_EDGE_COUNT; i++)
			found += ns[i] == s * 1000000000ULL;
		CHECK(found == 1);
	}
}

/* The key has no hole: a key the kernel zeroes compares equal by its bytes in user space. */
static void test_layout(void)
{
	CHECK(sizeof(struct tt_metrics_key) == 16 + 8 + TT_COMM_LEN + 4 + 2 + 2 + 4 + 4 + 4 + 4);
	CHECK(offsetof(struct tt_metrics_key, unused) + 4 == sizeof(struct tt_metrics_key));
	CHECK(sizeof(struct tt_metrics_value) == sizeof(__u64) * (2 + TT_METRICS_BUCKET_COUNT));
}

/* Every BPF text declares the table user space opens, with the shared layout. */
static void test_texts(void)
{
	const char *const texts[] = {tcpconnect_kprobe_bpf, tcpconnect_tracepoint_bpf,
	                             tcpaccept_kprobe_bpf, tcpaccept_tracepoint_bpf};
	char declared[128];
	snprintf(declared, sizeof(declared),
	         "BPF_F_TABLE(\"hash\", struct tt_metrics_key, struct tt_metrics_value, %s,",
	         TT_TABLE(tt_metrics));
	for (size_t i = 0; i < TT_ARRAY_SIZE(texts); i++) {
		const char *flat = texts[i];
		/* The declaration spans lines: compare with whitespace runs as one space. */
		char *copy = malloc(strlen(flat) + 1);
		size_t n = 0;
		for (const char *p = flat; *p; p++) {
			int space = *p == ' ' || *p == '\n' || *p == '\t';
			if (space && n && copy[n - 1] == ' ')
				continue;
			if (space)
				copy[n++] = ' ';
			else
				copy[n++] = *p;
		}
		copy[n] = '\0';
		CHECK(strstr(copy, declared) != NULL);
		CHECK(strstr(copy, "TT_METRICS_LABELS & TT_METRICS_LABEL_PORT") != NULL);
		free(copy);
	}
}

static const char *escaped(const char *value, size_t len)
{
	static struct strbuf sb;
	strbuf_free(&sb);
	tt_expo_label_value(&sb, value, len);
	return strbuf_text(&sb);
}

static void test_escaping(void)
{
	CHECK_STR(escaped("curl", 16), "\"curl\"");
	CHECK_STR(escaped("a\"b\\c\nd", 7), "\"a\\\"b\\\\c\\nd\"");
	CHECK_STR(escaped("x\x07y", 3), "\"x\\\\x07y\"");        /* a control byte, shown */
	CHECK_STR(escaped("\xff\xfe", 2), "\"\\\\xff\\\\xfe\""); /* not UTF-8 */
	CHECK_STR(escaped("caf\xc3\xa9", 5), "\"caf\xc3\xa9\""); /* UTF-8 passes */
	CHECK_STR(escaped("\xc3", 1), "\"\\\\xc3\"");            /* cut short */
	CHECK_STR(escaped("ab\0cd", 5), "\"ab\"");               /* a COMM ends at its NUL */
	CHECK_STR(escaped("", 0), "\"\"");
	escaped(NULL, 0);
}

static void test_samples(void)
{
	struct strbuf sb;
	strbuf_init(&sb);
	const struct tt_expo_label labels[] = {{"result", "timeout", 7}, {"family", "ipv4", 4}};
	tt_expo_family(&sb, TT_EXPO_TEXT, "tcptools_connects", "counter", "Attempts.");
	tt_expo_sample(&sb, "tcptools_connects", "_total", labels, 2, NULL, "3");
	tt_expo_sample(&sb, "h", "_bucket", labels, 1, "+Inf", "3");
	tt_expo_sample(&sb, "g", "", NULL, 0, NULL, "1");
	tt_expo_end(&sb, TT_EXPO_TEXT);
	CHECK_STR(strbuf_text(&sb),
	          "# HELP tcptools_connects_total Attempts.\n"
	          "# TYPE tcptools_connects_total counter\n"
	          "tcptools_connects_total{result=\"timeout\",family=\"ipv4\"} 3\n"
	          "h_bucket{result=\"timeout\",le=\"+Inf\"} 3\n"
	          "g 1\n");
	strbuf_free(&sb);
	tt_expo_family(&sb, TT_EXPO_OPENMETRICS, "c", "counter", "C.");
	tt_expo_end(&sb, TT_EXPO_OPENMETRICS);
	CHECK_STR(strbuf_text(&sb), "# HELP c C.\n# TYPE c counter\n# EOF\n");
	strbuf_free(&sb);
	char buf[TT_EXPO_NUMBER_LEN];
	CHECK_STR(tt_expo_seconds(3000000001ULL, buf), "3.000000001");
	CHECK_STR(tt_expo_seconds(0, buf), "0.000000000");
	CHECK_STR(tt_expo_u64(UINT64_MAX, buf), "18446744073709551615");
	/* What Prometheus 2.42 sends, and what curl sends. */
	CHECK(tt_expo_format_for("application/openmetrics-text;version=1.0.0,application/"
	                         "openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;"
	                         "q=0.5,*/*;q=0.1") == TT_EXPO_OPENMETRICS);
	CHECK(tt_expo_format_for("*/*") == TT_EXPO_TEXT);
	CHECK(tt_expo_format_for(NULL) == TT_EXPO_TEXT);
}

int main(void)
{
	test_edges();
	test_layout();
	test_texts();
	test_escaping();
	test_samples();
	return check_done("test_metrics");
}
