// SPDX-License-Identifier: Apache-2.0
/* The DNS answers -d learns from, and the cache of names per address. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"
#include "features/dns_names.h"

#define S 1000000000ULL

/* A DNS message under construction, in wire format. */
struct message {
	uint8_t bytes[1232];
	size_t len;
};

static void put(struct message *m, const void *data, size_t len)
{
	memcpy(m->bytes + m->len, data, len);
	m->len += len;
}

static void put16(struct message *m, uint16_t value)
{
	uint8_t be[2] = {(uint8_t)(value >> 8), (uint8_t)value};
	put(m, be, 2);
}

static void put32(struct message *m, uint32_t value)
{
	put16(m, (uint16_t)(value >> 16));
	put16(m, (uint16_t)value);
}

/* A name from dotted text; a label may hold any byte but '.' and NUL. */
static void put_name(struct message *m, const char *name)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		uint8_t n = (uint8_t)len;
		put(m, &n, 1);
		put(m, name, len);
		name += len + (dot ? 1 : 0);
	}
	put(m, "", 1);
}

/* Header and question; flags 0x8180 is a successful answer. */
static void start(struct message *m, uint16_t flags, const char *question, uint16_t qtype,
                  uint16_t answers)
{
	m->len = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, 1);
	put16(m, answers);
	put16(m, 0);
	put16(m, 0);
	put_name(m, question);
	put16(m, qtype);
	put16(m, 1);
}

static void answer(struct message *m, const char *owner, uint16_t type, uint32_t ttl,
                   const void *rdata, uint16_t rdlen)
{
	put_name(m, owner);
	put16(m, type);
	put16(m, 1);
	put32(m, ttl);
	put16(m, rdlen);
	put(m, rdata, rdlen);
}

static void answer_a(struct message *m, const char *owner, const char *addr, uint32_t ttl)
{
	uint8_t a[4];
	inet_pton(AF_INET, addr, a);
	answer(m, owner, 1, ttl, a, 4);
}

static const char *lookup(struct tt_dns_names *names, const char *addr, uint64_t now)
{
	uint8_t a[16];
	int family = strchr(addr, ':') ? AF_INET6 : AF_INET;
	inet_pton(family, addr, a);
	return tt_dns_names_lookup(names, family, a, now);
}

static void test_answers(struct tt_dns_names *names)
{
	struct message m;
	start(&m, 0x8180, "web.tt.test", 1, 2);
	answer_a(&m, "web.tt.test", "192.0.2.1", 30);
	answer_a(&m, "web.tt.test", "192.0.2.2", 30);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, 10 * S) == 2);
	CHECK_STR(lookup(names, "192.0.2.1", 11 * S), "web.tt.test");
	CHECK_STR(lookup(names, "192.0.2.2", 11 * S), "web.tt.test");
	CHECK_STR(lookup(names, "::ffff:192.0.2.2", 11 * S), "web.tt.test");
	CHECK(lookup(names, "192.0.2.3", 11 * S) == NULL);

	/* A CNAME chain: the question's name, not the chain's end. */
	uint8_t target[64];
	struct message t = {.len = 0};
	put_name(&t, "real.tt.test");
	memcpy(target, t.bytes, t.len);
	start(&m, 0x8180, "alias.tt.test", 28, 2);
	answer(&m, "alias.tt.test", 5, 30, target, (uint16_t)t.len);
	uint8_t six[16];
	inet_pton(AF_INET6, "2001:db8::7", six);
	answer(&m, "real.tt.test", 28, 30, six, 16);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, 10 * S) == 1);
	CHECK_STR(lookup(names, "2001:db8::7", 11 * S), "alias.tt.test");

	/* The most recent answer for an address wins. */
	start(&m, 0x8180, "other.tt.test", 1, 1);
	answer_a(&m, "other.tt.test", "192.0.2.1", 30);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, 12 * S) == 1);
	CHECK_STR(lookup(names, "192.0.2.1", 13 * S), "other.tt.test");
	/* A connect between the two answers, looked up after both: the earlier. */
	CHECK_STR(lookup(names, "192.0.2.1", 11 * S), "web.tt.test");
	CHECK(lookup(names, "192.0.2.1", 9 * S) == NULL); /* before any answer */
}

