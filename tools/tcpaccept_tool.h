/* SPDX-License-Identifier: Apache-2.0 */
/* tcpaccept as a description (common/tool_main.h), for its main() and the tests. */
#ifndef TCPACCEPT_TOOL_H
#define TCPACCEPT_TOOL_H

#include "tool_main.h"

extern const struct tt_tool tcpaccept_tool;

#endif
