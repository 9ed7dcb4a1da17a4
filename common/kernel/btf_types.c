// SPDX-License-Identifier: Apache-2.0
#include "btf_types.h"

#include <bpf/btf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EMITTED   64
#define DECL_LEN      256
#define MAX_FLATTENED 256

struct emitter {
	const struct btf *btf;
	const struct tt_kernel_struct *requests;
	size_t request_count;
	struct strbuf *out;
	char *err;
	size_t errlen;
	__u32 emitted[MAX_EMITTED]; /* type ids already defined in out */
	size_t emitted_count;
};

struct member_info {
	const char *name;
	__u32 type_id;
	__u32 bit_offset;
	__u32 bitfield_size; /* 0 when not a bitfield */
};

static int fail(struct emitter *em, const char *fmt, const char *a, const char *b)
{
	snprintf(em->err, em->errlen, fmt, a, b);
	return -1;
}

/* Follows typedefs, const, volatile, restrict and type tags (__rcu, __user). */
static __u32 skip_modifiers(const struct btf *btf, __u32 id)
{
	for (;;) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!t || !(btf_is_mod(t) || btf_is_typedef(t)))
			return id;
		id = t->type;
	}
}

static const char *type_name(const struct btf *btf, const struct btf_type *t)
{
	return btf__name_by_offset(btf, t->name_off);
}

static bool is_anonymous(const struct btf *btf, const struct btf_type *t)
{
	const char *name = type_name(btf, t);
	return !name || !*name;
}

/* Old-style (kflag unset) bitfields are encoded in the int type itself. */
static void fix_int_bitfield(const struct btf *btf, struct member_info *m)
{
	const struct btf_type *t = btf__type_by_id(btf, skip_modifiers(btf, m->type_id));
	if (m->bitfield_size || !t || !btf_is_int(t))
		return;
	__u32 bits = btf_int_bits(t);
	if (bits != t->size * 8 || btf_int_offset(t)) {
		m->bitfield_size = bits;
		m->bit_offset += btf_int_offset(t);
	}
}

/* Finds member name in composite type t, looking inside anonymous members. */
static bool find_member(const struct btf *btf, const struct btf_type *t, __u32 base_bits,
                        const char *name, struct member_info *found)
{
	const struct btf_member *m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		__u32 off = base_bits + btf_member_bit_offset(t, i);
		if (mname && *mname) {
			if (strcmp(mname, name) != 0)
				continue;
			*found = (struct member_info){mname, m->type, off,
			                              btf_member_bitfield_size(t, i)};
			fix_int_bitfield(btf, found);
			return true;
		}
		const struct btf_type *inner = btf__type_by_id(btf, skip_modifiers(btf, m->type));
		if (inner && btf_is_composite(inner) && find_member(btf, inner, off, name, found))
			return true;
	}
	return false;
}

/* Every named member of t, with anonymous members opened up. */
static size_t flatten_members(const struct btf *btf, const struct btf_type *t, __u32 base_bits,
                              struct member_info *out, size_t n, size_t cap)
{
	const struct btf_member *m = btf_members(t);
	for (__u16 i = 0; i < btf_vlen(t) && n < cap; i++, m++) {
		const char *mname = btf__name_by_offset(btf, m->name_off);
		__u32 off = base_bits + btf_member_bit_offset(t, i);
		if (mname && *mname) {
			out[n] = (struct member_info){mname, m->type, off,
			                              btf_member_bitfield_size(t, i)};
			fix_int_bitfield(btf, &out[n]);
			n++;
			continue;
		}
		const struct btf_type *inner = btf__type_by_id(btf, skip_modifiers(btf, m->type));
		if (inner && btf_is_composite(inner))
			n = flatten_members(btf, inner, off, out, n, cap);
	}
	return n;
}

static bool already_emitted(const struct emitter *em, __u32 id)
{
	for (size_t i = 0; i < em->emitted_count; i++)
		if (em->emitted[i] == id)
			return true;
	return false;
}

