// SPDX-License-Identifier: Apache-2.0
#include "proc_tcp.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The next whitespace-separated token of *cursor: its start, and its length in *length. */
static const char *next_token(const char **cursor, size_t *length)
{
	const char *start = *cursor + strspn(*cursor, " \t");
	*length = strcspn(start, " \t\n");
	*cursor = start + *length;
	return *length ? start : NULL;
}

/* A number in base, the whole of text[0, length) (at most 20 digits); 0 and *value, or -1. */
static int parse_number(const char *text, size_t length, int base, unsigned long long *value)
{
	char digits[24];
	if (length == 0 || length >= sizeof(digits) || !isxdigit((unsigned char)text[0]))
		return -1;
	memcpy(digits, text, length);
	digits[length] = '\0';
	char *end = NULL;
	errno = 0;
	*value = strtoull(digits, &end, base);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

int tt_proc_tcp_parse_line(const char *line, struct tt_proc_socket *out)
{
	/*
	 * Under the header "sl local_address rem_address st tx_queue rx_queue
	 * tr tm->when retrnsmt uid timeout inode": "N:", ADDR:PORT (hex),
	 * ADDR:PORT, the state (hex), tx:rx, tr:when, retransmits, uid,
	 * timeout, the inode (decimal), and more.
	 */
	const char *cursor = line, *tokens[10];
	size_t lengths[10];
	for (size_t i = 0; i < 10; i++)
		if (!(tokens[i] = next_token(&cursor, &lengths[i])))
			return -1;
	if (tokens[0][lengths[0] - 1] != ':')
		return -1; /* the header */
	const char *colon = memchr(tokens[1], ':', lengths[1]);
	unsigned long long port, state, inode;
	if (!colon ||
	    parse_number(colon + 1, lengths[1] - (size_t)(colon + 1 - tokens[1]), 16, &port) != 0 ||
	    parse_number(tokens[3], lengths[3], 16, &state) != 0 ||
	    parse_number(tokens[9], lengths[9], 10, &inode) != 0 || port > UINT16_MAX ||
	    state > UINT8_MAX)
		return -1;
	out->inode = inode;
	out->local_port = (uint16_t)port;
	out->state = (uint8_t)state;
	return 0;
}

static int by_inode(const void *a, const void *b)
{
	const struct tt_proc_socket *x = a, *y = b;
	return x->inode < y->inode ? -1 : x->inode > y->inode;
}

int tt_proc_sockets_read(int pid, int family, struct tt_proc_sockets *out)
{
	out->items = NULL;
	out->count = 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/net/%s", pid, family == AF_INET6 ? "tcp6" : "tcp");
	FILE *file = fopen(path, "re");
	if (!file)
		return -1;
	size_t cap = 0;
	char line[512];
	int rc = 0;
	while (fgets(line, sizeof(line), file)) {
		struct tt_proc_socket socket;
		if (tt_proc_tcp_parse_line(line, &socket) != 0 || socket.inode == 0)
			continue; /* the header; or a socket with no file */
		if (out->count == cap) {
			size_t more = cap ? 2 * cap : 256;
			struct tt_proc_socket *items = realloc(out->items, more * sizeof(*items));
			if (!items) {
				rc = -1;
				break;
			}
			out->items = items;
			cap = more;
		}
		out->items[out->count++] = socket;
	}
	fclose(file);
	if (rc != 0) {
		tt_proc_sockets_free(out);
		return -1;
	}
	if (out->count > 1)
		qsort(out->items, out->count, sizeof(*out->items), by_inode);
	return 0;
}

const struct tt_proc_socket *tt_proc_sockets_find(const struct tt_proc_sockets *sockets,
                                                  uint64_t inode)
{
	struct tt_proc_socket key = {.inode = inode};
	if (sockets->count == 0)
		return NULL;
	return bsearch(&key, sockets->items, sockets->count, sizeof(key), by_inode);
}

void tt_proc_sockets_free(struct tt_proc_sockets *sockets)
{
	free(sockets->items);
	sockets->items = NULL;
	sockets->count = 0;
}
