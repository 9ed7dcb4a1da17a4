// SPDX-License-Identifier: Apache-2.0
#include "json.h"

#include "cells.h"
#include "utf8.h"

/* Printable ASCII that JSON takes as it is. */
static int plain_ascii(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Unlocked stdio: the tools print from one thread, and a storm prints 10^5 strings a second. */
void tt_json_string(FILE *out, const char *text, size_t max_len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t n = 0;
	while (n < max_len && s[n])
		n++;
	putc_unlocked('"', out);
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (plain_ascii(c)) { /* a run of them, in one write: most names are all ASCII */
			size_t end = i + 1;
			while (end < n && plain_ascii(s[end]))
				end++;
			fwrite_unlocked(s + i, 1, end - i, out);
			i = end;
		} else if (c == '"' || c == '\\') {
			putc_unlocked('\\', out);
			putc_unlocked(c, out);
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\u%04x", c);
			i++;
		} else {
			size_t len = tt_utf8_sequence(s + i, n - i);
			if (len == 0) {
				fputs_unlocked("\\ufffd", out);
				i++;
			} else if (len == 2 && c == 0xc2 && s[i + 1] <= 0x9f) {
				/* C1 control: escaped like C0, -j reaches terminals too */
				fprintf(out, "\\u%04x", s[i + 1]);
				i += 2;
			} else {
				fwrite_unlocked(s + i, 1, len, out);
				i += len;
			}
		}
	}
	putc_unlocked('"', out);
}

static void quoted_word(FILE *out, const char *word)
{
	putc_unlocked('"', out);
	tt_cell_raw(out, word);
	putc_unlocked('"', out);
}

/* The stream of an object tt_json_open began, until its first member's key. */
static FILE *first_member_of;

void tt_json_open(FILE *out)
{
	tt_cell_raw(out, "{");
	first_member_of = out;
}

void tt_json_open_word(FILE *out, const char *key, const char *word)
{
	first_member_of = NULL;
	tt_cell_raw(out, "{\"");
	tt_cell_raw(out, key);
	tt_cell_raw(out, "\": ");
	quoted_word(out, word);
}

void tt_json_close(FILE *out)
{
	tt_cell_raw(out, "}\n");
}

void tt_json_key(FILE *out, const char *key)
{
	tt_cell_raw(out, first_member_of == out ? "\"" : ", \"");
	first_member_of = NULL;
	tt_cell_raw(out, key);
	tt_cell_raw(out, "\": ");
}

void tt_json_uint(FILE *out, const char *key, unsigned long long value)
{
	tt_json_key(out, key);
	tt_cell_uint(out, value, 0);
}

void tt_json_text(FILE *out, const char *key, const char *text, size_t max_len)
{
	tt_json_key(out, key);
	if (text)
		tt_json_string(out, text, max_len);
	else
		tt_cell_raw(out, "null");
}

void tt_json_word(FILE *out, const char *key, const char *word)
{
	tt_json_key(out, key);
	quoted_word(out, word);
}
