// SPDX-License-Identifier: Apache-2.0
#include "compile_cache.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "cpus.h"
#include "log.h"

/* Bump when the entry's layout or what the key holds changes. */
#define ENTRY_MAGIC     "TTBPFC\0\3"
#define MAGIC_LEN       8
#define ENTRY_SUFFIX    ".bpfc"
#define MAX_ENTRY_BYTES (64u << 20)
#define MAX_MAPS        256
#define MAX_PROGS       256
#define MAX_INSNS       1000000u /* the kernel's own limit per program */
#define MAX_BTF_BYTES   (16u << 20)
#define MAX_RECORD_SIZE 256u
/* A temporary file this old was left by a store that died. */
#define STALE_TMP_SECONDS 600

static uint64_t fnv1a(uint64_t hash, const unsigned char *bytes, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		hash ^= bytes[i];
		hash *= 0x100000001b3ull;
	}
	return hash;
}

#define FNV_OFFSET 0xcbf29ce484222325ull

/* ---- the entry's bytes ---- */

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
static void take_records(struct reader *r, struct tt_image_records *records, uint32_t insn_count)
{
	records->rec_size = take_u32(r);
	records->count = take_u32(r);
	if (records->count && (records->rec_size < 8 || records->rec_size > MAX_RECORD_SIZE ||
	                       records->count > insn_count)) {
		r->bad = true;
		return;
	}
	records->bytes = take_copy(r, (size_t)records->rec_size * records->count);
}

