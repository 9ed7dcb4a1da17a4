/* SPDX-License-Identifier: Apache-2.0 */
/* -U: a UID column (JSON lines always carry "uid"). */
#ifndef TT_UID_COLUMN_H
#define TT_UID_COLUMN_H

#include "module.h"

extern const struct tt_module tt_uid_column_module;

#endif
