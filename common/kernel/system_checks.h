/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the running system allows: privileges, tracefs, kprobes, BPF atomics,
 * a system call's registers.
 */
#ifndef TT_SYSTEM_CHECKS_H
#define TT_SYSTEM_CHECKS_H

#include <stdbool.h>
#include <stdio.h>

/* Whether this process may load and attach tracing programs: 0, or -1 naming what it lacks. */
int tt_check_privileges(void);

/*
 * Makes tracefs reachable for libbcc. Where it is not mounted, mounts it in a
 * private mount namespace of this process, so nothing outside changes and the
 * mount vanishes when the process exits. Returns 0, or -1 after printing why,
 * naming the capability missing (CAP_SYS_ADMIN to mount, CAP_DAC_READ_SEARCH
 * to read it as a user other than root).
 */
int tt_ensure_tracefs(void);

/* Whether kprobes attach through perf_event_open's kprobe PMU, needing no tracefs. */
bool tt_kprobe_pmu_available(void);

/* A tracefs file ("kprobe_profile", "events/..."), at either mount point; or NULL. */
FILE *tt_tracefs_open(const char *name, const char *mode);
/*
 * Whether tracefs has the tracepoint event ("category/name") and, unless
 * field is NULL, whether its format names that field.
 */
bool tt_tracepoint_has_field(const char *event, const char *field);
/* Whether this kernel can attach kprobes (CONFIG_KPROBES and kprobe events). */
bool tt_kprobes_available(void);

/* Whether the verifier takes atomic compare-and-swap (Linux 5.12+, or a backport). */
bool tt_bpf_atomics_available(void);

/*
 * Whether a tracing program can read the current task's saved user registers
 * through BTF (bpf_get_current_task_btf and bpf_task_pt_regs: Linux 5.15+),
 * and this architecture's BPF text knows which of them holds a system call's
 * first argument at its exit (bpfsrc/tt_accept_syscall.bpf.h).
 */
bool tt_bpf_task_regs_available(void);

#endif