static void test_not_answers(struct tt_dns_names *names)
{
	struct message m;
	start(&m, 0x0100, "query.tt.test", 1, 1); /* a query, not an answer */
	answer_a(&m, "query.tt.test", "192.0.2.10", 30);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, S) == 0);
	start(&m, 0x8183, "nx.tt.test", 1, 1); /* NXDOMAIN */
	answer_a(&m, "nx.tt.test", "192.0.2.11", 30);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, S) == 0);
	start(&m, 0x8180, "cut.tt.test", 1, 1);
	answer_a(&m, "cut.tt.test", "192.0.2.12", 30);
	for (size_t cut = 0; cut < m.len; cut++) /* every truncation */
		CHECK(tt_dns_names_learn(names, m.bytes, cut, S) == 0);
	/* An A record too short for an address. */
	start(&m, 0x8180, "odd.tt.test", 1, 1);
	answer(&m, "odd.tt.test", 1, 30, "\xc0\x00\x02", 3);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, S) == 0);
	/* A compression pointer to itself, as the question's name. */
	static const uint8_t loop[] = {0x12, 0x34, 0x81, 0x80, 0,  1, 0, 0, 0,
	                               0,    0,    0,    0xc0, 12, 0, 1, 0, 1};
	CHECK(tt_dns_names_learn(names, loop, sizeof(loop), S) == 0);
	CHECK(lookup(names, "192.0.2.10", 2 * S) == NULL);
	CHECK(lookup(names, "192.0.2.11", 2 * S) == NULL);
	CHECK(lookup(names, "192.0.2.12", 2 * S) == NULL);
	CHECK(lookup(names, "192.0.2.13", 2 * S) == NULL);
}

static void test_lifetime(struct tt_dns_names *names)
{
	struct message m;
	start(&m, 0x8180, "brief.tt.test", 1, 1);
	answer_a(&m, "brief.tt.test", "192.0.2.20", 0); /* TTL 0: kept the minimum */
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, 100 * S) == 1);
	CHECK_STR(lookup(names, "192.0.2.20", (100 + TT_DNS_NAMES_MIN_TTL_S - 1) * S),
	          "brief.tt.test");
	CHECK(lookup(names, "192.0.2.20", (100 + TT_DNS_NAMES_MIN_TTL_S) * S) == NULL);
	start(&m, 0x8180, "long.tt.test", 1, 1);
	answer_a(&m, "long.tt.test", "192.0.2.21", 0x7fffffff); /* kept at most the maximum */
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, 100 * S) == 1);
	CHECK(lookup(names, "192.0.2.21", (100 + TT_DNS_NAMES_MAX_TTL_S) * S) == NULL);
}

static void test_hostile_name(struct tt_dns_names *names)
{
	struct message m;
	/* Control bytes are kept raw (the printers escape them); a NUL becomes '?'. */
	start(&m, 0x8180, "a\x1b[31m\x07.x", 1, 1);
	m.bytes[12 + 3] = 0; /* the '[' becomes a NUL inside the label */
	answer_a(&m, "z", "192.0.2.30", 30);
	CHECK(tt_dns_names_learn(names, m.bytes, m.len, S) == 1);
	CHECK_STR(lookup(names, "192.0.2.30", 2 * S), "a\x1b?31m\x07.x");
}

static void test_bounded(void)
{
	struct tt_dns_names *names = tt_dns_names_new();
	CHECK(names != NULL);
	if (!names)
		return;
	/* Twice as many addresses as entries: the table keeps at most its size. */
	size_t total = 2 * (size_t)TT_DNS_NAMES_ENTRIES, found = 0;
	struct message m;
	for (size_t i = 0; i < total; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "10.%zu.%zu.1", i / 256, i % 256);
		start(&m, 0x8180, "flood.tt.test", 1, 1);
		answer_a(&m, "flood.tt.test", addr, 3600);
		tt_dns_names_learn(names, m.bytes, m.len, (i + 1) * 1000);
	}
	for (size_t i = 0; i < total; i++) {
		char addr[32];
		snprintf(addr, sizeof(addr), "10.%zu.%zu.1", i / 256, i % 256);
		found += lookup(names, addr, total * 1000 + 1) != NULL;
	}
	CHECK(found <= TT_DNS_NAMES_ENTRIES);
	CHECK(found > TT_DNS_NAMES_ENTRIES / 2);
	CHECK_STR(lookup(names, "10.63.255.1", total * 1000 + 1), "flood.tt.test"); /* the last */
	tt_dns_names_free(names);
}

int main(void)
{
	struct tt_dns_names *names = tt_dns_names_new();
	if (!names)
		return 1;
	test_answers(names);
	test_not_answers(names);
	test_lifetime(names);
	test_hostile_name(names);
	tt_dns_names_free(names);
	test_bounded();
	return check_done("dns_names");
}
