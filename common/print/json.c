// SPDX-License-Identifier: Apache-2.0
#include "json.h"

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *s, size_t n)
{
	size_t len;
	unsigned min;
	unsigned cp;
	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, min = 0x80, cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, min = 0x800, cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, min = 0x10000, cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past Unicode are not UTF-8. */
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

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
			size_t len = utf8_sequence(s + i, n - i);
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
