// SPDX-License-Identifier: Apache-2.0
// The desktop using a session like its own machine: container names resolve
// (the session's dnsmasq, first in the desktop's resolv.conf) and published
// ports answer on the desktop's localhost — in both session networks, with
// Debian's real dockerd and dnsmasq, inside the test's namespaces.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iostream>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

#define HYDRA_REQUIRE_DOCKERD_AND_DNSMASQ()                                                          \
  do {                                                                                               \
    HYDRA_REQUIRE_ROOT();                                                                            \
    if (access("/usr/sbin/dockerd", X_OK) != 0 || access("/usr/sbin/dnsmasq", X_OK) != 0) {          \
      if (std::getenv("CI")) FAIL() << "dockerd or dnsmasq missing: make test installs them";        \
      GTEST_SKIP() << "needs Debian's docker.io and dnsmasq-base; skipped on this machine";          \
    }                                                                                                \
  } while (0)

class DesktopE2E : public ::testing::TestWithParam<const char*> {};

// What `nslookup NAME` in the desktop answers (its resolv.conf's first server).
std::string lookup(DockerWorld& w, const std::string& name) {
  return w.docker(w.main_socket(), "exec desktop nslookup " + name);
}

bool resolves_to(DockerWorld& w, const std::string& name, const std::string& ip) {
  std::string out = lookup(w, name);
  auto answer = out.find("Name:");  // the server's own address comes first
  return answer != std::string::npos && out.find(ip, answer) != std::string::npos;
}

std::string fetch(DockerWorld& w, const std::string& url) {
  return w.docker(w.main_socket(), "exec desktop timeout 5 wget -q -O - " + url);
}

std::string desktop_pid(DockerWorld& w) { return w.docker(w.main_socket(), "inspect -f '{{.State.Pid}}' desktop"); }

std::string desktop_nft(DockerWorld& w) {
  return capture("nsenter --net=/proc/" + desktop_pid(w) + "/ns/net nft -s list ruleset");
}

}  // namespace

