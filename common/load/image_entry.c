// SPDX-License-Identifier: Apache-2.0
/* A compile cache entry's bytes: the key, then the image; and what makes an image valid. */
#include "image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "fnv1a.h"

/* Bump when the entry's layout or what the key holds changes. */
#define ENTRY_MAGIC "TTBPFC\0\3"
#define MAGIC_LEN   8

struct writer {
	unsigned char *data;
	size_t len, cap;
	bool failed;
};

static void put(struct writer *w, const void *bytes, size_t len)
{
	/* len 0 comes with bytes NULL (no func_info): memcpy must not see it. */
	if (w->failed || !len)
		return;
	if (w->len + len > w->cap) {
		size_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + len)
			cap *= 2;
		unsigned char *data = realloc(w->data, cap);
		if (!data) {
			w->failed = true;
			return;
		}
		w->data = data;
		w->cap = cap;
	}
	memcpy(w->data + w->len, bytes, len);
	w->len += len;
}

static void put_u32(struct writer *w, uint32_t value)
{
	put(w, &value, sizeof(value));
}

static void put_string(struct writer *w, const char *text)
{
	size_t len = strlen(text);
	put_u32(w, (uint32_t)len);
	put(w, text, len);
}

static void put_records(struct writer *w, const struct tt_image_records *records)
{
	put_u32(w, records->rec_size);
	put_u32(w, records->count);
	put(w, records->bytes, (size_t)records->rec_size * records->count);
}

struct reader {
	const unsigned char *data;
	size_t len, pos;
	bool bad;
};

static const unsigned char *take(struct reader *r, size_t len)
{
	if (r->bad || len > r->len - r->pos) {
		r->bad = true;
		return NULL;
	}
	const unsigned char *at = r->data + r->pos;
	r->pos += len;
	return at;
}

static uint32_t take_u32(struct reader *r)
{
	uint32_t value = 0;
	const unsigned char *at = take(r, sizeof(value));
	if (at)
		memcpy(&value, at, sizeof(value));
	return value;
}

/* A string into a field of size bytes, NUL-terminated; no NUL inside. */
static void take_string(struct reader *r, char *field, size_t size)
{
	uint32_t len = take_u32(r);
	const unsigned char *at = len < size ? take(r, len) : NULL;
	if (!at || memchr(at, '\0', len)) {
		r->bad = true;
		field[0] = '\0';
		return;
	}
	memcpy(field, at, len);
	field[len] = '\0';
}

/* A copy of len bytes (len may be 0: NULL), or the reader marked bad. */
static unsigned char *take_copy(struct reader *r, size_t len)
{
	const unsigned char *at = take(r, len);
	if (!at || !len)
		return NULL;
	unsigned char *copy = malloc(len);
	if (!copy)
		r->bad = true;
	else
		memcpy(copy, at, len);
	return copy;
}

/* At most one record per instruction, of a size the kernel could take. */
/*
 * A count of at most max items, then room for that many (and one more,
 * zeroed), its count into *count; NULL, and the reader bad, when it is
 * larger or there is no memory.
 */
static void *take_items(struct reader *r, uint32_t max, size_t item_size, size_t *count)
{
	uint32_t n = take_u32(r);
	void *items = !r->bad && n <= max ? calloc((size_t)n + 1, item_size) : NULL;
	if (!items)
		r->bad = true;
	else
		*count = n;
	return items;
}

static void take_records(struct reader *r, struct tt_image_records *records, uint32_t insn_count)
{
	records->rec_size = take_u32(r);
	records->count = take_u32(r);
	if (records->count &&
	    (records->rec_size < 8 || records->rec_size > TT_IMAGE_MAX_RECORD_SIZE ||
	     records->count > insn_count)) {
		r->bad = true;
		return;
	}
	records->bytes = take_copy(r, (size_t)records->rec_size * records->count);
}

bool tt_image_is_ld_imm64(const struct bpf_insn *insn)
{
	return insn->code == (BPF_LD | BPF_IMM | BPF_DW);
}

unsigned char *tt_image_encode(const struct tt_image *image, const char *key, size_t key_len,
                               size_t *len)
{
	struct writer w = {0};
	put(&w, ENTRY_MAGIC, MAGIC_LEN);
	put_u32(&w, (uint32_t)key_len);
	put(&w, key, key_len);
	put_string(&w, image->license);
	put_u32(&w, image->kern_version);
	put_u32(&w, image->buffer_kind);
	put_u32(&w, image->btf_size);
	put(&w, image->btf, image->btf_size);
	put_u32(&w, (uint32_t)image->map_count);
	for (size_t i = 0; i < image->map_count; i++) {
		const struct tt_image_map *m = &image->maps[i];
		put_string(&w, m->table);
		put_string(&w, m->name);
		uint32_t fields[] = {
		    m->type,  m->key_size, m->value_size,      m->max_entries,
		    m->flags, m->with_btf, m->btf_key_type_id, m->btf_value_type_id};
		put(&w, fields, sizeof(fields));
	}
	put_u32(&w, (uint32_t)image->prog_count);
	for (size_t i = 0; i < image->prog_count; i++) {
		const struct tt_image_prog *p = &image->progs[i];
		put_string(&w, p->function);
		put_string(&w, p->name);
		put_u32(&w, p->type);
		put_u32(&w, p->insn_count);
		put(&w, p->insns, p->insn_count * sizeof(*p->insns));
		put_records(&w, &p->func_info);
		put_records(&w, &p->line_info);
	}
	/* A torn or damaged file must not load another program than was stored. */
	uint64_t sum = tt_fnv1a(TT_FNV1A_OFFSET, w.data, w.len);
	put(&w, &sum, sizeof(sum));
	if (w.failed) {
		free(w.data);
		return NULL;
	}
	*len = w.len;
	return w.data;
}

