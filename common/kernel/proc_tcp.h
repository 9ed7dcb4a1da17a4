/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A process's TCP sockets as /proc/PID/net/tcp and tcp6 list them (its
 * network namespace's, what `ss -e` shows), found by their inode: the local
 * port and state of a socket whose events the BPF text did not see.
 */
#ifndef TT_PROC_TCP_H
#define TT_PROC_TCP_H

#include <stddef.h>
#include <stdint.h>

struct tt_proc_socket {
	uint64_t inode;
	uint16_t local_port; /* host byte order */
	uint8_t state;       /* TCP_ESTABLISHED (1) ... as the kernel numbers them */
};

/* One line of the file: 0 and *out for a socket's line, -1 for another (the header). */
int tt_proc_tcp_parse_line(const char *line, struct tt_proc_socket *out);

struct tt_proc_sockets {
	struct tt_proc_socket *items; /* sorted by inode */
	size_t count;
};

/*
 * The sockets of family (AF_INET: net/tcp, AF_INET6: net/tcp6) in pid's
 * network namespace into *out. 0, or -1 (the process is gone, or out of memory).
 */
int tt_proc_sockets_read(int pid, int family, struct tt_proc_sockets *out);
const struct tt_proc_socket *tt_proc_sockets_find(const struct tt_proc_sockets *sockets,
                                                  uint64_t inode);
void tt_proc_sockets_free(struct tt_proc_sockets *sockets);

#endif
