/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libbcc and clang write their diagnostics straight to stderr. Calls into
 * them run with stderr captured, so the user sees one clear line of ours and
 * the library's text only with -v (or when it explains a failure).
 */
#ifndef TT_STDERR_CAPTURE_H
#define TT_STDERR_CAPTURE_H

#include <stdbool.h>

struct tt_stderr_capture {
	int saved_fd;   /* the real stderr while capturing, else -1 */
	int capture_fd; /* memfd holding what was written meanwhile */
};

void tt_stderr_capture_begin(struct tt_stderr_capture *cap);
/* Restores stderr; replays what was captured when replay is true. */
void tt_stderr_capture_end(struct tt_stderr_capture *cap, bool replay);

#endif
