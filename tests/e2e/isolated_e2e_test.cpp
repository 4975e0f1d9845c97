// SPDX-License-Identifier: Apache-2.0
// Isolated sessions end to end: each session dockerd in a network namespace
// of its own, reached through its uplink; Debian's real dockerd, inside the
// test's namespaces.
#include <gtest/gtest.h>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

// The policy under test: metadata and the sandbox denied by default, one
// documentation range denied but for one address in it.
const char* kIsolated =
    "network = \"isolated\"\n"
    "egress_deny = [\"169.254.0.0/16\", \"sandbox\", \"198.51.100.0/24\"]\n"
    "egress_allow = [\"198.51.100.2\"]\n";

std::string create_body(const std::string& id) {
  return R"({"scope_type":"session","scope_id":")" + id + R"(","user_id":"u1"})";
}

json create(DockerWorld& w, const std::string& id) {
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", create_body(id));
  EXPECT_EQ(status, 201) << body;
  return json::parse(body, nullptr, false);
}

std::string socket_of(const json& s) { return s.value("docker_socket", ""); }

std::string ip_of(DockerWorld& w, const std::string& socket, const std::string& container) {
  return w.docker(socket, "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' " + container);
}

// From a container of a session: does `url` answer (wget) / `ip` answer ping?
// A refused address is dropped silently: its check waits its whole timeout,
// so those wait 2 s (a slow machine can only make them pass more surely);
// the ones that must answer get 5.
bool fetches(DockerWorld& w, const std::string& socket, const std::string& container, const std::string& url,
             int seconds = 5) {
  return w.docker_rc(socket, "exec " + container + " timeout " + std::to_string(seconds) + " wget -q -O /dev/null " + url) == 0;
}
constexpr int kRefused = 2;
bool pings(DockerWorld& w, const std::string& socket, const std::string& container, const std::string& ip,
           int seconds = 3) {
  return w.docker_rc(socket, "exec " + container + " ping -c 1 -W " + std::to_string(seconds) + " " + ip) == 0;
}

bool reaches_from_main(DockerWorld& w, const std::string& container, const std::string& url) {
  return w.docker_rc(w.main_socket(), "exec " + container + " timeout 2 wget -q -O /dev/null " + url) == 0;
}

bool in_hydra_table(DockerWorld& w, const std::string& needle) {
  return capture(w.in_sbx("nft list set inet hydra uplink_gateways")).find(needle) != std::string::npos;
}

}  // namespace

