// SPDX-License-Identifier: Apache-2.0
#include <arpa/inet.h>
#include <stdlib.h>

#include "check.h"
#include "format.h"
#include "tcpaccept_output.h"
#include "tcpconnect_output.h"

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
}

/* A tool's header and one event line, printed with a clock pinned at 2023-11-14T22:13:20Z. */
static char *print_header_and_line(void (*header)(struct tt_output *),
                                   void (*line)(struct tt_output *, const void *), const void *e)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	struct tt_output o = {0};
	setenv("TZ", "UTC", 1);
	tt_output_init(&o, out);
	o.clock.realtime_minus_monotonic_ns = 1700000000LL * 1000000000LL;
	header(&o);
	line(&o, e);
	fclose(out);
	return text;
}

static void test_tcpconnect_line(void)
{
	struct tcpconnect_event e = {
	    .ts_ns = 0, .pid = 4242, .family = AF_INET, .sport = 50000, .dport = 443};
	memcpy(e.saddr, (unsigned char[]){10, 0, 0, 1}, 4);
	memcpy(e.daddr, (unsigned char[]){10, 0, 0, 2}, 4);
	memcpy(e.comm, "curl\x1b", 5);
	char *text = print_header_and_line(tcpconnect_print_header, tcpconnect_print_event, &e);
	CHECK_STR(text,
	          "TIME     PID     COMM             SADDR           SPORT DADDR           DPORT\n"
	          "22:13:20 4242    curl?            10.0.0.1        50000 10.0.0.2        443\n");
	free(text);
}

static void test_tcpaccept_line(void)
{
	struct tcpaccept_event e = {.ts_ns = 2000000000ULL,
	                            .pid = 77,
	                            .family = AF_INET6,
	                            .lport = 443,
	                            .rport = 40000,
	                            .backlog = 2,
	                            .backlog_max = 7,
	                            .flags = TCPACCEPT_BACKLOG_KNOWN};
	inet_pton(AF_INET6, "2001:db8::1", e.laddr);
	inet_pton(AF_INET6, "2001:db8:ffff:ffff:ffff:ffff:ffff:fffe", e.raddr);
	memcpy(e.comm, "nginx", 5);
	char *text = print_header_and_line(tcpaccept_print_header, tcpaccept_print_event, &e);
	CHECK_STR(text, "TIME     PID     COMM             RADDR           RPORT LADDR           "
	                "LPORT BL\n"
	                "22:13:22 77      nginx            2001:db8:ffff:ffff:ffff:ffff:ffff:fffe "
	                "40000 2001:db8::1     443   2/7\n");
	free(text);

	/* A listener not known (accept() began before tracing): "-" and JSON null. */
	e.flags = 0;
	text = print_header_and_line(tcpaccept_print_header, tcpaccept_print_event, &e);
	CHECK_STR(text, "TIME     PID     COMM             RADDR           RPORT LADDR           "
	                "LPORT BL\n"
	                "22:13:22 77      nginx            2001:db8:ffff:ffff:ffff:ffff:ffff:fffe "
	                "40000 2001:db8::1     443   -\n");
	free(text);
}

int main(void)
{
	test_addresses();
	test_comm();
	test_clock();
	test_tcpconnect_line();
	test_tcpaccept_line();
	return check_done("test_format");
}