TEST_P(DesktopE2E, NamesResolveAndPublishedPortsAnswerOnLocalhost) {
  HYDRA_REQUIRE_DOCKERD_AND_DNSMASQ();
  DockerWorld w(true, std::string("network = \"") + GetParam() + "\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  ASSERT_EQ(status, 201) << body;
  const std::string sock = json::parse(body)["docker_socket"];
  ASSERT_TRUE(w.import_busybox(sock));
  ASSERT_EQ(w.docker_rc(sock, "network create appnet"), 0);
  ASSERT_EQ(w.docker_rc(sock, "run -d --init --name web --network appnet -p 3000:8080 --label "
                              "com.docker.compose.service=webapp busybox:hydra sh -c 'echo web-says-hello > "
                              "/index.html && exec httpd -f -p 8080 -h /'"),
            0);
  ASSERT_EQ(w.docker_rc(sock, "run -d --init --name db --network appnet --network-alias database busybox:hydra "
                              "sleep 100000"),
            0);
  auto ip = [&](const std::string& c) {
    return w.docker(sock, "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + c);
  };
  const std::string web = ip("web");
  std::string db = ip("db");
  // The desktop listens on 3001 itself: a session port there must not shadow it.
  ASSERT_EQ(w.docker_rc(w.main_socket(), "exec desktop sh -c 'echo desktop-own > /own.html'"), 0);
  ASSERT_EQ(w.docker_rc(w.main_socket(), "exec -d desktop httpd -f -p 127.0.0.1:3001 -h /"), 0);
  const std::string resolv_before = w.docker(w.main_socket(), "exec desktop cat /etc/resolv.conf");
  const std::string nft_before = desktop_nft(w);

  const char* bridge = R"({"session_id":"s1","desktop_container_id":"desktop"})";
  auto [bstatus, bbody] = w.api("POST", "/api/v1/bridge-desktop", bridge);
  ASSERT_EQ(bstatus, 200) << bbody;
  std::string resolv = w.docker(w.main_socket(), "exec desktop cat /etc/resolv.conf");
  EXPECT_NE(resolv.find("nameserver 10.200.1.1\n"), std::string::npos) << resolv;
  EXPECT_LT(resolv.find("nameserver 10.200.1.1"), resolv.find("nameserver", resolv.find("10.200.1.1") + 1))
      << "the session's resolver comes first";

  for (const auto& [name, want] : std::vector<std::pair<std::string, std::string>>{
           {"web", web}, {"db", db}, {"database", db}, {"web.appnet", web}, {"database.appnet", db}, {"webapp", web},
           {"outside.test", "192.0.2.77"}})
    EXPECT_TRUE(wait_until([&] { return resolves_to(w, name, want); }, 10000, 50))
        << name << " should be " << want << ":\n" << lookup(w, name);
  EXPECT_TRUE(wait_until([&] { return fetch(w, "http://127.0.0.1:3000/index.html") == "web-says-hello"; }, 10000, 50))
      << fetch(w, "http://127.0.0.1:3000/index.html");

  // A second web publishing 3001: the desktop's own listener keeps it.
  ASSERT_EQ(w.docker_rc(sock, "run -d --init --name web2 -p 3001:8080 busybox:hydra httpd -f -p 8080 -h /"), 0);
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "desktop_port_skipped" && e["port"] == 3001; },
                                 10000));
  EXPECT_EQ(fetch(w, "http://127.0.0.1:3001/own.html"), "desktop-own");

  // Shown: the API, hydractl, the topology.
  auto inst = json::parse(w.api("GET", "/api/v1/docker-instances/session/s1").second);
  const auto& d = inst["desktop"];
  EXPECT_EQ(d["resolver"], "10.200.1.1");
  bool named = false;
  for (const auto& n : d["names"]) named |= n["name"] == "database" && n["address"] == db;
  EXPECT_TRUE(named) << d.dump();
  ASSERT_EQ(d["forwarded_ports"].size(), 1u) << d.dump();
  EXPECT_EQ(d["forwarded_ports"][0]["port"], 3000);
  EXPECT_EQ(d["forwarded_ports"][0]["container"], "web");
  ASSERT_EQ(d["skipped_ports"].size(), 1u) << d.dump();
  EXPECT_EQ(d["skipped_ports"][0]["port"], 3001);
  const std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket();
  const std::string shown = capture(ctl + " session inspect s1");
  EXPECT_NE(shown.find("localhost:3000/tcp → web"), std::string::npos) << shown;
  EXPECT_NE(shown.find("database → " + db), std::string::npos) << shown;
  const std::string topo = capture(w.in_sbx(ctl + " topology --docker-socket " + w.main_socket()));
  EXPECT_NE(topo.find("[desktop link; localhost:3000/tcp → web]"), std::string::npos) << topo;
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "desktop_port_forwarded"; }, 10000));

  // hydra1 keeps the MAC it was given when a port with a smaller one joins:
  // a bridge without its own takes its smallest port's, and the desktop's
  // cached neighbour for the gateway goes stale under it.
  const std::string in_bridge_ns = std::string(GetParam()) == "isolated"
                                       ? "nsenter --net=" + w.dir + "/run/netns/h1 "
                                       : w.in_sbx("");
  const std::string gateway_mac = trim(capture(in_bridge_ns + "ip -br link show hydra1 | awk '{print $3}'"));
  ASSERT_EQ(gateway_mac.size(), 17u) << gateway_mac;
  ASSERT_EQ(system((in_bridge_ns + "ip link add hyt-lowmac address 02:00:00:00:00:01 type veth peer name hyt-lowmac-p && " +
                    in_bridge_ns + "ip link set hyt-lowmac master hydra1 up").c_str()),
            0);
  EXPECT_EQ(trim(capture(in_bridge_ns + "ip -br link show hydra1 | awk '{print $3}'")), gateway_mac);
  EXPECT_TRUE(resolves_to(w, "web", ip("web")));
  ASSERT_EQ(system((in_bridge_ns + "ip link del hyt-lowmac").c_str()), 0);

  // hydrad crashes, and db stops meanwhile: the next hydrad adopts the
  // session, restarts its resolver and resyncs from a full list.
  w.hydrad->stop(SIGKILL);
  ASSERT_EQ(w.docker_rc(sock, "stop -t 1 db"), 0);
  ASSERT_TRUE(w.hydrad->start());
  EXPECT_TRUE(wait_until([&] { return !resolves_to(w, "db", db); }, 10000, 50)) << lookup(w, "db");
  EXPECT_EQ(fetch(w, "http://127.0.0.1:3000/index.html"), "web-says-hello");
  ASSERT_EQ(w.docker_rc(sock, "start db"), 0);
  db = ip("db");
  EXPECT_TRUE(wait_until([&] { return resolves_to(w, "database", db); }, 10000, 50)) << "followed again";

  // web stops: its name and its port go (event-driven: well within the deadline).
  ASSERT_EQ(w.docker_rc(sock, "stop -t 1 web"), 0);
  EXPECT_TRUE(wait_until([&] { return !resolves_to(w, "web", web); }, 5000, 20)) << lookup(w, "web");
  EXPECT_TRUE(wait_until([&] { return fetch(w, "http://127.0.0.1:3000/index.html") != "web-says-hello"; }, 5000, 20));
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "desktop_port_removed" && e["port"] == 3000; },
                                 5000));
  EXPECT_TRUE(resolves_to(w, "database", db)) << "the others stay";

  // Unbridge: resolv.conf and the desktop's nftables exactly as before.
  ASSERT_EQ(w.api("DELETE", "/api/v1/bridge-desktop/session/s1").first, 200);
  EXPECT_EQ(w.docker(w.main_socket(), "exec desktop cat /etc/resolv.conf"), resolv_before);
  EXPECT_EQ(desktop_nft(w), nft_before);
  // Bridged again: applied again; the session deleted: restored again.
  ASSERT_EQ(w.api("POST", "/api/v1/bridge-desktop", bridge).first, 200);
  EXPECT_NE(w.docker(w.main_socket(), "exec desktop cat /etc/resolv.conf").find("nameserver 10.200.1.1"),
            std::string::npos);
  EXPECT_TRUE(wait_until([&] { return resolves_to(w, "db", db); }, 10000, 50));
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);
  EXPECT_EQ(w.docker(w.main_socket(), "exec desktop cat /etc/resolv.conf"), resolv_before);
  EXPECT_EQ(desktop_nft(w), nft_before);
  EXPECT_TRUE(capture("pgrep -f '^/usr/sbin/dnsmasq .*" + w.dir + "/run/dns'").empty()) << "the session's dnsmasq stopped";
}

