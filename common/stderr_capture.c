// SPDX-License-Identifier: Apache-2.0
#include "stderr_capture.h"

#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

void tt_stderr_capture_begin(struct tt_stderr_capture *cap)
{
	cap->saved_fd = -1;
	cap->capture_fd = memfd_create("tcptools-stderr", MFD_CLOEXEC);
	if (cap->capture_fd < 0)
		return; /* cannot capture: let the library speak */
	fflush(stderr);
	cap->saved_fd = dup(STDERR_FILENO);
	if (cap->saved_fd < 0 || dup2(cap->capture_fd, STDERR_FILENO) < 0) {
		if (cap->saved_fd >= 0)
			close(cap->saved_fd);
		close(cap->capture_fd);
		cap->saved_fd = cap->capture_fd = -1;
	}
}

void tt_stderr_capture_end(struct tt_stderr_capture *cap, bool replay)
{
	if (cap->saved_fd < 0)
		return;
	fflush(stderr);
	dup2(cap->saved_fd, STDERR_FILENO);
	close(cap->saved_fd);
	if (replay) {
		char buf[4096];
		ssize_t n;
		lseek(cap->capture_fd, 0, SEEK_SET);
		while ((n = read(cap->capture_fd, buf, sizeof(buf))) > 0)
			if (write(STDERR_FILENO, buf, (size_t)n) < 0)
				break;
	}
	close(cap->capture_fd);
	cap->saved_fd = cap->capture_fd = -1;
}
