/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The few kernel header files libbcc itself includes, written to a private
 * directory for BCC_KERNEL_SOURCE on a kernel without installed headers.
 * Kernel structures come from BTF instead (btf_types.h), so nothing here
 * depends on the kernel's layout.
 */
#ifndef TT_KERNEL_TREE_H
#define TT_KERNEL_TREE_H

#include <limits.h>

struct tt_kernel_tree {
	char path[PATH_MAX]; /* "" when no tree exists */
};

/* Creates the tree under $TMPDIR (or /tmp). Returns 0, or -1 with errno set. */
int tt_kernel_tree_create(struct tt_kernel_tree *tree);
/* Removes the tree; safe to call more than once. */
void tt_kernel_tree_remove(struct tt_kernel_tree *tree);
/* LINUX_VERSION_CODE of the running kernel, from uname's release. */
unsigned tt_running_kernel_version(void);

#endif
