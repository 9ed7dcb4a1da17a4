// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: --daddr/--raddr's CIDR lists (tt_parse_cidr_list). Any
 * bytes must end in a list or a one-line reason, never a crash; and what is
 * accepted must hold: at most TT_MAX_CIDRS prefixes, each no longer than its
 * family's address, no bit set past it, no two the same, and a reason must
 * be one line a terminal shows as text (every item it names is escaped).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_checks.h"
#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_prefix(const struct tt_cidr *c)
{
	unsigned size = c->ipv6 ? 16 : 4;
	if (c->bits > size * 8)
		abort();
	for (unsigned bit = c->bits; bit < 128; bit++)
		if (c->addr[bit / 8] & (0x80u >> (bit % 8)))
			abort(); /* past the prefix, or past an IPv4 address */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	struct tt_cidr_list *list = calloc(1, sizeof(*list));
	if (!list) {
		free(text);
		return 0;
	}
	const char *why = tt_parse_cidr_list(text, list);
	if (why) {
		fuzz_check_controls(why, strlen(why), false);
	} else {
		if (list->count == 0 || list->count > TT_MAX_CIDRS)
			abort();
		for (size_t i = 0; i < list->count; i++) {
			check_prefix(&list->items[i]);
			for (size_t j = 0; j < i; j++)
				if (list->items[i].ipv6 == list->items[j].ipv6 &&
				    list->items[i].bits == list->items[j].bits &&
				    memcmp(list->items[i].addr, list->items[j].addr, 16) == 0)
					abort();
		}
	}
	free(list);
	free(text);
	return 0;
}
