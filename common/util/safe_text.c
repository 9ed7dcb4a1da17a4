// SPDX-License-Identifier: Apache-2.0
#include "safe_text.h"

#include <string.h>

#include "utf8.h"

/*
 * The length of the UTF-8 sequence at text (at most avail bytes) of a
 * character a terminal prints, or 0: C0 and C1 controls (U+0080-U+009F: a
 * terminal may take U+009B for CSI), DEL, and whatever is not UTF-8.
 */
static size_t printable_utf8(const unsigned char *text, size_t avail)
{
	unsigned char c = text[0];
	if (c < 0x20 || c == 0x7f)
		return 0;
	size_t n = tt_utf8_sequence(text, avail);
	if (n == 2 && c == 0xc2 && text[1] <= 0x9f)
		return 0;
	return n;
}

void tt_format_safe(const char *text, size_t len, char *out, size_t out_size)
{
	const unsigned char *in = (const unsigned char *)text;
	size_t end = strnlen(text, len), i = 0, o = 0;
	while (i < end && o + 1 < out_size) {
		size_t n = printable_utf8(in + i, end - i);
		if (n == 0) {
			out[o++] = '?';
			i++;
			continue;
		}
		if (o + n >= out_size)
			break; /* a character does not fit whole: cut before it */
		memcpy(out + o, in + i, n);
		o += n;
		i += n;
	}
	if (out_size)
		out[o] = '\0';
}
