// SPDX-License-Identifier: Apache-2.0
#include "log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool tt_log_verbose;

static void print_line(const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", program_invocation_short_name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void tt_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	print_line(fmt, ap);
	va_end(ap);
}

const char *tt_last_line(char *text)
{
	char *end = text + strlen(text);
	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		*--end = '\0';
	char *start = strrchr(text, '\n');
	return start ? start + 1 : text;
}

void tt_info(const char *fmt, ...)
{
	if (!tt_log_verbose)
		return;
	va_list ap;
	va_start(ap, fmt);
	print_line(fmt, ap);
	va_end(ap);
}
