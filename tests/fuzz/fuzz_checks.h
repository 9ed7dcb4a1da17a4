/* SPDX-License-Identifier: Apache-2.0 */
/* What several fuzz targets do alike: take the input as text, and check what a tool said. */
#ifndef TT_FUZZ_CHECKS_H
#define TT_FUZZ_CHECKS_H

#include <locale.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The input as a C string, cut at its first NUL, if any: malloc'd; NULL when out of memory. */
static inline char *fuzz_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return NULL;
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

/*
 * Aborts when the text holds a byte a terminal would act on: a C0 control
 * (but '\n' where newlines are allowed), DEL, or a C1 control as UTF-8.
 */
static inline void fuzz_check_controls(const char *text, size_t len, bool newlines)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		unsigned char next = i + 1 < len ? (unsigned char)text[i + 1] : 0;
		if ((c < 0x20 && !(newlines && c == '\n')) || c == 0x7f ||
		    (c == 0xc2 && next >= 0x80 && next <= 0x9f))
			abort();
	}
}

/* Aborts unless the text is valid UTF-8 without C1 controls, by glibc's own decoder. */
static inline void fuzz_check_utf8(const char *text, size_t len)
{
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		abort();
	mbstate_t state = {0};
	for (size_t i = 0; i < len;) {
		wchar_t wc;
		size_t used = mbrtowc(&wc, text + i, len - i, &state);
		if (used == 0 || used > len - i || (wc >= 0x80 && wc <= 0x9f))
			abort();
		i += used;
	}
}

#endif
