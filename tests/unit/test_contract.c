// SPDX-License-Identifier: Apache-2.0
/*
 * The contract between user space and the BPF text (bpfsrc/tt_contract.h),
 * checked against the texts the tools embed: every #define, table and
 * program user space names is in some text, every #define a text tests is
 * one user space may give, and the layouts user space reads by hand are the
 * ones the text declares.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tcpaccept.h"
#include "tcpaccept_tool.h"
#include "tcpconnect.h"
#include "tcpconnect_tool.h"
#include "tt_contract.h"
#include "tt_filter.h"
#include "tt_outcome.h"
#include "tt_pending.h"
#include "array.h"
#include "parse.h"

#define NAME(name) #name,
static const char *const defines[] = {TT_CONTRACT_DEFINES(NAME)};
static const char *const tables[] = {TT_CONTRACT_TABLES(NAME)};
static const char *const programs[] = {TT_CONTRACT_PROGRAMS(NAME)};
#undef NAME

/* The texts, without their comments (a name in a comment is no use of it). */
static char *texts[4];
static const struct tt_program *text_programs[4];

static char *without_comments(const char *text)
{
	char *out = malloc(strlen(text) + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = text; *p;) {
		if (p[0] == '/' && p[1] == '*') {
			const char *end = strstr(p + 2, "*/");
			p = end ? end + 2 : p + strlen(p);
			*o++ = ' ';
		} else if (p[0] == '/' && p[1] == '/') {
			p += strcspn(p, "\n");
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

static bool word_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* The next whole-word occurrence of word in text from p, or NULL. */
static const char *find_word(const char *text, const char *p, const char *word)
{
	size_t len = strlen(word);
	for (const char *hit = strstr(p, word); hit; hit = strstr(hit + 1, word))
		if ((hit == text || !word_char(hit[-1])) && !word_char(hit[len]))
			return hit;
	return NULL;
}

/* The line holding p, as [*start, *end). */
static void line_of(const char *text, const char *p, const char **start, const char **end)
{
	*start = p;
	while (*start > text && (*start)[-1] != '\n')
		(*start)--;
	*end = p + strcspn(p, "\n");
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool starts(const char *p, const char *prefix)
{
	return strncmp(p, prefix, strlen(prefix)) == 0;
}

/* Whether text tests or uses name (a #define user space gives) other than by defining it. */
static bool uses_define(const char *text, const char *name)
{
	for (const char *hit = find_word(text, text, name); hit;
	     hit = find_word(text, hit + 1, name)) {
		const char *start, *end;
		line_of(text, hit, &start, &end);
		const char *directive = skip_space(start);
		if (!(starts(directive, "#define") && skip_space(directive + 7) == hit))
			return true;
	}
	return false;
}

/* Whether text declares a table name: a BPF_*( line naming it. */
static bool declares_table(const char *text, const char *name)
{
	for (const char *hit = find_word(text, text, name); hit;
	     hit = find_word(text, hit + 1, name)) {
		const char *start, *end;
		line_of(text, hit, &start, &end);
		const char *open = strchr(start, '(');
		if (starts(skip_space(start), "BPF_") && open && open < hit)
			return true;
	}
	return false;
}

/* Whether text defines the program (function) name, as BCC names it. */
static bool defines_program(const char *text, const char *name)
{
	char probe[160];
	const char *event;
	if (starts(name, "raw_tracepoint__")) {
		snprintf(probe, sizeof(probe), "RAW_TRACEPOINT_PROBE(%s)", name + 16);
		return strstr(text, probe) != NULL;
	}
	if (starts(name, "tracepoint__") && (event = strstr(name + 12, "__")) != NULL) {
		char category[64];
		snprintf(category, sizeof(category), "%.*s", (int)(event - name - 12), name + 12);
		snprintf(probe, sizeof(probe), "TRACEPOINT_PROBE(%s, %s)", category, event + 2);
		return strstr(text, probe) != NULL;
	}
	for (const char *hit = find_word(text, text, name); hit;
	     hit = find_word(text, hit + 1, name)) {
		const char *start, *end;
		line_of(text, hit, &start, &end);
		if (starts(skip_space(start), "int ") && *skip_space(hit + strlen(name)) == '(')
			return true;
	}
	return false;
}

static bool any_text(bool (*has)(const char *, const char *), const char *name)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(texts); i++)
		if (has(texts[i], name))
			return true;
	return false;
}

static bool listed(const char *name, size_t len)
{
	for (size_t i = 0; i < TT_ARRAY_SIZE(defines); i++)
		if (strlen(defines[i]) == len && strncmp(defines[i], name, len) == 0)
			return true;
	return false;
}

/* Whether text #defines the name itself (an include guard, a tool's own switch). */
static bool defined_in(const char *text, const char *name, size_t len)
{
	for (const char *p = strstr(text, "#define"); p; p = strstr(p + 1, "#define")) {
		const char *word = skip_space(p + 7);
		if (strncmp(word, name, len) == 0 && !word_char(word[len]))
			return true;
	}
	return false;
}

/* Every TT_ name text tests with #ifdef, #ifndef or defined(): listed, or its own. */
static void check_tested_defines(const char *text)
{
	static const char *const tests[] = {"#ifdef", "#ifndef", "defined("};
	for (size_t t = 0; t < TT_ARRAY_SIZE(tests); t++) {
		for (const char *p = strstr(text, tests[t]); p; p = strstr(p + 1, tests[t])) {
			const char *name = skip_space(p + strlen(tests[t]));
			size_t len = 0;
			while (word_char(name[len]))
				len++;
			/* TT_BITFIELD_<struct>__<member>: kernel/btf_types.c's, one per bitfield.
			 */
			if (!starts(name, "TT_") || starts(name, "TT_BITFIELD_") ||
			    defined_in(text, name, len))
				continue;
			bool ok = listed(name, len);
			if (!ok)
				fprintf(stderr, "a text tests %.*s, not in tt_contract.h\n",
				        (int)len, name);
			CHECK(ok);
		}
	}
}

/* Each of names in some text, as has finds it; what names the kind for the message. */
static void check_listed(const char *const *names, size_t count,
                         bool (*has)(const char *, const char *), const char *what)
{
	for (size_t i = 0; i < count; i++) {
		bool ok = any_text(has, names[i]);
		if (!ok)
			fprintf(stderr, "no text has the %s %s\n", what, names[i]);
		CHECK(ok);
	}
}

static void check_names(void)
{
	check_listed(defines, TT_ARRAY_SIZE(defines), uses_define, "#define");
	check_listed(tables, TT_ARRAY_SIZE(tables), declares_table, "table");
	check_listed(programs, TT_ARRAY_SIZE(programs), defines_program, "program");
	/* A tool's own probes, in the text they are listed with. */
	for (size_t i = 0; i < TT_ARRAY_SIZE(texts); i++) {
		for (size_t p = 0; p < text_programs[i]->probe_count; p++) {
			const char *name = text_programs[i]->probes[p].function;
			bool ok = defines_program(texts[i], name);
			if (!ok)
				fprintf(stderr, "text %zu has no program %s\n", i, name);
			CHECK(ok);
		}
		check_tested_defines(texts[i]);
	}
	/* The checks can fail: misspelt names are not found. */
	CHECK(!any_text(declares_table, "countz"));
	CHECK(!any_text(uses_define, "TT_OUTCOM"));
	CHECK(!any_text(defines_program, "tt_outcome_state_chang"));
	CHECK(!listed("TT_OUTCOM", 9));
}

/* The pending table's slot as the BPF text declares it, and as user space reads it. */
struct tcpconnect_slot {
	TT_PENDING_SLOT_MEMBERS(struct tcpconnect_event);
};

static void check_layouts(void)
{
	CHECK(offsetof(struct tcpconnect_slot, sk) == 0);
	CHECK(offsetof(struct tcpconnect_slot, event) == TT_PENDING_SLOT_EVENT_OFFSET);
	CHECK(sizeof(struct tcpconnect_slot) == TT_PENDING_SLOT_SIZE(tcpconnect_tool.event_size));
	CHECK(TT_PENDING_SLOTS == 1U << TT_PENDING_SLOTS_LOG2);
	/* A listener's owner, which user space writes for the listeners older than the trace. */
	CHECK(sizeof(((struct tt_listener_owner *)0)->comm) == TT_COMM_LEN);
	CHECK(sizeof(struct tt_listener_owner) == 8 + TT_COMM_LEN);
	/* --daddr/--raddr: the list, which user space writes whole, and the trie's room. */
	CHECK(sizeof(((struct tt_peer_prefix *)0)->addr) == 16);
	CHECK(sizeof(((struct tt_peer_prefix *)0)->mask) == 16);
	CHECK(sizeof(struct tt_peer_prefix) == 36);
	CHECK(offsetof(struct tt_peer_list, prefixes) == 8);
	CHECK(sizeof(struct tt_peer_list) ==
	      8 + TT_PEER_INLINE_MAX * sizeof(struct tt_peer_prefix));
	CHECK(TT_PEER_INLINE_MAX >= 1 && TT_PEER_INLINE_MAX < TT_MAX_CIDRS);
	CHECK(TT_PEER_ENTRIES == TT_MAX_CIDRS + 1);
	CHECK(sizeof(struct tt_peer_key) == 4 + 16);
}

/* tt_submit.bpf.h reads -o's result and latency from each tool's event as `outcome`. */
#define TT_EVENT_HAS_OUTCOME(event)                                                                \
	_Static_assert(                                                                            \
	    __builtin_types_compatible_p(__typeof__(((event *)0)->outcome), struct tt_outcome),    \
	    #event " carries no struct tt_outcome outcome")
TT_EVENT_HAS_OUTCOME(struct tcpconnect_event);
TT_EVENT_HAS_OUTCOME(struct tcpaccept_event);

int main(void)
{
	const struct tt_program *all[] = {tcpconnect_tool.kprobe, tcpconnect_tool.tracepoint,
	                                  tcpaccept_tool.kprobe, tcpaccept_tool.tracepoint};
	for (size_t i = 0; i < TT_ARRAY_SIZE(all); i++) {
		text_programs[i] = all[i];
		texts[i] = without_comments(all[i]->text);
		CHECK(texts[i] != NULL);
		if (!texts[i])
			return check_done("contract");
	}
	check_names();
	check_layouts();
	for (size_t i = 0; i < TT_ARRAY_SIZE(texts); i++)
		free(texts[i]);
	return check_done("contract");
}
