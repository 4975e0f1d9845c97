// SPDX-License-Identifier: Apache-2.0
// The sessions' address plan and the sandbox's rules for isolated sessions:
// pure, so every range, overlap and rule is checked without root.
#include <gtest/gtest.h>

#include "session/core/address_plan.hpp"
#include "session/core/session_spec.hpp"
#include "session/network/uplink_firewall.hpp"

using namespace hydra::session;

namespace {

Ipv4Net net(const std::string& text) {
  auto n = Ipv4Net::parse(text);
  EXPECT_TRUE(n) << text;
  return n ? *n : Ipv4Net{};
}

bool has(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

}  // namespace

TEST(Ipv4Net, ParsesNetworksAndSaysWhatIsWrong) {
  EXPECT_EQ(net("10.200.0.0/16").text(), "10.200.0.0/16");
  EXPECT_EQ(net("0.0.0.0/0").last(), 0xffffffffu);
  struct Case {
    const char* text;
    const char* why;
  };
  for (auto c : {Case{"10.200.0.0", "not a network"}, Case{"10.200.0.0/", "bad prefix"}, Case{"10.200.0.0/33", "over 32"},
                 Case{"10.200.1.0/16", "host bits set (the network is 10.200.0.0/16)"}, Case{"10.0.0.256/8", "bad IPv4"},
                 Case{"10.0.0.0/x", "bad prefix"}, Case{"fd00::/8", "bad IPv4"}}) {
    auto r = Ipv4Net::parse(c.text);
    ASSERT_FALSE(r) << c.text;
    EXPECT_TRUE(has(r.error().message, c.why)) << r.error().message;
  }
  EXPECT_TRUE(net("10.0.0.0/8").overlaps(net("10.200.0.0/16")));
  EXPECT_FALSE(net("10.200.0.0/16").overlaps(net("10.201.0.0/16")));
  EXPECT_EQ(net("10.200.0.0/16").subnet(24, 7).text(), "10.200.7.0/24");
}

TEST(AddressPlan, DefaultsGiveTodaysAddresses) {
  AddressPlan plan;
  ASSERT_TRUE(plan.validate());
  EXPECT_EQ(plan.max_index(), 255);
  auto n = session_net(plan, 1);
  EXPECT_EQ(n.subnet, "10.200.1.0/24");
  EXPECT_EQ(n.address_pool, "10.112.0.0/20");
  EXPECT_EQ(n.pools, "10.112.0.0/12");
  EXPECT_EQ(n.uplink, "hup-h1");
  EXPECT_EQ(n.uplink_gateway, "10.201.0.2");
  EXPECT_EQ(n.uplink_address, "10.201.0.3");
  EXPECT_FALSE(n.isolated);
  EXPECT_EQ(session_net(plan, 255).subnet, "10.200.255.0/24");
  EXPECT_EQ(session_net(plan, 255).address_pool, "10.127.224.0/20");
}

TEST(AddressPlan, TheIndexLimitFollowsTheSmallestRange) {
  AddressPlan plan;
  plan.bridges = net("172.30.0.0/20");   // 16 /24s: sessions 1..15
  plan.pools = net("10.50.0.0/16");      // 16 /20s
  plan.uplinks = net("100.64.0.0/24");   // 128 /31s
  ASSERT_TRUE(plan.validate());
  EXPECT_EQ(plan.max_index(), 15);
  plan.uplinks = net("100.64.0.0/28");  // 8 /31s: sessions 1..7
  EXPECT_EQ(plan.max_index(), 7);
  auto n = session_net(plan, 3);
  EXPECT_EQ(n.gateway, "172.30.3.1");
  EXPECT_EQ(n.desktop_ip, "172.30.3.254");
  EXPECT_EQ(n.address_pool, "10.50.32.0/20");
  EXPECT_EQ(n.uplink_gateway, "100.64.0.6");
  EXPECT_EQ(n.uplink_address, "100.64.0.7");
}

TEST(AddressPlan, OverlapsAndTooSmallRangesAreNamed) {
  AddressPlan plan;
  plan.uplinks = net("10.200.128.0/24");
  auto st = plan.validate();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "bridge_subnets 10.200.0.0/16 overlaps uplink_subnet 10.200.128.0/24");
  plan = AddressPlan{};
  plan.bridges = net("10.200.0.0/24");
  st = plan.validate();
  ASSERT_FALSE(st);
  EXPECT_TRUE(has(st.error().message, "bridge_subnets 10.200.0.0/24 is too small")) << st.error().message;
}

