/* SPDX-License-Identifier: Apache-2.0 */
/* Filling the head every event starts with (tt_event.h), in one place. */
#ifndef TT_EVENT_BPF_H
#define TT_EVENT_BPF_H

#include "tt_event.h"
#include "tt_helpers.bpf.h"

/* The current task as the head of an event at ts_ns (bpf_ktime_get_ns()). */
static __always_inline void tt_event_head_fill_at(struct tt_event_head *head, u64 pid_tgid,
                                                  u64 ts_ns)
{
	head->ts_ns = ts_ns;
	head->pid = pid_tgid >> 32;
	head->uid = (u32)bpf_get_current_uid_gid();
#ifdef TT_EVENT_CGROUP
	head->cgroup_id = bpf_get_current_cgroup_id();
#endif
	bpf_get_current_comm(&head->comm, sizeof(head->comm));
}

/* The current task as the head of an event happening now. */
#define tt_event_head_fill(head, pid_tgid) tt_event_head_fill_at(head, pid_tgid, bpf_ktime_get_ns())

#endif
