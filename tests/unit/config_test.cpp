// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include <set>

#include "daemon/config.hpp"
#include "daemon/config_keys.hpp"
#include "daemon/config_manual.hpp"

using hydra::daemon::apply_config_text;
using hydra::daemon::DaemonConfig;

TEST(Config, AppliesEveryKey) {
  DaemonConfig c;
  auto st = apply_config_text(R"(state_dir = "/srv/hydra"
socket = "/run/h.sock"
log_format = "json"
[guard]
bridges = ["docker0", "br-main"]
realtime_priority = 0
[api]
request_timeout = 2
max_connections = 100
connections_per_peer = 0
[sessions]
privileged_mode = true
authz_plugin = "hydra-test"
size_interval = 30
network = "shared"
bridge_subnets = "172.30.0.0/16"
address_pools = "10.50.0.0/16"
uplink_subnet = "100.64.0.0/24"
egress_deny = ["sandbox", "10.9.0.0/16"]
egress_allow = ["10.9.0.53"]
dnsmasq = "/opt/dnsmasq"
containerd = "per-session"
containerd_program = "/opt/containerd"
resolv_conf = "/etc/hydra/resolv.conf"
default_golden = "base-1.0"
cp = "/usr/bin/cp"
[storage]
min_free = "2GiB"
critical_free = "1%"
check_interval = 10
[gc]
stale_after = "7d"
golden_unused_days = 30
)", "hydra.toml", c);
  ASSERT_TRUE(st) << st.error().text();
  EXPECT_EQ(c.state_dir, "/srv/hydra");
  EXPECT_EQ(c.socket, "/run/h.sock");
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.guard_bridges, (std::vector<std::string>{"docker0", "br-main"}));
  EXPECT_EQ(c.guard_realtime_priority, 0);
  EXPECT_EQ(DaemonConfig().guard_realtime_priority, 10);
  EXPECT_EQ(c.api_request_timeout_ms, 2000);
  EXPECT_EQ(c.api_max_connections, 100u);
  EXPECT_EQ(c.api_per_peer, 0u);
  EXPECT_TRUE(c.sessions.privileged_mode);
  EXPECT_EQ(c.sessions.authz_plugin, "hydra-test");
  EXPECT_EQ(c.sessions.size_interval_ms, 30000);
  EXPECT_EQ(c.sessions.network, hydra::session::NetworkMode::kShared);
  EXPECT_EQ(c.sessions.plan.bridges.text(), "172.30.0.0/16");
  EXPECT_EQ(c.sessions.plan.pools.text(), "10.50.0.0/16");
  EXPECT_EQ(c.sessions.plan.uplinks.text(), "100.64.0.0/24");
  EXPECT_EQ(c.sessions.egress_deny, (std::vector<std::string>{"sandbox", "10.9.0.0/16"}));
  EXPECT_EQ(c.sessions.egress_allow, (std::vector<std::string>{"10.9.0.53"}));
  EXPECT_EQ(c.sessions.dnsmasq, "/opt/dnsmasq");
  EXPECT_EQ(c.sessions.containerd_mode, hydra::session::ContainerdMode::kPerSession);
  EXPECT_EQ(c.sessions.containerd, "/opt/containerd");
  EXPECT_EQ(c.sessions.resolv_conf, "/etc/hydra/resolv.conf");
  EXPECT_EQ(c.sessions.min_free, "2GiB");
  EXPECT_EQ(c.sessions.critical_free, "1%");
  EXPECT_EQ(c.sessions.storage_check_interval_ms, 10000);
  EXPECT_EQ(c.sessions.stale_after_s, 7 * 86400);
  EXPECT_EQ(c.sessions.golden_unused_s, 30 * 86400);
  EXPECT_EQ(c.sessions.default_golden, "base-1.0");
  EXPECT_EQ(c.sessions.cp, "/usr/bin/cp");
  // What --check-config prints is itself a config that reads back the same.
  DaemonConfig again;
  ASSERT_TRUE(apply_config_text(hydra::daemon::describe_config(c), "described.toml", again));
  EXPECT_EQ(hydra::daemon::describe_config(again), hydra::daemon::describe_config(c));
}

