// SPDX-License-Identifier: Apache-2.0
/*
 * The compile cache's entries (load/compile_cache.h): what is encoded
 * decodes to the same image under the same key only; any other key, any
 * truncation, any changed byte and any map reference out of range is
 * refused, never loaded.
 */
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "check.h"
#include "load/compile_cache.h"

static struct bpf_insn insns[] = {
    /* r1 = map 1 (ld_imm64, two halves) */
    {.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = 1},
    {0},
    /* r2 = a 64-bit constant */
    {.code = BPF_LD | BPF_IMM | BPF_DW, .dst_reg = 2, .imm = 0x12345678},
    {.imm = 0x9abcdef},
    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = 0, .imm = 0},
    {.code = BPF_JMP | BPF_EXIT},
};

static void sample(struct tt_image *image, struct tt_image_map *maps, struct tt_image_prog *prog)
{
	memset(image, 0, sizeof(*image));
	strcpy(image->license, "GPL");
	image->kern_version = 0x060112;
	image->buffer_kind = 1;
	memset(maps, 0, 2 * sizeof(*maps));
	strcpy(maps[0].table, "events");
	strcpy(maps[0].name, "events");
	maps[0].type = BPF_MAP_TYPE_RINGBUF;
	maps[0].max_entries = 1 << 20;
	strcpy(maps[1].table, "tt_pending_attempts");
	strcpy(maps[1].name, "tt_pending_atte");
	maps[1].type = BPF_MAP_TYPE_HASH;
	maps[1].key_size = 8;
	maps[1].value_size = 96;
	maps[1].max_entries = 10240;
	maps[1].flags = 1;
	memset(prog, 0, sizeof(*prog));
	strcpy(prog->function, "raw_tracepoint__inet_sock_set_state");
	strcpy(prog->name, "inet_sock_set_s");
	prog->type = BPF_PROG_TYPE_RAW_TRACEPOINT;
	prog->insn_count = TT_ARRAY_SIZE(insns);
	prog->insns = insns;
	image->maps = maps;
	image->map_count = 2;
	image->progs = prog;
	image->prog_count = 1;
}

int main(void)
{
	struct tt_image image;
	struct tt_image_map maps[2];
	struct tt_image_prog prog;
	sample(&image, maps, &prog);
	const char key[] = "kernel 6.18\ntext\nint x;";
	size_t len = 0;
	unsigned char *bytes = tt_image_encode(&image, key, strlen(key), &len);
	CHECK(bytes && len > 0);

	struct tt_image back;
	CHECK(tt_image_decode(bytes, len, key, strlen(key), &back));
	CHECK_STR(back.license, "GPL");
	CHECK(back.kern_version == 0x060112 && back.buffer_kind == 1);
	CHECK(back.map_count == 2 && back.prog_count == 1);
	CHECK_STR(back.maps[1].table, "tt_pending_attempts");
	CHECK_STR(back.maps[1].name, "tt_pending_atte");
	CHECK(back.maps[1].type == BPF_MAP_TYPE_HASH && back.maps[1].key_size == 8 &&
	      back.maps[1].value_size == 96 && back.maps[1].max_entries == 10240 &&
	      back.maps[1].flags == 1);
	CHECK_STR(back.progs[0].function, "raw_tracepoint__inet_sock_set_state");
	CHECK(back.progs[0].type == BPF_PROG_TYPE_RAW_TRACEPOINT);
	CHECK(back.progs[0].insn_count == prog.insn_count &&
	      memcmp(back.progs[0].insns, insns, sizeof(insns)) == 0);
	tt_image_free(&back);

	/* Another key, even one byte longer or shorter: a miss. */
	CHECK(!tt_image_decode(bytes, len, "kernel 6.18\ntext\nint y;", strlen(key), &back));
	CHECK(!tt_image_decode(bytes, len, key, strlen(key) - 1, &back));
	/* Every truncation, and every single changed byte: refused. */
	int accepted = 0;
	for (size_t cut = 0; cut < len; cut++)
		if (tt_image_decode(bytes, cut, key, strlen(key), &back)) {
			accepted++;
			tt_image_free(&back);
		}
	CHECK(accepted == 0);
	accepted = 0;
	for (size_t i = 0; i < len; i++) {
		bytes[i] ^= 0x40;
		if (tt_image_decode(bytes, len, key, strlen(key), &back)) {
			accepted++;
			tt_image_free(&back);
		}
		bytes[i] ^= 0x40;
	}
	CHECK(accepted == 0);
	free(bytes);

	/* A map reference beyond the maps, or another kind of 64-bit load: refused. */
	insns[0].imm = 2;
	bytes = tt_image_encode(&image, key, strlen(key), &len);
	CHECK(bytes && !tt_image_decode(bytes, len, key, strlen(key), &back));
	free(bytes);
	insns[0].imm = 0;
	insns[0].src_reg = BPF_PSEUDO_MAP_VALUE;
	bytes = tt_image_encode(&image, key, strlen(key), &len);
	CHECK(bytes && !tt_image_decode(bytes, len, key, strlen(key), &back));
	free(bytes);
	/* A last instruction that is half a 64-bit load. */
	insns[0].src_reg = BPF_PSEUDO_MAP_FD;
	prog.insns = &insns[5];
	prog.insn_count = 1;
	insns[5].code = BPF_LD | BPF_IMM | BPF_DW;
	bytes = tt_image_encode(&image, key, strlen(key), &len);
	CHECK(bytes && !tt_image_decode(bytes, len, key, strlen(key), &back));
	free(bytes);
	return check_done("test_compile_cache");
}
