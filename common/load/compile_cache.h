/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What libbcc made of a BPF text, kept on disk so that the next start with
 * the same text on the same kernel skips clang and LLVM (most of a start).
 * The compile child (compile_child.c) looks here before compiling and
 * stores what it compiled; the kernel's verifier checks the program again
 * at every load, as it does a fresh compile.
 *
 * An entry is named by a 64-bit FNV-1a hash of its key and holds the whole
 * key (the text itself, the kernel's uname, the CPUs, the probes, the tool's
 * own executable), compared byte for byte: a hash collision is a miss, not
 * another program. The instructions are stored with each map reference as
 * the map's index; loading creates the maps anew and patches their fds in.
 *
 * Where: TCPTOOLS_CACHE_DIR (empty: no cache; ignored when the tool runs
 * with file capabilities or setuid), else /var/cache/tcptools. The
 * directory must belong to the effective user and be writable by nobody
 * else, and so must every entry, or the cache is not used: its entries go
 * to the kernel. At most TT_COMPILE_CACHE_ENTRIES are kept; the least
 * recently used go first. Anything unexpected (a read-only disk, a torn or
 * foreign file, a kernel that refuses a load) is a miss: the tool compiles.
 */
#ifndef TT_COMPILE_CACHE_H
#define TT_COMPILE_CACHE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probes.h"
#include "strbuf.h"

#define TT_COMPILE_CACHE_ENTRIES     64
#define TT_COMPILE_CACHE_DEFAULT_DIR "/var/cache/tcptools"
#define TT_IMAGE_NAME_MAX            64

/* One map of the program, as bpf_map_create needs it. */
struct tt_image_map {
	char table[TT_IMAGE_NAME_MAX]; /* libbcc's table name, which the tracer looks up */
	char name[BPF_OBJ_NAME_LEN];   /* the kernel's name for it */
	uint32_t type, key_size, value_size, max_entries, flags;
	uint32_t with_btf; /* its key and value types are in the image's BTF */
	uint32_t btf_key_type_id, btf_value_type_id;
};

/* A table of records the kernel takes beside a program (func_info, line_info). */
struct tt_image_records {
	uint32_t rec_size, count;
	unsigned char *bytes;
};

/* One loaded function; each map reference's imm is its index in maps. */
struct tt_image_prog {
	char function[TT_IMAGE_NAME_MAX]; /* the function in the BPF text */
	char name[BPF_OBJ_NAME_LEN];      /* the kernel's name for it */
	uint32_t type;
	uint32_t insn_count;
	struct bpf_insn *insns;
	struct tt_image_records func_info, line_info; /* against the image's BTF */
};

/*
 * A compiled and loaded program, independent of the fds it had: with its BTF,
 * so that what reaches the kernel is what libbcc gave it (bpftool shows the
 * same names and source lines).
 */
struct tt_image {
	char license[TT_IMAGE_NAME_MAX];
	uint32_t kern_version;
	uint32_t buffer_kind; /* enum tt_buffer_kind the text was built for */
	unsigned char *btf;   /* the program's BTF as libbcc loaded it, or NULL */
	uint32_t btf_size;
	struct tt_image_map *maps;
	size_t map_count;
	struct tt_image_prog *progs;
	size_t prog_count;
};

/* The bytes of an entry, key and image (malloc'd; *len set), or NULL. */
unsigned char *tt_image_encode(const struct tt_image *image, const char *key, size_t key_len,
                               size_t *len);
/*
 * The image of an entry whose key is key; false (nothing allocated) for any
 * other key and for anything malformed. Free with tt_image_free.
 */
bool tt_image_decode(const unsigned char *bytes, size_t len, const char *key, size_t key_len,
                     struct tt_image *image);
void tt_image_free(struct tt_image *image);

/* An open cache and the key of this run's text. */
struct tt_compile_cache {
	int dir_fd;
	struct strbuf key;
	char file[32];
};

/*
 * Opens the cache for a text and the probes it is loaded for; false
 * (nothing to close) when there is no usable cache; -v says why.
 */
bool tt_compile_cache_open(struct tt_compile_cache *cache, const char *text,
                           const struct tt_probe *probes, size_t probe_count);
void tt_compile_cache_close(struct tt_compile_cache *cache);
/* The stored image of this text, or false. */
bool tt_compile_cache_find(struct tt_compile_cache *cache, struct tt_image *image);
/* Stores an image; failures are only noted with -v. */
void tt_compile_cache_store(struct tt_compile_cache *cache, const struct tt_image *image);

/*
 * The image of a program libbcc loaded: each map's and function's kernel
 * description read back from its fd, each map fd in the instructions
 * replaced by its index. False when it cannot be stored: a map reference
 * that is not to one of map_fds, or another kind of 64-bit load.
 */
bool tt_image_capture(struct tt_image *image, const int *map_fds, const char *const *tables,
                      size_t map_count, const int *prog_fds, const char *const *functions,
                      const struct bpf_insn *const *insns, const size_t *insn_counts,
                      size_t prog_count);
/*
 * Creates the maps and loads the functions: map_fds[i] for image->maps[i],
 * prog_fds[i] for image->progs[i]. 0, or -1 with every fd it made closed.
 */
int tt_image_load(const struct tt_image *image, int *map_fds, int *prog_fds);

#endif
