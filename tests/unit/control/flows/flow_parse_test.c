// SPDX-License-Identifier: BSD-3-Clause
// The flow syntax: what is parsed formats back to the same flow, and bad
// flows are refused with a sentence.
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "flows/flow_parse.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint16_t resolve(const char *name)
{
	if (strcmp(name, "pod1") == 0)
		return 1;
	if (strcmp(name, "pod2") == 0)
		return 2;
	return PSW_PORT_NONE;
}

static const char *name_of(uint16_t port)
{
	return port == 1 ? "pod1" : port == 2 ? "pod2" : NULL;
}

// parse -> format -> parse gives the same spec, and format is a fixed point
static void roundtrip(const char *text, const char *expect_match, const char *expect_actions)
{
	struct flow_spec a, b;
	char err[256] = "", m1[1024], a1[1024], again[2100], m2[1024], a2[1024];

	if (flow_parse(text, FLOW_PARSE_ADD, resolve, &a, err, sizeof(err)) != 0)
		fail_msg("cannot parse '%s': %s", text, err);
	flow_format_match(&a.match, &a.mask, a.priority, name_of, m1, sizeof(m1));
	flow_format_actions(a.actions, a.n_actions, name_of, a1, sizeof(a1));
	if (expect_match)
		assert_string_equal(m1, expect_match);
	if (expect_actions)
		assert_string_equal(a1, expect_actions);
	snprintf(again, sizeof(again), "table=%u,%s,actions=%s", a.table_id, m1, a1);
	if (flow_parse(again, FLOW_PARSE_ADD, resolve, &b, err, sizeof(err)) != 0)
		fail_msg("cannot parse back '%s': %s", again, err);
	assert_memory_equal(&a.match, &b.match, sizeof(a.match));
	assert_memory_equal(&a.mask, &b.mask, sizeof(a.mask));
	assert_int_equal(a.priority, b.priority);
	assert_int_equal(a.table_id, b.table_id);
	assert_int_equal(a.n_actions, b.n_actions);
	assert_memory_equal(a.actions, b.actions, a.n_actions * sizeof(a.actions[0]));
	flow_format_match(&b.match, &b.mask, b.priority, name_of, m2, sizeof(m2));
	flow_format_actions(b.actions, b.n_actions, name_of, a2, sizeof(a2));
	assert_string_equal(m1, m2);
	assert_string_equal(a1, a2);
}

