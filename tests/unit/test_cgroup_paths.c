// SPDX-License-Identifier: Apache-2.0
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cgroup_paths.h"
#include "check.h"

/* A resolver with a known answer per id: /c<id>; ids from 1000000 on are gone. */
struct fake {
	uint64_t calls;
	int fail_errno; /* when set, every lookup fails so */
};

static int fake_resolve(void *ctx, uint64_t id, char *out, size_t size)
{
	struct fake *fake = ctx;
	fake->calls++;
	if (fake->fail_errno) {
		errno = fake->fail_errno;
		return -1;
	}
	if (id >= 1000000) {
		errno = ESTALE;
		return -1;
	}
	snprintf(out, size, "/c%" PRIu64, id);
	return 0;
}

static void test_once_per_cgroup(void)
{
	struct fake fake = {0};
	struct tt_cgroup_paths *paths = tt_cgroup_paths_with(fake_resolve, &fake);
	CHECK(paths != NULL);
	for (int event = 0; event < 1000; event++)
		CHECK_STR(tt_cgroup_paths_lookup(paths, 7 + event % 3), event % 3 == 0   ? "/c7"
		                                                        : event % 3 == 1 ? "/c8"
		                                                                         : "/c9");
	CHECK(fake.calls == 3);
	CHECK(tt_cgroup_paths_resolved(paths) == 3);
	tt_cgroup_paths_close(paths);
}

static void test_gone_is_remembered_a_shortage_is_not(void)
{
	struct fake fake = {0};
	struct tt_cgroup_paths *paths = tt_cgroup_paths_with(fake_resolve, &fake);
	CHECK(tt_cgroup_paths_lookup(paths, 1000001) == NULL);
	CHECK(tt_cgroup_paths_lookup(paths, 1000001) == NULL);
	CHECK(fake.calls == 1);
	fake.fail_errno = EMFILE;
	CHECK(tt_cgroup_paths_lookup(paths, 42) == NULL);
	// cppcheck-suppress redundantAssignment ; the resolver reads it
	fake.fail_errno = 0;
	CHECK_STR(tt_cgroup_paths_lookup(paths, 42), "/c42");
	CHECK(fake.calls == 3);
	tt_cgroup_paths_close(paths);
}

static void test_bounded(void)
{
	struct fake fake = {0};
	struct tt_cgroup_paths *paths = tt_cgroup_paths_with(fake_resolve, &fake);
	for (uint64_t id = 1; id <= (uint64_t)5 * TT_CGROUP_PATHS_CACHED; id++) {
		char want[32];
		snprintf(want, sizeof(want), "/c%" PRIu64, id);
		CHECK_STR(tt_cgroup_paths_lookup(paths, id), want);
	}
	CHECK(tt_cgroup_paths_held(paths) <= TT_CGROUP_PATHS_CACHED);
	CHECK(tt_cgroup_paths_held(paths) > TT_CGROUP_PATHS_CACHED / 2);
	/* Pushed out, asked again: looked up again, and right. */
	uint64_t before = fake.calls;
	CHECK_STR(tt_cgroup_paths_lookup(paths, 1), "/c1");
	CHECK(fake.calls <= before + 1);
	tt_cgroup_paths_close(paths);
}

static void test_mountinfo(void)
{
	char out[64];
	const char *hybrid =
	    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
	CHECK(tt_mountinfo_cgroup2(hybrid, out, sizeof(out)) == 0);
	CHECK_STR(out, "/sys/fs/cgroup/unified");
	/* Optional fields before the separator; a bind of a subtree loses to the whole. */
	const char *two = "50 23 0:40 /app /srv/app\\040cg rw shared:5 - cgroup2 cgroup2 rw\n"
			  "51 23 0:40 / /sys/fs/cgroup rw shared:1 master:2 - cgroup2 cgroup2 rw\n";
	CHECK(tt_mountinfo_cgroup2(two, out, sizeof(out)) == 0);
	CHECK_STR(out, "/sys/fs/cgroup");
	const char *bind_only =
	    "50 23 0:40 /app /srv/app\\040cg rw shared:5 - cgroup2 cgroup2 rw\n";
	CHECK(tt_mountinfo_cgroup2(bind_only, out, sizeof(out)) == 0);
	CHECK_STR(out, "/srv/app cg");
	CHECK(tt_mountinfo_cgroup2(hybrid, out, 8) == -1); /* does not fit */
	CHECK(tt_mountinfo_cgroup2("31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n", out,
	                           sizeof(out)) == -1);
	CHECK(tt_mountinfo_cgroup2("", out, sizeof(out)) == -1);
	CHECK(tt_mountinfo_cgroup2("1 2 3 4 5 6 7 8 9 - cgroup2", out, sizeof(out)) == 0);
	CHECK_STR(out, "5");
	CHECK(tt_mountinfo_cgroup2("- cgroup2 - cgroup2\n1 - cgroup2", out, sizeof(out)) == -1);
}

int main(void)
{
	test_once_per_cgroup();
	test_gone_is_remembered_a_shortage_is_not();
	test_bounded();
	test_mountinfo();
	return check_done("test_cgroup_paths");
}
