/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Bytes from outside made safe for a terminal, by the one rule of what is
 * UTF-8 (utf8.h): here, below every floor, because the command line echoes
 * what it was given (cli/) as the printer shows what the kernel saw (print/).
 */
#ifndef TT_SAFE_TEXT_H
#define TT_SAFE_TEXT_H

#include <stddef.h>

/*
 * Text from outside (a task's name, a DNS name, a path: len bytes, not always
 * NUL-terminated) made safe for a terminal: control characters (C0, DEL and
 * C1, escape sequences' ESC and CSI included) and every byte that is not part
 * of valid UTF-8 become '?'; valid UTF-8 passes. out gets at most out_size - 1
 * bytes, never part of a character.
 */
void tt_format_safe(const char *text, size_t len, char *out, size_t out_size);

#endif