// Every name the session's resolver serves is answered by it alone, for every
// query type, over UDP and TCP: an upstream that never answers (and counts
// what reaches it) sees none of them, and a working one still answers the rest.
TEST_P(DesktopE2E, OwnedNamesAreNeverAskedUpstream) {
  HYDRA_REQUIRE_DOCKERD_AND_DNSMASQ();
  if (access("/usr/bin/dig", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "dig missing: make test installs bind9-dnsutils";
    GTEST_SKIP() << "needs dig (bind9-dnsutils); skipped on this machine";
  }
  DockerWorld w(true, std::string("network = \"") + GetParam() + "\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  // 192.0.2.3 drops every DNS query and counts it; it comes first in the
  // sandbox's resolv.conf, before the upstream that knows outside.test.
  ASSERT_EQ(w.up.ip("addr add 192.0.2.3/24 dev uplink"), 0);
  const std::string in_up = "nsenter --net=" + w.up.path() + " ";
  std::ofstream(w.dir + "/blackhole.nft") << "table inet blackhole {\n chain input {\n  type filter hook input priority 0;\n"
                                              "  ip daddr 192.0.2.3 udp dport 53 counter drop\n"
                                              "  ip daddr 192.0.2.3 tcp dport 53 counter drop\n }\n}\n";
  ASSERT_EQ(sh(in_up + "nft -f " + w.dir + "/blackhole.nft"), 0);
  auto asked_upstream = [&] {  // the packets its two counters saw
    std::string rules = capture(in_up + "nft list table inet blackhole");
    long total = 0;
    for (size_t at = rules.find("packets "); at != std::string::npos; at = rules.find("packets ", at + 8))
      total += std::atol(rules.c_str() + at + 8);
    return total;
  };
  std::ofstream(w.dir + "/resolv.conf") << "nameserver 192.0.2.3\nnameserver 192.0.2.1\n";

  auto [status, body] = w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  ASSERT_EQ(status, 201) << body;
  const std::string sock = json::parse(body)["docker_socket"];
  ASSERT_TRUE(w.import_busybox(sock));
  ASSERT_EQ(w.docker_rc(sock, "network create app"), 0);
  ASSERT_EQ(w.docker_rc(sock, "run -d --init --name web --network app --network-alias api.internal "
                              "--network-alias cache busybox:hydra sleep 100000"),
            0);
  auto [bstatus, bbody] = w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"s1","desktop_container_id":"desktop"})");
  ASSERT_EQ(bstatus, 200) << bbody;
  const std::string dig = "nsenter --net=/proc/" + desktop_pid(w) + "/ns/net dig @10.200.1.1 +time=1 +tries=1 ";
  ASSERT_TRUE(wait_until([&] { return capture(dig + "+short web.app").find('.') != std::string::npos; }, 10000, 50))
      << capture(dig + "web.app");
  ASSERT_EQ(asked_upstream(), 0) << "before any query";
  int slowest_ms = 0;

  for (const char* name : {"web", "web.app", "cache", "cache.app", "api.internal", "api.internal.app"})
    for (const char* type : {"A", "AAAA", "MX", "TXT", "ANY"})
      for (const char* transport : {"+notcp", "+tcp"}) {
        std::string out = capture(dig + transport + " -t " + type + " " + name);
        EXPECT_NE(out.find("status: NOERROR"), std::string::npos) << type << " " << name << " " << transport << ":\n" << out;
        // dig waits 1 s: an answer that had to wait for the upstream never comes.
        auto t = out.find(";; Query time: ");
        if (t != std::string::npos) slowest_ms = std::max(slowest_ms, std::atoi(out.c_str() + t + 15));
      }
  EXPECT_EQ(asked_upstream(), 0) << "the blackhole upstream was asked about a name the session owns";
  std::cout << "owned names: 60 queries, the slowest answered in " << slowest_ms << " ms\n";
  // A name of nobody's: NXDOMAIN at once, not forwarded.
  EXPECT_NE(capture(dig + "-t MX nosuchcontainer").find("status: NXDOMAIN"), std::string::npos);
  EXPECT_EQ(asked_upstream(), 0);
  // Other names still go upstream, and the working one answers.
  EXPECT_TRUE(wait_until([&] { return capture(dig + "+time=3 +short outside.test").find("192.0.2.77") != std::string::npos; },
                         15000, 100))
      << capture(dig + "outside.test");
}

INSTANTIATE_TEST_SUITE_P(BothSessionNetworks, DesktopE2E, ::testing::Values("isolated", "shared"),
                         [](const auto& info) { return std::string(info.param); });
