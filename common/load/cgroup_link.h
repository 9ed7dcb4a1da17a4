/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Programs on a cgroup v2 directory (cgroup_skb), attached with BPF links
 * (Linux 5.7+): a link lives as long as its fd, so a tracer killed with
 * SIGKILL leaves nothing attached, and a link adds itself beside whatever
 * else is attached there (multi-attach), never replacing it.
 */
#ifndef TT_CGROUP_LINK_H
#define TT_CGROUP_LINK_H

/*
 * Opens the root of the cgroup v2 hierarchy (O_DIRECTORY). Where cgroup2
 * is not mounted, mounts it in a private mount namespace of this process
 * just long enough to open its root, so nothing outside changes. Returns
 * the fd, or -1 after printing why.
 */
int tt_cgroup_root_open(void);

/* Links prog_fd to cgroup_fd's ingress; returns the link's fd, or -1 after printing why. */
int tt_cgroup_link_ingress(int prog_fd, int cgroup_fd);

#endif
