/* SPDX-License-Identifier: Apache-2.0 */
/* tcpconnect as a description (common/tool_main.h), for its main() and the tests. */
#ifndef TCPCONNECT_TOOL_H
#define TCPCONNECT_TOOL_H

#include "tool_main.h"

extern const struct tt_tool tcpconnect_tool;

#endif
