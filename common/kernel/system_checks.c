// SPDX-License-Identifier: Apache-2.0
#include "system_checks.h"

#include <bcc/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

static const char *const tracefs_dirs[] = {"/sys/kernel/tracing", "/sys/kernel/debug/tracing"};

static bool has_cap(const struct __user_cap_data_struct data[2], int cap)
{
	return data[cap / 32].effective & (1u << (cap % 32));
}

int tt_check_privileges(void)
{
	struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &header, data) != 0) {
		tt_error("cannot read this process's capabilities: %s", strerror(errno));
		return -1;
	}
	if (has_cap(data, CAP_SYS_ADMIN))
		return 0;
	if (has_cap(data, CAP_BPF) && has_cap(data, CAP_PERFMON))
		return 0;
	const char *missing = has_cap(data, CAP_BPF)       ? "CAP_PERFMON"
	                      : has_cap(data, CAP_PERFMON) ? "CAP_BPF"
	                                                   : "CAP_BPF and CAP_PERFMON";
	tt_error("must run as root: missing %s (or CAP_SYS_ADMIN)", missing);
	return -1;
}

/* Whether name exists in tracefs, at either of its usual mount points. */
static bool tracefs_has(const char *name)
{
	char path[64];
	for (size_t i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", tracefs_dirs[i], name);
		if (access(path, F_OK) == 0)
			return true;
	}
	return false;
}

int tt_ensure_tracefs(void)
{
	if (tracefs_has("events"))
		return 0;
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
	return access("/sys/bus/event_source/devices/kprobe/type", F_OK) == 0 ||
	       tracefs_has("kprobe_events");
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
	int fd = bcc_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, insns, (int)sizeof(insns), "GPL",
	                       0, 0, NULL, 0);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}
