// SPDX-License-Identifier: Apache-2.0
/*
 * The BTF emitter on a synthetic BTF of known layout: anonymous unions,
 * bitfields, a misaligned member, an embedded struct, a pointer to itself.
 * The generated definitions are compiled with the host compiler, with
 * static assertions on every member's offset.
 */
#include <bpf/btf.h>
#include <stdlib.h>
#include <unistd.h>

#include "btf_types.h"
#include "check.h"

static struct btf *make_btf(void)
{
	struct btf *btf = btf__new_empty();
	int u8 = btf__add_int(btf, "unsigned char", 1, 0);
	int u16 = btf__add_int(btf, "short unsigned int", 2, 0);
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	int chr = btf__add_int(btf, "char", 1, BTF_INT_CHAR);
	int be32 = btf__add_typedef(btf, "__be32", u32);

	int inner = btf__add_struct(btf, "inner", 8);
	btf__add_field(btf, "a", u32, 0, 0);
	btf__add_field(btf, "b", u16, 32, 0);

	int anon = btf__add_union(btf, NULL, 4);
	btf__add_field(btf, "y", be32, 0, 0);
	btf__add_field(btf, "z", u16, 0, 0);

	int outer_fwd = btf__add_fwd(btf, "outer", BTF_FWD_STRUCT);
	int next_ptr = btf__add_ptr(btf, outer_fwd);
	int name_arr = btf__add_array(btf, u32, chr, 4);

	btf__add_struct(btf, "outer", 40);
	btf__add_field(btf, "x", u8, 0, 0);
	btf__add_field(btf, NULL, anon, 32, 0);
	btf__add_field(btf, "flags", u32, 64, 4);
	btf__add_field(btf, "w", u32, 68, 8);
	btf__add_field(btf, "in", inner, 96, 0);
	btf__add_field(btf, "big", u64, 160, 0); /* byte 20: misaligned for a u64 */
	btf__add_field(btf, "name", name_arr, 224, 0);
	btf__add_field(btf, "next", next_ptr, 256, 0);
	return btf;
}

static int compile(const char *definitions, const char *asserts)
{
	char dir[] = "/tmp/tt-btf-test-XXXXXX", path[64], cmd[256];
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/t.c", dir);
	FILE *f = fopen(path, "w");
	fprintf(f, "#include <linux/types.h>\n#include <stddef.h>\n%s\n%s\n", definitions, asserts);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -std=gnu11 -Wall -Werror -fsyntax-only %s", path);
	int rc = system(cmd); // NOLINT(cert-env33-c): compiling with the host compiler is the test
	if (rc != 0)
		fprintf(stderr, "generated text that failed to compile:\n%s\n", definitions);
	unlink(path);
	rmdir(dir);
	return rc;
}

static void test_requested_members(struct btf *btf)
{
	static const char *const members[] = {"x",  "y",   "z",    "flags", "w",
	                                      "in", "big", "name", "next",  NULL};
	const struct tt_kernel_struct want[] = {{"outer", members}};
	struct strbuf out;
	char err[256] = "";
	strbuf_init(&out);
	CHECK(tt_btf_emit_structs(btf, want, 1, &out, err, sizeof(err)) == 0);
	const char *text = strbuf_text(&out);
	CHECK(strstr(text, "#define TT_BITFIELD_outer__flags 64, 4\n") != NULL);
	CHECK(strstr(text, "#define TT_BITFIELD_outer__w 68, 8\n") != NULL);
	CHECK(strstr(text, "struct inner {") != NULL); /* embedded by value: defined, opaque */
	CHECK(compile(text,
	              "_Static_assert(offsetof(struct outer, x) == 0, \"x\");\n"
	              "_Static_assert(offsetof(struct outer, y) == 4, \"y\");\n"
	              "_Static_assert(offsetof(struct outer, z) == 4, \"z\");\n"
	              "_Static_assert(offsetof(struct outer, in) == 12, \"in\");\n"
	              "_Static_assert(offsetof(struct outer, big) == 20, \"big\");\n"
	              "_Static_assert(offsetof(struct outer, name) == 28, \"name\");\n"
	              "_Static_assert(sizeof(((struct outer *)0)->name) == 4, \"name size\");\n"
	              "_Static_assert(offsetof(struct outer, next) == 32, \"next\");\n"
	              "_Static_assert(sizeof(struct outer) == 40, \"size\");\n"
	              "_Static_assert(sizeof(struct inner) == 8, \"inner\");\n"
	              "struct outer *check_next_type(struct outer *o) { return o->next; }\n") == 0);
	strbuf_free(&out);
}

static void test_whole_struct_and_errors(struct btf *btf)
{
	const struct tt_kernel_struct whole[] = {{"inner", NULL}, {"outer", NULL}};
	struct strbuf out;
	char err[256] = "";
	strbuf_init(&out);
	CHECK(tt_btf_emit_structs(btf, whole, 2, &out, err, sizeof(err)) == 0);
	CHECK(compile(strbuf_text(&out),
	              "_Static_assert(offsetof(struct inner, b) == 4, \"b\");\n"
	              "_Static_assert(offsetof(struct outer, y) == 4, \"y\");\n"
	              "_Static_assert(offsetof(struct outer, next) == 32, \"next\");\n") == 0);
	strbuf_free(&out);

	static const char *const missing[] = {"nope", NULL};
	const struct tt_kernel_struct bad_member[] = {{"outer", missing}};
	strbuf_init(&out);
	CHECK(tt_btf_emit_structs(btf, bad_member, 1, &out, err, sizeof(err)) != 0);
	CHECK(strstr(err, "no member nope") != NULL);
	strbuf_free(&out);

	const struct tt_kernel_struct bad_struct[] = {{"no_such_struct", NULL}};
	strbuf_init(&out);
	CHECK(tt_btf_emit_structs(btf, bad_struct, 1, &out, err, sizeof(err)) != 0);
	CHECK(strstr(err, "no struct no_such_struct") != NULL);
	strbuf_free(&out);
}

int main(void)
{
	struct btf *btf = make_btf();
	test_requested_members(btf);
	test_whole_struct_and_errors(btf);
	btf__free(btf);
	return check_done("test_btf_types");
}
