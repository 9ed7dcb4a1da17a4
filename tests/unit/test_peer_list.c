// SPDX-License-Identifier: Apache-2.0
/*
 * --daddr/--raddr's short list (tt_peer_list_fill, common/features/filters.c):
 * its order and masks, and the verdicts of the BPF text's compare
 * (bpfsrc/tt_helpers.bpf.h, restated here) against the rule as the man page
 * says it, for peers in and around each prefix.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "filters.h"
#include "parse.h"
#include "tt_filter.h"

/* A peer: family and address as the text gets it (IPv4: 4 bytes). */
struct peer {
	int family;
	uint8_t addr[16];
};

static struct peer peer_of(const char *text)
{
	struct peer p = {.family = strchr(text, ':') ? AF_INET6 : AF_INET};
	CHECK(inet_pton(p.family, text, p.addr) == 1);
	return p;
}

/* The BPF text's compare, word by word, longest prefix first. */
static bool list_wants(const struct tt_peer_list *list, const struct peer *p)
{
	uint32_t peer[TT_PEER_WORDS] = {0};
	if (p->family == AF_INET) {
		peer[2] = htonl(0xffff);
		memcpy(&peer[3], p->addr, 4);
	} else {
		memcpy(peer, p->addr, 16);
	}
	for (uint32_t i = 0; i < TT_PEER_INLINE_MAX && i < list->count; i++) {
		uint32_t differ = 0;
		for (int w = 0; w < TT_PEER_WORDS; w++)
			differ |= (peer[w] & list->prefixes[i].mask[w]) ^ list->prefixes[i].addr[w];
		if (!differ)
			return list->prefixes[i].verdict == TT_PEER_WANTED;
	}
	return list->otherwise == TT_PEER_WANTED;
}

