/* SPDX-License-Identifier: Apache-2.0 */
/*
 * --metrics ADDR:PORT and --metrics-file PATH: the tool as a Prometheus
 * exporter. Events are counted in the kernel by the labels asked for
 * (bpfsrc/tt_metrics.bpf.h, tt_metrics.h), and the table is read when
 * scraped (metrics_http.c) or when the file is rewritten; a cap on series
 * folds the rest into one ~other series. A tool whose events carry an outcome
 * names its offset in the module list (tcpconnect: connects by result, with a
 * latency histogram); one without counts accepts. -q turns the lines off.
 */
#ifndef TT_METRICS_MODULE_H
#define TT_METRICS_MODULE_H

#include "module.h"

enum {
	TT_OPT_METRICS = 340,
	TT_OPT_METRICS_FILE,
	TT_OPT_METRICS_INTERVAL,
	TT_OPT_METRICS_LABELS,
	TT_OPT_METRICS_MAX_SERIES,
	TT_OPT_METRICS_EPHEMERAL,
	TT_OPT_METRICS_CIDRS,
};

extern const struct tt_module tt_metrics_module;

#endif
