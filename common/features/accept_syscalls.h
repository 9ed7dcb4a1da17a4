/* SPDX-License-Identifier: Apache-2.0 */
/*
 * accept(2) and accept4(2) from the syscall tracepoints
 * (bpfsrc/tt_accept_syscall.bpf.h): which of them a run attaches.
 *
 * The exit needs the listening descriptor, the call's first argument. Where
 * a program can read the task's saved registers (TT_SYSCALL_REGS, Linux
 * 5.15+), the exit reads it there, and the tracepoint backend attaches the
 * exits alone: an enter program would run on every accept for nothing, and
 * the listener of an accept begun before tracing is known too. Elsewhere the
 * enter tracepoints remember it per thread (TT_ACCEPT_ENTER). The kprobe
 * backend always lists the enters itself: its kprobes leave alone the calls
 * those saw begin.
 */
#ifndef TT_ACCEPT_SYSCALLS_H
#define TT_ACCEPT_SYSCALLS_H

#include "module.h"
#include "tt_contract.h"

/* Initializers of struct tt_probe, for a tool's list and this module's. */
// clang-format off
#define TT_ACCEPT_ENTER_PROBES                                                                     \
	{TT_TRACEPOINT, TT_PROGRAM(tracepoint__syscalls__sys_enter_accept), "syscalls:sys_enter_accept"},    \
	{TT_TRACEPOINT, TT_PROGRAM(tracepoint__syscalls__sys_enter_accept4), "syscalls:sys_enter_accept4"}
// clang-format on

extern const struct tt_module tt_accept_syscalls_module;

#endif
