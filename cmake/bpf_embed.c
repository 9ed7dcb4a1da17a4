// SPDX-License-Identifier: Apache-2.0
/*
 * bpf_embed SYMBOL INPUT OUTPUT
 *
 * Writes OUTPUT, a C file defining `const char SYMBOL[]` with the text of
 * INPUT. Lines of the form `#include "name"` are replaced by the text of that
 * file (looked up beside INPUT, recursively), so the BPF program and the
 * headers it shares with user space stay real files in bpfsrc/ while the tool
 * carries one self-contained string.
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8
#define MAX_FILES 64

static char dir[4096];
/* Each header is inlined once, as if every header had #pragma once. */
static char *included[MAX_FILES];
static int included_count;

static int already_included(const char *path)
{
	for (int i = 0; i < included_count; i++)
		if (strcmp(included[i], path) == 0)
			return 1;
	if (included_count < MAX_FILES)
		included[included_count++] = strdup(path);
	return 0;
}

static void emit_escaped_line(FILE *out, const char *line)
{
	fputs("\t\"", out);
	for (const char *p = line; *p && *p != '\n'; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', out);
		if (*p == '\t') {
			fputs("\\t", out);
			continue;
		}
		fputc(*p, out);
	}
	fputs("\\n\"\n", out);
}

static int embed_file(FILE *out, const char *path, int depth)
{
	if (depth > MAX_DEPTH) {
		fprintf(stderr, "bpf_embed: includes nested too deeply at %s\n", path);
		return -1;
	}
	FILE *in = fopen(path, "r");
	if (!in) {
		fprintf(stderr, "bpf_embed: cannot open %s\n", path);
		return -1;
	}
	char line[4096];
	int rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), in)) {
		char name[1024];
		if (sscanf(line, " #include \"%1023[^\"]\"", name) == 1) {
			char inc[8192];
			snprintf(inc, sizeof(inc), "%s/%s", dir, name);
			if (!already_included(inc))
				rc = embed_file(out, inc, depth + 1);
			continue;
		}
		emit_escaped_line(out, line);
	}
	fclose(in);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: bpf_embed SYMBOL INPUT OUTPUT\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s", argv[2]);
	char *slash = strrchr(dir, '/');
	if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");

	FILE *out = fopen(argv[3], "w");
	if (!out) {
		fprintf(stderr, "bpf_embed: cannot write %s\n", argv[3]);
		return 1;
	}
	fprintf(out, "/* Generated from %s by bpf_embed; do not edit. */\n", argv[2]);
	fprintf(out, "const char %s[] =\n", argv[1]);
	int rc = embed_file(out, argv[2], 0);
	fputs("\t\"\";\n", out);
	if (fclose(out) != 0 || rc != 0) {
		remove(argv[3]);
		return 1;
	}
	return 0;
}
