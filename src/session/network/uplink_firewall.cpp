// SPDX-License-Identifier: Apache-2.0
#include "session/network/uplink_firewall.hpp"

#include "session/network/nft_runner.hpp"

namespace hydra::session {

namespace {

constexpr const char* kUplinks = "\"hup-h*\"";

std::string set_elements(const std::vector<Ipv4Net>& nets) {
  if (nets.empty()) return "";
  std::string out = " elements = { ";
  for (size_t i = 0; i < nets.size(); ++i) out += (i ? ", " : "") + nets[i].text();
  return out + " };";
}

Result<Ipv4Net> parse_entry(const std::string& key, const std::string& entry) {
  auto net = Ipv4Net::parse(entry.find('/') == std::string::npos ? entry + "/32" : entry);
  if (!net) return make_error(key + ": " + net.error().message, EINVAL);
  return net;
}

}  // namespace

Result<EgressPolicy> parse_egress(const std::vector<std::string>& deny, const std::vector<std::string>& allow) {
  EgressPolicy p;
  for (const auto& d : deny) {
    if (d == "sandbox") {
      p.deny_sandbox = true;
      continue;
    }
    auto net = parse_entry("egress_deny", d);
    if (!net) return net.error();
    p.deny.push_back(*net);
  }
  for (const auto& a : allow) {
    auto net = parse_entry("egress_allow", a);
    if (!net) return net.error();
    p.allow.push_back(*net);
  }
  return p;
}

std::string hydra_table_script(const AddressPlan& plan, const EgressPolicy& egress,
                               const std::vector<std::string>& sandbox_bridges) {
  const std::string in = std::string("iifname ") + kUplinks + " ";
  const std::string plan_ranges = "{ " + plan.bridges.text() + ", " + plan.pools.text() + ", " + plan.uplinks.text() + " }";
  std::string s;
  // "add" first so the delete never fails: the replacement is one transaction.
  s += std::string("add table ") + kHydraTable + "\ndelete table " + kHydraTable + "\n";
  s += std::string("table ") + kHydraTable + " {\n";
  s += "  set uplink_gateways { type ifname . ipv4_addr; }\n";
  s += "  set egress_deny { type ipv4_addr; flags interval; auto-merge;" + set_elements(egress.deny) + " }\n";
  s += "  set egress_allow { type ipv4_addr; flags interval; auto-merge;" + set_elements(egress.allow) + " }\n";
  s += "  chain input {\n    type filter hook input priority filter - 10; policy accept;\n";
  s += "    " + in + "iifname . ip daddr @uplink_gateways accept\n";
  s += "    " + in + "ip daddr @egress_allow accept\n";
  if (egress.deny_sandbox) s += "    " + in + "fib daddr type local counter drop comment \"egress_deny sandbox\"\n";
  s += "    " + in + "ip daddr @egress_deny counter drop comment \"egress_deny\"\n";
  s += "    " + in + "meta nfproto ipv6 counter drop\n  }\n";
  s += "  chain forward {\n    type filter hook forward priority filter - 10; policy accept;\n";
  s += std::string("    oifname ") + kUplinks + " ct state established,related accept\n";
  s += std::string("    oifname ") + kUplinks + " counter drop comment \"nothing outside a session opens a connection into it\"\n";
  s += "    " + in + "ip daddr " + plan_ranges + " counter drop comment \"no session reaches another\"\n";
  for (const auto& b : sandbox_bridges)
    s.append("    ").append(in).append("oifname \"").append(b).append("\" counter drop comment \"the sandbox's containers\"\n");
  for (const char* other : {"br-*", "hydra*"})
    s += "    " + in + "oifname \"" + other + "\" counter drop comment \"other Docker networks\"\n";
  s += "    " + in + "ip daddr @egress_allow accept\n";
  s += "    " + in + "ip daddr @egress_deny counter drop comment \"egress_deny\"\n";
  s += "    " + in + "meta nfproto ipv6 counter drop\n  }\n";
  s += "  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  s += "    ip saddr " + plan.uplinks.text() + " oifname != " + kUplinks + " masquerade\n  }\n";
  s += "}\n";
  return s;
}

std::string uplink_element(const SessionNet& net) { return "\"" + net.uplink + "\" . " + net.uplink_gateway; }

std::string uplink_rule_comment(const SessionNet& net) { return "hydra uplink " + net.uplink; }

std::vector<std::string> uplink_docker_user_rules(const SessionNet& net) {
  return {"iifname \"" + net.uplink + "\"", "oifname \"" + net.uplink + "\""};
}

Status install_hydra_table(const std::string& script) {
  if (auto r = NftRunner().run(script); !r) return r.error();
  return {};
}

Status open_uplink(const SessionNet& net) {
  std::string cmd = std::string("add element ") + kHydraTable + " uplink_gateways { " + uplink_element(net) + " }";
  if (auto r = NftRunner().run(cmd); !r) return make_error("open uplink " + net.uplink + ": " + r.error().message, EIO);
  if (auto r = put_docker_user_rules(uplink_rule_comment(net), uplink_docker_user_rules(net)); !r)
    return make_error("open uplink " + net.uplink + ": " + r.error().message, EIO);
  return {};
}

bool uplink_open(const SessionNet& net) {
  return NftRunner()
      .run(std::string("get element ") + kHydraTable + " uplink_gateways { " + uplink_element(net) + " }")
      .ok();
}

bool hydra_table_present() { return NftRunner().run(std::string("list table ") + kHydraTable).ok(); }

Result<std::string> repair_uplink(const SessionNet& net) {
  if (!uplink_open(net)) {
    if (auto st = open_uplink(net); !st) return st.error();
    return std::string("its set element and DOCKER-USER rules");
  }
  if (docker_user_rules_missing(uplink_rule_comment(net))) {
    if (auto r = put_docker_user_rules(uplink_rule_comment(net), uplink_docker_user_rules(net)); !r) return r.error();
    return std::string("its DOCKER-USER rules");
  }
  return std::string();
}

Status close_uplink(const SessionNet& net) {
  if (uplink_open(net)) {
    std::string cmd = std::string("delete element ") + kHydraTable + " uplink_gateways { " + uplink_element(net) + " }";
    if (auto r = NftRunner().run(cmd); !r) return make_error("close uplink " + net.uplink + ": " + r.error().message, EIO);
  }
  return remove_docker_user_rules(uplink_rule_comment(net));
}

}  // namespace hydra::session
