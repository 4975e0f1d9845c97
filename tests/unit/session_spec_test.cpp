// SPDX-License-Identifier: Apache-2.0
// Session layout, daemon.json, dockerd's argument vector, request decoding.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "api/session_routes.hpp"
#include "daemon/config.hpp"
#include "session/network/desktop_firewall.hpp"
#include "session/network/session_nat.hpp"
#include "session/core/session_spec.hpp"
#include "session/core/helper_programs.hpp"
#include "session/core/storage_driver.hpp"
#include "session/dockerd/dockerd_config.hpp"

using namespace hydra;
using namespace hydra::session;

TEST(SessionSpec, NetworkFollowsTheIndex) {
  auto n1 = session_net(1);
  EXPECT_EQ(n1.bridge, "hydra1");
  EXPECT_EQ(n1.subnet, "10.200.1.0/24");
  EXPECT_EQ(n1.gateway, "10.200.1.1");
  EXPECT_EQ(n1.desktop_ip, "10.200.1.254");
  EXPECT_EQ(n1.address_pool, "10.112.0.0/20");
  EXPECT_EQ(n1.desktop_veth, "vethb-h1");
  EXPECT_EQ(session_net(2).address_pool, "10.112.16.0/20");
  EXPECT_EQ(session_net(17).address_pool, "10.113.0.0/20");
  EXPECT_EQ(session_net(254).address_pool, "10.127.208.0/20");
  EXPECT_EQ(session_net(254).bridge, "hydra254");
}

TEST(SessionSpec, HydrasNatTurnsTheDockerdsIptablesOffAndWritesOneTable) {
  SessionSettings s;
  s.nat = SessionNat::kNftables;
  const SessionNet isolated = session_net(s, 2, NetworkMode::kIsolated);
  EXPECT_TRUE(isolated.hydra_nat);
  EXPECT_FALSE(session_net(s, 2, NetworkMode::kShared).hydra_nat);
  EXPECT_EQ(daemon_json(isolated, s, "")["iptables"], false);
  s.nat = SessionNat::kIptables;
  EXPECT_FALSE(session_net(s, 2, NetworkMode::kIsolated).hydra_nat);
  const std::string script = session_nat_script(isolated);
  EXPECT_NE(script.find("oifname \"uplink\" masquerade"), std::string::npos) << script;
  EXPECT_NE(script.find("hook forward priority filter; policy drop;"), std::string::npos) << script;
  EXPECT_NE(script.find("ct state established,related accept"), std::string::npos) << script;
  EXPECT_NE(script.find("oifname \"uplink\" iifname != \"uplink\" accept"), std::string::npos) << script;
  EXPECT_NE(script.find("iifname \"hydra2\" ip saddr 10.200.2.254 ip daddr " + isolated.pools + " accept"),
            std::string::npos)
      << "the desktop reaches the session's user networks, as through Docker's rules";
  EXPECT_EQ(script.rfind("add table inet hydra_session\ndelete table inet hydra_session\n", 0), 0u)
      << "replaces an old table in the same transaction";
}

TEST(SessionSpec, DaemonJsonAndArgv) {
  SessionSettings s;
  s.run_dir = "/run/hydra/sessions";
  s.data_dir = "/var/lib/hydra/sessions";
  SessionKey key{"spectask", "t-42"};
  auto net = session_net(3);
  auto paths = session_paths(s, key, 3);
  EXPECT_EQ(paths.data_root, "/var/lib/hydra/sessions/spectask-t-42");
  EXPECT_EQ(paths.socket, "/run/hydra/sessions/h3/docker.sock");
  auto j = daemon_json(net, s, "");
  EXPECT_EQ(j["fixed-cidr"], "10.200.3.0/24");
  EXPECT_EQ(j["default-address-pools"][0]["base"], "10.112.32.0/20");
  EXPECT_EQ(j["default-address-pools"][0]["size"], 24);
  EXPECT_EQ(j["live-restore"], true) << "prevention: a restarted dockerd never deletes docker0";
  EXPECT_EQ(j["dns"][0], "10.200.3.1");
  EXPECT_FALSE(j.contains("storage-driver"));
  EXPECT_FALSE(j.contains("iptables")) << "Docker's own rules by default";
  s.live_restore = false;
  EXPECT_EQ(daemon_json(net, s, "vfs")["storage-driver"], "vfs");
  EXPECT_EQ(daemon_json(net, s, "vfs")["live-restore"], false);
  auto argv = dockerd_argv(net, paths, s);
  std::vector<std::string> expected = {"/usr/sbin/dockerd",
                                       "--host=unix:///run/hydra/sessions/h3/docker.sock",
                                       "--data-root=/var/lib/hydra/sessions/spectask-t-42",
                                       "--exec-root=/run/hydra/sessions/h3/exec",
                                       "--pidfile=/run/hydra/sessions/h3/dockerd.pid",
                                       "--config-file=/run/hydra/sessions/h3/daemon.json",
                                       "--bridge=hydra3",
                                       "--ip=10.200.3.1",
                                       "--containerd-namespace=hydra3",
                                       "--containerd-plugins-namespace=hydra3-plugins"};
  EXPECT_EQ(argv, expected);
  for (const auto& a : argv) EXPECT_NE(a, "--bridge=none") << "the path that always deletes docker0";
}

