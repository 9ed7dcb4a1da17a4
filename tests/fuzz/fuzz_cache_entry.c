// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: the compile cache's entry decoder (load/compile_cache.h).
 * A cache entry goes to the kernel, so whatever the file holds must decode
 * to a well-formed image or to nothing: every string terminated and within
 * its field, every map reference within the maps. The input's first byte
 * picks a key length; the key is the input's next bytes. Inputs that are an
 * encoding of their own key are also re-encoded, which must give them back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "load/compile_cache.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	size_t key_len = data[0] < size - 1 ? data[0] : size - 1;
	const char *key = (const char *)data + 1;
	const uint8_t *entry = data + 1 + key_len;
	size_t entry_len = size - 1 - key_len;
	struct tt_image image;
	for (int pass = 0; pass < 2; pass++) {
		/* Pass 1: the entry alone; 2: the whole input, for inputs that are entries. */
		const uint8_t *bytes = pass ? data : entry;
		size_t len = pass ? size : entry_len;
		if (!tt_image_decode(bytes, len, key, key_len, &image))
			continue;
		for (size_t i = 0; i < image.map_count; i++)
			if (strnlen(image.maps[i].table, sizeof(image.maps[i].table)) ==
			        sizeof(image.maps[i].table) ||
			    strnlen(image.maps[i].name, sizeof(image.maps[i].name)) ==
			        sizeof(image.maps[i].name))
				abort();
		for (size_t p = 0; p < image.prog_count; p++) {
			const struct tt_image_prog *prog = &image.progs[p];
			for (size_t k = 0; k < prog->insn_count; k++)
				if (prog->insns[k].code == (BPF_LD | BPF_IMM | BPF_DW)) {
					if (k + 1 >= prog->insn_count ||
					    (prog->insns[k].src_reg == BPF_PSEUDO_MAP_FD &&
					     (uint32_t)prog->insns[k].imm >= image.map_count))
						abort();
					k++;
				}
		}
		size_t again_len = 0;
		unsigned char *again = tt_image_encode(&image, key, key_len, &again_len);
		if (!again || again_len != len || memcmp(again, bytes, len) != 0)
			abort();
		free(again);
		tt_image_free(&image);
	}
	return 0;
}