TEST(IsolatedE2E, SessionsReachUpstreamAndNothingElse) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/false, kIsolated);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  // The test's internet also answers on metadata and documentation addresses.
  for (const char* a : {"169.254.169.254/32", "198.51.100.1/32", "198.51.100.2/32"}) w.up.ip(std::string("addr add ") + a + " dev uplink");
  const std::string docker0 = w.docker0_ifindex();
  const std::string firewall_before = w.firewall_outside_hydra();
  const std::string buildkit_ip = ip_of(w, w.main_socket(), "buildkit");

  json s1 = create(w, "s1"), s2 = create(w, "s2");
  ASSERT_EQ(s1["network"], "isolated") << s1;
  EXPECT_EQ(s1["uplink"], "hup-h1");
  EXPECT_EQ(s1["uplink_gateway"], "10.201.0.2");
  EXPECT_EQ(s1["uplink_address"], "10.201.0.3");
  EXPECT_EQ(s1["gateway"], "10.200.1.1");
  const std::string ns1 = s1["netns"], ns2 = s2["netns"];
  EXPECT_EQ(w.sbx.ip("link show hup-h1"), 0) << "the uplink's sandbox end";
  EXPECT_NE(w.sbx.ip("link show hydra1"), 0) << "hydra1 is not in the sandbox";
  EXPECT_EQ(sh("nsenter --net=" + ns1 + " ip link show hydra1"), 0) << "hydra1 is in the session's namespace";
  EXPECT_TRUE(in_hydra_table(w, "\"hup-h1\" . 10.201.0.2"));
  const std::string sock1 = socket_of(s1), sock2 = socket_of(s2);

  ASSERT_TRUE(w.import_busybox(sock1));
  ASSERT_TRUE(w.import_busybox(sock2));
  ASSERT_EQ(w.docker_rc(sock1, "network create usernet"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name c1 busybox:hydra sleep 100000"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name u1 --network usernet busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name web1 -p 8088:8080 busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  ASSERT_EQ(w.docker_rc(sock2, "run -d --init --name c2 -p 8089:8080 busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  const std::string u1_ip = ip_of(w, sock1, "u1"), c2_ip = ip_of(w, sock2, "c2");

  // Upstream, exactly as before, from the default bridge and a user network.
  EXPECT_TRUE(fetches(w, sock1, "c1", "http://192.0.2.1:8080/hello"));
  EXPECT_TRUE(fetches(w, sock1, "u1", "http://192.0.2.1:8080/hello"));
  // The egress policy, rule by rule.
  EXPECT_FALSE(fetches(w, sock1, "c1", "http://169.254.169.254:8080/hello", kRefused)) << "metadata denied";
  EXPECT_FALSE(fetches(w, sock1, "c1", "http://198.51.100.1:8080/hello", kRefused)) << "egress_deny range";
  EXPECT_TRUE(fetches(w, sock1, "c1", "http://198.51.100.2:8080/hello")) << "egress_allow exception";
  EXPECT_TRUE(pings(w, sock1, "c1", "10.201.0.2")) << "its own uplink gateway";
  EXPECT_FALSE(pings(w, sock1, "c1", "192.0.2.2", 1)) << "the sandbox's own address";
  EXPECT_FALSE(pings(w, sock1, "c1", "10.201.0.4", 1)) << "another session's uplink gateway (a sandbox address)";
  // Nothing of the sandbox or of another session.
  EXPECT_TRUE(sh(w.in_sbx("ping -c 1 -W 2 " + buildkit_ip)) == 0) << "sanity: the sandbox reaches buildkit";
  EXPECT_FALSE(pings(w, sock1, "c1", buildkit_ip, 1)) << "docker0's containers";
  EXPECT_FALSE(pings(w, sock1, "c1", c2_ip, 1)) << "session 2's containers";
  EXPECT_FALSE(pings(w, sock1, "c1", "10.200.2.1", 1)) << "hydra2's gateway";
  EXPECT_FALSE(fetches(w, sock1, "c1", "http://10.201.0.5:8089/busybox", kRefused)) << "session 2's published port";
  EXPECT_FALSE(reaches_from_main(w, "buildkit", "http://10.201.0.5:8089/busybox"))
      << "docker0's containers cannot open a connection into a session";

  // The desktop, bridged into s1: s1's containers and published ports, nothing of s2.
  auto [bstatus, bbody] = w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"s1","desktop_container_id":"desktop"})");
  ASSERT_EQ(bstatus, 200) << bbody;
  auto desktop = [&](const std::string& url, int seconds = 5) {
    return w.docker_rc(w.main_socket(), "exec desktop timeout " + std::to_string(seconds) + " wget -q -O /dev/null " + url) == 0;
  };
  EXPECT_TRUE(desktop("http://" + u1_ip + ":8080/busybox")) << "a user network's container by IP";
  EXPECT_TRUE(desktop("http://10.200.1.1:8088/busybox")) << "a published port at the session's gateway";
  EXPECT_FALSE(desktop("http://" + c2_ip + ":8080/busybox", kRefused)) << "session 2's container";
  EXPECT_FALSE(desktop("http://10.201.0.5:8089/busybox", kRefused)) << "session 2's published port";
  // hydractl shows the namespace, the uplink and the desktop's leg.
  const std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket();
  const std::string topo = capture(w.in_sbx(ctl + " topology --docker-socket " + w.main_socket()));
  for (const std::string& want : std::vector<std::string>{
           "hup-h1  veth  10.201.0.2/31  [uplink of session session/s1 → 10.201.0.3]",
        "session session/s1 (isolated)  namespace " + ns1, "hydra1  bridge  10.200.1.1/24",
        "vethb-h1 → container desktop (eth1)  [desktop link; localhost:8088/tcp → web1]", "→ container c1 (eth0, session/s1)",
        "uplink  veth  10.201.0.3/31  [to hup-h1 10.201.0.2 in the sandbox]", "session session/s2 (isolated)"})
    EXPECT_NE(topo.find(want), std::string::npos) << "missing \"" << want << "\" in:\n" << topo;
  const std::string dot = capture(w.in_sbx(ctl + " topology --dot --docker-socket " + w.main_socket()));
  EXPECT_NE(dot.find("\"hup-h1\" -> \"session/s1:uplink\""), std::string::npos) << dot;
  const std::string shown = capture(ctl + " session inspect s1");
  EXPECT_NE(shown.find("isolated: a network namespace of its own"), std::string::npos) << shown;
  EXPECT_NE(shown.find("hup-h1 10.201.0.2 (sandbox) ↔ uplink 10.201.0.3 (session)"), std::string::npos) << shown;

  // A privileged host-network container of s1 sees only s1's namespace.
  std::string links = w.docker(sock1, "run --rm --network host " + privileged_flags("isolated") + " busybox:hydra ip -o link");
  EXPECT_EQ(links.find("docker0"), std::string::npos) << links;
  EXPECT_NE(links.find("hydra1"), std::string::npos) << links;
  EXPECT_NE(w.docker_rc(sock1, "run --rm --network host " + privileged_flags("isolated") + " busybox:hydra ip link del docker0"), 0);
  // What such a container could do to the firewall, done in its namespace.
  EXPECT_EQ(sh("nsenter --net=" + ns1 + " iptables -F"), 0);
  EXPECT_EQ(w.docker0_ifindex(), docker0);
  EXPECT_EQ(w.hydrad->count("bridge_restored"), 0u);

  // hydrad restarted (crash): the sessions are adopted, still online. s2's
  // pin is lost meanwhile (as under systemd, whose sandboxing gives hydrad a
  // mount namespace of its own): it is put back from its dockerd's namespace.
  w.hydrad->stop(SIGKILL);
  ASSERT_EQ(sh("umount " + ns2 + " && rm " + ns2), 0);
  ASSERT_TRUE(w.hydrad->start());
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "session_adopted" && e["network"] == "isolated"; }, 20000));
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances/session/s2").second)["status"], "running");
  EXPECT_TRUE(fetches(w, sock2, "c2", "http://192.0.2.1:8080/hello")) << "egress after adoption";
  EXPECT_TRUE(in_hydra_table(w, "\"hup-h2\" . 10.201.0.4"));
  const std::string s2_pid = json::parse(w.api("GET", "/api/v1/docker-instances/session/s2").second)["pid"].dump();
  EXPECT_EQ(capture("stat -L -c %i " + ns2), capture("stat -L -c %i /proc/" + s2_pid + "/ns/net")) << "re-pinned";
  EXPECT_EQ(w.hydrad->count("session_network_damaged"), 0u);
  auto metrics = w.api("GET", "/metrics").second;
  EXPECT_NE(metrics.find("hydra_sessions_by_network{network=\"isolated\"} 2"), std::string::npos) << metrics;

  // Something outside hydra flushes DOCKER-USER (Docker's RETURN put back as
  // it was), then deletes inet hydra: the sessions' probes put theirs back.
  size_t seen = w.hydrad->event_count();
  ASSERT_EQ(sh(w.in_sbx("iptables -F DOCKER-USER") + " && " + w.in_sbx("iptables -A DOCKER-USER -j RETURN")), 0);
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) {
        return e["event"] == "uplink_repaired" && e["session"] == "session/s2" && e["restored"] == "its DOCKER-USER rules";
      },
      20000, seen));
  ASSERT_EQ(sh(w.in_sbx("nft delete table inet hydra")), 0);
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "firewall_lost"; }, 20000, seen));
  EXPECT_TRUE(wait_until([&] { return in_hydra_table(w, "hup-h1") && in_hydra_table(w, "hup-h2"); }, 20000, 100));
  EXPECT_TRUE(fetches(w, sock2, "c2", "http://192.0.2.1:8080/hello")) << "egress after the repair";
  EXPECT_FALSE(fetches(w, sock2, "c2", "http://169.254.169.254:8080/hello", kRefused)) << "the policy is back too";

  // Delete: uplink, rules and namespace gone; the sandbox's firewall as it was.
  // s1 ran --network host containers: its dockerd bind-mounted its namespace
  // (exec/netns/default), which must not outlive the delete either.
  const std::string ns1_inode = trim(capture("stat -L -c %i " + ns1));
  ASSERT_FALSE(ns1_inode.empty());
  const size_t before_delete = w.hydrad->event_count();
  for (const char* id : {"s1", "s2"}) ASSERT_EQ(w.api("DELETE", std::string("/api/v1/docker-instances/session/") + id).first, 200);
  const std::string mountinfo = "/proc/" + std::to_string(w.hydrad->pid()) + "/mountinfo";
  // What the delete did, said when a check below fails: a pin found late
  // tells apart "released after the 200" from "never released".
  auto what_the_delete_did = [&] {
    std::string out = "\nhydrad's events since the deletes:";
    auto evs = w.hydrad->events();
    for (size_t i = before_delete; i < evs.size(); ++i) out += "\n  " + evs[i].dump();
    return out + "\nmountinfo read again:\n" + capture("grep -F -e 'net:[' -e ' " + w.dir + "/run/' " + mountinfo);
  };
  const std::string left_mounts = capture("grep -F ' " + w.dir + "/run/' " + mountinfo);
  EXPECT_EQ(left_mounts, "") << "mounts left under the sessions' run dirs" << (left_mounts.empty() ? "" : what_the_delete_did());
  // Only this world's paths: a namespace's inode number is free for reuse
  // once it is gone, and a test running beside this one may get it at once.
  const std::string left_pin = capture("grep -F 'net:[" + ns1_inode + "] " + w.dir + "/' " + mountinfo);
  EXPECT_EQ(left_pin, "") << "s1's namespace still pinned" << (left_pin.empty() ? "" : what_the_delete_did());
  EXPECT_NE(w.sbx.ip("link show hup-h1"), 0);
  EXPECT_NE(w.sbx.ip("link show hup-h2"), 0);
  struct stat st {};
  EXPECT_NE(stat(ns1.c_str(), &st), 0) << "namespace unpinned and removed";
  EXPECT_NE(stat(ns2.c_str(), &st), 0);
  EXPECT_FALSE(in_hydra_table(w, "hup-h"));
  EXPECT_EQ(w.firewall_outside_hydra(), firewall_before);
  EXPECT_EQ(w.docker0_ifindex(), docker0);
}

