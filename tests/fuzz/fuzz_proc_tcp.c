// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: a line of /proc/PID/net/tcp or tcp6 (tcpconnect -o reads
 * the source port of an attempt still pending at the end there). Besides not
 * crashing: a line parsed gives a port and a state that fit their fields.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "fuzz_checks.h"
#include "proc_tcp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct tt_proc_socket socket;
	(void)tt_proc_tcp_parse_line(text, &socket);
	free(text);
	return 0;
}
