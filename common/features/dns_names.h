/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Which name was asked for an address: learnt from DNS answers (parsed with
 * NLnet Labs' ldns), remembered per address in a cache of fixed size.
 *
 * Bounds, so that a flood of answers cannot grow memory: at most
 * TT_DNS_NAMES_ENTRIES addresses, about 4.5 MiB allocated once (when a
 * bucket is full the address answered longest ago in it is forgotten), each kept for its record's
 * TTL, but at least TT_DNS_NAMES_MIN_TTL_S (programs keep using an address long after a short TTL)
 * and at most TT_DNS_NAMES_MAX_TTL_S. Names are the question's, at most 255 bytes: the raw bytes of
 * its labels joined by '.', unescaped (a NUL byte inside a label becomes '?'): escape them when
 * printing.
 */
#ifndef TT_DNS_NAMES_H
#define TT_DNS_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_DNS_NAMES_ENTRIES   8192
#define TT_DNS_NAMES_MIN_TTL_S 600
#define TT_DNS_NAMES_MAX_TTL_S 86400
#define TT_DNS_NAME_MAX        255

struct tt_dns_names;

/* NULL when out of memory. */
struct tt_dns_names *tt_dns_names_new(void);
void tt_dns_names_free(struct tt_dns_names *names);

/*
 * Learns from one DNS message (wire format, len bytes) that arrived at
 * now_ns (any monotonic clock, the same as lookups'): every A and AAAA
 * record of its answer section now names its address with the question's
 * name. Returns how many addresses it named; 0 for a message that is not a
 * successful answer to one question, or that does not parse.
 */
int tt_dns_names_learn(struct tt_dns_names *names, const uint8_t *message, size_t len,
                       uint64_t now_ns);

/*
 * The name last asked, by now_ns, for addr (4 bytes for AF_INET, 16 for
 * AF_INET6; an IPv4-mapped IPv6 address is looked up as IPv4), or NULL.
 * Each address keeps its last two answers, so a connect looked up after a
 * later answer for its address (they are printed a batch at a time) still
 * gets the one it followed. Valid until the next call to tt_dns_names_learn.
 */
const char *tt_dns_names_lookup(const struct tt_dns_names *names, int family, const uint8_t *addr,
                                uint64_t now_ns);
/*
 * The same from another thread than the one that learns (--metrics' readers):
 * copies the name into name under the cache's lock; false when there is none.
 * tt_dns_names_learn takes that lock too; tt_dns_names_lookup does not (on the
 * learning thread, nothing changes the cache meanwhile).
 */
bool tt_dns_names_copy(struct tt_dns_names *names, int family, const uint8_t *addr, uint64_t now_ns,
                       char name[TT_DNS_NAME_MAX + 1]);

#endif
