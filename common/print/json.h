/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writing JSON: strings that stay valid whatever bytes a process puts in its
 * name, and the members of an object, whose syntax (quotes, separators) is
 * written here only (as bpftool's json_writer). An object's first member
 * opens it; every other member starts with ", ", so a module's members
 * follow the line's without knowing what came before.
 */
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

/* `{"key": "word"`: an object and its first member; tt_json_close ends the object and its line. */
void tt_json_open_word(FILE *out, const char *key, const char *word);
/* `{`: an object whose first member, written next with the others' functions, has no ", ". */
void tt_json_open(FILE *out);
void tt_json_close(FILE *out);
/* `, "key": `: a further member's key, its value written next by the caller. */
void tt_json_key(FILE *out, const char *key);

/* A further member: a number; text from outside (escaped), or null for NULL; a word of ours. */
void tt_json_uint(FILE *out, const char *key, unsigned long long value);
void tt_json_text(FILE *out, const char *key, const char *text, size_t max_len);
/* word is one we made (an address, a result's name): quoted, nothing to escape. */
void tt_json_word(FILE *out, const char *key, const char *word);

#endif
