// SPDX-License-Identifier: Apache-2.0
#include "cpus.h"

#include <bcc/libbpf.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "parse.h"

static int read_cpus(const char *path, unsigned char *cpus)
{
	char text[4096] = "";
	FILE *f = fopen(path, "r");
	if (!f || !fgets(text, sizeof(text), f)) {
		if (f)
			fclose(f);
		tt_error("cannot read %s", path);
		return -1;
	}
	fclose(f);
	const char *why = tt_parse_cpu_list(text, cpus, TT_MAX_CPUS);
	if (why) {
		tt_error("cannot parse %s: %s", path, why);
		return -1;
	}
	return 0;
}

int tt_online_cpus(unsigned char online[TT_MAX_CPUS])
{
	return read_cpus("/sys/devices/system/cpu/online", online);
}

int tt_possible_cpus(void)
{
	static unsigned char possible[TT_MAX_CPUS];
	if (read_cpus("/sys/devices/system/cpu/possible", possible) != 0)
		return -1;
	int count = 0;
	for (int cpu = 0; cpu < TT_MAX_CPUS; cpu++)
		if (possible[cpu])
			count = cpu + 1;
	return count;
}

uint64_t tt_percpu_counter_sum(int fd, int cpus)
{
	if (fd < 0 || cpus <= 0)
		return 0;
	uint64_t *values = calloc((size_t)cpus, sizeof(*values));
	uint64_t total = 0;
	int zero = 0;
	if (values && bpf_lookup_elem(fd, &zero, values) == 0)
		for (int cpu = 0; cpu < cpus; cpu++)
			total += values[cpu];
	free(values);
	return total;
}
