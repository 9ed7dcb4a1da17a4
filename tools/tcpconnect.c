// SPDX-License-Identifier: Apache-2.0
/*
 * tcpconnect: trace active TCP connections (connect()).
 *
 * Every attempt is traced, even if it ultimately fails. Filters run inside
 * the kernel. See man/tcpconnect.8 and tcpconnect_tool.c.
 */
#include "tcpconnect_tool.h"

int main(int argc, char **argv)
{
	return tt_tool_main(&tcpconnect_tool, argc, argv);
}
