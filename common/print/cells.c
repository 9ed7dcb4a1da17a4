// SPDX-License-Identifier: Apache-2.0
#include "cells.h"

#include <string.h>

static void pad(FILE *out, size_t written, int width)
{
	for (size_t i = written; i < (size_t)(width > 0 ? width : 0); i++)
		putc_unlocked(' ', out);
}

void tt_cell_text(FILE *out, const char *text, int width)
{
	size_t len = strlen(text);
	fwrite_unlocked(text, 1, len, out);
	pad(out, len, width);
}

/* v's decimal digits, ending before digits[n]; where they start. */
static size_t put_digits(char *digits, size_t n, unsigned long long v)
{
	do {
		digits[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return n;
}

void tt_cell_uint(FILE *out, unsigned long long v, int width)
{
	char digits[24];
	size_t n = put_digits(digits, sizeof(digits), v);
	fwrite_unlocked(digits + n, 1, sizeof(digits) - n, out);
	pad(out, sizeof(digits) - n, width);
}

void tt_cell_millis(FILE *out, unsigned long long ns, int width)
{
	unsigned long long us = ns / 1000 + (ns % 1000 >= 500);
	char digits[32];
	size_t n = sizeof(digits);
	for (int i = 0; i < 3; i++, us /= 10)
		digits[--n] = (char)('0' + us % 10);
	digits[--n] = '.';
	n = put_digits(digits, n, us);
	fwrite_unlocked(digits + n, 1, sizeof(digits) - n, out);
	pad(out, sizeof(digits) - n, width);
}

void tt_cell_raw(FILE *out, const char *text)
{
	fputs_unlocked(text, out);
}
