/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TCP listeners of the tool's network namespace, or of every one, as
 * sock_diag shows them (what `ss -tlm` prints): each one's address and port, accept queue and
 * maximum, and the drops the kernel counted on it (SK_MEMINFO_DROPS: SYNs
 * and final ACKs it dropped, the accept queue or the SYN queue full), and
 * the processes holding it, found through /proc/PID/fd as `ss -p` does.
 */
#ifndef TT_LISTEN_DIAG_H
#define TT_LISTEN_DIAG_H

#include <stddef.h>
#include <stdint.h>

struct tt_listener {
	uint64_t inode;   /* the socket's inode: which listener, across two reads */
	uint64_t netns;   /* its network namespace's inode */
	uint32_t drops;   /* SK_MEMINFO_DROPS */
	uint32_t queue;   /* connections in the accept queue */
	uint32_t max;     /* the accept queue's maximum (listen()'s backlog, as capped) */
	uint16_t family;  /* AF_INET or AF_INET6 */
	uint16_t port;    /* host byte order */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
};

struct tt_listeners {
	struct tt_listener *items;
	size_t count, cap;
	uint64_t own_netns; /* the reading thread's network namespace's inode */
};

/* Reads every TCP listener of this thread's network namespace into *list (emptied first). 0, or -1.
 */
int tt_listeners_read(struct tt_listeners *list);
/*
 * The same, then those of every other network namespace a process of /proc
 * is in, or /run/netns holds (as `ip netns` names them), entered one after
 * the other with setns(2) by the calling thread, which is back in its own
 * before this returns. Entering needs CAP_SYS_ADMIN: without it, or where
 * /proc cannot be read, only this thread's own namespace is read. 0, or -1
 * when even that cannot be read.
 */
int tt_listeners_read_all(struct tt_listeners *list);
void tt_listeners_free(struct tt_listeners *list);
/* The listener with inode in list, or NULL. */
const struct tt_listener *tt_listeners_find(const struct tt_listeners *list, uint64_t inode);
/* A socket and the process holding it. */
struct tt_socket_owner {
	uint64_t inode; /* the socket's */
	int pid;        /* 0: no process found */
	uint32_t uid;   /* its user (the owner of /proc/PID) */
	char comm[17];  /* its COMM (TASK_COMM_LEN), NUL-terminated */
};

/*
 * For each of owners[0..count), by its inode, the first process (in /proc's
 * order, as `ss -p` finds them) holding that socket: one pass over
 * /proc/PID/fd for them all, ending when each is found. Sorts owners by inode.
 */
void tt_socket_owners(struct tt_socket_owner *owners, size_t count);
/*
 * The first process holding the socket inode, as its PID and COMM (comm has
 * TT_COMM_LEN + 1 bytes); 0 if none is found.
 */
int tt_socket_owner(uint64_t inode, char *comm, size_t comm_size);

#endif