static void test_roundtrips(void **state)
{
	(void)state;
	roundtrip("table=0,priority=100,in_port=pod1,ip,nw_dst=10.244.1.5,tcp,tp_dst=80,actions=output:pod2",
		"priority=100,in_port=pod1,tcp,nw_dst=10.244.1.5,tp_dst=80", "output:pod2");
	roundtrip("in_port=1,actions=2", "priority=32768,in_port=pod1", "output:pod2");
	roundtrip("priority=5,dl_src=02:00:00:00:00:01,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=flood",
		"priority=5,dl_src=02:00:00:00:00:01,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00", "FLOOD");
	roundtrip("dl_vlan=10,actions=strip_vlan,normal", "priority=32768,dl_vlan=10",
		"pop_vlan,NORMAL");
	roundtrip("dl_vlan=0xffff,actions=mod_vlan_vid:20,mod_vlan_pcp:3,output:pod1",
		"priority=32768,dl_vlan=0xffff", "mod_vlan_vid:20,mod_vlan_pcp:3,output:pod1");
	roundtrip("udp,nw_src=10.0.0.0/8,nw_dst=192.168.0.0/255.255.0.255,tp_src=0x100/0xff00,actions=drop",
		"priority=32768,udp,nw_src=10.0.0.0/8,nw_dst=192.168.0.0/255.255.0.255,tp_src=0x100/0xff00",
		"drop");
	roundtrip("tcp,tcp_flags=+syn-ack,actions=in_port", NULL, "IN_PORT");
	roundtrip("table=3,cookie=0x1234,arp,actions=push_vlan:0x88a8,set_field:5->vlan_vid,goto_table:7",
		"priority=32768,arp", "push_vlan:0x88a8,mod_vlan_vid:5,goto_table:7");
	roundtrip("icmp,icmp_type=8,actions=mod_dl_src:02:aa:bb:cc:dd:ee,set_field:02:11:22:33:44:55->dl_dst,output:1,output:2",
		"priority=32768,icmp,icmp_type=8",
		"mod_dl_src:02:aa:bb:cc:dd:ee,mod_dl_dst:02:11:22:33:44:55,output:pod1,output:pod2");
	roundtrip("ip,nw_frag=later,actions=resubmit(,2)", "priority=32768,ip,nw_frag=later", "resubmit(,2)");
	roundtrip("table=3,actions=resubmit(,0)", "priority=32768", "resubmit(,0)");
	roundtrip("reg0=5,reg7=0x10/0xf0,metadata=0x1/0x1,actions=set_field:7->reg1,load:3->reg2[4..5],"
		"write_metadata:0x8/0xff,goto_table:1", "priority=32768,metadata=0x1/0x1,reg0=5,reg7=0x10/0xf0",
		"set_field:7->reg1,set_field:0x30/0x30->reg2,set_field:0x8/0xff->metadata,goto_table:1");
	roundtrip("ip,ip,tcp,tp_dst=80,tp_dst=80,actions=drop", "priority=32768,tcp,tp_dst=80", "drop");
	roundtrip("dl_type=0x88cc,priority=0,actions=", "priority=0,dl_type=0x88cc", "drop");
	roundtrip("sctp,tp_dst=36412,actions=output:pod2", "priority=32768,sctp,tp_dst=36412", NULL);
	roundtrip("in_port=pod1,arp,arp_spa=10.1.0.5,arp_op=1,actions=normal",
		"priority=32768,in_port=pod1,arp,arp_spa=10.1.0.5,arp_op=1", "NORMAL");
	roundtrip("arp,arp_tpa=10.1.0.0/16,actions=drop", "priority=32768,arp,arp_tpa=10.1.0.0/16", "drop");
	roundtrip("ipv6,ipv6_src=2001:db8::1,actions=normal", "priority=32768,ipv6,ipv6_src=2001:db8::1",
		"NORMAL");
	// a prefix is masked and written shortest; a non-contiguous mask in full
	roundtrip("tcp6,ipv6_dst=fd00:10:244:1::77/64,tp_dst=443,actions=output:pod2",
		"priority=32768,tcp6,ipv6_dst=fd00:10:244:1::/64,tp_dst=443", "output:pod2");
	roundtrip("udp6,ipv6_src=fd00::1:0/ffff::ffff:0,actions=drop",
		"priority=32768,udp6,ipv6_src=fd00::1:0/ffff::ffff:0", "drop");
	roundtrip("icmp6,icmpv6_type=135,ipv6_src=::,actions=normal",
		"priority=32768,icmp6,ipv6_src=::,icmpv6_type=135", "NORMAL");
	roundtrip("sctp6,ipv6_src=fe80::/10,actions=drop", "priority=32768,sctp6,ipv6_src=fe80::/10", "drop");
	roundtrip("ipv6,nw_proto=50,nw_frag=no,actions=drop", "priority=32768,ipv6,nw_proto=50,nw_frag=no",
		"drop");
	roundtrip("dl_type=0x86dd,ipv6_dst=::/0,actions=drop", "priority=32768,ipv6", "drop");
	roundtrip("icmp6,icmpv6_type=136,nd_target=fd00::5,nd_tll=02:00:00:00:00:05,actions=normal",
		"priority=32768,icmp6,nd_tll=02:00:00:00:00:05,icmpv6_type=136,nd_target=fd00::5", "NORMAL");
	roundtrip("icmp6,icmpv6_type=135,nd_target=fe80::/10,nd_sll=00:00:00:00:00:00,actions=drop",
		"priority=32768,icmp6,nd_sll=00:00:00:00:00:00,icmpv6_type=135,nd_target=fe80::/10", "drop");
	roundtrip("arp,arp_sha=02:00:00:00:00:01,arp_tha=02:00:00:00:00:00/ff:ff:00:00:00:00,actions=drop",
		"priority=32768,arp,arp_sha=02:00:00:00:00:01,arp_tha=02:00:00:00:00:00/ff:ff:00:00:00:00",
		"drop");
	// routing and tunnels
	roundtrip("ip,nw_dst=10.244.2.0/24,actions=dec_ttl,mod_dl_src:0a:58:0a:f4:01:01,"
		"push_vxlan(vni=42,eth_src=02:00:00:00:00:0a,eth_dst=02:00:00:00:00:0b,"
		"ip_src=192.168.50.1,ip_dst=192.168.50.2,mtu=1450),output:pod2",
		"priority=32768,ip,nw_dst=10.244.2.0/24", "dec_ttl,mod_dl_src:0a:58:0a:f4:01:01,"
		"push_vxlan(vni=42,eth_src=02:00:00:00:00:0a,eth_dst=02:00:00:00:00:0b,"
		"ip_src=192.168.50.1,ip_dst=192.168.50.2,mtu=1450),output:pod2");
	roundtrip("in_port=pod1,udp,nw_dst=192.168.50.1,tp_dst=4789,actions=pop_vxlan(table=201,vni=42)",
		NULL, "pop_vxlan(vni=42,table=201)");
	roundtrip("table=201,tun_src=192.168.50.2,tun_id=42,ip,nw_src=10.244.2.0/24,actions=goto_table:202",
		"priority=32768,tun_id=42,tun_src=192.168.50.2,ip,nw_src=10.244.2.0/24", NULL);
	roundtrip("tun_src=192.168.0.0/16,actions=drop", "priority=32768,tun_src=192.168.0.0/16", NULL);
	roundtrip("arp,arp_op=1,actions=arp_reply:0a:58:0a:f4:01:01", NULL,
		"arp_reply:0a:58:0a:f4:01:01");
	roundtrip("icmp6,icmpv6_type=135,actions=nd_advert:0a:58:0a:f4:01:01", NULL,
		"nd_advert:0a:58:0a:f4:01:01");
	roundtrip("ip,nw_dst=10.244.0.0/16,actions=unreachable", NULL, "unreachable");
	roundtrip("ip,actions=unreachable:host", NULL, "unreachable:host");
	roundtrip("ip,actions=drop:no_route", NULL, "drop:no_route");
	roundtrip("ip,actions=drop:no_neighbor", NULL, "drop:no_neighbor");
	roundtrip("arp,actions=controller,output:pod2", NULL, "controller,output:pod2");
	roundtrip("arp,actions=controller:7", NULL, "controller:7");
}

