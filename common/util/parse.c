// SPDX-License-Identifier: Apache-2.0
#include "parse.h"

#include <stdlib.h>
#include <string.h>

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