TEST(SessionSpec, KeysAreValidated) {
  for (const char* t : {"session", "spectask", "exploratory"}) EXPECT_TRUE(validate_key({t, "abc_1.2-3"}));
  EXPECT_FALSE(validate_key({"pod", "x"}));
  EXPECT_FALSE(validate_key({"session", ""}));
  EXPECT_FALSE(validate_key({"session", std::string(65, 'a')}));
  EXPECT_TRUE(validate_key({"session", std::string(64, 'a')}));
  EXPECT_FALSE(validate_key({"session", "a/b"}));
  EXPECT_FALSE(validate_key({"session", ".."}));
  EXPECT_FALSE(validate_key({"session", "a b"}));
}

TEST(SessionSpec, DesktopRulesAreExactlyTheDesktopsTraffic) {
  auto rules = desktop_rules(session_net(7));
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules[0], "iifname \"hydra7\" ip saddr 10.200.7.254 ip daddr 10.112.0.0/12");
  EXPECT_EQ(rules[1], "oifname \"hydra7\" ip saddr 10.112.0.0/12 ip daddr 10.200.7.254");
  EXPECT_EQ(desktop_rule_comment(session_net(7)), "hydra desktop hydra7");
  AddressPlan plan;
  plan.pools = *Ipv4Net::parse("10.50.0.0/16");
  EXPECT_EQ(desktop_rules(session_net(plan, 2))[0], "iifname \"hydra2\" ip saddr 10.200.2.254 ip daddr 10.50.0.0/16")
      << "the plan's pools, not a constant";
}

// Read as Go's encoding/json reads a struct (Hydra's client is in Go):
// unknown fields ignored, keys matched in any case, null = unset; a known
// field of the wrong type and bad JSON are errors.
TEST(RequestBody, ReadLikeGo) {
  auto ok = api::decode_create_request(R"({"scope_type":"session","scope_id":"s1"})");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->scope_id, "s1");
  EXPECT_EQ(ok->user_id, "");
  EXPECT_EQ(ok->max_containers, 0);
  EXPECT_FALSE(ok->use_host_docker);
  // What the Go client sends: every field, zero values included.
  auto go = api::decode_create_request(
      R"({"scope_type":"spectask","scope_id":"t1","user_id":"","max_containers":0,"use_host_docker":false})");
  ASSERT_TRUE(go) << go.error().text();
  auto full = api::decode_create_request(
      R"({"Scope_Type":"session","SCOPE_ID":"s2","user_id":null,"max_containers":5,"use_host_docker":true,"extra":{"x":1}})");
  ASSERT_TRUE(full) << full.error().text();
  EXPECT_EQ(full->scope_type, "session");
  EXPECT_EQ(full->scope_id, "s2");
  EXPECT_EQ(full->max_containers, 5);
  EXPECT_TRUE(full->use_host_docker);
  struct Bad {
    const char* body;
    const char* names;  // what the error must name ("" : any)
  };
  for (const auto& [bad, names] : std::vector<Bad>{{"", "JSON"},
                                                   {"[]", "object"},
                                                   {"{", "JSON"},
                                                   {R"({"scope_type":"session"})", "scope_id"},
                                                   {R"({"scope_type":1,"scope_id":"s"})", "scope_type"},
                                                   {R"({"scope_type":"session","scope_id":"s","max_containers":"2"})", "max_containers"},
                                                   {R"({"scope_type":"session","scope_id":"s","max_containers":2.5})", "max_containers"},
                                                   {R"({"scope_type":"session","scope_id":"s","max_containers":-1})", "max_containers"},
                                                   {R"({"scope_type":"session","scope_id":"s","use_host_docker":"yes"})", "use_host_docker"}}) {
    auto r = api::decode_create_request(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, EINVAL);
    EXPECT_NE(r.error().message.find(names), std::string::npos) << r.error().message;
  }
}

