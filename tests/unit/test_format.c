// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "cells.h"
#include "check.h"
#include "format.h"
#include "json.h"
#include "tcpaccept.h"
#include "tcpaccept_tool.h"
#include "tcpconnect.h"
#include "tcpconnect_tool.h"

static void test_addresses(void)
{
	char buf[TT_ADDR_STRLEN];
	unsigned char v4[4] = {192, 168, 10, 200};
	tt_format_addr(AF_INET, v4, buf);
	CHECK_STR(buf, "192.168.10.200");

	struct in6_addr a6;
	inet_pton(AF_INET6, "2001:db8:1234:5678:9abc:def0:1234:5678", &a6);
	tt_format_addr(AF_INET6, &a6, buf);
	CHECK_STR(buf, "2001:db8:1234:5678:9abc:def0:1234:5678"); /* never truncated */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &a6);
	tt_format_addr(AF_INET6, &a6, buf);
	CHECK_STR(buf, "::ffff:127.0.0.1");
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a6);
	tt_format_addr(AF_INET6, &a6, buf);
	CHECK(strlen(buf) > 0 && strlen(buf) < TT_ADDR_STRLEN);
}

/* The printf-free formatters against libc's own: every IPv4 octet, numbers of every width. */
static void test_against_libc(void)
{
	char ours[TT_ADDR_STRLEN], theirs[TT_ADDR_STRLEN];
	int ipv4_mismatches = 0;
	for (unsigned v = 0; v < 256; v++) {
		unsigned char a[4] = {(unsigned char)v, (unsigned char)(255 - v),
		                      (unsigned char)(v * 7), (unsigned char)(v / 3)};
		tt_format_addr(AF_INET, a, ours);
		inet_ntop(AF_INET, a, theirs, sizeof(theirs));
		ipv4_mismatches += strcmp(ours, theirs) != 0;
	}
	CHECK(ipv4_mismatches == 0);

	const unsigned long long values[] = {
	    0, 7, 10, 99, 65535, 4294967295ULL, 18446744073709551615ULL};
	const int widths[] = {0, 1, 5, 7, 25};
	int cell_mismatches = 0;
	for (size_t i = 0; i < TT_ARRAY_SIZE(values); i++) {
		for (size_t w = 0; w < TT_ARRAY_SIZE(widths); w++) {
			char got[64] = "", want[64];
			FILE *f = fmemopen(got, sizeof(got), "w");
			tt_cell_uint(f, values[i], widths[w]);
			tt_cell_text(f, "|ab", widths[w]);
			fclose(f);
			snprintf(want, sizeof(want), "%-*llu%-*s", widths[w], values[i], widths[w],
			         "|ab");
			cell_mismatches += strcmp(got, want) != 0;
		}
	}
	CHECK(cell_mismatches == 0);

	/* Latencies: printf's "%-9.3f" of ns / 1e6, except at exact halves of a microsecond. */
	int millis_mismatches = 0, millis_checked = 0;
	for (unsigned long long ns = 0; ns < 400000000000ULL; ns = ns * 3 + 1234567) {
		for (unsigned long long d = 0; d < 2000; d += 7) {
			unsigned long long v = ns + d;
			if (v % 1000 == 500)
				continue;
			char got[64] = "", want[64];
			FILE *f = fmemopen(got, sizeof(got), "w");
			tt_cell_millis(f, v, 9);
			tt_cell_text(f, "|", 0);
			tt_cell_millis(f, v, 0);
			fclose(f);
			snprintf(want, sizeof(want), "%-9.3f|%.3f", (double)v / 1e6,
			         (double)v / 1e6);
			millis_mismatches += strcmp(got, want) != 0;
			millis_checked++;
		}
	}
	CHECK(millis_checked > 1000 && millis_mismatches == 0);
}

static void test_comm(void)
{
	char out[TT_COMM_TEXT_LEN];
	tt_format_comm("curl", 16, out);
	CHECK_STR(out, "curl");
	tt_format_comm("a\x1b[2Jb\n\"\\", 16, out);
	CHECK_STR(out, "a?[2Jb?\"\\");
	/* Sixteen bytes without a NUL: all kept, none read beyond. */
	tt_format_comm("0123456789abcdef", 16, out);
	CHECK_STR(out, "0123456789abcdef");
	tt_format_comm("caf\xc3\xa9", 16, out); /* UTF-8 passes through */
	CHECK_STR(out, "caf\xc3\xa9");
}