TEST(Config, NonAsciiInCommentsIsFine) {
  DaemonConfig c;
  auto st = apply_config_text("# caf\xc3\xa9 \xef\xbb\xbd \xe2\x80\x94 notes\nstate_dir = \"/x\" # \xc3\xa9\n", "h.toml", c);
  ASSERT_TRUE(st) << st.error().text();
  EXPECT_EQ(c.state_dir, "/x");
}

TEST(Config, ErrorsNameFileAndLineAndChangeNothing) {
  struct Case {
    const char* text;
    const char* expect;
  };
  for (auto c : {Case{"state_dir = \"/x\"\nfrobnicate = 1\n", "hydra.toml:2: unknown key frobnicate"},
                 Case{"\n\nsocket = 5\n", "hydra.toml:3: socket must be a string"},
                 Case{"[guard]\nbridges = \"docker0\"\n", "hydra.toml:2: guard.bridges must be an array"},
                 Case{"[guard]\nbridges = [\"docker0\", \"way-too-long-bridge-name\"]\n", "hydra.toml:2:"},
                 Case{"[guard]\ncolour = 1\n", "hydra.toml:2: unknown key guard.colour"},
                 Case{"[guard]\nrealtime_priority = 100\n", "hydra.toml:2: guard.realtime_priority must be 0 (off) to 99"},
                 Case{"[guard]\n\nrealtime_priority = -1\n", "hydra.toml:3: guard.realtime_priority"},
                 Case{"[guard]\nrealtime_priority = \"high\"\n", "hydra.toml:2: guard.realtime_priority"},
                 Case{"log_format = \"xml\"\n", "log format must be text or json"},
                 Case{"[api]\nmax_connections = 0\n", "hydra.toml:2: api.max_connections must be a whole number, 1 to"},
                 Case{"[api]\nconnections_per_peer = -1\n", "hydra.toml:2: api.connections_per_peer"},
                 Case{"[api]\nrequest_timeout = 0\n", "hydra.toml:2: api.request_timeout"},
                 Case{"[api]\nqueue = 1\n", "hydra.toml:2: unknown key api.queue"},
                 Case{"[sessions]\nauthz_plugin = \"../x\"\n", "sessions.authz_plugin must be"},
                 Case{"[sessions]\nnetwork = \"bridged\"\n", "hydra.toml:2: sessions.network must be \"isolated\" or \"shared\""},
                 Case{"[sessions]\nnat = \"pf\"\n", "hydra.toml:2: sessions.nat must be \"iptables\" or \"nftables\", not \"pf\""},
                 Case{"[sessions]\nnetwork = \"shared\"\nnat = \"nftables\"\n",
                      "sessions.nat = \"nftables\" needs sessions.network = \"isolated\""},
                 Case{"[sessions]\n\ncontainerd = \"own\"\n",
                      "hydra.toml:3: sessions.containerd must be \"shared\" or \"per-session\", not \"own\""},
                 Case{"[sessions]\n\nbridge_subnets = \"10.200.1.0/16\"\n", "hydra.toml:3: sessions.bridge_subnets: \"10.200.1.0/16\" has host bits set"},
                 Case{"[sessions]\nuplink_subnet = \"10.201.0.0/33\"\n", "hydra.toml:2: sessions.uplink_subnet"},
                 Case{"[sessions]\naddress_pools = \"10.192.0.0/12\"\n", "sessions.bridge_subnets 10.200.0.0/16 overlaps address_pools 10.192.0.0/12"},
                 Case{"[sessions]\naddress_pools = \"10.96.0.0/24\"\n", "sessions.address_pools 10.96.0.0/24 is too small"},
                 Case{"[sessions]\negress_deny = [\"169.254.0.0/16\",\n  \"10.0.0.300/8\"]\n", "hydra.toml:3: sessions.egress_deny: \"10.0.0.300/8\": bad IPv4 address"},
                 Case{"[sessions]\negress_allow = [\"sandbox\"]\n", "hydra.toml:2: sessions.egress_allow"},
                 Case{"[sessions]\negress_deny = \"10.0.0.0/8\"\n", "hydra.toml:2: sessions.egress_deny must be an array of strings"},
                 Case{"[storage]\nmin_free = \"lots\"\n", "hydra.toml:2: storage.min_free: \"lots\" is not a size"},
                 Case{"[storage]\n\ncritical_free = \"120%\"\n", "hydra.toml:3: storage.critical_free"},
                 Case{"[gc]\nstale_after = \"a week\"\n", "hydra.toml:2: gc.stale_after must be seconds"},
                 Case{"[gc]\nkeep = 1\n", "hydra.toml:2: unknown key gc.keep"},
                 Case{"[gc]\ngolden_unused_days = -1\n", "hydra.toml:2: gc.golden_unused_days must be a whole number"},
                 Case{"[sessions]\n\ndefault_golden = \"../g\"\n", "hydra.toml:3: sessions.default_golden: bad golden name"},
                 Case{"state_dir = \n", "hydra.toml:1:"},
                 Case{"# fine\nstate_dir = \"/caf\xc3\xa9\"\n", "hydra.toml:2: only ASCII"},
                 Case{"\xef\xbb\xbd\n", "hydra.toml:1: only ASCII"}}) {
    DaemonConfig cfg;
    auto st = apply_config_text(c.text, "hydra.toml", cfg);
    ASSERT_FALSE(st) << c.text;
    EXPECT_NE(st.error().message.find(c.expect), std::string::npos) << st.error().message;
    EXPECT_EQ(cfg.state_dir, DaemonConfig().state_dir);
    EXPECT_EQ(cfg.guard_bridges, DaemonConfig().guard_bridges);
  }
}

