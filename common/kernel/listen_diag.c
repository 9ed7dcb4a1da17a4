// SPDX-License-Identifier: Apache-2.0
#include "listen_diag.h"

#include <dirent.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define TT_TCP_LISTEN 10

static int add(struct tt_listeners *list, const struct tt_listener *l)
{
	if (list->count == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 32;
		struct tt_listener *more = realloc(list->items, cap * sizeof(*more));
		if (!more)
			return -1;
		list->items = more;
		list->cap = cap;
	}
	list->items[list->count++] = *l;
	return 0;
}

/* One inet_diag reply: the listener, with its drops from INET_DIAG_SKMEMINFO. */
static int take(struct tt_listeners *list, const struct nlmsghdr *h)
{
	const struct inet_diag_msg *msg = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
		return 0;
	struct tt_listener l = {
	    .inode = msg->idiag_inode,
	    .queue = msg->idiag_rqueue,
	    .max = msg->idiag_wqueue,
	    .family = msg->idiag_family,
	    .port = ntohs(msg->id.idiag_sport),
	};
	memcpy(l.addr, msg->id.idiag_src, msg->idiag_family == AF_INET ? 4 : 16);
	int left = (int)h->nlmsg_len - (int)NLMSG_LENGTH(sizeof(*msg));
	for (const struct nlattr *a = (const void *)((const char *)msg + NLMSG_ALIGN(sizeof(*msg)));
	     left >= (int)sizeof(*a) && a->nla_len >= sizeof(*a) && a->nla_len <= left;
	     left -= NLA_ALIGN(a->nla_len),
	                         a = (const void *)((const char *)a + NLA_ALIGN(a->nla_len))) {
		if ((a->nla_type & NLA_TYPE_MASK) != INET_DIAG_SKMEMINFO)
			continue;
		const uint32_t *mem = (const void *)((const char *)a + NLA_HDRLEN);
		if (a->nla_len >= NLA_HDRLEN + (SK_MEMINFO_DROPS + 1) * sizeof(uint32_t))
			l.drops = mem[SK_MEMINFO_DROPS];
	}
	return add(list, &l);
}

static int read_family(int fd, struct tt_listeners *list, uint8_t family)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} request = {
	    .nlh = {.nlmsg_len = sizeof(request),
	            .nlmsg_type = SOCK_DIAG_BY_FAMILY,
	            .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP},
	    .req = {.sdiag_family = family,
	            .sdiag_protocol = IPPROTO_TCP,
	            .idiag_ext = 1U << (INET_DIAG_SKMEMINFO - 1),
	            .idiag_states = 1U << TT_TCP_LISTEN},
	};
	if (send(fd, &request, sizeof(request), 0) != (ssize_t)sizeof(request))
		return -1;
	/* Not static: the exporter's thread reads the listeners too (metrics.c). */
	char buf[32768] __attribute__((aligned(NLMSG_ALIGNTO)));
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		/* As NLMSG_OK and NLMSG_NEXT walk it, unsigned (their int length trips
		 * -Wsign-compare). */
		size_t left = (size_t)n;
		for (const char *at = buf; left >= sizeof(struct nlmsghdr);) {
			const struct nlmsghdr *h = (const void *)at;
			if (h->nlmsg_len < sizeof(*h) || h->nlmsg_len > left)
				break;
			if (h->nlmsg_type == NLMSG_DONE)
				return 0;
			if (h->nlmsg_type == NLMSG_ERROR)
				return -1;
			if (take(list, h) != 0)
				return -1;
			size_t step = NLMSG_ALIGN(h->nlmsg_len);
			if (step >= left)
				break;
			at += step;
			left -= step;
		}
	}
}

int tt_listeners_read(struct tt_listeners *list)
{
	list->count = 0;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -1;
	int rc = read_family(fd, list, AF_INET);
	if (rc == 0)
		rc = read_family(fd, list, AF_INET6);
	close(fd);
	return rc;
}

void tt_listeners_free(struct tt_listeners *list)
{
	free(list->items);
	*list = (struct tt_listeners){0};
}

const struct tt_listener *tt_listeners_find(const struct tt_listeners *list, uint64_t inode)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].inode == inode)
			return &list->items[i];
	return NULL;
}

static int by_inode(const void *a, const void *b)
{
	const struct tt_socket_owner *x = a, *y = b;
	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

/* Process pid as the owner of *owner: its COMM and user. */
static void take_owner(const char *pid, struct tt_socket_owner *owner)
{
	char path[300];
	struct stat st;
	owner->pid = (int)strtol(pid, NULL, 10);
	snprintf(path, sizeof(path), "/proc/%s", pid);
	owner->uid = stat(path, &st) == 0 ? (uint32_t)st.st_uid : 0;
	snprintf(path, sizeof(path), "/proc/%s/comm", pid);
	FILE *f = fopen(path, "r");
	owner->comm[0] = '\0';
	if (f) {
		if (fgets(owner->comm, (int)sizeof(owner->comm), f))
			owner->comm[strcspn(owner->comm, "\n")] = '\0';
		fclose(f);
	}
}

/* The sockets process pid holds among owners (sorted), those not owned yet; how many it took. */
static size_t scan_fds(const char *pid, struct tt_socket_owner *owners, size_t count)
{
	char path[300];
	snprintf(path, sizeof(path), "/proc/%s/fd", pid);
	DIR *fds = opendir(path);
	if (!fds)
		return 0;
	size_t taken = 0;
	for (struct dirent *e; (e = readdir(fds));) {
		static const char socket_link[] = "socket:["; /* then the inode, then "]" */
		char link[600], target[64];
		if (e->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/%s/fd/%s", pid, e->d_name);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, socket_link, sizeof(socket_link) - 1) != 0)
			continue;
		struct tt_socket_owner key = {
		    .inode = strtoull(target + sizeof(socket_link) - 1, NULL, 10)};
		struct tt_socket_owner *found =
		    bsearch(&key, owners, count, sizeof(*owners), by_inode);
		if (found && found->pid == 0) {
			take_owner(pid, found);
			taken++;
		}
	}
	closedir(fds);
	return taken;
}

void tt_socket_owners(struct tt_socket_owner *owners, size_t count)
{
	for (size_t i = 0; i < count; i++)
		owners[i].pid = 0;
	if (count == 0)
		return;
	qsort(owners, count, sizeof(*owners), by_inode);
	DIR *proc = opendir("/proc");
	if (!proc)
		return;
	size_t left = count;
	for (struct dirent *e; left > 0 && (e = readdir(proc));) {
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9') {
			size_t taken = scan_fds(e->d_name, owners, count);
			left -= taken < left ? taken : left;
		}
	}
	closedir(proc);
}

int tt_socket_owner(uint64_t inode, char *comm, size_t comm_size)
{
	struct tt_socket_owner owner = {.inode = inode};
	tt_socket_owners(&owner, 1);
	snprintf(comm, comm_size, "%s", owner.comm);
	return owner.pid;
}
