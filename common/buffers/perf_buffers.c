// SPDX-License-Identifier: Apache-2.0
#include "perf_buffers.h"

#include <bcc/libbpf.h>
#include <bcc/perf_reader.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpus.h"
#include "log.h"
#include "stderr_capture.h"

static void raw_callback(void *cookie, void *raw, int size)
{
	struct tt_perf_buffers *pb = cookie;
	pb->on_event(pb->cookie, raw, size);
}

/*
 * The kernel's lost-sample records arrive only with the next sample that
 * fits, so the BPF text counts failed submissions itself (tt_lost) and that
 * count is what gets reported. Without a callback, libbcc would print its own
 * "Possibly lost" line.
 */
static void lost_callback(void *cookie, uint64_t lost)
{
	(void)cookie;
	(void)lost;
}

int tt_perf_buffers_open(struct tt_perf_buffers *pb, int table_fd, unsigned page_count,
                         unsigned wakeup_events, tt_event_fn on_event, void *cookie)
{
	memset(pb, 0, sizeof(*pb));
	pb->on_event = on_event;
	pb->cookie = cookie;
	static unsigned char online[TT_MAX_CPUS];
	if (tt_online_cpus(online) != 0)
		return -1;
	pb->readers = calloc(TT_MAX_CPUS, sizeof(struct perf_reader *));
	if (!pb->readers) {
		tt_error("out of memory");
		return -1;
	}
	for (int cpu = 0; cpu < TT_MAX_CPUS; cpu++) {
		if (!online[cpu])
			continue;
		struct bcc_perf_buffer_opts opts = {
		    .pid = -1, .cpu = cpu, .wakeup_events = (int)wakeup_events};
		struct tt_stderr_capture cap;
		tt_stderr_capture_begin(&cap);
		struct perf_reader *reader = bpf_open_perf_buffer_opts(raw_callback, lost_callback,
		                                                       pb, (int)page_count, &opts);
		int saved = errno;
		tt_stderr_capture_end(&cap, tt_log_verbose);
		if (!reader) {
			tt_error("cannot open a perf buffer of %u pages on CPU %d: %s", page_count,
			         cpu, strerror(saved));
			tt_perf_buffers_close(pb);
			return -1;
		}
		pb->readers[pb->count++] = reader;
		int fd = perf_reader_fd(reader);
		if (bpf_update_elem(table_fd, &cpu, &fd, 0) != 0) {
			tt_error("cannot register the perf buffer of CPU %d: %s", cpu,
			         strerror(errno));
			tt_perf_buffers_close(pb);
			return -1;
		}
	}
	return 0;
}

void tt_perf_buffers_poll(struct tt_perf_buffers *pb, int timeout_ms)
{
	/* Then read every buffer: those below the wakeup mark are not "ready". */
	perf_reader_poll(pb->count, pb->readers, timeout_ms);
	perf_reader_consume(pb->count, pb->readers);
}

void tt_perf_buffers_drain(struct tt_perf_buffers *pb)
{
	perf_reader_consume(pb->count, pb->readers);
}

void tt_perf_buffers_close(struct tt_perf_buffers *pb)
{
	for (int i = 0; i < pb->count; i++)
		perf_reader_free(pb->readers[i]);
	free(pb->readers);
	pb->readers = NULL;
	pb->count = 0;
}
