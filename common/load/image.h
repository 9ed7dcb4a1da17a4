/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A compiled and loaded program as the compile cache keeps it
 * (compile_cache.h): independent of the fds it had, with each map reference
 * in the instructions as the map's index. image_entry.c turns it into an
 * entry's bytes and back; image_fds.c takes it from the fds libbcc loaded
 * and loads it again.
 */
#ifndef TT_IMAGE_H
#define TT_IMAGE_H

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TT_IMAGE_NAME_MAX 64
/* What an image may hold: more is a foreign or torn entry. */
#define TT_IMAGE_MAX_ENTRY_BYTES (64u << 20) /* key and image */
#define TT_IMAGE_MAX_MAPS        256
#define TT_IMAGE_MAX_PROGS       256
#define TT_IMAGE_MAX_INSNS       1000000u /* the kernel's own limit per program */
#define TT_IMAGE_MAX_BTF_BYTES   (16u << 20)
#define TT_IMAGE_MAX_RECORD_SIZE 256u

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

/* The first half of a 64-bit load (BPF_LD | BPF_IMM | BPF_DW). */
bool tt_image_is_ld_imm64(const struct bpf_insn *insn);
/*
 * Every 64-bit load is complete, and either a constant or a reference to one
 * of the maps (by index): nothing else (map values, BTF ids) can be stored.
 */
bool tt_image_references_valid(const struct tt_image_prog *prog, size_t map_count);

/* A program as libbcc loaded it: its tables and its functions, each with its fd. */
struct tt_image_table {
	int fd;
	const char *table; /* libbcc's name for it */
};
struct tt_image_function {
	int fd;
	const char *function; /* its name in the BPF text */
	const struct bpf_insn *insns;
	size_t insn_count;
};
struct tt_image_source {
	const struct tt_image_table *tables;
	size_t table_count;
	const struct tt_image_function *functions;
	size_t function_count;
};

/*
 * The image of a program libbcc loaded: each map's and function's kernel
 * description read back from its fd, each map fd in the instructions
 * replaced by its index. False when it cannot be stored: a map reference
 * that is not to one of its tables, or another kind of 64-bit load.
 */
bool tt_image_capture(struct tt_image *image, const struct tt_image_source *loaded);
/*
 * Creates the maps and loads the functions: map_fds[i] for image->maps[i],
 * prog_fds[i] for image->progs[i]. 0, or -1 with every fd it made closed.
 */
int tt_image_load(const struct tt_image *image, int *map_fds, int *prog_fds);

#endif
