/* SPDX-License-Identifier: Apache-2.0 */
/* Turning event fields into text: addresses and times. */
#ifndef TT_FORMAT_H
#define TT_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "safe_text.h"

/* Longest inet_ntop result, IPv6 with an embedded IPv4 address, plus NUL. */
#define TT_ADDR_STRLEN 46

/* family is AF_INET (addr holds 4 bytes) or AF_INET6 (16 bytes). */
void tt_format_addr(int family, const void *addr, char buf[TT_ADDR_STRLEN]);

/* The same for a task's name (TT_COMM_LEN bytes). */
#define TT_COMM_TEXT_LEN 17
void tt_format_comm(const char *comm, size_t len, char out[TT_COMM_TEXT_LEN]);

/*
 * A path in a cell of width bytes (at least 4) into out (out_size bytes): a
 * longer path keeps its end after "...", from the start of a UTF-8
 * character, and never less than its last component (a unit or scope
 * name), even where that makes the cell wider.
 */
void tt_format_path_tail(const char *path, size_t width, char *out, size_t out_size);

/*
 * Kernel timestamps (bpf_ktime_get_ns, CLOCK_MONOTONIC) turned into wall-clock
 * time. The clock caches the last second it formatted, since events arrive in
 * bursts within one second and localtime_r is costly.
 */
struct tt_clock {
	int64_t realtime_minus_monotonic_ns;
	uint64_t start_ns; /* monotonic time when tracing started */
	time_t cached_second;
	char cached_hms[9];
	time_t cached_rfc_second;
	char cached_date[24]; /* 2026-11-22T00:20:55 */
	char cached_zone[8];  /* +00:00 */
};

void tt_clock_init(struct tt_clock *clock);
/* HH:MM:SS in local time. */
const char *tt_clock_hms(struct tt_clock *clock, uint64_t ktime_ns);
/* Seconds since tracing started, with three decimals. */
double tt_clock_elapsed(const struct tt_clock *clock, uint64_t ktime_ns);
/* RFC 3339 local time with milliseconds and offset, e.g. 2026-11-22T00:20:55.123+00:00. */
void tt_clock_rfc3339(struct tt_clock *clock, uint64_t ktime_ns, char buf[40]);

#endif