static const char *int_type(const struct btf_type *t)
{
	bool is_signed = btf_is_int(t) ? (btf_int_encoding(t) & BTF_INT_SIGNED) : false;
	if (btf_is_int(t) && (btf_int_encoding(t) & BTF_INT_CHAR))
		return "char";
	switch (t->size) {
	case 1:
		return is_signed ? "__s8" : "__u8";
	case 2:
		return is_signed ? "__s16" : "__u16";
	case 4:
		return is_signed ? "__s32" : "__u32";
	case 8:
		return is_signed ? "__s64" : "__u64";
	case 16:
		return "unsigned __int128";
	default:
		return NULL;
	}
}

static int emit_struct(struct emitter *em, __u32 id);

/*
 * Writes "<base> <declarator>" for a member of type id called decl. Composite
 * types held by value are defined in out first, since C needs them complete.
 */
static int render_decl(struct emitter *em, __u32 id, const char *decl, char *buf, size_t len)
{
	const struct btf *btf = em->btf;
	id = skip_modifiers(btf, id);
	const struct btf_type *t = btf__type_by_id(btf, id);
	char inner[DECL_LEN];

	if (!t || btf_is_void(t)) {
		snprintf(buf, len, "void %s", decl);
		return 0;
	}
	if (btf_is_int(t) || btf_is_any_enum(t) || btf_is_float(t)) {
		const char *base = int_type(t);
		if (!base)
			return fail(em, "unsupported %s type of %s", "integer", decl);
		snprintf(buf, len, "%s %s", base, decl);
		return 0;
	}
	if (btf_is_ptr(t)) {
		const struct btf_type *target = btf__type_by_id(btf, skip_modifiers(btf, t->type));
		if (!target || btf_is_func_proto(target) ||
		    (btf_is_composite(target) && is_anonymous(btf, target))) {
			snprintf(buf, len, "void *%s", decl);
			return 0;
		}
		if (btf_is_composite(target) || btf_is_fwd(target)) {
			bool is_union =
			    btf_is_union(target) || (btf_is_fwd(target) && btf_kflag(target));
			snprintf(buf, len, "%s %s *%s", is_union ? "union" : "struct",
			         type_name(btf, target), decl);
			return 0;
		}
		snprintf(inner, sizeof(inner), btf_is_array(target) ? "(*%s)" : "*%s", decl);
		return render_decl(em, t->type, inner, buf, len);
	}
	if (btf_is_array(t)) {
		const struct btf_array *a = btf_array(t);
		snprintf(inner, sizeof(inner), "%s[%u]", decl, a->nelems);
		return render_decl(em, a->type, inner, buf, len);
	}
	if (btf_is_composite(t)) {
		if (is_anonymous(btf, t)) {
			/* An unnamed type held by value: its bytes are what callers copy. */
			snprintf(buf, len, "__u8 %s[%u]", decl, t->size);
			return 0;
		}
		if (emit_struct(em, id) != 0)
			return -1;
		snprintf(buf, len, "%s %s %s", btf_is_union(t) ? "union" : "struct",
		         type_name(btf, t), decl);
		return 0;
	}
	return fail(em, "unsupported type of member %s%s", decl, "");
}

static void emit_bitfield_macro(struct emitter *em, const char *sname, const struct member_info *m)
{
	strbuf_appendf(em->out, "#define TT_BITFIELD_%s__%s %u, %u\n", sname, m->name,
	               m->bit_offset, m->bitfield_size);
}

static int emit_member(struct emitter *em, const char *sname, const struct member_info *m,
                       struct strbuf *body)
{
	if (m->bitfield_size) {
		emit_bitfield_macro(em, sname, m);
		return 0;
	}
	char decl[DECL_LEN];
	if (render_decl(em, m->type_id, m->name, decl, sizeof(decl)) != 0)
		return -1;
	__u32 byte_offset = m->bit_offset / 8;
	int align = btf__align_of(em->btf, m->type_id);
	/* Kernel members are naturally aligned except in packed structs. */
	bool packed = align <= 0 || byte_offset % (__u32)align != 0;
	strbuf_append(body, "\t\tstruct {");
	if (byte_offset)
		strbuf_appendf(body, " __u8 __tt_pad_%s[%u];", m->name, byte_offset);
	strbuf_appendf(body, " %s; }%s;\n", decl, packed ? " __attribute__((packed))" : "");
	return 0;
}

