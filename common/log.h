/* SPDX-License-Identifier: Apache-2.0 */
/* One-line diagnostics on stderr, prefixed with the program's name. */
#ifndef TT_LOG_H
#define TT_LOG_H

#include <stdbool.h>

extern bool tt_log_verbose;

void tt_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tt_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Printed only with -v/--verbose. */
void tt_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
