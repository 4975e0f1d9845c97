// SPDX-License-Identifier: Apache-2.0
// The traffic benchmarks' world: a sandbox with docker0 (fixed MAC,
// 10.213.0.1/24) and three container namespaces on it, the sandbox's eth0 to
// an "upstream" namespace (192.0.2.1), forwarding and masquerading in the
// sandbox as dockerd sets them up. Built with ip(8)/iptables (fixture code).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <memory>

#include "bench_world.hpp"

namespace hydra::bench {

struct TrafficWorld {
  Netns sbx{"tsbx"};
  Netns up{"tup"};
  std::vector<std::unique_ptr<Netns>> containers;
  bool ok = false;

  TrafficWorld() {
    std::string s = "ip -n " + sbx.name() + " ";
    bool good = sbx.ok() && up.ok() && sh(s + "link add docker0 address 02:42:0a:d5:00:01 type bridge") == 0 &&
                sh(s + "addr add 10.213.0.1/24 dev docker0") == 0 && sh(s + "link set docker0 up") == 0 &&
                sh(s + "link add eth0 type veth peer name uplink netns " + up.name()) == 0 &&
                sh(s + "addr add 192.0.2.2/24 dev eth0") == 0 && sh(s + "link set eth0 up") == 0 &&
                sh("ip -n " + up.name() + " addr add 192.0.2.1/24 dev uplink") == 0 &&
                sh("ip -n " + up.name() + " link set uplink up") == 0 &&
                sh("ip netns exec " + sbx.name() + " sysctl -qw net.ipv4.ip_forward=1") == 0 &&
                sh("ip netns exec " + sbx.name() +
                   " iptables -t nat -A POSTROUTING -s 10.213.0.0/24 -o eth0 -j MASQUERADE") == 0;
    for (int i = 0; good && i < 3; ++i) {
      auto c = std::make_unique<Netns>("tc" + std::to_string(i));
      std::string port = "vethc" + std::to_string(i);
      good = c->ok() && sh(s + "link add " + port + " type veth peer name eth0 netns " + c->name()) == 0 &&
             sh(s + "link set " + port + " master docker0 up") == 0 &&
             sh("ip -n " + c->name() + " addr add 10.213.0." + std::to_string(2 + i) + "/24 dev eth0") == 0 &&
             sh("ip -n " + c->name() + " link set eth0 up") == 0 &&
             sh("ip -n " + c->name() + " route add default via 10.213.0.1") == 0;
      containers.push_back(std::move(c));
    }
    ok = good;
  }
};

inline sockaddr_in inet(const char* ip, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

}  // namespace hydra::bench
