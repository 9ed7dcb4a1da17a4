/* SPDX-License-Identifier: Apache-2.0 */
/* Reading a TCP socket's addresses and ports from struct sock. */
#ifndef TT_SOCK_BPF_H
#define TT_SOCK_BPF_H

#include "tt_event.h"
#include "tt_helpers.bpf.h"

#define TT_SKC_OFFSET(m) TT_OFFSET_OF(struct sock_common, m)
#define TT_SKC_END(m)    TT_END_OF(struct sock_common, m)

/* The flow into *f; returns the socket's state (skc_state), read in the same copy. */
static __always_inline u8 tt_read_sock_flow(struct sock *sk, struct tt_flow *f)
{
	/*
	 * The IPv4 addresses, the ports, the family and the state sit within 20
	 * bytes of each other (the v6 addresses within 32): one read each, not
	 * one per member. The span comes from the members' offsets, whatever
	 * their order.
	 */
	struct sock_common common = {};
	u32 start = TT_MIN(TT_MIN(TT_MIN(TT_SKC_OFFSET(skc_daddr), TT_SKC_OFFSET(skc_rcv_saddr)),
	                          TT_MIN(TT_SKC_OFFSET(skc_dport), TT_SKC_OFFSET(skc_num))),
	                   TT_MIN(TT_SKC_OFFSET(skc_family), TT_SKC_OFFSET(skc_state)));
	u32 end = TT_MAX(TT_MAX(TT_MAX(TT_SKC_END(skc_daddr), TT_SKC_END(skc_rcv_saddr)),
	                        TT_MAX(TT_SKC_END(skc_dport), TT_SKC_END(skc_num))),
	                 TT_MAX(TT_SKC_END(skc_family), TT_SKC_END(skc_state)));
	bpf_probe_read_kernel((char *)&common + start, end - start,
	                      (const char *)&sk->__sk_common + start);
	f->family = common.skc_family;
	f->lport = common.skc_num;
	f->rport = tt_ntohs(common.skc_dport);
	if (f->family == TT_AF_INET) {
		__builtin_memcpy(f->laddr, &common.skc_rcv_saddr, 4);
		__builtin_memcpy(f->raddr, &common.skc_daddr, 4);
	} else {
		TT_READ_SPAN(&common, &sk->__sk_common, struct sock_common, skc_v6_daddr,
		             skc_v6_rcv_saddr);
		__builtin_memcpy(f->laddr, &common.skc_v6_rcv_saddr, 16);
		__builtin_memcpy(f->raddr, &common.skc_v6_daddr, 16);
	}
	return common.skc_state;
}

/*
 * The socket's network namespace as its inode number (what /proc/PID/ns/net
 * names), for --netns and the NETNS column; 0 when neither asked for it.
 * skc_net is a possible_net_t: one pointer where namespaces are built in.
 */
/*
 * The inode of sk's socket (sock_i_ino: the socket and its inode are
 * allocated together): what /proc/PID/net/tcp and ss -e name it by. 0 for a
 * socket with no file (a child not yet accepted). With -o only, whose plan
 * brings the kernel types it reads (common/features/outcome.c).
 */
#ifdef TT_OUTCOME
static __always_inline u64 tt_sock_inode(struct sock *sk)
{
	struct socket *sock = NULL;
	TT_READ(sock, sk->sk_socket);
	if (!sock)
		return 0;
	unsigned long ino = 0;
	const char *alloc = (const char *)sock - TT_OFFSET_OF(struct socket_alloc, socket);
	bpf_probe_read_kernel(&ino, sizeof(ino),
	                      alloc + TT_OFFSET_OF(struct socket_alloc, vfs_inode) +
	                          TT_OFFSET_OF(struct inode, i_ino));
	return ino;
}
#endif

#if defined(TT_NETNS_FILTER) || defined(TT_EVENT_NETNS)
static __always_inline u32 tt_sock_netns(struct sock *sk)
{
	struct net *net = NULL;
	unsigned int inum = 0;
	bpf_probe_read_kernel(&net, sizeof(net), &sk->__sk_common.skc_net);
	if (net)
		TT_READ(inum, net->ns.inum);
	return inum;
}
#else
#define tt_sock_netns(sk) 0
#endif

/*
 * --daddr/--raddr on a TCP socket whose flow is not read yet: the IPv4 peer
 * is common's (read by the caller, skc_daddr), the IPv6 one is read here.
 */
#ifdef TT_PEER_FILTER
static __always_inline bool tt_sock_peer_wanted(struct sock *sk, const struct sock_common *common)
{
	if (common->skc_family == TT_AF_INET)
		return tt_peer_wanted(TT_AF_INET, &common->skc_daddr);
	u8 raddr[16] = {};
	bpf_probe_read_kernel(raddr, sizeof(raddr), &sk->__sk_common.skc_v6_daddr);
	return tt_peer_wanted(TT_AF_INET6, raddr);
}
#else
#define tt_sock_peer_wanted(sk, common) 1
#endif

#ifdef TT_EVENT_NETNS
#define TT_EVENT_NETNS_SET(head, netns) ((head)->netns = (netns))
#else
#define TT_EVENT_NETNS_SET(head, netns) ((void)(netns))
#endif

#endif