/* Whether name was already placed in this struct by an earlier request. */
static bool listed_before(const struct emitter *em, const char *sname, size_t request,
                          const char *name)
{
	for (size_t i = 0; i < request; i++) {
		const struct tt_kernel_struct *r = &em->requests[i];
		if (strcmp(r->name, sname) != 0 || !r->members)
			continue;
		for (const char *const *m = r->members; *m; m++)
			if (strcmp(*m, name) == 0)
				return true;
	}
	return false;
}

/* The requested members of struct t, from every request that names it. */
static int emit_requested(struct emitter *em, const struct btf_type *t, const char *sname,
                          struct strbuf *body)
{
	for (size_t i = 0; i < em->request_count; i++) {
		const struct tt_kernel_struct *r = &em->requests[i];
		if (strcmp(r->name, sname) != 0)
			continue;
		for (const char *const *name = r->members; *name; name++) {
			struct member_info m;
			if (listed_before(em, sname, i, *name))
				continue;
			if (!find_member(em->btf, t, 0, *name, &m))
				return fail(em, "this kernel's struct %s has no member %s", sname,
				            *name);
			if (emit_member(em, sname, &m, body) != 0)
				return -1;
		}
	}
	return 0;
}

static int emit_all(struct emitter *em, const struct btf_type *t, const char *sname,
                    struct strbuf *body)
{
	/* Not static: emitting a member may emit (and flatten) another struct. */
	struct member_info *all = calloc(MAX_FLATTENED, sizeof(*all));
	if (!all)
		return fail(em, "out of memory%s%s", "", "");
	size_t n = flatten_members(em->btf, t, 0, all, 0, MAX_FLATTENED);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = emit_member(em, sname, &all[i], body);
	free(all);
	return rc;
}

/*
 * Defines struct id: the members its requests name (all of them if one asks
 * for the whole struct), or none (opaque) if nothing requests it.
 */
static int emit_struct(struct emitter *em, __u32 id)
{
	const struct btf *btf = em->btf;
	const struct btf_type *t = btf__type_by_id(btf, id);
	const char *sname = type_name(btf, t);
	const char *keyword = btf_is_union(t) ? "union" : "struct";

	if (already_emitted(em, id))
		return 0;
	if (em->emitted_count == MAX_EMITTED)
		return fail(em, "too many kernel structs (%s%s)", sname, "");
	em->emitted[em->emitted_count++] = id;

	bool requested = false, whole = false;
	for (size_t i = 0; i < em->request_count; i++) {
		if (strcmp(em->requests[i].name, sname) == 0) {
			requested = true;
			whole = whole || !em->requests[i].members;
		}
	}
	struct strbuf body;
	strbuf_init(&body);
	int rc = 0;
	if (whole)
		rc = emit_all(em, t, sname, &body);
	else if (requested)
		rc = emit_requested(em, t, sname, &body);
	/* else: held by value but never read: only its size and alignment matter. */
	if (rc == 0) {
		int align = btf__align_of(btf, id);
		strbuf_appendf(em->out, "%s %s {\n\tunion {\n\t\t__u8 __tt_size[%u];\n%s\t};\n}",
		               keyword, sname, t->size,
		               strbuf_text(&body) ? strbuf_text(&body) : "");
		if (align > 1)
			strbuf_appendf(em->out, " __attribute__((aligned(%d)))", align);
		strbuf_append(em->out, ";\n\n");
	}
	if (body.failed)
		rc = fail(em, "out of memory%s%s", "", "");
	strbuf_free(&body);
	return rc;
}

int tt_btf_emit_structs(const struct btf *btf, const struct tt_kernel_struct *structs, size_t count,
                        struct strbuf *out, char *err, size_t errlen)
{
	struct emitter em = {
	    .btf = btf,
	    .requests = structs,
	    .request_count = count,
	    .out = out,
	    .err = err,
	    .errlen = errlen,
	};
	for (size_t i = 0; i < count; i++) {
		__s32 id = btf__find_by_name_kind(btf, structs[i].name, BTF_KIND_STRUCT);
		if (id < 0)
			id = btf__find_by_name_kind(btf, structs[i].name, BTF_KIND_UNION);
		if (id < 0)
			return fail(&em, "this kernel's BTF has no struct %s%s", structs[i].name,
			            "");
		if (emit_struct(&em, (__u32)id) != 0)
			return -1;
	}
	if (out->failed)
		return fail(&em, "out of memory%s%s", "", "");
	return 0;
}
