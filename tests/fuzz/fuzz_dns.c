// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: -d's answer handling. The input is taken as a DNS
 * message from port 53 (any bytes: malformed, truncated, compression loops)
 * and learnt into one cache that lives across inputs, so eviction is
 * exercised too. Every 4- and 16-byte window of the input is then looked up
 * as an address (the addresses of its records are among them), and each
 * name found must be at most TT_DNS_NAME_MAX bytes and print as one clean
 * line, as text and as JSON. ASan and LeakSanitizer catch the rest.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "features/dns_names.h"
#include "format.h"
#include "fuzz_checks.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_printable(const char *name)
{
	size_t len = strnlen(name, TT_DNS_NAME_MAX + 1);
	if (len == 0 || len > TT_DNS_NAME_MAX)
		abort();
	char text[TT_DNS_NAME_MAX + 1];
	tt_format_safe(name, len, text, sizeof(text));
	fuzz_check_controls(text, strlen(text), false);
	fuzz_check_utf8(text, strlen(text));
	char *json = NULL;
	size_t json_len = 0;
	FILE *out = open_memstream(&json, &json_len);
	if (!out)
		return;
	tt_json_string(out, name, len);
	fclose(out);
	fuzz_check_controls(json, json_len, false);
	free(json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tt_dns_names *names;
	static uint64_t now;
	if (!names)
		names = tt_dns_names_new();
	if (!names)
		return 0;
	now += 1000000000ULL;
	if (tt_dns_names_learn(names, data, size, now) < 0)
		abort();
	for (size_t i = 0; i + 4 <= size; i++) {
		const char *name = tt_dns_names_lookup(names, AF_INET, data + i, now);
		if (name)
			check_printable(name);
		if (i + 16 <= size && (name = tt_dns_names_lookup(names, AF_INET6, data + i, now)))
			check_printable(name);
	}
	return 0;
}
