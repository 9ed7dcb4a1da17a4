// SPDX-License-Identifier: Apache-2.0
#include "cgroup_paths.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "log.h"

struct cached_path {
	uint64_t id;
	bool used;
	char *path; /* NULL: the cgroup is gone */
};

struct tt_cgroup_paths {
	tt_cgroup_resolve_fn resolve;
	void *ctx;
	struct cached_path slots[TT_CGROUP_PATHS_CACHED];
	uint64_t resolved;
	size_t held;
	char scratch[PATH_MAX];
	/* The real resolver's: the mount and how the kernel spells its handles. */
	int mount_fd;
	int handle_type;
	char mount_path[PATH_MAX]; /* as /proc/self/fd shows it, to strip from paths */
	size_t mount_path_len;
};

struct tt_cgroup_paths *tt_cgroup_paths_with(tt_cgroup_resolve_fn resolve, void *ctx)
{
	struct tt_cgroup_paths *paths = calloc(1, sizeof(*paths));
	if (!paths)
		return NULL;
	paths->resolve = resolve;
	paths->ctx = ctx;
	paths->mount_fd = -1;
	return paths;
}

static struct cached_path *slot_of(struct tt_cgroup_paths *paths, uint64_t id)
{
	/* Fibonacci hashing: ids are mostly consecutive, the top bits spread them. */
	uint64_t index = (id * 0x9E3779B97F4A7C15ULL) >> 52;
	_Static_assert(TT_CGROUP_PATHS_CACHED == 1 << 12, "the shift above is 64 - 12");
	return &paths->slots[index];
}

const char *tt_cgroup_paths_lookup(struct tt_cgroup_paths *paths, uint64_t id)
{
	struct cached_path *slot = slot_of(paths, id);
	if (slot->used && slot->id == id)
		return slot->path;
	paths->resolved++;
	if (paths->resolve(paths->ctx, id, paths->scratch, sizeof(paths->scratch)) != 0) {
		bool gone = errno == ESTALE || errno == ENOENT;
		if (!gone)
			return NULL; /* perhaps a passing shortage: ask again next time */
		paths->scratch[0] = '\0';
	}
	char *path = paths->scratch[0] ? strdup(paths->scratch) : NULL;
	if (paths->scratch[0] && !path)
		return NULL;
	/* Direct-mapped: a new cgroup takes the place of the one in its slot. */
	if (slot->used) {
		free(slot->path);
		paths->held--;
	}
	*slot = (struct cached_path){.id = id, .used = true, .path = path};
	paths->held++;
	return path;
}

uint64_t tt_cgroup_paths_resolved(const struct tt_cgroup_paths *paths)
{
	return paths->resolved;
}

size_t tt_cgroup_paths_held(const struct tt_cgroup_paths *paths)
{
	return paths->held;
}

void tt_cgroup_paths_close(struct tt_cgroup_paths *paths)
{
	if (!paths)
		return;
	for (size_t i = 0; i < TT_CGROUP_PATHS_CACHED; i++)
		free(paths->slots[i].path);
	if (paths->mount_fd >= 0)
		close(paths->mount_fd);
	free(paths);
}

/* mountinfo's escapes (\040 for a space, ...) decoded in place. */
static void decode_octal(char *s)
{
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* One mountinfo line: its root and mount point, if its type is cgroup2. */
static bool cgroup2_line(char *line, char **root, char **mount_point)
{
	char *fields[6], *save = NULL;
	size_t n = 0;
	for (char *f = strtok_r(line, " ", &save); f; f = strtok_r(NULL, " ", &save)) {
		if (n < 6) {
			fields[n++] = f;
		} else if (strcmp(f, "-") == 0) {
			const char *type = strtok_r(NULL, " ", &save);
			if (!type || strcmp(type, "cgroup2") != 0)
				return false;
			*root = fields[3];
			*mount_point = fields[4];
			return true;
		}
	}
	return false;
}

int tt_mountinfo_cgroup2(const char *mountinfo, char *out, size_t size)
{
	char *copy = strdup(mountinfo);
	if (!copy)
		return -1;
	bool found = false, whole = false;
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line && !whole;
	     line = strtok_r(NULL, "\n", &save)) {
		char *root, *mount_point;
		if (!cgroup2_line(line, &root, &mount_point))
			continue;
		decode_octal(root);
		decode_octal(mount_point);
		if (found && strcmp(root, "/") != 0)
			continue;
		if (strlen(mount_point) >= size)
			continue;
		memcpy(out, mount_point, strlen(mount_point) + 1);
		found = true;
		whole = strcmp(root, "/") == 0;
	}
	free(copy);
	return found ? 0 : -1;
}

