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

#include <stdbool.h>
#include <stddef.h>

#include "image.h"
#include "probe.h"
#include "strbuf.h"

#define TT_COMPILE_CACHE_ENTRIES     64
#define TT_COMPILE_CACHE_DEFAULT_DIR "/var/cache/tcptools"

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

#endif
