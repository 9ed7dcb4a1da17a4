// SPDX-License-Identifier: Apache-2.0
#include "stderr_capture.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "log.h"

/* The capture in progress, if any: LLVM ends the process on a fatal error. */
static struct tt_stderr_capture *active;

/*
 * An exit() from inside the library (LLVM's report_fatal_error, such as a
 * BPF stack overflow) would leave its message in the capture and the user
 * with a silent failure: restore stderr and say it in one line.
 */
static void report_exit_while_captured(void)
{
	if (!active || active->saved_fd < 0)
		return;
	char text[4096];
	ssize_t n = pread(active->capture_fd, text, sizeof(text) - 1, 0);
	text[n > 0 ? n : 0] = '\0';
	fflush(stderr);
	dup2(active->saved_fd, STDERR_FILENO);
	fprintf(stderr, "%s: the BPF compiler stopped: %s\n", program_invocation_short_name,
	        tt_last_line(text));
	active = NULL;
}

void tt_stderr_capture_begin(struct tt_stderr_capture *cap)
{
	static bool registered;
	if (!registered)
		registered = atexit(report_exit_while_captured) == 0;
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
		return;
	}
	active = cap;
}

void tt_stderr_capture_end(struct tt_stderr_capture *cap, bool replay)
{
	if (cap->saved_fd < 0)
		return;
	active = NULL;
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
