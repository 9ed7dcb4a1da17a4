// SPDX-License-Identifier: Apache-2.0
#include "format.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* inet_ntop's IPv4 form without its sprintf, which was a tenth of a storm line's cost. */
static void format_ipv4(const unsigned char *octets, char *buf)
{
	char *p = buf;
	for (int i = 0; i < 4; i++) {
		unsigned v = octets[i];
		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

void tt_format_addr(int family, const void *addr, char buf[TT_ADDR_STRLEN])
{
	if (family == AF_INET)
		format_ipv4(addr, buf);
	else if (!inet_ntop(family, addr, buf, TT_ADDR_STRLEN))
		snprintf(buf, TT_ADDR_STRLEN, "?");
}

void tt_format_comm(const char *comm, size_t len, char out[TT_COMM_TEXT_LEN])
{
	tt_format_safe(comm, len, out, TT_COMM_TEXT_LEN);
}

void tt_format_path_tail(const char *path, size_t width, char *out, size_t out_size)
{
	size_t len = strlen(path);
	if (len <= width) {
		snprintf(out, out_size, "%s", path);
		return;
	}
	const char *tail = path + len - (width - 3);
	const char *last = strrchr(path, '/');
	if (last && last < tail)
		tail = last; /* the last component whole */
	while (((unsigned char)*tail & 0xc0) == 0x80 && tail[1])
		tail++; /* not in the middle of a character */
	snprintf(out, out_size, "...%s", tail);
}

static int64_t timespec_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

void tt_clock_init(struct tt_clock *clock)
{
	struct timespec mono, real;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &real);
	memset(clock, 0, sizeof(*clock));
	clock->realtime_minus_monotonic_ns = timespec_ns(&real) - timespec_ns(&mono);
	clock->start_ns = (uint64_t)timespec_ns(&mono);
	clock->cached_second = clock->cached_rfc_second = (time_t)-1;
	tzset();
}

static int64_t wall_ns(const struct tt_clock *clock, uint64_t ktime_ns)
{
	/* Unsigned: a hostile or garbled timestamp wraps instead of overflowing. */
	return (int64_t)(ktime_ns + (uint64_t)clock->realtime_minus_monotonic_ns);
}

const char *tt_clock_hms(struct tt_clock *clock, uint64_t ktime_ns)
{
	time_t second = (time_t)(wall_ns(clock, ktime_ns) / 1000000000);
	if (second != clock->cached_second) {
		struct tm tm;
		localtime_r(&second, &tm);
		strftime(clock->cached_hms, sizeof(clock->cached_hms), "%H:%M:%S", &tm);
		clock->cached_second = second;
	}
	return clock->cached_hms;
}

double tt_clock_elapsed(const struct tt_clock *clock, uint64_t ktime_ns)
{
	if (ktime_ns < clock->start_ns)
		return 0.0;
	return (double)(ktime_ns - clock->start_ns) / 1e9;
}

void tt_clock_rfc3339(struct tt_clock *clock, uint64_t ktime_ns, char buf[40])
{
	int64_t ns = wall_ns(clock, ktime_ns);
	time_t second = (time_t)(ns / 1000000000);
	int millis = (int)((ns / 1000000) % 1000);
	/* localtime_r and strftime once a second, not once a line. */
	if (second != clock->cached_rfc_second) {
		struct tm tm;
		localtime_r(&second, &tm);
		strftime(clock->cached_date, sizeof(clock->cached_date), "%Y-%m-%dT%H:%M:%S", &tm);
		char zone[8];
		strftime(zone, sizeof(zone), "%z", &tm); /* +hhmm; RFC 3339 wants +hh:mm */
		snprintf(clock->cached_zone, sizeof(clock->cached_zone), "%.3s:%.2s", zone,
		         zone + 3);
		clock->cached_rfc_second = second;
	}
	size_t len = strlen(clock->cached_date);
	memcpy(buf, clock->cached_date, len);
	buf[len++] = '.';
	buf[len++] = (char)('0' + millis / 100);
	buf[len++] = (char)('0' + millis / 10 % 10);
	buf[len++] = (char)('0' + millis % 10);
	memcpy(buf + len, clock->cached_zone, strlen(clock->cached_zone) + 1);
}
