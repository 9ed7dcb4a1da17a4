// SPDX-License-Identifier: Apache-2.0
#include "kernel_types.h"

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "log.h"
#include "tt_contract.h"

/* Like bpftrace's BPFTRACE_BTF: use this BTF file instead of the kernel's. */
#define BTF_ENV "TCPTOOLS_BTF"

const char *const tt_types_choice_names[TT_TYPES_CHOICES] = {"auto", "btf", "headers"};

static int quiet_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!tt_log_verbose || level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static struct btf *load_btf(char *source, size_t len)
{
	libbpf_set_print(quiet_libbpf);
	const char *path = getenv(BTF_ENV);
	if (path && *path) {
		snprintf(source, len, "%s", path);
		return btf__parse(path, NULL);
	}
	snprintf(source, len, "/sys/kernel/btf/vmlinux");
	return access(source, R_OK) == 0 ? btf__load_vmlinux_btf() : NULL;
}

/* Where libbcc will look for kernel headers, or NULL if nowhere. */
static const char *find_headers(char *dir, size_t len)
{
	const char *env = getenv("BCC_KERNEL_SOURCE");
	if (env && *env) {
		snprintf(dir, len, "%s", env);
		return dir;
	}
	struct utsname u;
	if (uname(&u) != 0)
		return NULL;
	const char *const candidates[] = {"/lib/modules/%s/build", "/lib/modules/%s/source"};
	for (size_t i = 0; i < 2; i++) {
		char include[PATH_MAX + 16];
		snprintf(dir, len, candidates[i], u.release);
		snprintf(include, sizeof(include), "%s/include", dir);
		if (access(include, R_OK) == 0)
			return dir;
	}
	/* CONFIG_IKHEADERS: libbcc unpacks this archive itself. */
	snprintf(dir, len, "/sys/kernel/kheaders.tar.xz");
	return access(dir, R_OK) == 0 ? dir : NULL;
}

static int prepare_from_btf(struct tt_kernel_types *kt, const struct tt_kernel_types_spec *spec,
                            struct btf *btf, bool make_tree)
{
	char why[256];
	strbuf_appendf(&kt->preamble, "/* Kernel types generated from BTF (%s). */\n", kt->source);
	strbuf_appendf(&kt->preamble, "#define %s 1\n", TT_DEFINE(TT_KERNEL_TYPES_BTF));
	if (tt_btf_emit_structs(btf, spec->structs, spec->struct_count, &kt->preamble, why,
	                        sizeof(why)) != 0) {
		tt_error("cannot use BTF %s: %s", kt->source, why);
		return -1;
	}
	if (!make_tree)
		return 0;
	if (tt_kernel_tree_create(&kt->tree) != 0) {
		tt_error("cannot create a private header directory: %s", strerror(errno));
		return -1;
	}
	setenv("BCC_KERNEL_SOURCE", kt->tree.path, 1);
	return 0;
}

int tt_kernel_types_prepare(struct tt_kernel_types *kt, const struct tt_kernel_types_spec *spec,
                            enum tt_types_choice choice, bool make_tree)
{
	memset(kt, 0, sizeof(*kt));
	strbuf_init(&kt->preamble);

	if (choice != TT_TYPES_HEADERS) {
		struct btf *btf = load_btf(kt->source, sizeof(kt->source));
		if (btf) {
			kt->from_btf = true;
			int rc = prepare_from_btf(kt, spec, btf, make_tree);
			btf__free(btf);
			return rc;
		}
		if (choice == TT_TYPES_BTF) {
			tt_error("no BTF: cannot read %s (the kernel needs CONFIG_DEBUG_INFO_BTF)",
			         kt->source);
			return -1;
		}
	}
	char btf_path[PATH_MAX];
	snprintf(btf_path, sizeof(btf_path), "%s",
	         kt->source[0] ? kt->source : "/sys/kernel/btf/vmlinux");
	if (!find_headers(kt->source, sizeof(kt->source))) {
		if (choice == TT_TYPES_HEADERS)
			tt_error("no kernel headers: install linux-headers-$(uname -r), or set "
			         "BCC_KERNEL_SOURCE");
		else
			tt_error("no BTF at %s and no kernel headers: this kernel needs "
			         "CONFIG_DEBUG_INFO_BTF, or install linux-headers-$(uname -r)",
			         btf_path);
		return -1;
	}
	strbuf_appendf(&kt->preamble, "/* Kernel types from kernel headers (%s). */\n", kt->source);
	strbuf_appendf(&kt->preamble, "#define %s 1\n", TT_DEFINE(TT_KERNEL_TYPES_HEADERS));
	strbuf_append(&kt->preamble, spec->headers);
	return 0;
}

void tt_kernel_types_free(struct tt_kernel_types *kt)
{
	tt_kernel_tree_remove(&kt->tree);
	strbuf_free(&kt->preamble);
}
