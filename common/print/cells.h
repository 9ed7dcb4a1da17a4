/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Printing a line's cells without printf. A connection storm prints 10^5
 * lines a second; under it, parsing format strings in vfprintf was most of
 * the tracer's own CPU (bench/RESULTS.md). These write straight into the
 * stdio buffer (unlocked: the tools print from one thread).
 */
#ifndef TT_CELLS_H
#define TT_CELLS_H

#include <stdio.h>

/* text, then spaces up to width: printf's "%-*s". */
void tt_cell_text(FILE *out, const char *text, int width);
/* v left-aligned in width: "%-*llu"; width 0: "%llu". */
void tt_cell_uint(FILE *out, unsigned long long v, int width);
/*
 * ns as milliseconds with three decimals, left-aligned in width: printf's
 * "%-*.3f" of ns / 1e6, rounded to the nearest microsecond (halves up).
 */
void tt_cell_millis(FILE *out, unsigned long long ns, int width);
/* text as it is: fputs. */
void tt_cell_raw(FILE *out, const char *text);

#endif