TEST(AddressPlan, RoutesOfTheSandboxConflictButNotHydrasOwn) {
  AddressPlan plan;
  std::vector<SandboxRoute> routes{{net("0.0.0.0/0"), "eth0"},        {net("192.0.2.0/24"), "eth0"},
                                   {net("10.200.3.0/24"), "hydra3"},   {net("10.201.0.2/31"), "hup-h1"},
                                   {net("10.200.1.0/24"), "vethb-h1"}, {net("172.17.0.0/16"), "docker0"}};
  routes.push_back({net("10.112.16.0/24"), "br-5f2a9c0d1e3b"});  // a shared session's user network
  EXPECT_FALSE(plan_conflict(plan, routes)) << "default route, hydra's own links, sessions' networks do not count";
  EXPECT_TRUE(plan_conflict(plan, {{net("10.112.16.0/24"), "wg0"}})) << "another link inside the pools does";
  EXPECT_TRUE(plan_conflict(plan, {{net("10.96.0.0/11"), "br-5f2a9c0d1e3b"}})) << "a Docker bridge beyond them does";
  routes.push_back({net("10.112.64.0/20"), "docker0"});
  auto c = plan_conflict(plan, routes);
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, "address_pools 10.112.0.0/12 overlaps the sandbox's route 10.112.64.0/20 on docker0");
  EXPECT_TRUE(plan_conflict(plan, {{net("10.0.0.0/8"), "wg0"}})) << "a wider route overlaps too";
  EXPECT_FALSE(hydra_link_name("hydrax"));
  EXPECT_FALSE(hydra_link_name("hup-h"));
  EXPECT_TRUE(hydra_link_name("hup-h12"));
}

TEST(AddressPlan, IsolatedSessionsLiveInANamespaceUnderRunDir) {
  SessionSettings s;
  s.run_dir = "/run/hydra/sessions";
  auto iso = session_net(s, 4, NetworkMode::kIsolated);
  EXPECT_TRUE(iso.isolated);
  EXPECT_EQ(iso.netns, "/run/hydra/sessions/netns/h4");
  auto shared = session_net(s, 4, NetworkMode::kShared);
  EXPECT_FALSE(shared.isolated);
  EXPECT_EQ(shared.netns, "");
  EXPECT_EQ(network_mode_from("isolated"), NetworkMode::kIsolated);
  EXPECT_FALSE(network_mode_from("Isolated"));
  EXPECT_STREQ(network_mode_name(NetworkMode::kShared), "shared");
}

TEST(UplinkFirewall, EgressEntriesAreCheckedAndNamed) {
  auto p = parse_egress({"169.254.0.0/16", "sandbox", "10.9.9.9"}, {"169.254.169.123"});
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->deny_sandbox);
  ASSERT_EQ(p->deny.size(), 2u);
  EXPECT_EQ(p->deny[1].text(), "10.9.9.9/32") << "a bare address is a /32";
  EXPECT_EQ(p->allow[0].text(), "169.254.169.123/32");
  auto bad = parse_egress({"10.0.0.0/8", "nonsense"}, {});
  ASSERT_FALSE(bad);
  EXPECT_TRUE(has(bad.error().message, "egress_deny: \"nonsense/32\"")) << bad.error().message;
  EXPECT_FALSE(parse_egress({}, {"sandbox"})) << "sandbox is a deny word only";
}

TEST(UplinkFirewall, TheTableHoldsThePolicy) {
  AddressPlan plan;
  auto egress = *parse_egress({"169.254.0.0/16", "sandbox"}, {"169.254.169.123"});
  std::string t = hydra_table_script(plan, egress, {"docker0", "br-main"});
  EXPECT_EQ(t.rfind("add table inet hydra\ndelete table inet hydra\ntable inet hydra {", 0), 0u)
      << "replaced in one transaction";
  EXPECT_TRUE(has(t, "elements = { 169.254.0.0/16 }"));
  EXPECT_TRUE(has(t, "egress_allow { type ipv4_addr; flags interval; auto-merge; elements = { 169.254.169.123/32 }"));
  EXPECT_TRUE(has(t, "iifname \"hup-h*\" iifname . ip daddr @uplink_gateways accept")) << "its own gateway only";
  EXPECT_TRUE(has(t, "iifname \"hup-h*\" fib daddr type local counter drop")) << "the sandbox's addresses";
  EXPECT_TRUE(has(t, "oifname \"hup-h*\" ct state established,related accept"));
  EXPECT_TRUE(has(t, "oifname \"hup-h*\" counter drop")) << "nothing opens a connection into a session";
  EXPECT_TRUE(has(t, "ip daddr { 10.200.0.0/16, 10.112.0.0/12, 10.201.0.0/16 } counter drop"));
  EXPECT_TRUE(has(t, "oifname \"docker0\" counter drop"));
  EXPECT_TRUE(has(t, "oifname \"br-main\" counter drop"));
  EXPECT_TRUE(has(t, "ip saddr 10.201.0.0/16 oifname != \"hup-h*\" masquerade"));
  // The allow exception comes before the deny it punches a hole in.
  EXPECT_LT(t.find("ip daddr @egress_allow accept", t.find("chain forward")),
            t.find("ip daddr @egress_deny counter drop", t.find("chain forward")));
  auto no_sandbox = hydra_table_script(plan, *parse_egress({"169.254.0.0/16"}, {}), {"docker0"});
  EXPECT_FALSE(has(no_sandbox, "fib daddr type local")) << "without \"sandbox\" the sandbox is reachable";
  EXPECT_TRUE(has(no_sandbox, "set egress_allow { type ipv4_addr; flags interval; auto-merge; }"));

  auto n = session_net(plan, 2);
  EXPECT_EQ(uplink_element(n), "\"hup-h2\" . 10.201.0.4");
  EXPECT_EQ(uplink_docker_user_rules(n), (std::vector<std::string>{"iifname \"hup-h2\"", "oifname \"hup-h2\""}));
  EXPECT_EQ(uplink_rule_comment(n), "hydra uplink hup-h2");
}
