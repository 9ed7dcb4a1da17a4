// SPDX-License-Identifier: Apache-2.0
/*
 * print_cost: the tracer's printing path alone, for instruction counts that
 * do not depend on the machine's load (bench/RESULTS.md):
 *
 *   valgrind --tool=callgrind build/print_cost tcpconnect 100000 -j
 *
 * prints COUNT storm-like events (loopback IPv4, one every 10 us) through
 * tt_tool_print, the code a run prints with, to /dev/null; instructions per
 * event = callgrind's total / COUNT (start-up is a few thousand).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "tcpaccept.h"
#include "tcpaccept_tool.h"
#include "tcpconnect.h"
#include "tcpconnect_tool.h"

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: print_cost tcpconnect|tcpaccept COUNT [OPTION...]\n");
		return 2;
	}
	const bool accept = strcmp(argv[1], "tcpaccept") == 0;
	size_t count = strtoul(argv[2], NULL, 10);
	size_t size = accept ? sizeof(struct tcpaccept_event) : sizeof(struct tcpconnect_event);
	unsigned char *events = calloc(count ? count : 1, size);
	FILE *out = fopen("/dev/null", "w");
	if (!events || !out || count == 0)
		return 1;
	static char buffer[1 << 16];
	setvbuf(out, buffer, _IOFBF, sizeof(buffer));
	for (size_t i = 0; i < count; i++) {
		struct tt_event *e = (struct tt_event *)(events + i * size);
		e->head.ts_ns = 1000000000ULL + i * 10000;
		e->head.pid = 4242;
		memcpy(e->head.comm, "storm", 6);
		e->flow.family = AF_INET;
		e->flow.lport = (__u16)(32768 + i % 28000);
		e->flow.rport = 40000;
		memcpy(e->flow.laddr, (unsigned char[]){127, 0, 0, 1}, 4);
		memcpy(e->flow.raddr, (unsigned char[]){127, 0, 0, 1}, 4);
		if (accept) {
			((struct tcpaccept_event *)e)->backlog = 0;
			((struct tcpaccept_event *)e)->backlog_max = 4096;
			((struct tcpaccept_event *)e)->flags = TCPACCEPT_BACKLOG_KNOWN;
		}
	}
	struct tt_clock clock;
	tt_clock_init(&clock);
	char *args[16] = {argv[1]};
	int n = 1;
	for (int i = 3; i < argc && n < 15; i++)
		args[n++] = argv[i];
	int rc = tt_tool_print(accept ? &tcpaccept_tool : &tcpconnect_tool, n, args, out, &clock,
	                       events, count);
	fclose(out);
	free(events);
	return rc == 0 ? 0 : 1;
}
