/* SPDX-License-Identifier: Apache-2.0 */
/* The kernel's CPU lists: which CPUs are online, how many per-CPU values a map holds. */
#ifndef TT_CPUS_H
#define TT_CPUS_H

#define TT_MAX_CPUS 4096

/* Marks online[cpu] for each online CPU. 0, or -1 after printing why. */
int tt_online_cpus(unsigned char online[TT_MAX_CPUS]);
/* How many CPUs per-CPU maps hold values for (highest possible CPU + 1), or -1. */
int tt_possible_cpus(void);

#endif
