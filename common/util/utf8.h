// SPDX-License-Identifier: Apache-2.0
#ifndef TT_UTF8_H
#define TT_UTF8_H

#include <stddef.h>

/*
 * The length (1-4) of the well-formed UTF-8 sequence at s, reading at most n
 * (>= 1) bytes, or 0: overlong forms, surrogates, values past U+10FFFF,
 * bytes that begin no character and sequences cut short are not UTF-8.
 * One rule for the terminal (format.c) and for JSON (json.c).
 */
size_t tt_utf8_sequence(const unsigned char *s, size_t n);

#endif
