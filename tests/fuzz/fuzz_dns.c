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
#include <locale.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <wchar.h>

#include "features/dns_names.h"
#include "format.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_printable(const char *name)
{
	size_t len = strnlen(name, TT_DNS_NAME_MAX + 1);
	if (len == 0 || len > TT_DNS_NAME_MAX)
		abort();
	char text[TT_DNS_NAME_MAX + 1];
	tt_format_safe(name, len, text, sizeof(text));
	for (const char *p = text; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	/* And valid UTF-8 without C1 controls, by glibc's own decoder. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		abort();
	mbstate_t state = {0};
	for (size_t i = 0, n = strlen(text); i < n;) {
		wchar_t wc;
		size_t used = mbrtowc(&wc, text + i, n - i, &state);
		if (used == 0 || used > n - i || (wc >= 0x80 && wc <= 0x9f))
			abort();
		i += used;
	}
	char *json = NULL;
	size_t json_len = 0;
	FILE *out = open_memstream(&json, &json_len);
	if (!out)
		return;
	tt_json_string(out, name, len);
	fclose(out);
	for (size_t i = 0; i < json_len; i++)
		if ((unsigned char)json[i] < 0x20 || json[i] == 0x7f)
			abort();
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
