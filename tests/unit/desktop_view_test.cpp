// SPDX-License-Identifier: Apache-2.0
// What a bridged desktop sees of its session — names, forwarded ports, its
// resolv.conf, the session's dnsmasq — computed without root or Docker.
#include <gtest/gtest.h>

#include "docker/container_networking.hpp"
#include "session/desktop/desktop_view.hpp"
#include "session/desktop/session_dns.hpp"

using namespace hydra;
using namespace hydra::session;
using nlohmann::json;

namespace {

// The parts of a real `docker inspect` (dockerd 20.10) that matter here.
const char* kWebInspect = R"({
  "Id": "d4925d87fcea0c1d", "Name": "/web",
  "State": {"Running": true, "Pid": 4242},
  "Config": {"Labels": {"com.docker.compose.service": "webapp", "other": "x"}},
  "NetworkSettings": {
    "Ports": {"8080/tcp": [{"HostIp": "0.0.0.0", "HostPort": "3000"}, {"HostIp": "::", "HostPort": "3000"}],
              "53/udp": [{"HostIp": "10.200.1.1", "HostPort": "5353"}], "9000/tcp": null},
    "Networks": {"appnet": {"IPAddress": "10.112.0.2", "GlobalIPv6Address": "fd00::2", "Aliases": ["d4925d87fcea", "web"]}}
  }})";

bool has(const std::vector<NameRecord>& names, const std::string& name, const std::string& addr) {
  for (const auto& n : names)
    if (n.name == name && n.address == addr) return true;
  return false;
}

}  // namespace

TEST(ContainerNetworking, DecodesNamesAddressesAndPorts) {
  auto c = docker::decode_container_networking(json::parse(kWebInspect));
  ASSERT_TRUE(c) << c.error().text();
  EXPECT_EQ(c->name, "web");
  EXPECT_EQ(c->compose_service, "webapp");
  EXPECT_TRUE(c->running);
  ASSERT_EQ(c->networks.size(), 1u);
  EXPECT_EQ(c->networks[0].ipv6, "fd00::2");
  ASSERT_EQ(c->ports.size(), 2u) << "0.0.0.0 and :: bind port 3000 once; an unpublished port is none";
  EXPECT_EQ(c->ports[0], (docker::PublishedPort{"udp", 5353}));
  EXPECT_EQ(c->ports[1], (docker::PublishedPort{"tcp", 3000}));
  EXPECT_FALSE(docker::decode_container_networking(json::parse(R"({"NetworkSettings":{"Networks":{"x":5}}})")));
  EXPECT_FALSE(docker::decode_container_networking(json::array()));
  auto bare = docker::decode_container_networking(json::parse(R"({"Name":"/x","NetworkSettings":{"Ports":{"1/tcp":[{"HostPort":"99999"}]}}})"));
  ASSERT_TRUE(bare);
  EXPECT_TRUE(bare->ports.empty()) << "a port out of range is ignored";
}