static void refused(const char *text, const char *why)
{
	struct flow_spec s;
	char err[256] = "";

	if (flow_parse(text, FLOW_PARSE_ADD, resolve, &s, err, sizeof(err)) != -EINVAL)
		fail_msg("'%s' was accepted", text);
	if (strstr(err, why) == NULL)
		fail_msg("'%s': error '%s' does not say '%s'", text, err, why);
}

static void test_errors(void **state)
{
	(void)state;
	refused("in_port=pod9,actions=drop", "unknown port 'pod9'");
	refused("actions=drop:tx_full", "drop takes no_route or no_neighbor");
	refused("actions=drop:no_route,output:1", "drop cannot be combined");
	refused("actions=unreachable,output:1", "unreachable must be the last");
	refused("actions=pop_vxlan(vni=1,table=2),output:1", "pop_vxlan must be the last");
	refused("actions=pop_vxlan(vni=1)", "pop_vxlan takes vni and table");
	refused("actions=pop_vxlan(vni=16777216,table=2)", "bad vni");
	refused("actions=push_vxlan(vni=1,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,"
		"ip_src=1.1.1.1)", "push_vxlan takes vni");
	refused("actions=push_vxlan(vni=1,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,"
		"ip_src=1.1.1.1,ip_dst=1.1.1.300)", "bad ip_dst");
	refused("actions=push_vxlan(vni=1,vni=2,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,"
		"ip_src=1.1.1.1,ip_dst=1.1.1.3)", "vni given twice");
	refused("actions=push_vxlan(vni=1,eth_src=02:00:00:00:00:01,eth_dst=02:00:00:00:00:02,"
		"ip_src=1.1.1.1,ip_dst=1.1.1.3,mtu=100)", "bad mtu");
	refused("actions=push_vxlan(vni=1,table=3)", "not 'table'");
	refused("actions=arp_reply:zz", "bad MAC");
	refused("actions=unreachable:far", "unreachable takes net or host");
	refused("tun_id=0x1000000,actions=drop", "tun_id must be");
	refused("in_port=pod1", "needs actions");
	refused("nw_dst=10.0.0.1,actions=drop", "nw_dst needs ip");
	refused("ip,tp_dst=80,actions=drop", "tp_dst needs tcp, udp, sctp or icmp");
	refused("udp,tcp_flags=+syn,actions=drop", "tcp_flags needs tcp");
	refused("tcp,tcp_flags=+syx,actions=drop", "bad tcp_flags");
	refused("dl_src=02:00:00:00:00,actions=drop", "bad MAC");
	refused("ip,nw_src=10.0.0.256,actions=drop", "bad IPv4");
	refused("ip,nw_src=10.0.0.0/33,actions=drop", "bad IPv4");
	refused("priority=70000,actions=drop", "priority must be");
	refused("table=255,actions=drop", "table must be");
	refused("table=3,actions=goto_table:2", "later table");
	refused("actions=goto_table:2,output:1", "goto_table must be the last");
	refused("actions=output:1,drop", "drop cannot be combined");
	refused("actions=frobnicate", "unknown action");
	refused("bogus=1,actions=drop", "unknown field 'bogus'");
	refused("dl_vlan=4096,actions=drop", "dl_vlan must be");
	refused("actions=mod_vlan_vid:5000", "VLAN id");
	refused("actions=push_vlan:0x0800", "push_vlan takes");
	refused("tp_dst=80,actions=drop", "tp_dst needs tcp");
	refused("actions=output:1,,output:2", "empty action");
	refused("arp_spa=10.0.0.1,actions=drop", "arp_spa needs arp");
	refused("arp,arp_op=0,actions=drop", "arp_op must be");
	refused("arp,nw_frag=yes,actions=drop", "nw_frag needs ip");
	refused("ipv6_src=2001:db8::1,actions=drop", "ipv6_src needs ipv6");
	refused("ip,ipv6_dst=2001:db8::1,actions=drop", "ipv6_dst needs ipv6");
	refused("ipv6,nw_src=10.0.0.1,actions=drop", "use ipv6_src");
	refused("ipv6,ipv6_src=2001:db8::g,actions=drop", "bad IPv6");
	refused("ipv6,ipv6_src=2001:db8::/129,actions=drop", "bad IPv6");
	refused("ipv6,tp_dst=80,actions=drop", "tp_dst needs");
	refused("udp6,tcp_flags=+syn,actions=drop", "tcp_flags needs tcp");
	refused("icmp6,nd_target=fd00::1,actions=drop", "nd_target needs icmp6");
	refused("icmp6,icmpv6_type=128,nd_target=fd00::1,actions=drop", "nd_target needs icmp6");
	refused("icmp6,icmpv6_type=136,nd_sll=02:00:00:00:00:01,actions=drop", "nd_sll needs icmp6 with icmpv6_type=135");
	refused("icmp6,icmpv6_type=135,nd_tll=02:00:00:00:00:01,actions=drop", "nd_tll needs icmp6 with icmpv6_type=136");
	refused("ip,arp_sha=02:00:00:00:00:01,actions=drop", "arp_sha needs arp");
	// values that can never match, and contradictions, name their field
	refused("icmp,icmp_type=256,actions=drop", "icmp_type must be 0 to 255, not '256'");
	refused("icmp,icmp_code=300,actions=drop", "icmp_code must be 0 to 255");
	refused("icmp6,icmpv6_type=999,actions=drop", "icmpv6_type must be 0 to 255");
	refused("tcp,icmp_type=8,actions=drop", "icmp_type needs icmp");
	refused("ip,ipv6,actions=drop", "'ipv6' contradicts");
	refused("tcp,udp,actions=drop", "'udp' contradicts");
	refused("ip,dl_type=0x86dd,actions=drop", "dl_type=0x86dd contradicts");
	refused("table=0,table=1,actions=drop", "table=1 contradicts");
	refused("priority=5,priority=6,actions=drop", "priority=6 contradicts");
	refused("tcp,tp_dst=80,tp_dst=81,actions=drop", "tp_dst=81 contradicts");
	refused("tcp,tcp_flags=+syn+syn-syn,actions=drop", "syn is both set and clear");
	refused("tcp,tp_dst=80/0x1ffff,actions=drop", "tp_dst mask '0x1ffff'");
	refused("tcp,tp_dst=70000,actions=drop", "tp_dst must be 0 to 65535, not '70000'");
	refused("ip,nw_dst=10.0.0.0/33,actions=drop", "prefix length '33' in nw_dst");
	refused("ip,nw_dst=10.0.0.300/8,actions=drop", "address '10.0.0.300' in nw_dst");
	refused("in_port=1/1,actions=drop", "unknown port '1/1'");
	refused("reg0=0x100000000,actions=drop", "reg0 must be 0 to 4294967295");
	refused("actions=set_field:5->nw_src", "set_field cannot set 'nw_src'");
	refused("actions=load:0x10000->reg0[0..15]", "does not fit reg0[0..15]");
	refused("actions=load:1->reg0[8..40]", "bad bit range");
	refused("actions=resubmit(,1),output:1", "resubmit must be the last");
	refused("actions=resubmit(,300)", "bad table '300' in resubmit");
}

