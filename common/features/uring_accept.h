/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Accepts made through io_uring (IORING_OP_ACCEPT, single and multishot),
 * which make no accept syscall: on the tracepoint backend, from the io_uring
 * tracepoints (bpfsrc/tt_uring_accept.bpf.h). The kprobe backend sees them
 * in inet_csk_accept and needs nothing from here.
 */
#ifndef TT_URING_ACCEPT_H
#define TT_URING_ACCEPT_H

#include "module.h"

extern const struct tt_module tt_uring_accept_module;

#endif
