// SPDX-License-Identifier: Apache-2.0
/*
 * uring_accept MODE COUNT: a test server accepting through io_uring
 * (liburing), never through accept(2). MODE is "single" (one IORING_OP_ACCEPT
 * per connection), "multishot" (one request for all of them) or "direct"
 * (into fixed-file slots). Listens on 127.0.0.1 at a free port, prints
 * {"pid":P,"lport":N} once its first accept is submitted, then one line per
 * accepted connection with what the kernel returned: the addresses for a
 * descriptor; for a direct one, its slot (0, 1, ...) and the result (0). Exits 0 after COUNT,
 * non-zero with a message on stderr on any error.
 */
#define _GNU_SOURCE /* liburing.h needs sigset_t and AT_FDCWD */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_accept: %s: %s\n", what, strerror(err));
	exit(1);
}

static void submit_accept(struct io_uring *ring, int listener, const char *mode, unsigned slot)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	if (!sqe)
		die("io_uring_get_sqe", EBUSY);
	if (strcmp(mode, "multishot") == 0)
		io_uring_prep_multishot_accept(sqe, listener, NULL, NULL, 0);
	else if (strcmp(mode, "direct") == 0)
		/* A chosen slot: liburing 2.3 encodes IORING_FILE_INDEX_ALLOC as "none". */
		io_uring_prep_accept_direct(sqe, listener, NULL, NULL, 0, slot);
	else
		io_uring_prep_accept(sqe, listener, NULL, NULL, 0);
	io_uring_sqe_set_data64(sqe, 7);
	int ret = io_uring_submit(ring);
	if (ret < 0)
		die("io_uring_submit", -ret);
}

static void print_accepted(int fd)
{
	struct sockaddr_in local, remote;
	socklen_t llen = sizeof(local), rlen = sizeof(remote);
	if (getsockname(fd, (struct sockaddr *)&local, &llen) != 0 ||
	    getpeername(fd, (struct sockaddr *)&remote, &rlen) != 0)
		die("getsockname", errno);
	char laddr[INET_ADDRSTRLEN], raddr[INET_ADDRSTRLEN];
	inet_ntop(AF_INET, &local.sin_addr, laddr, sizeof(laddr));
	inet_ntop(AF_INET, &remote.sin_addr, raddr, sizeof(raddr));
	printf("{\"fd\":%d,\"laddr\":\"%s\",\"lport\":%d,\"raddr\":\"%s\",\"rport\":%d}\n", fd,
	       laddr, ntohs(local.sin_port), raddr, ntohs(remote.sin_port));
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: uring_accept single|multishot|direct COUNT\n");
		return 2;
	}
	const char *mode = argv[1];
	int count = atoi(argv[2]);
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in addr = {.sin_family = AF_INET,
	                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(addr);
	if (listener < 0 || bind(listener, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    listen(listener, 64) != 0 || getsockname(listener, (struct sockaddr *)&addr, &len) != 0)
		die("listen", errno);

	struct io_uring ring;
	int ret = io_uring_queue_init(8, &ring, 0);
	if (ret < 0)
		die("io_uring_queue_init", -ret);
	if (strcmp(mode, "direct") == 0 && (ret = io_uring_register_files_sparse(&ring, 64)) < 0)
		die("io_uring_register_files_sparse", -ret);
	submit_accept(&ring, listener, mode, 0);
	printf("{\"pid\":%d,\"lport\":%d}\n", (int)getpid(), ntohs(addr.sin_port));
	fflush(stdout);

	for (int accepted = 0; accepted < count;) {
		struct io_uring_cqe *cqe;
		ret = io_uring_wait_cqe(&ring, &cqe);
		if (ret < 0)
			die("io_uring_wait_cqe", -ret);
		int res = cqe->res;
		unsigned flags = cqe->flags;
		io_uring_cqe_seen(&ring, cqe);
		if (res < 0)
			die("accept", -res);
		if (strcmp(mode, "direct") == 0)
			printf("{\"slot\":%d,\"res\":%d}\n", accepted, res);
		else
			print_accepted(res);
		fflush(stdout);
		accepted++;
		if (accepted < count && !(flags & IORING_CQE_F_MORE))
			submit_accept(&ring, listener, mode, (unsigned)accepted);
	}
	io_uring_queue_exit(&ring);
	return 0;
}