static void test_text_of_any_length(void)
{
	char out[64];
	tt_format_safe("/system.slice/a\x1b]0;x\x07.service", 64, out, sizeof(out));
	CHECK_STR(out, "/system.slice/a?]0;x?.service");
	tt_format_safe("0123456789", 10, out, 5); /* cut to fit, still terminated */
	CHECK_STR(out, "0123");
	tt_format_safe("abc\0def", 8, out, sizeof(out));
	CHECK_STR(out, "abc");
}

static void test_text_not_utf8_or_c1(void)
{
	char out[64];
	/* U+009B is CSI to a terminal that takes C1 controls; a lone 0x9b is too. */
	tt_format_safe("a\xc2\x9b[2Jb\x9b[2J", 64, out, sizeof(out));
	CHECK_STR(out, "a??[2Jb?[2J");
	tt_format_safe("\xff\xfe", 64, out, sizeof(out));
	CHECK_STR(out, "??");
	tt_format_safe("\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80", 64, out, sizeof(out));
	/* An overlong '/', a surrogate, a character beyond U+10FFFF. */
	CHECK_STR(out, "?????????");
	/* A name the kernel cut in the middle of a character. */
	tt_format_safe("caf\xc3", 4, out, sizeof(out));
	CHECK_STR(out, "caf?");
	tt_format_safe("\xf0\x9f\x98\x80 \xc2\xa0\xe2\x82\xac", 64, out, sizeof(out));
	CHECK_STR(out, "\xf0\x9f\x98\x80 \xc2\xa0\xe2\x82\xac");
	tt_format_safe("ab\xc3\xa9", 4, out, 4); /* never half a character */
	CHECK_STR(out, "ab");
}

static void test_json_string_c1(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	CHECK(out != NULL);
	if (!out)
		return;
	/* C1 escaped like C0; other UTF-8 as it is; a byte that is not UTF-8 is U+FFFD. */
	tt_json_string(out, "a\xc2\x9b[2J\x1b\xc2\xa0\xff", 64);
	fclose(out);
	CHECK_STR(text, "\"a\\u009b[2J\\u001b\xc2\xa0\\ufffd\"");
	free(text);
	/* The terminal's rule of what is UTF-8: an overlong '/', a surrogate, past U+10FFFF. */
	text = NULL;
	out = open_memstream(&text, &len);
	CHECK(out != NULL);
	if (!out)
		return;
	tt_json_string(out, "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80\xf0\x9f\x98\x80", 64);
	fclose(out);
	CHECK_STR(text, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
	                "\xf0\x9f\x98\x80\"");
	free(text);
}

static void test_path_tail(void)
{
	char out[128];
	tt_format_path_tail("/system.slice/nginx.service", 32, out, sizeof(out));
	CHECK_STR(out, "/system.slice/nginx.service");
	tt_format_path_tail("/kubepods.slice/kubepods-burstable.slice/pod42.slice", 32, out,
	                    sizeof(out));
	CHECK_STR(out, "...s-burstable.slice/pod42.slice");
	CHECK(strlen(out) == 32);
	/* Exactly the width: kept whole. */
	tt_format_path_tail("/0123456789012345678901234567890", 32, out, sizeof(out));
	CHECK_STR(out, "/0123456789012345678901234567890");
	/* A last component longer than the cell: kept whole, the cell grows. */
	tt_format_path_tail("/kubepods.slice/cri-containerd-0123456789abcdef0123456789.scope", 32,
	                    out, sizeof(out));
	CHECK_STR(out, ".../cri-containerd-0123456789abcdef0123456789.scope");
	/* The cut falls inside a two-byte character: it starts after it. */
	tt_format_path_tail("/a/x\xc3\xa9/bcd", 8, out, sizeof(out));
	CHECK_STR(out, ".../bcd");
	tt_format_path_tail("/aaaaaa/x/b\xc3\xa9", 8, out, sizeof(out));
	CHECK_STR(out, "...x/b\xc3\xa9");
	/* out too small: cut, still terminated. */
	char tiny[6];
	tt_format_path_tail("/a/verylongname", 4, tiny, sizeof(tiny));
	CHECK_STR(tiny, ".../v");
}

