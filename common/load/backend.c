// SPDX-License-Identifier: Apache-2.0
#include "backend.h"

#include "log.h"
#include "system_checks.h"

const char *const tt_backend_names[TT_BACKEND_CHOICES] = {"auto", "kprobe", "tracepoint"};

int tt_backend_resolve(enum tt_backend wanted, bool tool_has_kprobes, bool must_attach,
                       enum tt_backend *resolved)
{
	bool kprobes = tt_kprobes_available();
	if (wanted == TT_BACKEND_AUTO)
		wanted = kprobes && tool_has_kprobes ? TT_BACKEND_KPROBE : TT_BACKEND_TRACEPOINT;
	if (wanted == TT_BACKEND_KPROBE && !kprobes && must_attach) {
		tt_error("this kernel has no kprobes (CONFIG_KPROBES); use --backend tracepoint");
		return -1;
	}
	*resolved = wanted;
	return 0;
}
