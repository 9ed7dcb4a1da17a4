/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept's BPF programs, where they attach, and the kernel types they read. */
#ifndef TCPACCEPT_PROGRAMS_H
#define TCPACCEPT_PROGRAMS_H

#include "tracer.h"

extern const struct tt_program tcpaccept_kprobe_program;
extern const struct tt_program tcpaccept_tracepoint_program;
extern const struct tt_kernel_types_spec tcpaccept_kernel_types;

#endif
