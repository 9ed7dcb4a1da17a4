/* SPDX-License-Identifier: Apache-2.0 */
/*
 * C definitions of kernel structures, generated from BTF.
 *
 * Only the members a BPF program reads are defined, each at the offset BTF
 * gives for the running kernel, so BPF text written against the kernel's own
 * headers (sk->__sk_common.skc_dport) compiles unchanged on a kernel that has
 * BTF but no headers. Members reached through anonymous structs and unions
 * are found and placed directly.
 *
 * A bitfield member cannot be addressed, so instead of a member it becomes a
 * macro TT_BITFIELD_<struct>__<member> expanding to "bit_offset, bit_size",
 * for TT_READ_BITFIELD() in bpfsrc/tt_helpers.bpf.h.
 */
#ifndef TT_BTF_TYPES_H
#define TT_BTF_TYPES_H

#include <stddef.h>

#include "strbuf.h"

struct btf;

struct tt_kernel_struct {
	const char *name;           /* struct (or union) tag, e.g. "sock_common" */
	const char *const *members; /* NULL-terminated; NULL means every named member */
};

/*
 * Appends the definitions of structs[0..count) to out, plus those of any
 * struct they embed by value (an embedded struct that is not requested is
 * defined as an opaque blob of the right size). Returns 0, or -1 with a reason
 * in err when a struct or member does not exist in this kernel.
 */
int tt_btf_emit_structs(const struct btf *btf, const struct tt_kernel_struct *structs, size_t count,
                        struct strbuf *out, char *err, size_t errlen);

#endif