// The one table behind the parser, --check-config and hydra.toml(5).
TEST(ConfigKeys, EachKeyReadsBackWhatItPrintsAndIsDocumented) {
  using hydra::daemon::config_keys;
  const DaemonConfig defaults;
  std::set<std::string> seen;
  for (const auto& k : config_keys()) {
    std::string full = (k.section.empty() ? "" : std::string(k.section) + ".") + std::string(k.name);
    EXPECT_TRUE(seen.insert(full).second) << full << " is in the table twice";
    EXPECT_GT(k.doc.size(), 20u) << full;
    EXPECT_FALSE(k.type.empty()) << full;
    std::string text = (k.section.empty() ? "" : "[" + std::string(k.section) + "]\n") + std::string(k.name) +
                       " = " + k.show(defaults) + "\n";
    DaemonConfig c;
    auto st = apply_config_text(text, "hydra.toml", c);
    ASSERT_TRUE(st) << text << st.error().text();
    EXPECT_EQ(hydra::daemon::describe_config(c), hydra::daemon::describe_config(defaults)) << text;
  }
  EXPECT_GE(seen.size(), 40u);
  EXPECT_EQ(hydra::daemon::find_config_key("sessions", "nope"), nullptr);
  EXPECT_NE(hydra::daemon::find_config_key("guard", "bridges"), nullptr);
}

TEST(ConfigKeys, TheManualDescribesEveryKeyOnce) {
  std::string page = hydra::daemon::config_manual("1.2.3");
  EXPECT_EQ(page.find(".TH HYDRA.TOML 5 "), page.find('\n') + 1) << page.substr(0, 200);
  for (const auto& k : hydra::daemon::config_keys()) {
    std::string entry = ".TP\n.B " + std::string(k.name) + "\n";
    EXPECT_NE(page.find(entry), std::string::npos) << k.name;
  }
  EXPECT_NE(page.find("On SIGHUP: applied at once."), std::string::npos);
  EXPECT_NE(page.find("Default: \\fB\"/var/lib/hydra\"\\fR"), std::string::npos);
}
