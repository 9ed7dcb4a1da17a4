/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Helpers shared by every tool's BPF text. The text compiles against kernel
 * types generated from BTF (TT_KERNEL_TYPES_BTF) or against the kernel's own
 * headers (TT_KERNEL_TYPES_HEADERS); nothing here assumes which.
 */
#ifndef TT_HELPERS_BPF_H
#define TT_HELPERS_BPF_H

#ifndef __always_inline
#define __always_inline inline __attribute__((always_inline))
#endif

/* Stable kernel ABI values; headers mode defines some as enums, not macros. */
#define TT_AF_INET      2
#define TT_AF_INET6     10
#define TT_IPPROTO_TCP  6
#define TT_TCP_SYN_SENT 2
#define TT_TCP_CLOSE    7

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define tt_ntohs(x) __builtin_bswap16(x)
#else
#define tt_ntohs(x) (x)
#endif

/* Copies a kernel field, whatever its type, into a local of the same type. */
#define TT_READ(dst, src) bpf_probe_read_kernel(&(dst), sizeof(dst), &(src))

/* Reads a bitfield described by TT_BITFIELD_<struct>__<member> ("bit offset, bit size"). */
#define TT_READ_BITFIELD(ptr, field) tt_read_bits((const void *)(ptr), field)

static __always_inline u64 tt_read_bits(const void *base, u32 bit_offset, u32 bit_size)
{
	u64 value = 0;
	/* Little-endian: the field starts bit_offset % 8 bits into its first byte. */
	bpf_probe_read_kernel(&value, (bit_offset % 8 + bit_size + 7) / 8,
			      (const char *)base + bit_offset / 8);
	return (value >> (bit_offset % 8)) & ((1ULL << bit_size) - 1);
}

/*
 * Filters chosen on the command line arrive as #defines before this text, so
 * an unused filter compiles to nothing.
 */
#ifndef TT_TARGET_PID
#define TT_TARGET_PID 0
#endif
#ifndef TT_PORT_MATCH
#define TT_PORT_MATCH(port) 1
#endif

static __always_inline bool tt_pid_wanted(u32 tgid)
{
	return TT_TARGET_PID == 0 || tgid == TT_TARGET_PID;
}

#endif