TEST(DesktopView, EveryNameOnEveryNetworkAndEachPortOnce) {
  auto web = *docker::decode_container_networking(json::parse(kWebInspect));
  docker::ContainerNetworking db;
  db.name = "db";
  db.running = true;
  db.networks = {{"appnet", "10.112.0.3", "", {"database"}}, {"bridge", "10.200.1.3", "", {}}};
  db.ports = {{"tcp", 3000}};  // lost the race for 3000: web holds it (listed first)
  docker::ContainerNetworking stopped;
  stopped.name = "old";
  stopped.networks = {{"appnet", "10.112.0.9", "", {}}};
  docker::ContainerNetworking odd;
  odd.name = "bad name!";
  odd.running = true;
  odd.networks = {{"appnet", "10.112.0.7", "", {"fine"}}};
  auto v = desktop_view({web, db, stopped, odd});
  for (auto [name, addr] : std::vector<std::pair<std::string, std::string>>{
           {"web", "10.112.0.2"}, {"web", "fd00::2"}, {"web.appnet", "10.112.0.2"}, {"webapp", "10.112.0.2"},
           {"webapp.appnet", "10.112.0.2"}, {"db", "10.112.0.3"}, {"db", "10.200.1.3"}, {"database", "10.112.0.3"},
           {"database.appnet", "10.112.0.3"}, {"db.bridge", "10.200.1.3"}, {"fine", "10.112.0.7"}})
    EXPECT_TRUE(has(v.names, name, addr)) << name << " " << addr;
  EXPECT_FALSE(has(v.names, "old", "10.112.0.9")) << "a stopped container has no name";
  EXPECT_FALSE(has(v.names, "bad name!", "10.112.0.7")) << "not a DNS name";
  EXPECT_FALSE(has(v.names, "database", "10.200.1.3")) << "an alias belongs to its network";
  ASSERT_EQ(v.ports.size(), 2u);
  EXPECT_EQ(v.ports[0], (ForwardedPort{"tcp", 3000, "web"}));
  EXPECT_EQ(v.ports[1], (ForwardedPort{"udp", 5353, "web"}));
  std::string hosts = hosts_file(v);
  EXPECT_NE(hosts.find("\n10.112.0.3 database database.appnet db db.appnet\n"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("\nfd00::2 "), std::string::npos) << hosts;
  // Dotted names are answered by the session's resolver alone; bare ones are all local anyway.
  std::string local = local_names_file(v);
  for (const char* want : {"\nserver=/web.appnet/\n", "\nserver=/database.appnet/\n", "\nserver=/db.bridge/\n"})
    EXPECT_NE(local.find(want), std::string::npos) << want << " in " << local;
  EXPECT_EQ(local.find("server=/web/"), std::string::npos) << local;
  EXPECT_EQ(local.find("server=/database/"), std::string::npos) << local;
  EXPECT_EQ(desktop_view({web, db}), desktop_view({web, db})) << "deterministic: unchanged views compare equal";
}

TEST(DesktopView, TheDesktopsOwnListenersAreFound) {
  const std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100007F:0BB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
      "   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
      "   2: FE01C80A:2328 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 3 1\n"
      "   3: 0100007F:0BB8 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4 1\n";
  EXPECT_EQ(listening_ports(tcp, "tcp"), (std::set<uint16_t>{3001, 8080}))
      << "loopback and wildcard listeners; not one on eth1's address, not a connection";
  const std::string tcp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000001000000:0050 00000000000000000000000000000000:0000 0A\n"
      "   1: 0000000000000000FFFF00000100007F:0051 00000000000000000000000000000000:0000 0A\n";
  EXPECT_EQ(listening_ports(tcp6, "tcp"), (std::set<uint16_t>{80, 81}));
  const std::string udp = "  sl  local_address rem_address   st\n   0: 00000000:14E9 00000000:0000 07\n";
  EXPECT_EQ(listening_ports(udp, "udp"), (std::set<uint16_t>{5353}));
  EXPECT_TRUE(listening_ports("garbage\n1: x y z\n\n", "tcp").empty());
}

TEST(DesktopView, TheDesktopsNatTable) {
  auto s = desktop_nat_script(session_net(2), {{"tcp", 3000, "web"}, {"udp", 5353, "dns"}});
  EXPECT_EQ(s.rfind("add table ip hydra_desktop\ndelete table ip hydra_desktop\n", 0), 0u) << "one transaction";
  EXPECT_NE(s.find("ip daddr 127.0.0.1 tcp dport 3000 dnat to 10.200.2.1:3000"), std::string::npos) << s;
  EXPECT_NE(s.find("ip daddr 127.0.0.1 udp dport 5353 dnat to 10.200.2.1:5353"), std::string::npos) << s;
  EXPECT_NE(s.find("oifname \"eth1\" ip saddr 127.0.0.0/8 snat to 10.200.2.254"), std::string::npos) << s;
  EXPECT_EQ(desktop_nat_script(session_net(2), {}).find("dnat"), std::string::npos);
}

TEST(SessionDns, UpstreamsArgvAndResolvConf) {
  EXPECT_EQ(upstream_resolvers("# c\nsearch x\nnameserver 127.0.0.11\nnameserver 192.0.2.1\nnameserver ::1\n"
                               "nameserver 2001:db8::53\nnameserver bogus\nnameserver\noptions ndots:0\n"),
            (std::vector<std::string>{"192.0.2.1", "2001:db8::53"}));
  auto paths = dns_paths("/run/hydra/sessions", 3);
  EXPECT_EQ(paths.hosts_file, "/run/hydra/sessions/dns/h3/containers");
  auto argv = dnsmasq_argv("/usr/sbin/dnsmasq", session_net(3), paths, {"192.0.2.1"});
  for (const char* want : {"--listen-address=10.200.3.1", "--bind-interfaces", "--no-resolv", "--no-hosts",
                           "--conf-file=/dev/null", "--addn-hosts=/run/hydra/sessions/dns/h3/containers",
                           "--server=192.0.2.1", "--keep-in-foreground", "--local=//",
                           "--servers-file=/run/hydra/sessions/dns/h3/local-names"})
    EXPECT_NE(std::find(argv.begin(), argv.end(), want), argv.end()) << want;
  const std::string original = "search corp\nnameserver 10.0.0.2\nnameserver 10.200.3.1\noptions ndots:0\n";
  EXPECT_EQ(resolv_with_gateway(original, "10.200.3.1"),
            "# hydrad: the session's resolver first (its containers by name); unbridge restores this file\n"
            "nameserver 10.200.3.1\nsearch corp\nnameserver 10.0.0.2\noptions ndots:0\n");
}
