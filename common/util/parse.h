/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Strict parsing of command-line numbers: decimal digits only, no sign, no
 * spaces, no trailing text. Each parser returns NULL on success, or a short
 * reason ("not a decimal number") for the caller's one-line error.
 */
#ifndef TT_PARSE_H
#define TT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_MAX_PORTS 64
#define TT_MAX_CIDRS 64

struct tt_port_list {
	uint16_t ports[TT_MAX_PORTS];
	size_t count;
};

const char *tt_parse_uint(const char *text, uint64_t min, uint64_t max, uint64_t *out);
/* The same, with range_why ("out of range (1 to 8192)") for a number out of range. */
const char *tt_parse_ranged(const char *text, uint64_t min, uint64_t max, uint64_t *out,
                            const char *range_why);
/* A process id: 1 to 4194304 (the kernel's PID_MAX_LIMIT). */
const char *tt_parse_pid(const char *text, uint32_t *pid);
/* A user id: 0 to 4294967294 ((uid_t)-1 means "no user"). */
const char *tt_parse_uid(const char *text, uint32_t *uid);
/* PORT[,PORT...], each 1 to 65535; appended to list. */
const char *tt_parse_port_list(const char *text, struct tt_port_list *list);

/* One prefix of a CIDR list: ADDR or ADDR/BITS, '!' before it to exclude it. */
struct tt_cidr {
	uint8_t addr[16]; /* network byte order; IPv4 in the first 4 bytes */
	uint8_t bits;     /* the prefix length: 0 to 32 (IPv4) or 128 (IPv6) */
	bool ipv6;
	bool excluded; /* written with a leading '!' */
};

struct tt_cidr_list {
	struct tt_cidr items[TT_MAX_CIDRS];
	size_t count;
};

/*
 * CIDR[,CIDR...]: each an IPv4 or IPv6 address, with /BITS or alone (/32,
 * /128), no bits set past the prefix, '!' before it to exclude it; the same
 * prefix twice is refused. Appended to list. The reason may name the item
 * (escaped): it is valid until the next call.
 */
const char *tt_parse_cidr_list(const char *text, struct tt_cidr_list *list);

/* The index of text in names[0..count), or -1. */
int tt_parse_choice(const char *text, const char *const *names, int count);

/* A CPU list as in /sys/devices/system/cpu/online ("0-3,6"): marks online[cpu]. */
const char *tt_parse_cpu_list(const char *text, unsigned char *online, size_t max_cpus);

#endif
