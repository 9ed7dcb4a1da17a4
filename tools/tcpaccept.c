// SPDX-License-Identifier: Apache-2.0
/*
 * tcpaccept: trace passive TCP connections (accept()).
 *
 * Only successful accept()s are traced, with the PID and COMM of the process
 * that called accept(). Filters run inside the kernel. See man/tcpaccept.8
 * and tcpaccept_tool.c.
 */
#include "tcpaccept_tool.h"

int main(int argc, char **argv)
{
	return tt_tool_main(&tcpaccept_tool, argc, argv);
}
