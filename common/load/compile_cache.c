// SPDX-License-Identifier: Apache-2.0
/* The compile cache's directory: entries named by their key's hash, the least recently used
 * evicted. */
#include "compile_cache.h"

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
#include "fnv1a.h"
#include "log.h"

#define ENTRY_SUFFIX ".bpfc"
/* A temporary file this old was left by a store that died. */
#define STALE_TMP_SECONDS 600

static const char *cache_note = "compile cache";

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
	uint64_t h = TT_FNV1A_OFFSET;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = tt_fnv1a(h, buf, (size_t)n);
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
	         (unsigned long long)tt_fnv1a(TT_FNV1A_OFFSET, (const unsigned char *)k, key->len));
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
	    st.st_size > 0 && (size_t)st.st_size <= TT_IMAGE_MAX_ENTRY_BYTES &&
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
