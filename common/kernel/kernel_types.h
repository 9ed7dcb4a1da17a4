/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Where the BPF text's kernel structures come from: BTF of the running kernel
 * (generated definitions plus a private minimal header tree for libbcc), or,
 * where there is no BTF, the kernel headers that libbcc finds itself, as
 * classic BCC does.
 */
#ifndef TT_KERNEL_TYPES_H
#define TT_KERNEL_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "btf_types.h"
#include "kernel_tree.h"
#include "strbuf.h"

enum tt_types_choice { TT_TYPES_AUTO, TT_TYPES_BTF, TT_TYPES_HEADERS };

struct tt_kernel_types_spec {
	const struct tt_kernel_struct *structs; /* what the BPF text reads, for BTF */
	size_t struct_count;
	const char *headers; /* #include lines, for kernel headers */
};

struct tt_kernel_types {
	bool from_btf;
	char source[PATH_MAX];  /* the BTF file or header directory used */
	struct strbuf preamble; /* text to put before the BPF program */
	struct tt_kernel_tree tree;
};

/* --kernel-types' choices, in enum order. */
#define TT_TYPES_CHOICES 3
extern const char *const tt_types_choice_names[TT_TYPES_CHOICES];

/*
 * Fills kt. With make_tree, also creates the private header tree and points
 * BCC_KERNEL_SOURCE at it (BTF only). Returns 0, or -1 after printing why.
 */
int tt_kernel_types_prepare(struct tt_kernel_types *kt, const struct tt_kernel_types_spec *spec,
                            enum tt_types_choice choice, bool make_tree);
void tt_kernel_types_free(struct tt_kernel_types *kt);

#endif
