/* SPDX-License-Identifier: Apache-2.0 */
/* Which backend a run attaches with: kprobes where the kernel has them, else tracepoints. */
#ifndef TT_BACKEND_H
#define TT_BACKEND_H

#include <stdbool.h>

#include "plan.h"

/* --backend's choices, in enum tt_backend's order. */
#define TT_BACKEND_CHOICES 3
extern const char *const tt_backend_names[TT_BACKEND_CHOICES];

/*
 * KPROBE or TRACEPOINT for this kernel: auto takes kprobes where the kernel
 * and the tool have them. With must_attach, an explicit kprobe on a kernel
 * without kprobes is an error (-1 after printing why); without it (--ebpf,
 * the verifier check) the text is still wanted.
 */
int tt_backend_resolve(enum tt_backend wanted, bool tool_has_kprobes, bool must_attach,
                       enum tt_backend *resolved);

#endif
