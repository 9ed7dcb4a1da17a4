// SPDX-License-Identifier: Apache-2.0
#include "event_buffers.h"

#include <stdio.h>
#include <unistd.h>

#include "cpus.h"
#include "log.h"
#include "tt_contract.h"

/* 256 MiB with 4 KiB pages: far beyond need, well within what a map may hold. */
#define MAX_RING_PAGES (1u << 16)

const char *const tt_buffer_kind_names[TT_BUFFER_CHOICES] = {"auto", "ring", "perf"};

int tt_buffer_kind_resolve(enum tt_buffer_kind wanted, enum tt_buffer_kind *kind)
{
	if (wanted == TT_BUFFER_PERF) {
		*kind = TT_BUFFER_PERF;
		return 0;
	}
	bool ring = tt_ring_buffer_supported();
	if (wanted == TT_BUFFER_RING && !ring) {
		tt_error("this kernel has no BPF ring buffer (Linux 5.8+); use --buffer perf");
		return -1;
	}
	*kind = ring ? TT_BUFFER_RING : TT_BUFFER_PERF;
	return 0;
}

const char *tt_buffer_kind_name(enum tt_buffer_kind kind)
{
	return kind == TT_BUFFER_RING ? "ring buffer" : "perf buffers";
}

static unsigned page_size(void)
{
	long size = sysconf(_SC_PAGESIZE);
	return size > 0 ? (unsigned)size : 4096;
}

static unsigned writer_cpus(void)
{
	int cpus = tt_possible_cpus();
	return cpus > 0 ? (unsigned)cpus : 1;
}

/* The same memory as the perf buffers would take, as one ring: a power of 2 pages. */
static unsigned ring_pages(unsigned pages_per_cpu)
{
	unsigned long wanted = (unsigned long)pages_per_cpu * writer_cpus();
	unsigned pages = 1;
	while (pages < wanted && pages < MAX_RING_PAGES)
		pages *= 2;
	return pages;
}

/*
 * How many events a CPU writes before it wakes the reader. A wakeup costs
 * the traced task an IPI, about 15 us in a VM (bench/RESULTS.md): far more
 * than the write itself. So wake the reader once a CPU has filled an eighth
 * of its share of the buffer, leaving the rest for the reader's latency; the
 * reader also looks every 100 ms, so a quiet CPU's events wait at most that.
 */
static unsigned wakeup_events(unsigned buffer_bytes, unsigned writers, size_t event_size)
{
	size_t record = (event_size + 16 + 7) & ~(size_t)7; /* the kernel's header, aligned */
	size_t events = buffer_bytes / 8 / writers / record;
	return events > 0 ? (unsigned)events : 1;
}

void tt_event_buffers_defines(const struct tt_buffer_plan *plan, struct strbuf *defines)
{
	char line[160];
	if (plan->kind != TT_BUFFER_RING)
		return;
	unsigned pages = ring_pages(plan->pages_per_cpu);
	snprintf(line, sizeof(line), "#define %s %u\n#define %s %u\n#define %s %u\n",
	         TT_DEFINE(TT_RING_BUFFER_PAGES), pages, TT_DEFINE(TT_PAGE_SIZE), page_size(),
	         TT_DEFINE(TT_WAKEUP_EVENTS),
	         wakeup_events(pages * page_size(), writer_cpus(), plan->event_size));
	strbuf_append(defines, line);
}

int tt_event_buffers_open(struct tt_event_buffers *eb, const struct tt_buffer_plan *plan,
                          int table_fd, tt_event_fn on_event, void *cookie)
{
	eb->kind = plan->kind;
	if (plan->kind == TT_BUFFER_RING)
		return tt_ring_buffer_open(&eb->ring, table_fd, on_event, cookie);
	unsigned wakeup = wakeup_events(plan->pages_per_cpu * page_size(), 1, plan->event_size);
	return tt_perf_buffers_open(&eb->perf, table_fd, plan->pages_per_cpu, wakeup, on_event,
	                            cookie);
}

void tt_event_buffers_poll(struct tt_event_buffers *eb, int timeout_ms)
{
	if (eb->kind == TT_BUFFER_RING)
		tt_ring_buffer_poll(&eb->ring, timeout_ms);
	else
		tt_perf_buffers_poll(&eb->perf, timeout_ms);
}

void tt_event_buffers_drain(struct tt_event_buffers *eb)
{
	if (eb->kind == TT_BUFFER_RING)
		tt_ring_buffer_drain(&eb->ring);
	else
		tt_perf_buffers_drain(&eb->perf);
}

void tt_event_buffers_close(struct tt_event_buffers *eb)
{
	if (eb->kind == TT_BUFFER_RING)
		tt_ring_buffer_close(&eb->ring);
	else
		tt_perf_buffers_close(&eb->perf);
}
