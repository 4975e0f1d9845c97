// SPDX-License-Identifier: Apache-2.0
// The sandbox world of the guard tests, built with ip(8) in namespaces the
// test owns: docker0 (fixed MAC, IPv4 + IPv6, non-default options) with
// `containers` veth ports whose peers are eth0 in container namespaces; the
// sandbox's own eth0 (a masterless veth with an address, peer in "up"); a
// hydra1 bridge with a vethb-h1 port; a stray masterless veth.
#pragma once

#include <algorithm>
#include <cstdio>

#include <nlohmann/json.hpp>
#include <memory>
#include <string>
#include <vector>

#include "netns_fixture.hpp"

namespace hydra::test {

inline std::string capture(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

struct SandboxWorld {
  TestNetns sbx{"sbx"};
  TestNetns up{"up"};
  std::vector<std::unique_ptr<TestNetns>> containers;
  bool ok = false;

  explicit SandboxWorld(int n_containers = 3) {
    if (!sbx.ok() || !up.ok()) return;
    bool good = sbx.ip("link add docker0 address 02:42:0a:d5:00:01 type bridge ageing_time 12000 priority 4096 "
                       "group_fwd_mask 0x4000") == 0 &&
                sbx.ip("link set docker0 mtu 1400") == 0 &&  // set after creation: sticks
                sbx.ip("addr add 10.213.0.1/24 broadcast 10.213.0.255 dev docker0") == 0 &&
                sbx.ip("addr add fd00:d0c::1/64 dev docker0 nodad") == 0 && sbx.ip("link set docker0 up") == 0;
    for (int i = 0; good && i < n_containers; ++i) {
      auto c = std::make_unique<TestNetns>("c" + std::to_string(i));
      std::string port = "vethc" + std::to_string(i);
      std::string ip4 = "10.213.0." + std::to_string(10 + i);
      good = c->ok() && sbx.ip("link add " + port + " mtu 1400 type veth peer name eth0 mtu 1400 netns " + c->name()) == 0 &&
             sbx.ip("link set " + port + " master docker0 up") == 0 &&
             c->ip("addr add " + ip4 + "/24 dev eth0") == 0 && c->ip("link set eth0 up") == 0 &&
             c->ip("route add default via 10.213.0.1") == 0;
      containers.push_back(std::move(c));
    }
    good = good && sbx.ip("link set vethc0 type bridge_slave hairpin on learning off") == 0 &&
           sbx.ip("link add eth0 type veth peer name uplink netns " + up.name()) == 0 &&
           sbx.ip("addr add 192.0.2.2/24 dev eth0") == 0 && sbx.ip("link set eth0 up") == 0 &&
           up.ip("link set uplink up") == 0 && sbx.ip("link add hydra1 type bridge") == 0 &&
           sbx.ip("addr add 10.200.1.1/24 dev hydra1") == 0 && sbx.ip("link set hydra1 up") == 0 &&
           sbx.ip("link add vethb-h1 type veth peer name vethb-peer") == 0 &&
           sbx.ip("link set vethb-h1 master hydra1 up") == 0 &&
           sbx.ip("link add vethstray type veth peer name vethstray-p") == 0 && sbx.ip("link set vethstray up") == 0;
    ok = good;
  }

  // `ip -d -j link show` of one device in the sandbox, as JSON.
  [[nodiscard]] nlohmann::json link(const std::string& name) const {
    auto j = nlohmann::json::parse(capture("ip -n " + sbx.name() + " -d -j link show dev " + name + " 2>/dev/null"),
                                   nullptr, false);
    if (j.is_discarded() || !j.is_array() || j.empty()) return nullptr;
    return j[0];
  }
  [[nodiscard]] std::string master_of(const std::string& name) const {
    auto l = link(name);
    return l.is_null() ? "?" : l.value("master", "");
  }
  [[nodiscard]] std::vector<std::string> ports_of(const std::string& bridge) const {
    auto j = nlohmann::json::parse(capture("ip -n " + sbx.name() + " -j link show master " + bridge + " 2>/dev/null"),
                                   nullptr, false);
    std::vector<std::string> out;
    if (j.is_array())
      for (const auto& l : j) out.push_back(l["ifname"]);
    std::sort(out.begin(), out.end());
    return out;
  }
  [[nodiscard]] std::vector<std::string> addresses(const std::string& dev) const {
    auto j = nlohmann::json::parse(capture("ip -n " + sbx.name() + " -j addr show dev " + dev + " 2>/dev/null"),
                                   nullptr, false);
    std::vector<std::string> out;
    if (j.is_array() && !j.empty())
      for (const auto& a : j[0]["addr_info"])
        if (a["scope"] != "link") out.push_back(a["local"].get<std::string>() + "/" + std::to_string(a["prefixlen"].get<int>()));
    std::sort(out.begin(), out.end());
    return out;
  }
};

}  // namespace hydra::test
