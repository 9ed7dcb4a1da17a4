// SPDX-License-Identifier: Apache-2.0
#include "ring_buffer.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "stderr_capture.h"

bool tt_ring_buffer_supported(void)
{
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	int fd = bcc_create_map(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, (int)sysconf(_SC_PAGESIZE), 0);
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static int on_record(void *cookie, void *data, size_t size)
{
	struct tt_ring_buffer *rb = cookie;
	rb->on_event(rb->cookie, data, (int)size);
	return 0;
}

int tt_ring_buffer_open(struct tt_ring_buffer *rb, int table_fd, tt_event_fn on_event, void *cookie)
{
	rb->on_event = on_event;
	rb->cookie = cookie;
	struct tt_stderr_capture cap;
	tt_stderr_capture_begin(&cap);
	rb->ring = bpf_new_ringbuf(table_fd, on_record, rb);
	int saved = errno;
	tt_stderr_capture_end(&cap, tt_log_verbose);
	if (!rb->ring) {
		tt_error("cannot map the BPF ring buffer: %s", strerror(saved));
		return -1;
	}
	return 0;
}

void tt_ring_buffer_poll(struct tt_ring_buffer *rb, int timeout_ms)
{
	/* Wakeups come only every so many records (bpfsrc/tt_output.bpf.h): read all there is. */
	bpf_poll_ringbuf(rb->ring, timeout_ms);
	bpf_consume_ringbuf(rb->ring);
}

void tt_ring_buffer_drain(struct tt_ring_buffer *rb)
{
	bpf_consume_ringbuf(rb->ring);
}

void tt_ring_buffer_close(struct tt_ring_buffer *rb)
{
	if (rb->ring)
		bpf_free_ringbuf(rb->ring);
	rb->ring = NULL;
}