static void test_clock(void)
{
	setenv("TZ", "UTC", 1);
	struct tt_clock clock;
	tt_clock_init(&clock);
	/* Pin the offset so a known kernel time maps to a known wall time. */
	clock.realtime_minus_monotonic_ns = 1700000000LL * 1000000000LL; /* 2023-11-14T22:13:20Z */
	clock.start_ns = 5000000000ULL;
	CHECK_STR(tt_clock_hms(&clock, 0), "22:13:20");
	CHECK_STR(tt_clock_hms(&clock, 61500000000ULL), "22:14:21");
	CHECK(tt_clock_elapsed(&clock, 6250000000ULL) > 1.249 &&
	      tt_clock_elapsed(&clock, 6250000000ULL) < 1.251);
	char rfc[40];
	tt_clock_rfc3339(&clock, 1234000000ULL, rfc);
	CHECK_STR(rfc, "2023-11-14T22:13:21.234+00:00");
	/* Cached per second: the next second, then the same one again. */
	tt_clock_rfc3339(&clock, 2005000000ULL, rfc);
	CHECK_STR(rfc, "2023-11-14T22:13:22.005+00:00");
	tt_clock_rfc3339(&clock, 2999000000ULL, rfc);
	CHECK_STR(rfc, "2023-11-14T22:13:22.999+00:00");
}

/* A tool's header and event lines for a command line, with a clock pinned at 2023-11-14T22:13:20Z.
 */
static char *print_lines(const struct tt_tool *tool, const char *options, const void *events,
                         size_t count)
{
	char *argv[8] = {"test"}, copy[64];
	int argc = 1;
	snprintf(copy, sizeof(copy), "%s", options);
	for (char *word = strtok(copy, " "); word && argc < 7; word = strtok(NULL, " "))
		argv[argc++] = word;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	setenv("TZ", "UTC", 1);
	struct tt_clock clock;
	tt_clock_init(&clock);
	clock.realtime_minus_monotonic_ns = 1700000000LL * 1000000000LL;
	clock.start_ns = 0;
	CHECK(tt_tool_print(tool, argc, argv, out, &clock, events, count) == 0);
	fclose(out);
	return text;
}

static void test_tcpconnect_line(void)
{
	struct tcpconnect_event e = {
	    .base = {.head = {.ts_ns = 0, .pid = 4242, .uid = 1000},
	             .flow = {.family = AF_INET, .lport = 50000, .rport = 443}}};
	memcpy(e.base.flow.laddr, (unsigned char[]){10, 0, 0, 1}, 4);
	memcpy(e.base.flow.raddr, (unsigned char[]){10, 0, 0, 2}, 4);
	memcpy(e.base.head.comm, "curl\x1b", 5);
	char *text = print_lines(&tcpconnect_tool, "", &e, 1);
	CHECK_STR(text,
	          "TIME     PID     COMM             SADDR           SPORT DADDR           DPORT\n"
	          "22:13:20 4242    curl?            10.0.0.1        50000 10.0.0.2        443\n");
	free(text);
	text = print_lines(&tcpconnect_tool, "-U", &e, 1);
	CHECK_STR(text, "TIME     UID    PID     COMM             SADDR           SPORT DADDR      "
	                "     DPORT\n"
	                "22:13:20 1000   4242    curl?            10.0.0.1        50000 10.0.0.2   "
	                "     443\n");
	free(text);
	text = print_lines(&tcpconnect_tool, "-j", &e, 1);
	CHECK_STR(text,
	          "{\"time\": \"2023-11-14T22:13:20.000+00:00\", \"pid\": 4242, \"uid\": 1000, "
	          "\"comm\": \"curl\\u001b\", \"ip\": 4, \"saddr\": \"10.0.0.1\", \"sport\": "
	          "50000, \"daddr\": \"10.0.0.2\", \"dport\": 443}\n");
	free(text);
}

