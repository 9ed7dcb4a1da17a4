/* SPDX-License-Identifier: Apache-2.0 */
/* FNV-1a, 64 bits: a small hash that names compile cache entries and checks their bytes. */
#ifndef TT_FNV1A_H
#define TT_FNV1A_H

#include <stddef.h>
#include <stdint.h>

#define TT_FNV1A_OFFSET 0xcbf29ce484222325ull

static inline uint64_t tt_fnv1a(uint64_t hash, const void *bytes, size_t len)
{
	const unsigned char *b = bytes;
	for (size_t i = 0; i < len; i++) {
		hash ^= b[i];
		hash *= 0x100000001b3ull;
	}
	return hash;
}

#endif