/* The rule: the longest prefix given holding the peer decides (IPv4 as ::ffff:a.b.c.d). */
static bool rule_wants(const struct tt_cidr_list *cidrs, const struct peer *p)
{
	uint8_t v6[16] = {0};
	if (p->family == AF_INET) {
		v6[10] = v6[11] = 0xff;
		memcpy(v6 + 12, p->addr, 4);
	} else {
		memcpy(v6, p->addr, 16);
	}
	bool mapped = memcmp(v6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0;
	int best = -1, any_wanted = 0;
	bool wanted = false;
	for (size_t i = 0; i < cidrs->count; i++) {
		const struct tt_cidr *c = &cidrs->items[i];
		any_wanted |= !c->excluded;
		const uint8_t *addr = c->ipv6 ? v6 : v6 + 12;
		if (!c->ipv6 && !mapped)
			continue;
		bool holds = true;
		for (unsigned bit = 0; bit < c->bits; bit++)
			holds = holds &&
			        ((addr[bit / 8] ^ c->addr[bit / 8]) & (0x80 >> (bit % 8))) == 0;
		int length = c->bits + (c->ipv6 ? 0 : 96);
		if (holds && length > best) {
			best = length;
			wanted = !c->excluded;
		}
	}
	return best >= 0 ? wanted : !any_wanted;
}

static void test_order_and_masks(void)
{
	struct tt_cidr_list cidrs = {0};
	struct tt_peer_list list;
	CHECK(tt_parse_cidr_list("fd00::/8,10.0.0.0/8,!10.1.0.0/16", &cidrs) == NULL);
	CHECK(tt_peer_list_fill(&cidrs, &list) == 0);
	CHECK(list.count == 3 && list.otherwise == TT_PEER_EXCLUDED);
	/* 10.1/16 as ::ffff:10.1.0.0/112, then 10/8 (/104), then fd00::/8. */
	const struct tt_peer_prefix *p = list.prefixes;
	CHECK(p[0].verdict == TT_PEER_EXCLUDED && p[1].verdict == TT_PEER_WANTED &&
	      p[2].verdict == TT_PEER_WANTED);
	CHECK(p[0].addr[0] == 0 && p[0].addr[1] == 0 && p[0].addr[2] == htonl(0xffff) &&
	      p[0].addr[3] == htonl(0x0a010000));
	CHECK(p[0].mask[0] == UINT32_MAX && p[0].mask[2] == UINT32_MAX &&
	      p[0].mask[3] == htonl(0xffff0000));
	CHECK(p[1].addr[3] == htonl(0x0a000000) && p[1].mask[3] == htonl(0xff000000));
	CHECK(p[2].addr[0] == htonl(0xfd000000) && p[2].mask[0] == htonl(0xff000000) &&
	      p[2].mask[1] == 0 && p[2].mask[3] == 0 && p[2].addr[3] == 0);
	/* Only exclusions: a peer in none is wanted. */
	cidrs.count = 0;
	CHECK(tt_parse_cidr_list("!127.0.0.0/8,!::1", &cidrs) == NULL);
	CHECK(tt_peer_list_fill(&cidrs, &list) == 0);
	CHECK(list.count == 2 && list.otherwise == TT_PEER_WANTED);
	CHECK(list.prefixes[0].mask[3] == UINT32_MAX && list.prefixes[0].addr[3] == htonl(1));
	/* More than the list holds: the trie's. */
	cidrs.count = 0;
	char many[256] = "10.0.0.0/8";
	for (int i = 1; i <= TT_PEER_INLINE_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",192.0.2.%d", i);
	CHECK(tt_parse_cidr_list(many, &cidrs) == NULL && cidrs.count == TT_PEER_INLINE_MAX + 1);
	CHECK(tt_peer_list_fill(&cidrs, &list) == -1);
}

static void test_verdicts(void)
{
	static const char *const lists[] = {
	    "10.0.0.0/8,!10.1.0.0/16",
	    "!10.0.0.0/8,10.1.0.0/16,!10.1.2.3",
	    "127.0.0.2,fd00::2",
	    "!127.0.0.0/8",
	    "fd00::/16,!::ffff:127.0.0.1/128",
	    "!::/0,10.0.0.0/8",
	    "0.0.0.0/0,!fd00::/8,!::fffe:0:0/95",
	    "!::ffff:10.0.0.0/104,10.1.0.0/16,fc00::/7,!fd00::/8,fd00::1,::/1",
	};
	static const char *const peers[] = {
	    "10.0.0.1",         "10.1.0.1",        "10.1.2.3",
	    "10.2.0.0",         "11.0.0.1",        "127.0.0.1",
	    "127.0.0.2",        "0.0.0.0",         "::1",
	    "fd00::1",          "fd00::2",         "fc00::1",
	    "fd01::1",          "2001::1",         "::",
	    "8000::1",          "::ffff:10.1.0.1", "::ffff:127.0.0.1",
	    "::ffff:127.0.0.2", "::fffe:10.0.0.1", "::1:ffff:10.0.0.1",
	};
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		struct tt_cidr_list cidrs = {0};
		struct tt_peer_list list;
		CHECK(tt_parse_cidr_list(lists[l], &cidrs) == NULL);
		CHECK(tt_peer_list_fill(&cidrs, &list) == 0);
		for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++) {
			struct peer p = peer_of(peers[i]);
			bool ok = list_wants(&list, &p) == rule_wants(&cidrs, &p);
			if (!ok)
				fprintf(stderr, "  %s with %s\n", peers[i], lists[l]);
			CHECK(ok);
		}
	}
	/* Spot checks of the rule itself. */
	struct tt_cidr_list cidrs = {0};
	CHECK(tt_parse_cidr_list("10.0.0.0/8,!10.1.0.0/16", &cidrs) == NULL);
	struct peer in = peer_of("10.2.3.4"), out = peer_of("10.1.3.4"),
		    mapped = peer_of("::ffff:10.2.3.4"), none = peer_of("fd00::1");
	CHECK(rule_wants(&cidrs, &in) && !rule_wants(&cidrs, &out));
	CHECK(rule_wants(&cidrs, &mapped) && !rule_wants(&cidrs, &none));
}

int main(void)
{
	test_order_and_masks();
	test_verdicts();
	return check_done("peer_list");
}