static bool is_ld_imm64(const struct bpf_insn *insn)
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
	uint64_t sum = fnv1a(FNV_OFFSET, w.data, w.len);
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
static bool references_valid(const struct tt_image_prog *prog, size_t map_count)
{
	for (size_t i = 0; i < prog->insn_count; i++) {
		const struct bpf_insn *insn = &prog->insns[i];
		if (!is_ld_imm64(insn))
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
	if (fnv1a(FNV_OFFSET, bytes, len) != sum)
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
	if (image->btf_size > MAX_BTF_BYTES)
		goto bad;
	image->btf = take_copy(&r, image->btf_size);
	uint32_t maps = take_u32(&r);
	if (r.bad || maps > MAX_MAPS || !(image->maps = calloc(maps + 1, sizeof(*image->maps))))
		goto bad;
	image->map_count = maps;
	for (size_t i = 0; i < maps && !r.bad; i++) {
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
	uint32_t progs = take_u32(&r);
	if (r.bad || progs > MAX_PROGS ||
	    !(image->progs = calloc(progs + 1, sizeof(*image->progs))))
		goto bad;
	image->prog_count = progs;
	for (size_t i = 0; i < progs && !r.bad; i++) {
		struct tt_image_prog *p = &image->progs[i];
		take_string(&r, p->function, sizeof(p->function));
		take_string(&r, p->name, sizeof(p->name));
		p->type = take_u32(&r);
		uint32_t count = take_u32(&r);
		const unsigned char *insns =
		    count && count <= MAX_INSNS ? take(&r, count * sizeof(*p->insns)) : NULL;
		if (!insns || !(p->insns = malloc(count * sizeof(*p->insns))))
			goto bad;
		memcpy(p->insns, insns, count * sizeof(*p->insns));
		p->insn_count = count;
		if (!references_valid(p, maps))
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

/* ---- from loaded fds, and back ---- */

static const char *cache_note = "compile cache";

/* A records table of a loaded program, read back from the kernel. */
static bool alloc_records(struct tt_image_records *records, uint32_t rec_size, uint32_t count)
{
	records->rec_size = rec_size;
	records->count = count;
	if (!count)
		return true;
	if (rec_size < 8 || rec_size > MAX_RECORD_SIZE)
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
	bool ok = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && info.btf_size &&
	          info.btf_size <= MAX_BTF_BYTES && (image->btf = malloc(info.btf_size));
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

bool tt_image_capture(struct tt_image *image, const int *map_fds, const char *const *tables,
                      size_t map_count, const int *prog_fds, const char *const *functions,
                      const struct bpf_insn *const *insns, const size_t *insn_counts,
                      size_t prog_count)
{
	struct tt_image captured = {0};
	captured.map_count = map_count;
	captured.prog_count = prog_count;
	captured.maps = calloc(map_count + 1, sizeof(*captured.maps));
	captured.progs = calloc(prog_count + 1, sizeof(*captured.progs));
	if (!captured.maps || !captured.progs || map_count > MAX_MAPS || prog_count > MAX_PROGS)
		goto fail;
	/* One BTF for the whole program (libbcc loads one per module), or none. */
	uint32_t btf_id = 0;
	bool one_btf = true;
	for (size_t i = 0; i < map_count; i++) {
		struct tt_image_map *m = &captured.maps[i];
		struct bpf_map_info info = {0};
		__u32 len = sizeof(info);
		if (strlen(tables[i]) >= sizeof(m->table) ||
		    bpf_obj_get_info_by_fd(map_fds[i], &info, &len) != 0)
			goto fail;
		snprintf(m->table, sizeof(m->table), "%s", tables[i]);
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
		if (strlen(functions[i]) >= sizeof(p->function) || !insn_counts[i] ||
		    insn_counts[i] > MAX_INSNS || !read_prog(prog_fds[i], p, &prog_btf))
			goto fail;
		if (prog_btf) {
			one_btf = one_btf && (!btf_id || btf_id == prog_btf);
			btf_id = prog_btf;
		}
		snprintf(p->function, sizeof(p->function), "%s", functions[i]);
		p->insn_count = (uint32_t)insn_counts[i];
		if (!(p->insns = malloc(insn_counts[i] * sizeof(*p->insns))))
			goto fail;
		memcpy(p->insns, insns[i], insn_counts[i] * sizeof(*p->insns));
		/* Each map's fd, as libbcc wrote it in, becomes the map's index. */
		for (size_t k = 0; k < p->insn_count; k++) {
			struct bpf_insn *insn = &p->insns[k];
			if (!is_ld_imm64(insn) || insn->src_reg == 0) { /* 0: a 64-bit constant */
				k += is_ld_imm64(insn);
				continue;
			}
			size_t index = map_count;
			for (size_t m = 0; m < map_count && insn->src_reg == BPF_PSEUDO_MAP_FD; m++)
				if (map_fds[m] == insn->imm)
					index = m;
			if (index == map_count) {
				tt_info("%s: not stored: %s refers to a map not its own",
				        cache_note, functions[i]);
				goto fail;
			}
			insn->imm = (int32_t)index;
			k++;
		}
		if (!references_valid(p, map_count))
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
		if (is_ld_imm64(&insns[k])) {
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

/* ---- the directory ---- */

/* The tool's own executable, so that a rebuilt tool never loads an older entry. */
static bool hash_executable(uint64_t *hash)
{
	/* By its path: under valgrind /proc/self/exe is valgrind, its readlink the tool. */
	char path[4096];
	ssize_t len = readlink("/proc/self/exe", path, sizeof(path) - 1);
	if (len <= 0)
		return false;
	path[len] = '\0';
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	static unsigned char buf[65536];
	uint64_t h = FNV_OFFSET;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = fnv1a(h, buf, (size_t)n);
	close(fd);
	*hash = h;
	return n == 0;
}

static const char *cache_dir(void)
{
	/* secure_getenv: a tool with file capabilities takes no path from its caller. */
	const char *dir = secure_getenv("TCPTOOLS_CACHE_DIR");
	if (!dir)
		return TT_COMPILE_CACHE_DEFAULT_DIR;
	return dir[0] ? dir : NULL;
}

/* What goes to the kernel must be no one else's to write. */
static bool owned_and_private(const struct stat *st)
{
	return st->st_uid == geteuid() && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

static int open_dir(const char *path)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		tt_info("%s: not used: cannot create %s: %s", cache_note, path, strerror(errno));
		return -1;
	}
	/* A symlink is followed (systemd's CacheDirectory= with DynamicUser= is one): what
	 * counts is who owns the directory it leads to. */
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		tt_info("%s: not used: cannot open %s: %s", cache_note, path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!owned_and_private(&st)) {
		tt_info("%s: not used: %s is not owned by uid %u alone", cache_note, path,
		        (unsigned)geteuid());
		close(fd);
		return -1;
	}
	return fd;
}

bool tt_compile_cache_open(struct tt_compile_cache *cache, const char *text,
                           const struct tt_probe *probes, size_t probe_count)
{
	memset(cache, 0, sizeof(*cache));
	cache->dir_fd = -1;
	const char *dir = cache_dir();
	uint64_t exe;
	struct utsname uts;
	if (!dir || !hash_executable(&exe) || uname(&uts) != 0)
		return false;
	struct strbuf *key = &cache->key;
	strbuf_init(key);
	/* Everything besides the text that a compile or a load depends on. */
	strbuf_appendf(key, "tcptools compile cache\nexe %016llx\nkernel %s %s %s\ncpus %d\n",
	               (unsigned long long)exe, uts.release, uts.version, uts.machine,
	               tt_possible_cpus());
	for (size_t i = 0; i < probe_count; i++)
		strbuf_appendf(key, "probe %d %s %s\n", (int)probes[i].kind, probes[i].function,
		               probes[i].target);
	strbuf_append(key, "text\n");
	strbuf_append(key, text);
	const char *k = strbuf_text(key);
	if (!k || (cache->dir_fd = open_dir(dir)) < 0) {
		strbuf_free(key);
		return false;
	}
	snprintf(cache->file, sizeof(cache->file), "%016llx" ENTRY_SUFFIX,
	         (unsigned long long)fnv1a(FNV_OFFSET, (const unsigned char *)k, key->len));
	return true;
}

void tt_compile_cache_close(struct tt_compile_cache *cache)
{
	if (cache->dir_fd >= 0)
		close(cache->dir_fd);
	cache->dir_fd = -1;
	strbuf_free(&cache->key);
}

bool tt_compile_cache_find(struct tt_compile_cache *cache, struct tt_image *image)
{
	int fd = openat(cache->dir_fd, cache->file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	unsigned char *bytes = NULL;
	bool found = false;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && owned_and_private(&st) &&
	    st.st_size > 0 && (size_t)st.st_size <= MAX_ENTRY_BYTES &&
	    (bytes = malloc((size_t)st.st_size))) {
		size_t size = (size_t)st.st_size, got = 0;
		ssize_t n;
		while (got < size && (n = read(fd, bytes + got, size - got)) > 0)
			got += (size_t)n;
		found = got == size && tt_image_decode(bytes, size, strbuf_text(&cache->key),
		                                       cache->key.len, image);
	}
	if (found)
		futimens(fd, NULL); /* recently used: evicted last */
	else
		tt_info("%s: %s is not a usable entry; compiling", cache_note, cache->file);
	free(bytes);
	close(fd);
	return found;
}

struct entry_age {
	char name[64];
	struct timespec mtime;
};

static int oldest_first(const void *a, const void *b)
{
	const struct timespec *x = &((const struct entry_age *)a)->mtime;
	const struct timespec *y = &((const struct entry_age *)b)->mtime;
	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? -1 : 1;
	return x->tv_nsec < y->tv_nsec ? -1 : x->tv_nsec > y->tv_nsec;
}

/* Keeps the TT_COMPILE_CACHE_ENTRIES most recently used entries. */
static void evict(int dir_fd)
{
	int fd = dup(dir_fd);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	if (!dir) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct entry_age *entries = NULL;
	size_t count = 0, cap = 0;
	time_t now = time(NULL);
	struct dirent *d;
	while ((d = readdir(dir))) {
		size_t len = strlen(d->d_name);
		struct stat st;
		if (len >= sizeof(entries->name) ||
		    fstatat(dir_fd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if (strncmp(d->d_name, ".tmp.", 5) == 0) {
			if (now - st.st_mtime > STALE_TMP_SECONDS)
				unlinkat(dir_fd, d->d_name, 0);
			continue;
		}
		if (len < strlen(ENTRY_SUFFIX) ||
		    strcmp(d->d_name + len - strlen(ENTRY_SUFFIX), ENTRY_SUFFIX) != 0)
			continue;
		if (count == cap) {
			size_t grown = cap ? cap * 2 : 128;
			struct entry_age *more = realloc(entries, grown * sizeof(*entries));
			if (!more)
				break;
			entries = more;
			cap = grown;
		}
		memcpy(entries[count].name, d->d_name, len + 1);
		entries[count++].mtime = st.st_mtim;
	}
	closedir(dir);
	if (count > TT_COMPILE_CACHE_ENTRIES) {
		qsort(entries, count, sizeof(*entries), oldest_first);
		for (size_t i = 0; i < count - TT_COMPILE_CACHE_ENTRIES; i++)
			unlinkat(dir_fd, entries[i].name, 0);
	}
	free(entries);
}

void tt_compile_cache_store(struct tt_compile_cache *cache, const struct tt_image *image)
{
	size_t len = 0;
	unsigned char *bytes =
	    tt_image_encode(image, strbuf_text(&cache->key), cache->key.len, &len);
	if (!bytes)
		return;
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".tmp.%ld.%s", (long)getpid(), cache->file);
	int fd =
	    openat(cache->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = fd >= 0;
	for (size_t done = 0; ok && done < len;) {
		ssize_t n = write(fd, bytes + done, len - done);
		ok = n > 0;
		done += ok ? (size_t)n : 0;
	}
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	/* rename: a reader sees the whole entry or none. */
	if (ok && renameat(cache->dir_fd, tmp, cache->dir_fd, cache->file) == 0) {
		tt_info("%s: stored %s", cache_note, cache->file);
		evict(cache->dir_fd);
	} else {
		tt_info("%s: cannot store %s: %s", cache_note, cache->file, strerror(errno));
		if (fd >= 0)
			unlinkat(cache->dir_fd, tmp, 0);
	}
	free(bytes);
}
