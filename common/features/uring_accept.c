// SPDX-License-Identifier: Apache-2.0
#include "uring_accept.h"

#include "array.h"
#include "log.h"
#include "system_checks.h"
#include "tt_contract.h"

/* Renamed from io_uring_submit_sqe in Linux 6.3; both name the request. */
static const struct tt_probe submit_req_probe = {
    TT_TRACEPOINT, TT_PROGRAM(tracepoint__io_uring__io_uring_submit_req),
    "io_uring:io_uring_submit_req"};
static const struct tt_probe submit_sqe_probe = {
    TT_TRACEPOINT, TT_PROGRAM(tracepoint__io_uring__io_uring_submit_sqe),
    "io_uring:io_uring_submit_sqe"};
static const struct tt_probe complete_probe = {TT_TRACEPOINT,
                                               TT_PROGRAM(tracepoint__io_uring__io_uring_complete),
                                               "io_uring:io_uring_complete"};

/* The request, its completion (the SQE's descriptor), its accept part (io_uring/net.c). */
static const char *const io_kiocb_members[] = {"flags", "cqe", NULL};
static const char *const io_accept_members[] = {"file_slot", NULL};
static const struct tt_kernel_struct request_structs[] = {
    {"io_kiocb", io_kiocb_members},
    {"io_cqe", NULL},
    {"io_accept", io_accept_members},
};

static int uring_accept_plan(void *state, const struct tt_plan_input *input, struct tt_plan *plan,
                             struct tt_module_offer *offer)
{
	(void)state;
	(void)offer;
	if (input->backend != TT_BACKEND_TRACEPOINT)
		return 0;
	/* tracefs has the tracepoint's format; without privileges, say which is missing first. */
	if (tt_check_privileges() != 0 || tt_ensure_tracefs() != 0)
		return -1;
	/*
	 * Before Linux 6.0 a completion does not name its request: not seen
	 * there. Said without -v: a server on io_uring would seem idle.
	 */
	if (!tt_tracepoint_has_field("io_uring/io_uring_complete", "req")) {
		tt_warn("io_uring accepts are not traced on this kernel's tracepoints "
		        "(io_uring_complete has no req before Linux 6.0)");
		return 0;
	}
	bool submit_req = tt_tracepoint_has_field("io_uring/io_uring_submit_req", "req");
	if (!submit_req && !tt_tracepoint_has_field("io_uring/io_uring_submit_sqe", "req")) {
		tt_warn("io_uring accepts are not traced on this kernel's tracepoints "
		        "(no io_uring submit tracepoint with req)");
		return 0;
	}
	tt_plan_define(plan, TT_DEFINE(TT_URING_ACCEPT), "1");
	if (submit_req)
		tt_plan_define(plan, TT_DEFINE(TT_URING_SUBMIT_REQ), "1");
	tt_plan_add_structs(plan, request_structs, TT_ARRAY_SIZE(request_structs), "");
	tt_plan_add_probe(plan, submit_req ? &submit_req_probe : &submit_sqe_probe);
	tt_plan_add_probe(plan, &complete_probe);
	return 0;
}

const struct tt_module tt_uring_accept_module = {
    .plan = uring_accept_plan,
};
