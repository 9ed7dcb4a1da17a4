// SPDX-License-Identifier: Apache-2.0
#include "system_checks.h"

#include <bcc/libbpf.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "array.h"
#include "log.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Where the capabilities each path needs are listed for users. */
#define SEE_MAN " (see CAPABILITIES in the man page)"

static const char *const tracefs_dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

/* Whether this process holds cap in its effective set; false if it cannot tell. */
static bool has_cap(int cap)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &header, data) != 0)
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int tt_check_privileges(void)
{
	/* CAP_SYS_ADMIN still stands for both, and is the only way before Linux 5.8. */
	if (has_cap(CAP_SYS_ADMIN) || (has_cap(CAP_BPF) && has_cap(CAP_PERFMON)))
		return 0;
	const char *missing = has_cap(CAP_BPF)       ? "CAP_PERFMON"
	                      : has_cap(CAP_PERFMON) ? "CAP_BPF"
	                                             : "CAP_BPF and CAP_PERFMON";
	tt_error("missing %s: run as root, or with CAP_BPF and CAP_PERFMON" SEE_MAN, missing);
	return -1;
}

/*
 * 0 if name exists in tracefs, at either of its usual mount points; else the
 * errno of the first: EACCES says it is there but closed to this process.
 * AT_EACCESS: a non-root user's capabilities count, as they will when used.
 */
static int tracefs_find(const char *name)
{
	char path[64];
	int first_errno = 0;
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", tracefs_dirs[i], name);
		if (faccessat(AT_FDCWD, path, F_OK, AT_EACCESS) == 0)
			return 0;
		if (i == 0 || errno == EACCES)
			first_errno = errno;
	}
	return first_errno;
}

static int mount_private_tracefs(void)
{
	if (!has_cap(CAP_SYS_ADMIN)) {
		tt_error("tracefs is not mounted, and mounting it needs CAP_SYS_ADMIN" SEE_MAN);
		return -1;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tracefs", tracefs_dirs[0], "tracefs", 0, NULL) != 0) {
		tt_error("tracefs is not mounted and cannot be mounted at %s: %s", tracefs_dirs[0],
		         strerror(errno));
		return -1;
	}
	tt_info("mounted tracefs at %s in a private mount namespace", tracefs_dirs[0]);
	return 0;
}

int tt_ensure_tracefs(void)
{
	int found = tracefs_find("events");
	if (found != 0 && found != EACCES) {
		if (mount_private_tracefs() != 0)
			return -1;
		found = tracefs_find("events");
	}
	if (found == 0)
		return 0;
	/* tracefs is root's alone (mode 0700): another user reads it with CAP_DAC_READ_SEARCH. */
	if (found == EACCES)
		tt_error("cannot read tracefs at %s: missing CAP_DAC_READ_SEARCH" SEE_MAN,
		         tracefs_dirs[0]);
	else
		tt_error("cannot read tracefs at %s: %s", tracefs_dirs[0], strerror(found));
	return -1;
}

bool tt_kprobe_pmu_available(void)
{
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0;
}

FILE *tt_tracefs_open(const char *name, const char *mode)
{
	char path[256];
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", tracefs_dirs[i], name);
		FILE *file = fopen(path, mode);
		if (file)
			return file;
	}
	return NULL;
}

bool tt_tracepoint_has_field(const char *event, const char *field)
{
	char name[192];
	snprintf(name, sizeof(name), "events/%s/format", event);
	FILE *format = tt_tracefs_open(name, "r");
	if (!format)
		return false;
	bool found = field == NULL;
	char line[512];
	size_t len = field ? strlen(field) : 0;
	while (!found && fgets(line, sizeof(line), format)) {
		/* "\tfield:void * req;\toffset:16;...": the name ends at ';'. */
		const char *end = strchr(line, ';');
		found = strncmp(line, "\tfield:", 7) == 0 && end &&
		        (size_t)(end - line) > len + 7 && strncmp(end - len, field, len) == 0 &&
		        (end[-(long)len - 1] == ' ' || end[-(long)len - 1] == '*');
	}
	fclose(format);
	return found;
}

bool tt_kprobes_available(void)
{
	return tt_kprobe_pmu_available() || tracefs_find("kprobe_events") == 0;
}

bool tt_bpf_atomics_available(void)
{
	/* The smallest program with a cmpxchg: on a stack slot, then return 0. */
	const struct bpf_insn insns[] = {
	    {.code = BPF_ST | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .off = -8, .imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1},
	    {.code = BPF_STX | BPF_ATOMIC | BPF_DW,
	     .dst_reg = BPF_REG_10,
	     .src_reg = BPF_REG_1,
	     .off = -8,
	     .imm = BPF_CMPXCHG},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	/*
	 * libbpf's loader, which prints nothing: libbcc's printed the refusal
	 * ("BPF_STX uses reserved fields") on every start where it means no (5.10).
	 */
	int fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", insns,
	                       TT_ARRAY_SIZE(insns), NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

bool tt_bpf_task_regs_available(void)
{
#if defined(__x86_64__) || defined(__aarch64__)
	/* bpf_task_pt_regs(bpf_get_current_task_btf()), then return 0. */
	const struct bpf_insn insns[] = {
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_current_task_btf},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_0},
	    {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_task_pt_regs},
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	/* libbpf's loader, which prints nothing: a refusal here only means no. */
	int fd =
	    bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, NULL, "GPL", insns, TT_ARRAY_SIZE(insns), NULL);
	if (fd < 0)
		return false;
	close(fd);
	return true;
#else
	return false;
#endif
}