static char *read_mountinfo(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return NULL;
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);
	char buf[4096];
	size_t n;
	while (out && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	if (!out || fclose(out) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* A cgroup2 mount no other process sees, for a host with none (new mount API, 5.2+). */
static int private_cgroup2_mount(void)
{
	int fs = fsopen("cgroup2", FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	int mnt = -1, dir = -1;
	if (fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) == 0)
		mnt = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	/*
	 * fsmount's is an O_PATH descriptor, which open_by_handle_at refuses;
	 * a directory opened on it keeps the detached mount alive instead.
	 */
	if (mnt >= 0)
		dir = openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int saved = errno;
	close(fs);
	if (mnt >= 0)
		close(mnt);
	errno = saved;
	return dir;
}

static int open_cgroup2_mount(void)
{
	char *mountinfo = read_mountinfo();
	char mount_point[PATH_MAX];
	int fd = -1;
	if (mountinfo && tt_mountinfo_cgroup2(mountinfo, mount_point, sizeof(mount_point)) == 0) {
		fd = open(mount_point, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			tt_error("-G: cannot open the cgroup2 mount %s: %s", mount_point,
			         strerror(errno));
	} else {
		snprintf(mount_point, sizeof(mount_point), "a private cgroup2 mount");
		fd = private_cgroup2_mount();
		if (fd < 0)
			tt_error("-G: cgroup2 is not mounted and cannot be mounted: %s",
			         strerror(errno));
		else
			tt_info("-G: no cgroup2 mount; using a private one");
	}
	free(mountinfo);
	struct statfs fs;
	if (fd >= 0 && (fstatfs(fd, &fs) != 0 || fs.f_type != CGROUP2_SUPER_MAGIC)) {
		tt_error("-G: %s is not a cgroup2 mount", mount_point);
		close(fd);
		return -1;
	}
	return fd;
}

/* Where fd leads, as the kernel names it; -1 if it does not fit. */
static ssize_t fd_path(int fd, char *out, size_t size)
{
	char link[32];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t len = readlink(link, out, size);
	if (len < 0 || (size_t)len >= size)
		return -1;
	out[len] = '\0';
	return len;
}

/* In cgroup v2 a directory's file handle is its 8-byte id: open it, and ask its path. */
static int resolve_by_handle(void *ctx, uint64_t id, char *out, size_t size)
{
	struct tt_cgroup_paths *paths = ctx;
	_Alignas(struct file_handle) unsigned char storage[sizeof(struct file_handle) + sizeof(id)];
	struct file_handle *handle = (struct file_handle *)storage;
	handle->handle_bytes = sizeof(id);
	handle->handle_type = paths->handle_type;
	memcpy(handle->f_handle, &id, sizeof(id));
	int fd = open_by_handle_at(paths->mount_fd, handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t len = fd_path(fd, out, size);
	if (len < 0) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * Paths on the mount are made relative to it. Any other is kept whole: a
	 * mount of another namespace (ours was unshared after it was opened, as
	 * for tracefs) reads back relative to its root already.
	 */
	bool on_mount = strncmp(out, paths->mount_path, paths->mount_path_len) == 0 &&
	                (out[paths->mount_path_len] == '/' || out[paths->mount_path_len] == '\0');
	const char *rest = on_mount ? out + paths->mount_path_len : out;
	if (!*rest)
		rest = "/";
	/*
	 * A cgroup removed while it was being named reads back as "PATH (deleted)":
	 * the path is its name only if it still leads to the same directory.
	 */
	const char *lookup = rest[0] == '/' && rest[1] ? rest + 1 : ".";
	struct stat opened, named;
	bool same = fstat(fd, &opened) == 0 && fstatat(paths->mount_fd, lookup, &named, 0) == 0 &&
	            opened.st_ino == named.st_ino && opened.st_dev == named.st_dev;
	close(fd);
	if (!same) {
		errno = ENOENT;
		return -1;
	}
	memmove(out, rest, strlen(rest) + 1);
	return 0;
}

struct tt_cgroup_paths *tt_cgroup_paths_open(void)
{
	int fd = open_cgroup2_mount();
	if (fd < 0)
		return NULL;
	struct tt_cgroup_paths *paths = tt_cgroup_paths_with(resolve_by_handle, NULL);
	if (!paths) {
		close(fd);
		tt_error("out of memory");
		return NULL;
	}
	paths->ctx = paths;
	paths->mount_fd = fd;
	/* The root's handle says how this kernel types them (KERNFS since 5.5, INO32_GEN before).
	 */
	_Alignas(
	    struct file_handle) unsigned char storage[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	struct file_handle *handle = (struct file_handle *)storage;
	handle->handle_bytes = MAX_HANDLE_SZ;
	int mount_id;
	ssize_t len = fd_path(fd, paths->mount_path, sizeof(paths->mount_path));
	if (name_to_handle_at(fd, "", handle, &mount_id, AT_EMPTY_PATH) != 0 ||
	    handle->handle_bytes != sizeof(uint64_t) || len < 0) {
		tt_error("-G: cannot name cgroups by their ids here: %s",
		         len < 0 ? "mount path too long" : strerror(errno));
		tt_cgroup_paths_close(paths);
		return NULL;
	}
	paths->handle_type = handle->handle_type;
	/* A mount of its own has no path ("/"): what its files show needs no stripping. */
	paths->mount_path_len = strcmp(paths->mount_path, "/") == 0 ? 0 : (size_t)len;
	/* Opening by handle needs CAP_DAC_READ_SEARCH: without it every path would be an id. */
	int root = open_by_handle_at(fd, handle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		tt_error("-G: cannot open cgroups by their ids: %s%s", strerror(errno),
		         errno == EPERM
		             ? ": missing CAP_DAC_READ_SEARCH (see CAPABILITIES in the man page)"
		             : "");
		tt_cgroup_paths_close(paths);
		return NULL;
	}
	close(root);
	return paths;
}
