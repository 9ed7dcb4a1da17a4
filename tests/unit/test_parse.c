// SPDX-License-Identifier: Apache-2.0
#include "array.h"
#include "check.h"
#include "parse.h"

static void test_pid(void)
{
	uint32_t pid = 0;
	CHECK(tt_parse_pid("1", &pid) == NULL && pid == 1);
	CHECK(tt_parse_pid("4194304", &pid) == NULL && pid == 4194304);
	CHECK(tt_parse_pid("4194305", &pid) != NULL);
	CHECK(tt_parse_pid("0", &pid) != NULL);
	CHECK(tt_parse_pid("-5", &pid) != NULL);
	CHECK(tt_parse_pid("+5", &pid) != NULL);
	CHECK(tt_parse_pid("abc", &pid) != NULL);
	CHECK(tt_parse_pid("12abc", &pid) != NULL);
	CHECK(tt_parse_pid(" 12", &pid) != NULL);
	CHECK(tt_parse_pid("", &pid) != NULL);
	CHECK(tt_parse_pid("99999999999999999999999", &pid) != NULL);
}

static void test_uid(void)
{
	uint32_t uid = 1;
	CHECK(tt_parse_uid("0", &uid) == NULL && uid == 0);
	CHECK(tt_parse_uid("4294967294", &uid) == NULL && uid == 4294967294u);
	CHECK(tt_parse_uid("4294967295", &uid) != NULL);
}

static void test_ports(void)
{
	struct tt_port_list list = {0};
	CHECK(tt_parse_port_list("80", &list) == NULL && list.count == 1 && list.ports[0] == 80);
	list.count = 0;
	CHECK(tt_parse_port_list("1,65535,443", &list) == NULL && list.count == 3);
	CHECK(list.ports[0] == 1 && list.ports[1] == 65535 && list.ports[2] == 443);
	const char *bad[] = {"0", "65536", "70000", "80,,81", ",80", "80,", "x,1", "80 ", "", "-1"};
	for (size_t i = 0; i < TT_ARRAY_SIZE(bad); i++) {
		list.count = 0;
		const char *why = tt_parse_port_list(bad[i], &list);
		CHECK(why != NULL);
		if (!why)
			fprintf(stderr, "  accepted bad port list '%s'\n", bad[i]);
	}
	list.count = 0;
	char many[1024] = "1";
	for (int i = 2; i <= TT_MAX_PORTS + 1; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), ",%d", i);
	CHECK(tt_parse_port_list(many, &list) != NULL);
}

static void test_cpus(void)
{
	unsigned char online[16] = {0};
	CHECK(tt_parse_cpu_list("0-1,3,5-6\n", online, 16) == NULL);
	CHECK(online[0] && online[1] && !online[2] && online[3] && !online[4] && online[5] &&
	      online[6] && !online[7]);
	CHECK(tt_parse_cpu_list("0-99", online, 16) != NULL);
	CHECK(tt_parse_cpu_list("3-1", online, 16) != NULL);
	CHECK(tt_parse_cpu_list("a", online, 16) != NULL);
}

int main(void)
{
	test_pid();
	test_uid();
	test_ports();
	test_cpus();
	return check_done("test_parse");
}
