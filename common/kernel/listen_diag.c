// SPDX-License-Identifier: Apache-2.0
#include "listen_diag.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
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
static int take(struct tt_listeners *list, const struct nlmsghdr *h, uint64_t netns)
{
	const struct inet_diag_msg *msg = NLMSG_DATA(h);
	if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*msg)))
		return 0;
	struct tt_listener l = {
	    .inode = msg->idiag_inode,
	    .netns = netns,
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

static int read_family(int fd, struct tt_listeners *list, uint8_t family, uint64_t netns)
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
			if (take(list, h, netns) != 0)
				return -1;
			size_t step = NLMSG_ALIGN(h->nlmsg_len);
			if (step >= left)
				break;
			at += step;
			left -= step;
		}
	}
}

/* The listeners of the namespace fd (a sock_diag socket) is in, appended. */
static int read_namespace(int fd, struct tt_listeners *list, uint64_t netns)
{
	int rc = read_family(fd, list, AF_INET, netns);
	if (rc == 0)
		rc = read_family(fd, list, AF_INET6, netns);
	return rc;
}

static int diag_socket(void)
{
	return socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
}

/* The inode of the namespace file at path (0: none). */
static uint64_t namespace_inode(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? (uint64_t)st.st_ino : 0;
}

int tt_listeners_read(struct tt_listeners *list)
{
	list->count = 0;
	list->own_netns = namespace_inode("/proc/thread-self/ns/net");
	int fd = diag_socket();
	if (fd < 0)
		return -1;
	int rc = read_namespace(fd, list, list->own_netns);
	close(fd);
	return rc;
}

/* Namespaces already read, by inode. */
struct namespaces {
	uint64_t *items;
	size_t count, cap;
};

/* Whether inode is new to seen, which then holds it (false when out of memory too). */
static bool first_sight(struct namespaces *seen, uint64_t inode)
{
	for (size_t i = 0; i < seen->count; i++)
		if (seen->items[i] == inode)
			return false;
	if (seen->count == seen->cap) {
		size_t cap = seen->cap ? 2 * seen->cap : 16;
		uint64_t *more = realloc(seen->items, cap * sizeof(*more));
		if (!more)
			return false;
		seen->items = more;
		seen->cap = cap;
	}
	seen->items[seen->count++] = inode;
	return true;
}

/*
 * The listeners of the namespace at path, unless seen: a sock_diag socket
 * made inside it (a socket keeps the namespace it was made in), then the
 * thread back in own. A namespace gone meanwhile is skipped. False only
 * when entering it was not permitted (no CAP_SYS_ADMIN): no other will be.
 */
static bool visit(const char *path, int own, struct namespaces *seen, struct tt_listeners *list)
{
	uint64_t inode = namespace_inode(path);
	if (!inode || !first_sight(seen, inode))
		return true;
	int ns = open(path, O_RDONLY | O_CLOEXEC);
	if (ns < 0)
		return true;
	if (setns(ns, CLONE_NEWNET) != 0) {
		int error = errno;
		close(ns);
		return error != EPERM;
	}
	close(ns);
	int fd = diag_socket();
	if (setns(own, CLONE_NEWNET) != 0)
		abort(); /* it was in own a moment ago: carrying on elsewhere would be worse */
	if (fd < 0)
		return true;
	size_t had = list->count;
	if (read_namespace(fd, list, inode) != 0)
		list->count = had; /* what it read of a namespace that failed */
	close(fd);
	return true;
}

/*
 * Each namespace under dir: dir/PID/ns/net for /proc's processes, else
 * dir/NAME (/run/netns). False when entering one was not permitted.
 */
static bool visit_all(const char *dir, bool processes, int own, struct namespaces *seen,
                      struct tt_listeners *list)
{
	DIR *d = opendir(dir);
	if (!d)
		return true;
	bool permitted = true;
	for (struct dirent *e; permitted && (e = readdir(d));) {
		if (e->d_name[0] == '.' ||
		    (processes && (e->d_name[0] < '0' || e->d_name[0] > '9')))
			continue;
		char path[300];
		snprintf(path, sizeof(path), processes ? "%s/%s/ns/net" : "%s/%s", dir, e->d_name);
		permitted = visit(path, own, seen, list);
	}
	closedir(d);
	return permitted;
}

int tt_listeners_read_all(struct tt_listeners *list)
{
	if (tt_listeners_read(list) != 0)
		return -1;
	int own = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (own < 0)
		return 0;
	struct namespaces seen = {0};
	if (first_sight(&seen, list->own_netns) && visit_all("/proc", true, own, &seen, list))
		visit_all("/run/netns", false, own, &seen, list);
	free(seen.items);
	close(own);
	return 0;
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
