// SPDX-License-Identifier: Apache-2.0
#include "array.h"
#include "kernel_tree.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

/* libbcc probes for include/linux/kconfig.h to accept a tree as kernel source. */
static const char kconfig_h[] = "#define CONFIG_BPF_SYSCALL 1\n";

/* What kernel headers would give libbcc's own helpers: fixed-width types. */
static const char types_h[] =
    "#ifndef _TT_LINUX_TYPES_H\n"
    "#define _TT_LINUX_TYPES_H\n"
    "typedef signed char __s8;\ntypedef unsigned char __u8;\n"
    "typedef short __s16;\ntypedef unsigned short __u16;\n"
    "typedef int __s32;\ntypedef unsigned int __u32;\n"
    "typedef long long __s64;\ntypedef unsigned long long __u64;\n"
    "typedef __s8 s8;\ntypedef __u8 u8;\ntypedef __s16 s16;\ntypedef __u16 u16;\n"
    "typedef __s32 s32;\ntypedef __u32 u32;\ntypedef __s64 s64;\ntypedef __u64 u64;\n"
    "typedef __u16 __be16;\ntypedef __u32 __be32;\ntypedef __u64 __be64;\n"
    "typedef __u16 __le16;\ntypedef __u32 __le32;\ntypedef __u64 __le64;\n"
    "typedef __u16 __sum16;\ntypedef __u32 __wsum;\n"
    "#define __aligned_u64 __u64 __attribute__((aligned(8)))\n"
    "#define __aligned_be64 __be64 __attribute__((aligned(8)))\n"
    "#define __aligned_le64 __le64 __attribute__((aligned(8)))\n"
    "typedef unsigned long size_t;\ntypedef long ssize_t;\n"
    "typedef unsigned long uintptr_t;\n"
    "typedef _Bool bool;\n#define true 1\n#define false 0\n"
    "#ifndef NULL\n#define NULL ((void *)0)\n#endif\n"
    "#endif\n";

static const char *const empty_files[] = {
    "include/linux/bpf_common.h",
    "include/uapi/linux/bpf.h",
    "include/uapi/linux/if_packet.h",
    "include/linux/log2.h",
};

static const char *kernel_arch(void)
{
	struct utsname u;
	if (uname(&u) != 0)
		return "x86";
	if (strcmp(u.machine, "x86_64") == 0 || (u.machine[0] == 'i' && strstr(u.machine, "86")))
		return "x86";
	if (strcmp(u.machine, "aarch64") == 0)
		return "arm64";
	if (strncmp(u.machine, "ppc", 3) == 0)
		return "powerpc";
	if (strncmp(u.machine, "riscv", 5) == 0)
		return "riscv";
	return "x86";
}

unsigned tt_running_kernel_version(void)
{
	struct utsname u;
	unsigned long part[3] = {0, 0, 0};
	if (uname(&u) == 0) {
		/* "6.18.44-fc-v657": up to three dot-separated numbers. */
		const char *p = u.release;
		for (int i = 0; i < 3; i++) {
			char *end;
			part[i] = strtoul(p, &end, 10);
			if (end == p || *end != '.')
				break;
			p = end + 1;
		}
	}
	unsigned long patch = part[2] > 255 ? 255 : part[2];
	return (unsigned)((part[0] << 16) + (part[1] << 8) + patch);
}

/* Writes root/relative, creating its directories. */
static int write_file(const char *root, const char *relative, const char *text)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", root, relative);
	for (char *slash = strchr(path + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		int rc = mkdir(path, 0700);
		*slash = '/';
		if (rc != 0 && errno != EEXIST)
			return -1;
	}
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int tt_kernel_tree_create(struct tt_kernel_tree *tree)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(tree->path, sizeof(tree->path), "%s/tcptools-types-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tree->path)) {
		tree->path[0] = '\0';
		return -1;
	}

	char version_h[160], page_h[64];
	snprintf(version_h, sizeof(version_h),
	         "#define LINUX_VERSION_CODE %u\n"
	         "#define KERNEL_VERSION(a, b, c) (((a) << 16) + ((b) << 8) + ((c) > 255 ? 255 : "
	         "(c)))\n",
	         tt_running_kernel_version());
	snprintf(page_h, sizeof(page_h), "arch/%s/include/asm/page.h", kernel_arch());

	const struct {
		const char *path, *text;
	} files[] = {
	    {"include/linux/kconfig.h", kconfig_h},
	    {"include/linux/types.h", types_h},
	    {"include/linux/version.h", version_h},
	    {page_h, ""},
	    {empty_files[0], ""},
	    {empty_files[1], ""},
	    {empty_files[2], ""},
	    {empty_files[3], ""},
	};
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < TT_ARRAY_SIZE(files); i++)
		rc = write_file(tree->path, files[i].path, files[i].text);
	if (rc != 0) {
		int saved = errno;
		tt_kernel_tree_remove(tree);
		errno = saved;
	}
	return rc;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(path);
	return 0;
}

void tt_kernel_tree_remove(struct tt_kernel_tree *tree)
{
	if (!tree->path[0])
		return;
	nftw(tree->path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	tree->path[0] = '\0';
}
