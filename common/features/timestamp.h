/* SPDX-License-Identifier: Apache-2.0 */
/* The TIME column: HH:MM:SS, or with -t seconds since tracing started (TIME(s)). */
#ifndef TT_TIMESTAMP_H
#define TT_TIMESTAMP_H

#include "module.h"

extern const struct tt_module tt_timestamp_module;

#endif