TEST(IsolatedE2E, TwentyRestartsWithoutLiveRestoreNeverTouchDocker0) {
  HYDRA_REQUIRE_DOCKERD();
  // Room for one session only: the index limit follows from the plan.
  DockerWorld w(/*live_restore=*/false, "network = \"isolated\"\nbridge_subnets = \"10.200.0.0/23\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  const std::string docker0 = w.docker0_ifindex();
  const std::string firewall_before = w.firewall_outside_hydra();
  json s = create(w, "s1");
  auto [full, why] = w.api("POST", "/api/v1/docker-instances", create_body("s2"));
  EXPECT_EQ(full, 507) << why;
  EXPECT_NE(why.find("the address plan has room for 1 sessions (bridge_subnets 10.200.0.0/23"), std::string::npos) << why;
  ASSERT_TRUE(w.import_busybox(socket_of(s)));
  ASSERT_EQ(w.docker_rc(socket_of(s), "run -d --init --restart always --name c1 busybox:hydra sleep 100000"), 0);
  for (int cycle = 1; cycle <= 20; ++cycle) {
    if (cycle % 5 == 0) {
      // A crash of the session dockerd: nothing of its network stays behind.
      const size_t seen = w.hydrad->event_count();
      ASSERT_EQ(kill(s["pid"].get<pid_t>(), SIGKILL), 0);
      ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "session_exited"; }, 20000, seen));
      EXPECT_NE(w.sbx.ip("link show hup-h1"), 0) << "cycle " << cycle;
      EXPECT_FALSE(in_hydra_table(w, "hup-h1")) << "cycle " << cycle;
      EXPECT_EQ(capture(w.in_sbx("nft list chain ip filter DOCKER-USER")).find("hydra uplink"), std::string::npos);
    } else {
      ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);
    }
    s = create(w, "s1");
    ASSERT_EQ(s["status"], "running") << "cycle " << cycle << ": " << s;
  }
  EXPECT_TRUE(fetches(w, socket_of(s), "c1", "http://192.0.2.1:8080/hello")) << "its container came back online";
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);
  EXPECT_EQ(w.docker0_ifindex(), docker0) << "docker0 kept its ifindex";
  EXPECT_EQ(w.hydrad->count("bridge_restored"), 0u) << "nothing ever deleted docker0";
  EXPECT_EQ(w.firewall_outside_hydra(), firewall_before);
}