/* -o's cells: the latency with three decimals, then the result word. */
static void test_tcpconnect_outcome(void)
{
	struct tcpconnect_event e[4] = {
	    {.base = {.head = {.pid = 1}, .flow = {.family = AF_INET, .lport = 50000, .rport = 80}},
	     .outcome = {.latency_ns = 1234567, .error = 111, .result = TT_RESULT_REFUSED}},
	    {.base = {.head = {.pid = 2}, .flow = {.family = AF_INET, .lport = 50001, .rport = 80}},
	     .outcome = {.latency_ns = 127000000000ULL, .result = TT_RESULT_TIMEOUT}},
	    /* An error with no word of its own: its errno's name, one token whatever the value. */
	    {.base = {.head = {.pid = 3}, .flow = {.family = AF_INET, .lport = 50002, .rport = 80}},
	     .outcome = {.result = TT_RESULT_ERRNO + EPROTO, .error = EPROTO}},
	    {.base = {.head = {.pid = 4}, .flow = {.family = AF_INET, .lport = 50003, .rport = 80}},
	     .outcome = {.result = UINT32_MAX}},
	};
	for (size_t i = 0; i < 4; i++) {
		memcpy(e[i].base.flow.laddr, (unsigned char[]){10, 0, 0, 1}, 4);
		memcpy(e[i].base.flow.raddr, (unsigned char[]){10, 0, 0, 2}, 4);
		memcpy(e[i].base.head.comm, "curl", 4);
	}
	char *text = print_lines(&tcpconnect_tool, "-o", e, 4);
	CHECK_STR(text, "TIME     PID     COMM             SADDR           SPORT DADDR           "
	                "DPORT LAT(ms)   RESULT     \n"
	                "22:13:20 1       curl             10.0.0.1        50000 10.0.0.2        "
	                "80    1.235     refused    \n"
	                "22:13:20 2       curl             10.0.0.1        50001 10.0.0.2        "
	                "80    127000.000 timeout    \n"
	                "22:13:20 3       curl             10.0.0.1        50002 10.0.0.2        "
	                "80    0.000     EPROTO     \n"
	                "22:13:20 4       curl             10.0.0.1        50003 10.0.0.2        "
	                "80    0.000     error4294967295\n");
	free(text);
	text = print_lines(&tcpconnect_tool, "--failed -j", e, 1);
	CHECK_STR(text, "{\"time\": \"2023-11-14T22:13:20.000+00:00\", \"pid\": 1, \"uid\": 0, "
	                "\"comm\": \"curl\", \"ip\": 4, \"saddr\": \"10.0.0.1\", \"sport\": "
	                "50000, \"daddr\": \"10.0.0.2\", \"dport\": 80, \"latency_ms\": 1.235, "
	                "\"result\": \"refused\"}\n");
	free(text);
}

static void test_tcpaccept_line(void)
{
	struct tcpaccept_event e = {
	    .base = {.head = {.ts_ns = 2000000000ULL, .pid = 77},
	             .flow = {.family = AF_INET6, .lport = 443, .rport = 40000}},
	    .backlog = 2,
	    .backlog_max = 7,
	    .flags = TCPACCEPT_BACKLOG_KNOWN};
	inet_pton(AF_INET6, "2001:db8::1", e.base.flow.laddr);
	inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", e.base.flow.raddr);
	memcpy(e.base.head.comm, "nginx", 5);
	char *text = print_lines(&tcpaccept_tool, "", &e, 1);
	CHECK_STR(text, "TIME     PID     COMM             RADDR           RPORT LADDR           "
	                "LPORT BL\n"
	                "22:13:22 77      nginx            2001:db8:ffff:ffff:ffff:ffff:ffff:fffe "
	                "40000 2001:db8::1     443   2/7\n");
	free(text);

	/* A listener not known (accept() began before tracing): "-" and JSON null. */
	e.flags = 0;
	text = print_lines(&tcpaccept_tool, "-t", &e, 1);
	CHECK_STR(text, "TIME(s)  PID     COMM             RADDR           RPORT LADDR           "
	                "LPORT BL\n"
	                "2.000    77      nginx            2001:db8:ffff:ffff:ffff:ffff:ffff:fffe "
	                "40000 2001:db8::1     443   -\n");
	free(text);
}

/* -t's TIME(s) cell against printf's "%-8.3f" of the same seconds. */
static void test_elapsed_against_printf(void)
{
	const unsigned long long ns[] = {
	    0, 1, 499999, 1500001, 999999999, 61234567890ULL, 123456789012ULL};
	int mismatches = 0;
	for (size_t i = 0; i < TT_ARRAY_SIZE(ns); i++) {
		struct tcpconnect_event e = {
		    .base = {.head = {.ts_ns = ns[i], .pid = 1}, .flow = {.family = AF_INET}}};
		char *text = print_lines(&tcpconnect_tool, "-t", &e, 1);
		char want[32];
		snprintf(want, sizeof(want), "%-8.3f ", (double)ns[i] / 1e9);
		const char *line = text ? strchr(text, '\n') : NULL;
		mismatches += !line || strncmp(line + 1, want, strlen(want)) != 0;
		free(text);
	}
	CHECK(mismatches == 0);
}

int main(void)
{
	test_addresses();
	test_against_libc();
	test_comm();
	test_text_not_utf8_or_c1();
	test_json_string_c1();
	test_text_of_any_length();
	test_path_tail();
	test_clock();
	test_tcpconnect_line();
	test_tcpconnect_outcome();
	test_tcpaccept_line();
	test_elapsed_against_printf();
	return check_done("test_format");
}
