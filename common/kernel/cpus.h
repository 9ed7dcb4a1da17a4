/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's CPU lists: which CPUs are online, how many per-CPU values a map holds. */
#ifndef TT_CPUS_H
#define TT_CPUS_H

#include <stdint.h>

#define TT_MAX_CPUS 4096

/* Marks online[cpu] for each online CPU. 0, or -1 after printing why. */
int tt_online_cpus(unsigned char online[TT_MAX_CPUS]);
/* How many CPUs per-CPU maps hold values for (highest possible CPU + 1), or -1. */
int tt_possible_cpus(void);
/*
 * A per-CPU u64 counter (a BPF per-CPU array's entry 0) summed over its
 * cpus values (tt_possible_cpus()); 0 when fd is -1 or it cannot be read.
 * Keeps nothing between calls: any thread may call it.
 */
uint64_t tt_percpu_counter_sum(int fd, int cpus);

#endif
