// SPDX-License-Identifier: Apache-2.0
#include "parse.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "safe_text.h"

/* The kernel's PID_MAX_LIMIT; as text for the error that names the range. */
#define PID_MAX_LIMIT   4194304
#define UID_MAX_VALID   4294967294 /* (uid_t)-1 means "no user" */
#define TEXT(x)         #x
#define RANGE(min, max) "out of range (" TEXT(min) " to " TEXT(max) ")"

static const char out_of_range[] = "out of range";

const char *tt_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	if (!text || !*text)
		return "empty";
	uint64_t value = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return "not a decimal number";
		unsigned digit = (unsigned)(*p - '0');
		if (value > (UINT64_MAX - digit) / 10)
			return out_of_range;
		value = value * 10 + digit;
	}
	if (value < min || value > max)
		return out_of_range;
	*out = value;
	return NULL;
}

const char *tt_parse_ranged(const char *text, uint64_t min, uint64_t max, uint64_t *out,
                            const char *range_why)
{
	const char *why = tt_parse_uint(text, min, max, out);
	return why == out_of_range ? range_why : why;
}

const char *tt_parse_pid(const char *text, uint32_t *pid)
{
	uint64_t value;
	const char *why = tt_parse_ranged(text, 1, PID_MAX_LIMIT, &value, RANGE(1, PID_MAX_LIMIT));
	if (!why)
		*pid = (uint32_t)value;
	return why;
}

const char *tt_parse_uid(const char *text, uint32_t *uid)
{
	uint64_t value;
	const char *why = tt_parse_ranged(text, 0, UID_MAX_VALID, &value, RANGE(0, UID_MAX_VALID));
	if (!why)
		*uid = (uint32_t)value;
	return why;
}

const char *tt_parse_port_list(const char *text, struct tt_port_list *list)
{
	if (!text || !*text)
		return "empty";
	const char *start = text;
	for (;;) {
		const char *comma = strchr(start, ',');
		size_t len = comma ? (size_t)(comma - start) : strlen(start);
		char item[16];
		if (len == 0)
			return "empty item in list";
		if (len >= sizeof(item))
			return RANGE(1, 65535);
		memcpy(item, start, len);
		item[len] = '\0';
		uint64_t port;
		const char *why = tt_parse_ranged(item, 1, 65535, &port, RANGE(1, 65535));
		if (why)
			return why;
		if (list->count == TT_MAX_PORTS)
			return "too many ports (at most 64)";
		list->ports[list->count++] = (uint16_t)port;
		if (!comma)
			return NULL;
		start = comma + 1;
	}
}

/* The prefix in IPv6's space (IPv4 as ::ffff:a.b.c.d), to find one given twice. */
static void cidr_as_v6(const struct tt_cidr *c, uint8_t addr[16], unsigned *bits)
{
	if (c->ipv6) {
		memcpy(addr, c->addr, 16);
		*bits = c->bits;
		return;
	}
	static const uint8_t v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	memcpy(addr, v4_mapped, 12);
	memcpy(addr + 12, c->addr, 4);
	*bits = 96u + c->bits;
}

static bool cidr_same(const struct tt_cidr *a, const struct tt_cidr *b)
{
	uint8_t x[16], y[16];
	unsigned x_bits, y_bits;
	cidr_as_v6(a, x, &x_bits);
	cidr_as_v6(b, y, &y_bits);
	return x_bits == y_bits && memcmp(x, y, 16) == 0;
}

/* Whether addr has a bit set past its first bits. */
static bool host_bits_set(const uint8_t *addr, unsigned size, unsigned bits)
{
	for (unsigned bit = bits; bit < size * 8; bit++)
		if (addr[bit / 8] & (0x80u >> (bit % 8)))
			return true;
	return false;
}

/*
 * "'ITEM' why", the item escaped, for a list's error; a lone item is the
 * argument the error echoes already: why alone, starting with its verb.
 */
static bool cidr_in_list;

static const char *cidr_problem(const char *item, size_t len, const char *why)
{
	static char reason[160];
	if (!cidr_in_list)
		return why;
	char shown[64];
	tt_format_safe(item, len < 48 ? len : 48, shown, sizeof(shown));
	snprintf(reason, sizeof(reason), "'%s%s': %s", shown, len > 48 ? "..." : "", why);
	return reason;
}

/* One item of a CIDR list, len bytes at item. */
static const char *parse_cidr(const char *item, size_t len, struct tt_cidr *cidr)
{
	char text[64];
	memset(cidr, 0, sizeof(*cidr));
	if (len && *item == '!') {
		cidr->excluded = true;
		item++;
		len--;
	}
	if (len == 0)
		return cidr->excluded ? "empty prefix after '!'" : "empty item in list";
	if (len >= sizeof(text))
		return cidr_problem(item, len, "not an IPv4 or IPv6 address");
	memcpy(text, item, len);
	text[len] = '\0';
	char *slash = strchr(text, '/');
	if (slash)
		*slash = '\0';
	cidr->ipv6 = strchr(text, ':') != NULL;
	if (inet_pton(cidr->ipv6 ? AF_INET6 : AF_INET, text, cidr->addr) != 1)
		return cidr_problem(text, strlen(text), "not an IPv4 or IPv6 address");
	unsigned size = cidr->ipv6 ? 16 : 4;
	uint64_t max_bits = cidr->ipv6 ? 128 : 32, bits = max_bits;
	if (slash && tt_parse_uint(slash + 1, 0, max_bits, &bits) != NULL)
		return cidr_problem(item, len,
		                    cidr->ipv6 ? "prefix length out of range (0 to 128)"
		                               : "prefix length out of range (0 to 32)");
	cidr->bits = (uint8_t)bits;
	if (host_bits_set(cidr->addr, size, cidr->bits))
		return cidr_problem(item, len, "bits set past the prefix length");
	return NULL;
}

const char *tt_parse_cidr_list(const char *text, struct tt_cidr_list *list)
{
	if (!text || !*text)
		return "empty";
	cidr_in_list = strchr(text, ',') != NULL;
	const char *start = text;
	for (;;) {
		const char *comma = strchr(start, ',');
		size_t len = comma ? (size_t)(comma - start) : strlen(start);
		if (list->count == TT_MAX_CIDRS)
			return "too many prefixes (at most 64)";
		struct tt_cidr *cidr = &list->items[list->count];
		const char *why = parse_cidr(start, len, cidr);
		if (why)
			return why;
		for (size_t i = 0; i < list->count; i++)
			if (cidr_same(&list->items[i], cidr))
				return cidr_problem(start, len,
				                    "the same prefix as an earlier one");
		list->count++;
		if (!comma)
			return NULL;
		start = comma + 1;
	}
}

const char *tt_parse_cpu_list(const char *text, unsigned char *online, size_t max_cpus)
{
	const char *p = text;
	while (*p && *p != '\n') {
		char *end;
		unsigned long first = strtoul(p, &end, 10), last = first;
		if (end == p)
			return "not a CPU list";
		if (*end == '-') {
			p = end + 1;
			last = strtoul(p, &end, 10);
			if (end == p || last < first)
				return "not a CPU list";
		}
		if (last >= max_cpus)
			return "too many CPUs";
		for (unsigned long cpu = first; cpu <= last; cpu++)
			online[cpu] = 1;
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n')
			return "not a CPU list";
	}
	return NULL;
}

int tt_parse_choice(const char *text, const char *const *names, int count)
{
	for (int i = 0; i < count; i++)
		if (strcmp(text, names[i]) == 0)
			return i;
	return -1;
}
