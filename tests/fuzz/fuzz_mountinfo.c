// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target: finding the cgroup2 mount in /proc/self/mountinfo text
 * (-G). Mount points are names anyone may choose: besides not crashing, a
 * mount point found must fit its buffer, terminated.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_paths.h"
#include "fuzz_checks.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	char out[32];
	memset(out, 'x', sizeof(out));
	if (tt_mountinfo_cgroup2(text, out, sizeof(out)) == 0 && !memchr(out, '\0', sizeof(out)))
		abort();
	free(text);
	return 0;
}
