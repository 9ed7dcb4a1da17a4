/* SPDX-License-Identifier: Apache-2.0 */
/* A growable, always NUL-terminated string, for building BPF text. */
#ifndef TT_STRBUF_H
#define TT_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *data;
	size_t len;
	size_t cap;
	bool failed; /* an allocation failed; data holds what fitted before */
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_append(struct strbuf *sb, const char *text);
void strbuf_appendf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The text so far ("" when empty); NULL if an allocation failed. */
const char *strbuf_text(const struct strbuf *sb);

#endif
