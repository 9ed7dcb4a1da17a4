/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A socket's protocol (IPPROTO_TCP for TCP). sk_protocol was an 8-bit
 * bitfield before Linux 5.6 and a u16 since; reading it the wrong way made
 * BCC's tcpaccept print nothing on 6.12 (iovisor/bcc#5316). With BTF types,
 * BTF says which it is: a bitfield arrives as TT_BITFIELD_sock__sk_protocol.
 */
#ifndef TT_SOCK_PROTOCOL_BPF_H
#define TT_SOCK_PROTOCOL_BPF_H

#include "tt_helpers.bpf.h"

static __always_inline u16 tt_sock_protocol(struct sock *sk)
{
#if defined(TT_BITFIELD_sock__sk_protocol)
	return TT_READ_BITFIELD(sk, TT_BITFIELD_sock__sk_protocol);
#elif defined(TT_KERNEL_TYPES_HEADERS) && LINUX_VERSION_CODE < KERNEL_VERSION(5, 6, 0)
	/* Headers of those kernels: 8 bits in, after __sk_flags_offset (little-endian). */
	return tt_read_bits(sk, __builtin_offsetof(struct sock, __sk_flags_offset) * 8 + 8, 8);
#else
	__typeof__(sk->sk_protocol) protocol = 0;
	TT_READ(protocol, sk->sk_protocol);
	return protocol;
#endif
}

#endif