TEST(Config, SessionAndDockerKeys) {
  daemon::DaemonConfig c;
  auto st = daemon::apply_config_text(R"([docker]
main_socket = "/run/docker-main.sock"
[sessions]
dockerd = "/opt/docker/dockerd"
data_dir = "/srv/sessions"
run_dir = "/run/hs"
storage_driver = "overlay2"
live_restore = false
start_timeout = 20
stop_timeout = 5
api_timeout = 2
probe_interval = 7
)", "h.toml", c);
  ASSERT_TRUE(st) << st.error().text();
  EXPECT_EQ(c.main_docker_socket, "/run/docker-main.sock");
  EXPECT_EQ(c.sessions.dockerd, "/opt/docker/dockerd");
  EXPECT_EQ(c.sessions.data_dir, "/srv/sessions");
  EXPECT_EQ(c.sessions.run_dir, "/run/hs");
  EXPECT_EQ(c.sessions.storage_driver, "overlay2");
  EXPECT_FALSE(c.sessions.live_restore);
  EXPECT_EQ(c.sessions.start_timeout_ms, 20000);
  EXPECT_EQ(c.sessions.stop_timeout_ms, 5000);
  EXPECT_EQ(c.sessions.api_timeout_ms, 2000);
  EXPECT_EQ(c.sessions.probe_interval_ms, 7000);
  for (auto [text, expect] : std::vector<std::pair<const char*, const char*>>{
           {"[sessions]\nlive_restore = \"yes\"\n", "h.toml:2: sessions.live_restore must be true or false"},
           {"[sessions]\nstart_timeout = 0\n", "h.toml:2: sessions.start_timeout"},
           {"[sessions]\napi_timeout = \"3\"\n", "h.toml:2: sessions.api_timeout"},
           {"[sessions]\nmood = 1\n", "h.toml:2: unknown key sessions.mood"},
           {"[docker]\nmain_socket = \"relative.sock\"\n", "absolute"}}) {
    daemon::DaemonConfig d;
    auto bad = daemon::apply_config_text(text, "h.toml", d);
    ASSERT_FALSE(bad) << text;
    EXPECT_NE(bad.error().message.find(expect), std::string::npos) << bad.error().message;
    EXPECT_TRUE(d.sessions.live_restore);
  }
}

// A data root keeps the driver it was made with; on btrfs a new one gets
// overlay2 unless one is configured; elsewhere dockerd chooses.
TEST(StorageDriver, ChosenFromTheDataRootThenTheConfigThenTheFilesystem) {
  using hydra::session::choose_storage_driver;
  EXPECT_EQ(choose_storage_driver("", {}, false).driver, "");
  EXPECT_EQ(choose_storage_driver("", {}, false).reason, "");
  auto btrfs_default = choose_storage_driver("", {}, true);
  EXPECT_EQ(btrfs_default.driver, "overlay2");
  EXPECT_NE(btrfs_default.reason.find("btrfs"), std::string::npos) << btrfs_default.reason;
  EXPECT_EQ(choose_storage_driver("btrfs", {}, true).driver, "btrfs") << "an explicit choice is kept";
  EXPECT_EQ(choose_storage_driver("btrfs", {}, true).reason, "");
  EXPECT_EQ(choose_storage_driver("vfs", {}, false).driver, "vfs");
  // Existing sessions never switch under their data.
  auto kept = choose_storage_driver("", {"btrfs"}, true);
  EXPECT_EQ(kept.driver, "btrfs");
  EXPECT_NE(kept.reason.find("made with btrfs"), std::string::npos) << kept.reason;
  EXPECT_EQ(choose_storage_driver("overlay2", {"btrfs"}, true).driver, "btrfs");
  EXPECT_EQ(choose_storage_driver("vfs", {"overlay2", "vfs"}, false).driver, "vfs");
  EXPECT_EQ(choose_storage_driver("", {"overlay2", "vfs"}, false).driver, "overlay2");
}

// A helper program is there only as an executable file; otherwise the error
// names the key, the path and the package (503: ENOTSUP).
TEST(HelperPrograms, MissingOnesAreNamedWithTheirKey) {
  using hydra::session::require_helper;
  SessionSettings s;
  s.cp = "/bin/sh";
  EXPECT_TRUE(require_helper(s, "sessions.cp"));
  const std::string plain = testing::TempDir() + "hydra-not-executable";
  std::ofstream(plain) << "not a program\n";
  ASSERT_EQ(chmod(plain.c_str(), 0644), 0);
  for (const std::string& bad : {std::string("/nonexistent/cp"), std::string("/tmp"), plain}) {
    s.cp = bad;
    auto st = require_helper(s, "sessions.cp");
    ASSERT_FALSE(st) << bad;
    EXPECT_EQ(st.error().code, ENOTSUP);
    EXPECT_NE(st.error().message.find("sessions.cp: " + bad + " is not an executable here"),
              std::string::npos)
        << st.error().message;
    EXPECT_NE(st.error().message.find("coreutils"), std::string::npos);
  }
  ::unlink(plain.c_str());  // leave nothing in the temporary directory
  EXPECT_EQ(hydra::session::helper_programs(s).size(), 4u) << "dockerd, dnsmasq, cp and the shared containerd";
  s.containerd = "/nonexistent/containerd";
  auto st = require_helper(s, "sessions.containerd_program");
  ASSERT_FALSE(st);
  EXPECT_NE(st.error().message.find("sessions.containerd_program: /nonexistent/containerd is not an executable here"),
            std::string::npos)
      << st.error().message;
  s.containerd_mode = hydra::session::ContainerdMode::kPerSession;
  EXPECT_EQ(hydra::session::helper_programs(s).size(), 3u) << "no shared containerd, no program for it";
  EXPECT_FALSE(require_helper(s, "sessions.nothing"));
}