static void test_filter(void **state)
{
	struct flow_spec f, filter;
	char err[256];

	(void)state;
	assert_int_equal(flow_parse("priority=9,in_port=pod1,tcp,tp_dst=80,actions=drop", FLOW_PARSE_ADD,
		resolve, &f, err, sizeof(err)), 0);
	assert_int_equal(flow_parse("tcp", FLOW_PARSE_FILTER, resolve, &filter, err, sizeof(err)), 0);
	assert_true(flow_filter_selects(&filter, &f.match, &f.mask, 0));
	assert_int_equal(flow_parse("in_port=pod2", FLOW_PARSE_FILTER, resolve, &filter, err, sizeof(err)), 0);
	assert_false(flow_filter_selects(&filter, &f.match, &f.mask, 0));
	assert_int_equal(flow_parse("udp", FLOW_PARSE_FILTER, resolve, &filter, err, sizeof(err)), 0);
	assert_false(flow_filter_selects(&filter, &f.match, &f.mask, 0));
	assert_int_equal(flow_parse("cookie=0x10/0xf0", FLOW_PARSE_FILTER, resolve, &filter, err, sizeof(err)), 0);
	assert_true(flow_filter_selects(&filter, &f.match, &f.mask, 0x1f));
	assert_false(flow_filter_selects(&filter, &f.match, &f.mask, 0x2f));
	assert_int_not_equal(flow_parse("tcp,actions=drop", FLOW_PARSE_FILTER, resolve, &filter, err,
		sizeof(err)), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrips),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
