/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect's BPF programs, where they attach, and the kernel types they read. */
#ifndef TCPCONNECT_PROGRAMS_H
#define TCPCONNECT_PROGRAMS_H

#include "tracer.h"

extern const struct tt_program tcpconnect_kprobe_program;
extern const struct tt_program tcpconnect_tracepoint_program;
extern const struct tt_kernel_types_spec tcpconnect_kernel_types;

#endif
