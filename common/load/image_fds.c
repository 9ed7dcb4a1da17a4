// SPDX-License-Identifier: Apache-2.0
/* An image from the fds libbcc loaded, and fds loaded from an image. */
#include "image.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

static const char *cache_note = "compile cache";

/* A records table of a loaded program, read back from the kernel. */
static bool alloc_records(struct tt_image_records *records, uint32_t rec_size, uint32_t count)
{
	records->rec_size = rec_size;
	records->count = count;
	if (!count)
		return true;
	if (rec_size < 8 || rec_size > TT_IMAGE_MAX_RECORD_SIZE)
		return false;
	records->bytes = calloc(count, rec_size);
	return records->bytes != NULL;
}

/* The kernel's description of a loaded function, with its records; its BTF's id. */
static bool read_prog(int fd, struct tt_image_prog *p, uint32_t *btf_id)
{
	struct bpf_prog_info info = {0};
	__u32 len = sizeof(info);
	if (bpf_obj_get_info_by_fd(fd, &info, &len) != 0)
		return false;
	memcpy(p->name, info.name, sizeof(p->name));
	p->name[sizeof(p->name) - 1] = '\0';
	p->type = info.type;
	*btf_id = info.btf_id;
	if (!info.nr_func_info && !info.nr_line_info)
		return true;
	/*
	 * Only the functions' records: the kernel hands line_info back with the
	 * offsets of its own rewritten instructions, which no longer fit the
	 * original ones (so bpftool shows no source lines for a cached load).
	 */
	if (!alloc_records(&p->func_info, info.func_info_rec_size, info.nr_func_info))
		return false;
	struct bpf_prog_info records = {0};
	records.nr_func_info = p->func_info.count;
	records.func_info_rec_size = p->func_info.rec_size;
	records.func_info = (__u64)(uintptr_t)p->func_info.bytes;
	len = sizeof(records);
	return bpf_obj_get_info_by_fd(fd, &records, &len) == 0 &&
	       records.nr_func_info == p->func_info.count;
}

/* The raw BTF the kernel holds as id. */
static bool read_btf(uint32_t id, struct tt_image *image)
{
	int fd = bpf_btf_get_fd_by_id(id);
	if (fd < 0)
		return false;
	struct bpf_btf_info info = {0};
	__u32 len = sizeof(info);
	/* Zeroed: memcheck cannot see the kernel fill it, and the bytes go to a file. */
	bool ok = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.btf_size &&
	          info.btf_size <= TT_IMAGE_MAX_BTF_BYTES &&
	          (image->btf = calloc(1, info.btf_size));
	if (ok) {
		struct bpf_btf_info raw = {.btf = (__u64)(uintptr_t)image->btf,
		                           .btf_size = info.btf_size};
		len = sizeof(raw);
		ok = bpf_obj_get_info_by_fd(fd, &raw, &len) == 0 && raw.btf_size == info.btf_size;
		image->btf_size = info.btf_size;
	}
	close(fd);
	return ok;
}

bool tt_image_capture(struct tt_image *image, const struct tt_image_source *loaded)
{
	const struct tt_image_table *tables = loaded->tables;
	const struct tt_image_function *functions = loaded->functions;
	size_t map_count = loaded->table_count, prog_count = loaded->function_count;
	struct tt_image captured = {0};
	captured.map_count = map_count;
	captured.prog_count = prog_count;
	captured.maps = calloc(map_count + 1, sizeof(*captured.maps));
	captured.progs = calloc(prog_count + 1, sizeof(*captured.progs));
	if (!captured.maps || !captured.progs || map_count > TT_IMAGE_MAX_MAPS ||
	    prog_count > TT_IMAGE_MAX_PROGS)
		goto fail;
	/* One BTF for the whole program (libbcc loads one per module), or none. */
	uint32_t btf_id = 0;
	bool one_btf = true;
	for (size_t i = 0; i < map_count; i++) {
		struct tt_image_map *m = &captured.maps[i];
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info);
		if (strlen(tables[i].table) >= sizeof(m->table) ||
		    bpf_obj_get_info_by_fd(tables[i].fd, &info, &len) != 0)
			goto fail;
		snprintf(m->table, sizeof(m->table), "%s", tables[i].table);
		memcpy(m->name, info.name, sizeof(m->name));
		m->name[sizeof(m->name) - 1] = '\0';
		m->type = info.type;
		m->key_size = info.key_size;
		m->value_size = info.value_size;
		m->max_entries = info.max_entries;
		m->flags = info.map_flags;
		if (info.btf_id) {
			one_btf = one_btf && (!btf_id || btf_id == info.btf_id);
			btf_id = info.btf_id;
			m->with_btf = 1;
			m->btf_key_type_id = info.btf_key_type_id;
			m->btf_value_type_id = info.btf_value_type_id;
		}
	}
	for (size_t i = 0; i < prog_count; i++) {
		struct tt_image_prog *p = &captured.progs[i];
		uint32_t prog_btf = 0;
		const struct tt_image_function *f = &functions[i];
		if (strlen(f->function) >= sizeof(p->function) || !f->insn_count ||
		    f->insn_count > TT_IMAGE_MAX_INSNS || !read_prog(f->fd, p, &prog_btf))
			goto fail;
		if (prog_btf) {
			one_btf = one_btf && (!btf_id || btf_id == prog_btf);
			btf_id = prog_btf;
		}
		snprintf(p->function, sizeof(p->function), "%s", f->function);
		p->insn_count = (uint32_t)f->insn_count;
		if (!(p->insns = malloc(f->insn_count * sizeof(*p->insns))))
			goto fail;
		memcpy(p->insns, f->insns, f->insn_count * sizeof(*p->insns));
		/* Each map's fd, as libbcc wrote it in, becomes the map's index. */
		for (size_t k = 0; k < p->insn_count; k++) {
			struct bpf_insn *insn = &p->insns[k];
			if (!tt_image_is_ld_imm64(insn) ||
			    insn->src_reg == 0) { /* 0: a 64-bit constant */
				k += tt_image_is_ld_imm64(insn);
				continue;
			}
			size_t index = map_count;
			for (size_t m = 0; m < map_count && insn->src_reg == BPF_PSEUDO_MAP_FD; m++)
				if (tables[m].fd == insn->imm)
					index = m;
			if (index == map_count) {
				tt_info("%s: not stored: %s refers to a map not its own",
				        cache_note, f->function);
				goto fail;
			}
			insn->imm = (int32_t)index;
			k++;
		}
		if (!tt_image_references_valid(p, map_count))
			goto fail;
	}
	if (!one_btf || (btf_id && !read_btf(btf_id, &captured))) {
		tt_info("%s: not stored: the program's BTF cannot be read back", cache_note);
		goto fail;
	}
	*image = captured;
	return true;
