/* SPDX-License-Identifier: Apache-2.0 */
/* The signals that end tracing (SIGINT, SIGTERM, SIGHUP), and a closed stdout. */
#ifndef TT_SIGNALS_H
#define TT_SIGNALS_H

#include <stdbool.h>

/* Catches the stop signals and ignores SIGPIPE (a closed stdout shows as EPIPE). */
void tt_catch_stop_signals(void);
/* True once a stop signal arrived. */
bool tt_stop_requested(void);

#endif
