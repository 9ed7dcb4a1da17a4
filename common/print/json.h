/* SPDX-License-Identifier: Apache-2.0 */
/* Writing JSON strings that stay valid whatever bytes a process puts in its name. */
#ifndef TT_JSON_H
#define TT_JSON_H

#include <stddef.h>
#include <stdio.h>

/*
 * Writes text (at most max_len bytes, stopping at a NUL) as a quoted JSON
 * string: quotes, backslashes and control characters escaped, valid UTF-8
 * kept, and each byte of invalid UTF-8 replaced by U+FFFD.
 */
void tt_json_string(FILE *out, const char *text, size_t max_len);

#endif
