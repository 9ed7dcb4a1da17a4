/* SPDX-License-Identifier: Apache-2.0 */
/* One-line diagnostics on stderr, prefixed with the program's name. */
#ifndef TT_LOG_H
#define TT_LOG_H

#include <stdbool.h>

extern bool tt_log_verbose;

void tt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* What is not fatal (lost events) reads the same way. */
#define tt_warn tt_error
/* The last non-empty line of a tool's or library's log (usually the reason); trims text. */
const char *tt_last_line(char *text);
/* Printed only with -v/--verbose. */
void tt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