// [sessions] nat = "nftables": the session dockerd runs no iptables and hydra's
// one table gives its containers what Docker's rules gave: out through the
// uplink (masqueraded), a user network reaching its own members but not
// another network nor the default bridge, published ports through
// docker-proxy, the bridged desktop reaching every network of its session.
TEST(IsolatedE2E, HydrasNatGivesContainersWhatDockersRulesGave) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true, std::string(kIsolated) + "nat = \"nftables\"\n");
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json s1 = create(w, "s1"), s2 = create(w, "s2");
  ASSERT_TRUE(s1.is_object() && s2.is_object());
  const std::string ns1 = s1.value("netns", ""), sock1 = socket_of(s1), sock2 = socket_of(s2);
  // The dockerd wrote nothing; hydra's table is there.
  EXPECT_EQ(trim(capture("nsenter --net=" + ns1 + " iptables-save 2>/dev/null | grep -c DOCKER || true")), "0");
  EXPECT_NE(capture("nsenter --net=" + ns1 + " nft list table inet hydra_session").find("masquerade"),
            std::string::npos);

  ASSERT_TRUE(w.import_busybox(sock1));
  ASSERT_TRUE(w.import_busybox(sock2));
  ASSERT_EQ(w.docker_rc(sock1, "network create n1"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "network create n2"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name c1 busybox:hydra sleep 100000"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name a1 --network n1 busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name a2 --network n1 busybox:hydra sleep 100000"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name b1 --network n2 busybox:hydra sleep 100000"), 0);
  ASSERT_EQ(w.docker_rc(sock1, "run -d --init --name web1 -p 8088:8080 busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  ASSERT_EQ(w.docker_rc(sock2, "run -d --init --name c2 busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  const std::string a1_ip = ip_of(w, sock1, "a1"), web1_ip = ip_of(w, sock1, "web1"), c2_ip = ip_of(w, sock2, "c2");

  // Out, from the default bridge and from a user network.
  EXPECT_TRUE(fetches(w, sock1, "c1", "http://192.0.2.1:8080/hello")) << "masqueraded out of the uplink";
  EXPECT_TRUE(fetches(w, sock1, "a2", "http://192.0.2.1:8080/hello"));
  EXPECT_FALSE(fetches(w, sock1, "c1", "http://198.51.100.1:8080/hello", kRefused)) << "the sandbox's egress policy holds";
  // Docker's network isolation.
  EXPECT_TRUE(fetches(w, sock1, "a2", "http://" + a1_ip + ":8080/busybox")) << "its own network";
  EXPECT_FALSE(fetches(w, sock1, "b1", "http://" + a1_ip + ":8080/busybox", kRefused)) << "another user network";
  EXPECT_FALSE(fetches(w, sock1, "c1", "http://" + a1_ip + ":8080/busybox", kRefused)) << "from the default bridge";
  EXPECT_FALSE(fetches(w, sock1, "a2", "http://" + web1_ip + ":8080/busybox", kRefused)) << "into the default bridge";
  EXPECT_FALSE(fetches(w, sock1, "c1", "http://" + c2_ip + ":8080/busybox", kRefused)) << "session 2's containers";
  // The desktop, bridged into s1: its containers on every network, its published port.
  auto [bstatus, bbody] = w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"s1","desktop_container_id":"desktop"})");
  ASSERT_EQ(bstatus, 200) << bbody;
  auto desktop = [&](const std::string& url, int seconds = 5) {
    return w.docker_rc(w.main_socket(), "exec desktop timeout " + std::to_string(seconds) + " wget -q -O /dev/null " + url) == 0;
  };
  EXPECT_TRUE(desktop("http://" + a1_ip + ":8080/busybox")) << "a user network's container by IP";
  EXPECT_TRUE(desktop("http://" + web1_ip + ":8080/busybox")) << "the default bridge's, on its own bridge";
  EXPECT_TRUE(desktop("http://10.200.1.1:8088/busybox")) << "a published port at the session's gateway (docker-proxy)";
  EXPECT_FALSE(desktop("http://" + c2_ip + ":8080/busybox", kRefused)) << "session 2's container";
  // A session restarted on its namespace keeps the table (hydrad's restart adopts it as it is).
  w.hydrad->stop(SIGKILL);
  ASSERT_TRUE(w.hydrad->launch());
  ASSERT_TRUE(wait_until([&] { return w.api("GET", "/api/v1/docker-instances/session/s1").first == 200; }, 30000));
  EXPECT_TRUE(fetches(w, sock1, "c1", "http://192.0.2.1:8080/hello")) << "after hydrad's restart";
}