void tt_image_free(struct tt_image *image)
{
	for (size_t i = 0; image->progs && i < image->prog_count; i++) {
		free(image->progs[i].insns);
		free(image->progs[i].func_info.bytes);
		free(image->progs[i].line_info.bytes);
	}
	free(image->btf);
	free(image->progs);
	free(image->maps);
	memset(image, 0, sizeof(*image));
}

/*
 * Every 64-bit load is complete, and either a constant or a reference to one
 * of the maps (by index): nothing else (map values, BTF ids) can be stored.
 */
bool tt_image_references_valid(const struct tt_image_prog *prog, size_t map_count)
{
	for (size_t i = 0; i < prog->insn_count; i++) {
		const struct bpf_insn *insn = &prog->insns[i];
		if (!tt_image_is_ld_imm64(insn))
			continue;
		if (i + 1 >= prog->insn_count)
			return false;
		if (insn->src_reg != 0 &&
		    (insn->src_reg != BPF_PSEUDO_MAP_FD || (uint32_t)insn->imm >= map_count ||
		     prog->insns[i + 1].imm != 0))
			return false;
		i++;
	}
	return true;
}

bool tt_image_decode(const unsigned char *bytes, size_t len, const char *key, size_t key_len,
                     struct tt_image *image)
{
	memset(image, 0, sizeof(*image));
	uint64_t sum;
	if (len < MAGIC_LEN + sizeof(sum))
		return false;
	memcpy(&sum, bytes + len - sizeof(sum), sizeof(sum));
	len -= sizeof(sum);
	if (tt_fnv1a(TT_FNV1A_OFFSET, bytes, len) != sum)
		return false;
	struct reader r = {bytes, len, 0, false};
	const unsigned char *magic = take(&r, MAGIC_LEN);
	if (!magic || memcmp(magic, ENTRY_MAGIC, MAGIC_LEN) != 0)
		return false;
	const unsigned char *stored_key = take_u32(&r) == key_len ? take(&r, key_len) : NULL;
	if (!stored_key || memcmp(stored_key, key, key_len) != 0)
		return false;
	take_string(&r, image->license, sizeof(image->license));
	image->kern_version = take_u32(&r);
	image->buffer_kind = take_u32(&r);
	image->btf_size = take_u32(&r);
	if (image->btf_size > TT_IMAGE_MAX_BTF_BYTES)
		goto bad;
	image->btf = take_copy(&r, image->btf_size);
	image->maps = take_items(&r, TT_IMAGE_MAX_MAPS, sizeof(*image->maps), &image->map_count);
	if (!image->maps)
		goto bad;
	for (size_t i = 0; i < image->map_count && !r.bad; i++) {
		struct tt_image_map *m = &image->maps[i];
		take_string(&r, m->table, sizeof(m->table));
		take_string(&r, m->name, sizeof(m->name));
		uint32_t *fields[] = {
		    &m->type,  &m->key_size, &m->value_size,      &m->max_entries,
		    &m->flags, &m->with_btf, &m->btf_key_type_id, &m->btf_value_type_id};
		for (size_t f = 0; f < TT_ARRAY_SIZE(fields); f++)
			*fields[f] = take_u32(&r);
		if (m->with_btf > 1 || (m->with_btf && !image->btf))
			goto bad;
	}
	image->progs =
	    take_items(&r, TT_IMAGE_MAX_PROGS, sizeof(*image->progs), &image->prog_count);
	if (!image->progs)
		goto bad;
	for (size_t i = 0; i < image->prog_count && !r.bad; i++) {
		struct tt_image_prog *p = &image->progs[i];
		take_string(&r, p->function, sizeof(p->function));
		take_string(&r, p->name, sizeof(p->name));
		p->type = take_u32(&r);
		uint32_t count = take_u32(&r);
		const unsigned char *insns = count && count <= TT_IMAGE_MAX_INSNS
		                                 ? take(&r, count * sizeof(*p->insns))
		                                 : NULL;
		if (!insns || !(p->insns = malloc(count * sizeof(*p->insns))))
			goto bad;
		memcpy(p->insns, insns, count * sizeof(*p->insns));
		p->insn_count = count;
		if (!tt_image_references_valid(p, image->map_count))
			goto bad;
		take_records(&r, &p->func_info, count);
		take_records(&r, &p->line_info, count);
		if ((p->func_info.count || p->line_info.count) && !image->btf)
			goto bad;
	}
	if (r.bad || r.pos != r.len)
		goto bad;
	return true;
bad:
	tt_image_free(image);
	return false;
}
