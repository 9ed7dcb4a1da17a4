/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cgroup v2 ids (bpf_get_current_cgroup_id()) turned into paths relative to
 * the cgroup2 mount ("/" for the root, "/system.slice/nginx.service"), with a
 * bounded cache: one lookup per new cgroup, not per event.
 */
#ifndef TT_CGROUP_PATHS_H
#define TT_CGROUP_PATHS_H

#include <stddef.h>
#include <stdint.h>

/* Paths remembered at most; a cgroup pushed out is looked up again. */
#define TT_CGROUP_PATHS_CACHED 4096

struct tt_cgroup_paths;

/*
 * Looks one id up: its path into out (size bytes), and 0; or -1 with errno
 * ESTALE or ENOENT once the cgroup is gone (ids are never reused, so that
 * answer is remembered), or another errno (not remembered).
 */
typedef int (*tt_cgroup_resolve_fn)(void *ctx, uint64_t id, char *out, size_t size);

/*
 * On the cgroup2 mount named in /proc/self/mountinfo, or where none is
 * mounted, on a mount of its own that no other process sees. NULL after a
 * one-line error.
 */
struct tt_cgroup_paths *tt_cgroup_paths_open(void);
/* With another resolver (for tests). NULL when out of memory. */
struct tt_cgroup_paths *tt_cgroup_paths_with(tt_cgroup_resolve_fn resolve, void *ctx);
/* The path of id, valid until the next lookup; NULL when it cannot be named. */
const char *tt_cgroup_paths_lookup(struct tt_cgroup_paths *paths, uint64_t id);
/* How many lookups went to the resolver, and how many paths are held now. */
uint64_t tt_cgroup_paths_resolved(const struct tt_cgroup_paths *paths);
size_t tt_cgroup_paths_held(const struct tt_cgroup_paths *paths);
void tt_cgroup_paths_close(struct tt_cgroup_paths *paths);

/*
 * The mount point of the cgroup2 hierarchy in mountinfo text (proc(5)),
 * decoded, into out: the mount of the whole hierarchy (root "/") first,
 * else any. 0, or -1 when there is none or it does not fit.
 */
int tt_mountinfo_cgroup2(const char *mountinfo, char *out, size_t size);

#endif
