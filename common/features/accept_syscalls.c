// SPDX-License-Identifier: Apache-2.0
#include "accept_syscalls.h"

#include "array.h"
#include "system_checks.h"
#include "tt_contract.h"

static const struct tt_probe enter_probes[] = {TT_ACCEPT_ENTER_PROBES};

static int accept_syscalls_plan(void *state, const struct tt_plan_input *input,
                                struct tt_plan *plan, struct tt_module_offer *offer)
{
	(void)state;
	(void)offer;
	bool regs = tt_bpf_task_regs_available();
	if (regs)
		tt_plan_define(plan, TT_DEFINE(TT_SYSCALL_REGS), "1");
	if (input->backend == TT_BACKEND_TRACEPOINT && !regs) {
		tt_plan_define(plan, TT_DEFINE(TT_ACCEPT_ENTER), "1");
		for (size_t i = 0; i < TT_ARRAY_SIZE(enter_probes); i++)
			tt_plan_add_probe(plan, &enter_probes[i]);
	}
	return 0;
}

const struct tt_module tt_accept_syscalls_module = {
    .plan = accept_syscalls_plan,
};
