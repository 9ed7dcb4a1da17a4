// SPDX-License-Identifier: Apache-2.0
#include "cgroup_link.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"

/* Where cgroup2 is mounted, from /proc/self/mountinfo, into path; 0 if found. */
static int find_cgroup2(char *path, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	char line[4096];
	int rc = -1;
	while (rc != 0 && fgets(line, sizeof(line), f)) {
		/* id parent major:minor root mount-point options... - fstype source ... */
		char mount_point[4096];
		const char *dash = strstr(line, " - ");
		if (!dash || strncmp(dash + 3, "cgroup2 ", 8) != 0 ||
		    sscanf(line, "%*s %*s %*s %*s %4095s", mount_point) != 1)
			continue;
		/* Octal escapes (\040 for a space) are left alone: such a path is not opened. */
		size_t len = strlen(mount_point);
		if (len < size) {
			memcpy(path, mount_point, len + 1);
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

static int open_cgroup2_dir(const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct statfs fs;
	if (fd >= 0 && (fstatfs(fd, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Mounts cgroup2 on a scratch directory in a private mount namespace, opens it, unmounts. */
static int mount_privately(void)
{
	char dir[] = "/tmp/tcptools-cgroup2.XXXXXX";
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 || !mkdtemp(dir)) {
		tt_error("cgroup2 is not mounted and cannot be mounted: %s", strerror(errno));
		return -1;
	}
	int fd = -1;
	if (mount("cgroup2", dir, "cgroup2", 0, NULL) == 0) {
		fd = open_cgroup2_dir(dir);
		/* The open directory keeps the hierarchy reachable; the mount can go. */
		umount2(dir, MNT_DETACH);
	}
	int saved = errno;
	rmdir(dir);
	if (fd < 0)
		tt_error("cgroup2 is not mounted and cannot be mounted: %s", strerror(saved));
	else
		tt_info("opened the cgroup2 root through a private mount");
	return fd;
}

int tt_cgroup_root_open(void)
{
	char path[4096];
	if (find_cgroup2(path, sizeof(path)) != 0)
		return mount_privately();
	int fd = open_cgroup2_dir(path);
	if (fd < 0)
		tt_error("cannot open the cgroup2 root %s: %s", path, strerror(errno));
	return fd;
}

int tt_cgroup_link_ingress(int prog_fd, int cgroup_fd)
{
	int fd = bpf_link_create(prog_fd, cgroup_fd, BPF_CGROUP_INET_INGRESS, NULL);
	if (fd < 0) {
		int err = errno;
		const char *why = err == EINVAL ? " (BPF links to cgroups need Linux 5.7+)"
		                  : err == EPERM
		                      ? ": missing CAP_NET_ADMIN (see CAPABILITIES in the man page)"
		                      : "";
		tt_error("cannot link a program to the cgroup root's ingress: %s%s", strerror(err),
		         why);
	}
	return fd;
}
