/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The filters' values as the BPF text reads them from its maps
 * (bpfsrc/tt_helpers.bpf.h) and user space writes them there before
 * attaching (common/features/filters.c).
 */
#ifndef TT_FILTER_H
#define TT_FILTER_H

#ifndef __BPF__ /* user space; the BPF text has the kernel's own */
#include <linux/types.h>
#endif

/* -p and -u: the one entry of tt_task_filter. */
struct tt_task_filter {
	__u32 pid;
	__u32 uid;
};

/* -P: tt_port_bits has a bit per port, 64 to a word. */
#define TT_PORT_WORDS 1024

#endif