fail:
	tt_image_free(&captured);
	return false;
}

static void close_fds(int *fds, size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static int load_prog(const struct tt_image *image, const struct tt_image_prog *p, int btf_fd,
                     const int *map_fds)
{
	struct bpf_insn *insns = malloc(p->insn_count * sizeof(*insns));
	if (!insns)
		return -1;
	memcpy(insns, p->insns, p->insn_count * sizeof(*insns));
	for (size_t k = 0; k + 1 < p->insn_count; k++)
		if (tt_image_is_ld_imm64(&insns[k])) {
			if (insns[k].src_reg ==
			    BPF_PSEUDO_MAP_FD) /* an index, checked when decoded */
				insns[k].imm = map_fds[insns[k].imm];
			k++;
		}
	struct bpf_prog_load_opts opts = {.sz = sizeof(opts), .kern_version = image->kern_version};
	if (btf_fd >= 0 && (p->func_info.count || p->line_info.count)) {
		opts.prog_btf_fd = (__u32)btf_fd;
		opts.func_info = p->func_info.bytes;
		opts.func_info_cnt = p->func_info.count;
		opts.func_info_rec_size = p->func_info.rec_size;
	}
	int fd = bpf_prog_load((enum bpf_prog_type)p->type, p->name, image->license, insns,
	                       p->insn_count, &opts);
	int saved = errno;
	free(insns);
	if (fd < 0)
		tt_info("%s: the kernel refused %s: %s", cache_note, p->function, strerror(saved));
	return fd;
}

int tt_image_load(const struct tt_image *image, int *map_fds, int *prog_fds)
{
	for (size_t i = 0; i < image->map_count; i++)
		map_fds[i] = -1;
	for (size_t i = 0; i < image->prog_count; i++)
		prog_fds[i] = -1;
	int btf_fd = -1;
	if (image->btf && (btf_fd = bpf_btf_load(image->btf, image->btf_size, NULL)) < 0) {
		tt_info("%s: the kernel refused the program's BTF: %s", cache_note,
		        strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < image->map_count; i++) {
		const struct tt_image_map *m = &image->maps[i];
		struct bpf_map_create_opts opts = {.sz = sizeof(opts), .map_flags = m->flags};
		if (m->with_btf) {
			opts.btf_fd = (__u32)btf_fd;
			opts.btf_key_type_id = m->btf_key_type_id;
			opts.btf_value_type_id = m->btf_value_type_id;
		}
		map_fds[i] = bpf_map_create((enum bpf_map_type)m->type, m->name, m->key_size,
		                            m->value_size, m->max_entries, &opts);
		if (map_fds[i] < 0) {
			tt_info("%s: cannot create map %s: %s", cache_note, m->table,
			        strerror(errno));
			goto fail;
		}
	}
	for (size_t i = 0; i < image->prog_count; i++)
		if ((prog_fds[i] = load_prog(image, &image->progs[i], btf_fd, map_fds)) < 0)
			goto fail;
	if (btf_fd >= 0)
		close(btf_fd); /* the maps and programs hold it */
	return 0;
fail:
	if (btf_fd >= 0)
		close(btf_fd);
	close_fds(map_fds, image->map_count);
	close_fds(prog_fds, image->prog_count);
	return -1;
}
