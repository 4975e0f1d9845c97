// hydrad guarding docker0, against the real kernel, in namespaces.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fstream>

#include "hydrad_process.hpp"
#include "sandbox_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

std::string temp_dir() { return make_temp_dir("hydra-it"); }

struct Guarded {
  SandboxWorld world;
  std::string dir = temp_dir();
  HydradProcess hydrad{world.sbx.path(), dir};
  json before_docker0;

  explicit Guarded(int containers = 3) : world(containers) {}
  ~Guarded() { std::system(("rm -rf " + dir).c_str()); }

  bool start() {
    if (!world.ok) return false;
    before_docker0 = world.link("docker0");
    return hydrad.start();
  }
  bool delete_and_wait_restored(size_t* restored_index = nullptr) {
    size_t skip = hydrad.event_count();
    if (world.sbx.ip("link del docker0") != 0) return false;
    bool ok = hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000, skip);
    if (restored_index) *restored_index = skip;
    return ok;
  }
  json last(const std::string& event) const {
    json found;
    for (const auto& e : hydrad.events())
      if (e["event"] == event) found = e;
    return found;
  }
};

// The identity of docker0 that must survive: ifindex, MAC, MTU, up, options.
void expect_same_identity(const json& before, const json& after) {
  ASSERT_FALSE(after.is_null()) << "docker0 is missing";
  EXPECT_EQ(after["ifindex"], before["ifindex"]);
  EXPECT_EQ(after["address"], before["address"]) << "MAC";
  EXPECT_EQ(after["mtu"], before["mtu"]);
  EXPECT_NE(std::find(after["flags"].begin(), after["flags"].end(), "UP"), after["flags"].end());
  const auto& bi = before["linkinfo"]["info_data"];
  const auto& ai = after["linkinfo"]["info_data"];
  for (const char* opt : {"ageing_time", "priority", "group_fwd_mask", "stp_state", "forward_delay", "hello_time",
                          "max_age", "mcast_snooping"})
    EXPECT_EQ(ai[opt], bi[opt]) << "option " << opt;
}

}  // namespace

TEST(Guard, RestoresIdentityAddressesPortsAndFlags) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto ports_before = g.world.ports_of("docker0");
  ASSERT_EQ(ports_before, (std::vector<std::string>{"vethc0", "vethc1", "vethc2"}));
  auto addrs_before = g.world.addresses("docker0");
  ASSERT_TRUE(g.delete_and_wait_restored());
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  EXPECT_EQ(g.world.ports_of("docker0"), ports_before);
  EXPECT_EQ(g.world.addresses("docker0"), addrs_before);
  auto port0 = g.world.link("vethc0")["linkinfo"]["info_slave_data"];
  EXPECT_EQ(port0["hairpin"], true);
  EXPECT_EQ(port0["learning"], false);
  auto port1 = g.world.link("vethc1")["linkinfo"]["info_slave_data"];
  EXPECT_EQ(port1["hairpin"], false);
  EXPECT_EQ(port1["learning"], true);
  json ev = g.last("bridge_restored");
  EXPECT_EQ(ev["bridge"], "docker0");
  EXPECT_EQ(ev["ports"], 3);
  EXPECT_EQ(ev["ifindex"], g.before_docker0["ifindex"]);
  EXPECT_GT(ev["detect_us"].get<int64_t>(), 0);
  EXPECT_GE(ev["restore_us"].get<int64_t>(), ev["detect_us"].get<int64_t>());
  // Its own changes do not set it off again.
  usleep(400000);
  EXPECT_EQ(g.hydrad.count("bridge_restored"), 1u);
  EXPECT_EQ(g.hydrad.count("bridge_repaired"), 0u);
  EXPECT_EQ(g.hydrad.count("port_released"), 0u);
  EXPECT_EQ(g.hydrad.count("restore_retry"), 0u);
}

TEST(Guard, NeverHarmsWhatWasNotOnTheBridge) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto eth0 = g.world.link("eth0");
  ASSERT_TRUE(g.delete_and_wait_restored());
  EXPECT_EQ(g.world.master_of("eth0"), "") << "the sandbox's eth0 is a masterless veth: never attached";
  EXPECT_EQ(g.world.addresses("eth0"), (std::vector<std::string>{"192.0.2.2/24"}));
  EXPECT_EQ(g.world.link("eth0")["ifindex"], eth0["ifindex"]);
  EXPECT_EQ(g.world.master_of("vethb-h1"), "hydra1");
  EXPECT_EQ(g.world.master_of("vethstray"), "") << "a masterless veth that was never recorded";
  EXPECT_EQ(g.world.master_of("vethb-peer"), "");
  EXPECT_EQ(g.world.master_of("lo"), "");
  EXPECT_EQ(g.world.ports_of("hydra1"), (std::vector<std::string>{"vethb-h1"}));
}

TEST(Guard, RestartFromSnapshotRefusesChangedPorts) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  g.hydrad.stop(SIGKILL);
  // While hydrad is dead: docker0 goes, one port joins hydra1, one gets an address.
  ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0);
  ASSERT_EQ(g.world.sbx.ip("link set vethc1 master hydra1"), 0);
  ASSERT_EQ(g.world.sbx.ip("addr add 10.99.0.1/24 dev vethc2"), 0);
  ASSERT_TRUE(g.hydrad.start());
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000));
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  EXPECT_EQ(g.world.ports_of("docker0"), (std::vector<std::string>{"vethc0"}));
  EXPECT_EQ(g.world.master_of("vethc1"), "hydra1");
  EXPECT_EQ(g.world.master_of("vethc2"), "");
  json ev = g.last("bridge_restored");
  ASSERT_EQ(ev["ports_refused"].size(), 2u) << ev.dump();
}

TEST(Guard, ContainersReachTheGatewayWithTheSameNeighbourEntry) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  for (auto& c : g.world.containers) ASSERT_EQ(c->exec("ping -c1 -W1 10.213.0.1"), 0);
  std::vector<std::string> neigh_before;
  for (auto& c : g.world.containers)
    neigh_before.push_back(capture("ip -n " + c->name() + " -j neigh show 10.213.0.1"));
  ASSERT_TRUE(g.delete_and_wait_restored());
  for (size_t i = 0; i < g.world.containers.size(); ++i) {
    auto& c = g.world.containers[i];
    EXPECT_EQ(c->exec("ping -c1 -W1 10.213.0.1"), 0) << c->name();
    auto before = json::parse(neigh_before[i]);
    auto after = json::parse(capture("ip -n " + c->name() + " -j neigh show 10.213.0.1"));
    ASSERT_FALSE(before.empty());
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after[0]["lladdr"], before[0]["lladdr"]) << "gateway MAC unchanged in " << c->name();
    EXPECT_EQ(after[0]["lladdr"], "02:42:0a:d5:00:01");
  }
}

TEST(Guard, TwoHundredDeletionsBackToBack) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto ports = g.world.ports_of("docker0");
  auto addrs = g.world.addresses("docker0");
  for (int i = 0; i < 200; ++i) {
    // Delete as soon as it is back (the name exists again).
    for (int spin = 0; spin < 2000 && g.world.sbx.ip("link show docker0") != 0; ++spin) usleep(500);
    ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0) << "deletion " << i;
  }
  ASSERT_TRUE(g.hydrad.wait_for(
      [&](const json&) { return g.hydrad.count("bridge_restored") >= 200; }, 20000));
  usleep(200000);
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  EXPECT_EQ(g.world.ports_of("docker0"), ports);
  EXPECT_EQ(g.world.addresses("docker0"), addrs);
  EXPECT_EQ(g.hydrad.count("restore_failed"), 0u);
}

TEST(Guard, RepairsDownAndLostAddressesButNotReleasedPorts) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  ASSERT_EQ(g.world.sbx.ip("link set vethc1 nomaster"), 0);
  ASSERT_EQ(g.world.sbx.ip("link set docker0 down"), 0);
  ASSERT_EQ(g.world.sbx.ip("addr del 10.213.0.1/24 dev docker0"), 0);
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_repaired"; }, 5000));
  auto l = g.world.link("docker0");
  EXPECT_NE(std::find(l["flags"].begin(), l["flags"].end(), "UP"), l["flags"].end());
  EXPECT_EQ(g.world.addresses("docker0"), (std::vector<std::string>{"10.213.0.1/24", "fd00:d0c::1/64"}));
  EXPECT_EQ(g.world.master_of("vethc1"), "") << "released by a daemon: not re-attached";
  EXPECT_EQ(g.hydrad.count("port_released"), 1u);
  // And a later deletion brings back only the ports still recorded.
  ASSERT_TRUE(g.delete_and_wait_restored());
  EXPECT_EQ(g.world.ports_of("docker0"), (std::vector<std::string>{"vethc0", "vethc2"}));
}

TEST(Guard, ConflictingDeviceIsReportedNeverTouched) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  g.hydrad.stop(SIGKILL);
  ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0);
  ASSERT_EQ(g.world.sbx.ip("link add docker0 type veth peer name docker0-peer"), 0);
  ASSERT_TRUE(g.hydrad.start());
  EXPECT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_conflict"; }, 2000));
  auto l = g.world.link("docker0");
  EXPECT_EQ(l["linkinfo"]["info_kind"], "veth") << "left alone";
  auto status = json::parse(capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + g.hydrad.socket() +
                                    " status --json"), nullptr, false);
  ASSERT_TRUE(status.is_array()) << status;
  EXPECT_EQ(status[0]["state"], "conflict");
  EXPECT_TRUE(status[0].contains("conflict"));
  // Once the impostor goes, docker0 comes back from the snapshot.
  ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0);
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000));
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
}

TEST(Guard, OverrunLeadsToResyncAndCorrectState) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world;
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  HydradProcess hydrad(world.sbx.path(), dir, {"--monitor-buffer", "4096"});
  auto before = world.link("docker0");
  ASSERT_TRUE(hydrad.start());
  // A burst of changes larger than the tiny buffer, with the deletion inside it.
  std::string batch = dir + "/burst.ip";
  {
    std::ofstream out(batch);
    for (int i = 0; i < 300; ++i) out << "link set vethstray " << (i % 2 ? "up" : "down") << "\n";
    out << "link del docker0\n";
    for (int i = 0; i < 300; ++i) out << "link set vethstray " << (i % 2 ? "up" : "down") << "\n";
  }
  kill(hydrad.pid(), SIGSTOP);  // not reading: the buffer must overrun
  ASSERT_EQ(world.sbx.ip("-batch " + batch), 0);
  kill(hydrad.pid(), SIGCONT);
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "resync"; }, 5000));
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000));
  expect_same_identity(before, world.link("docker0"));
  EXPECT_EQ(world.ports_of("docker0"), (std::vector<std::string>{"vethc0", "vethc1", "vethc2"}));
  EXPECT_EQ(world.master_of("vethstray"), "");
  auto metrics = capture("curl -s --unix-socket " + hydrad.socket() + " http://localhost/metrics");
  EXPECT_EQ(metrics.find("hydra_resyncs_total 0"), std::string::npos) << "the resync is counted";
  EXPECT_NE(metrics.find("hydra_resyncs_total"), std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Guard, ApiAndReadiness) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world;
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  // A notify socket as systemd would give.
  std::string notify_path = dir + "/notify.sock";
  int nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", notify_path.c_str());
  ASSERT_EQ(bind(nfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  HydradProcess hydrad(world.sbx.path(), dir);
  ASSERT_TRUE(hydrad.start({{"NOTIFY_SOCKET", notify_path}, {"WATCHDOG_USEC", "200000"}}));
  timeval tv{2, 0};
  setsockopt(nfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  bool ready = false, watchdog = false;
  for (int i = 0; i < 20 && !(ready && watchdog); ++i) {
    char buf[256] = {};
    if (recv(nfd, buf, sizeof buf - 1, 0) <= 0) break;
    ready |= std::string(buf).find("READY=1") != std::string::npos;
    watchdog |= std::string(buf).find("WATCHDOG=1") != std::string::npos;
  }
  EXPECT_TRUE(ready);
  EXPECT_TRUE(watchdog) << "the event loop pings systemd's watchdog";
  close(nfd);

  std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + hydrad.socket();
  auto bridges = json::parse(capture(ctl + " status --json"), nullptr, false);
  ASSERT_TRUE(bridges.is_array());
  ASSERT_EQ(bridges.size(), 1u);
  const auto& b = bridges[0];
  EXPECT_EQ(b["name"], "docker0");
  EXPECT_EQ(b["state"], "guarded");
  EXPECT_EQ(b["mac"], "02:42:0a:d5:00:01");
  EXPECT_EQ(b["mtu"], 1400);
  EXPECT_EQ(b["up"], true);
  EXPECT_EQ(b["addresses"], json({"10.213.0.1/24", "fd00:d0c::1/64"}));
  EXPECT_EQ(b["ports"].size(), 3u);
  EXPECT_EQ(b["restores"], 0);
  EXPECT_TRUE(b["last_restore"].is_null());
  auto text = capture(ctl + " status");
  EXPECT_NE(text.find("docker0"), std::string::npos);
  EXPECT_NE(text.find("guarded"), std::string::npos);
  auto curl = [&](const std::string& args) {
    return capture("curl -s -o /dev/null -w '%{http_code}' --unix-socket " + hydrad.socket() + " " + args);
  };
  EXPECT_EQ(curl("http://localhost/health"), "200");
  EXPECT_EQ(curl("http://localhost/nope"), "404");
  EXPECT_EQ(curl("-X POST http://localhost/health"), "405");
  struct stat st {};
  ASSERT_EQ(stat(hydrad.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  hydrad.stop(SIGTERM);
  EXPECT_NE(access(hydrad.socket().c_str(), F_OK), 0) << "socket removed on a clean stop";
  std::system(("rm -rf " + dir).c_str());
}

TEST(Guard, MetricsAfterARestore) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto metrics = [&] {
    return capture("curl -s --unix-socket " + g.hydrad.socket() + " http://localhost/metrics");
  };
  auto before = metrics();
  EXPECT_NE(before.find("hydra_bridge_restores_total{bridge=\"docker0\"} 0"), std::string::npos) << before;
  EXPECT_NE(before.find("hydra_bridge_up{bridge=\"docker0\"} 1"), std::string::npos);
  EXPECT_NE(before.find("hydra_bridge_ports{bridge=\"docker0\"} 3"), std::string::npos);
  EXPECT_NE(before.find("hydra_build_info{version=\""), std::string::npos);
  EXPECT_NE(before.find("# TYPE hydra_bridge_restore_duration_seconds histogram"), std::string::npos);
  ASSERT_TRUE(g.delete_and_wait_restored());
  usleep(100000);
  auto after = metrics();
  EXPECT_NE(after.find("hydra_bridge_restores_total{bridge=\"docker0\"} 1"), std::string::npos) << after;
  EXPECT_NE(after.find("hydra_bridge_restore_duration_seconds_count 1"), std::string::npos) << after;
  EXPECT_NE(after.find("hydra_bridge_restore_duration_seconds_bucket{le=\"1\"} 1"), std::string::npos) << after;
  EXPECT_NE(after.find("hydra_resyncs_total 0"), std::string::npos);
}

TEST(Guard, MetricsOverTcpAndConfigCheck) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world(1);
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  // The TCP listener lives in the sandbox namespace: its loopback, not the machine's.
  HydradProcess hydrad(world.sbx.path(), dir, {"--metrics-address", "127.0.0.1:9464"});
  ASSERT_TRUE(hydrad.start());
  auto text = capture("nsenter --net=" + world.sbx.path() + " curl -s http://127.0.0.1:9464/metrics");
  EXPECT_NE(text.find("hydra_bridge_up{bridge=\"docker0\"} 1"), std::string::npos) << text;
  auto other = capture("nsenter --net=" + world.sbx.path() +
                       " curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:9464/api/v1/bridges");
  EXPECT_EQ(other, "404") << "the control API is never served over TCP";
  hydrad.stop(SIGTERM);
  std::ofstream(dir + "/bad.toml") << "[guard]\nbridges = [\"docker0\"]\n[metrics]\nadress = \"x\"\n";
  auto out = capture(std::string(HYDRA_BIN_DIR) + "/hydrad --check-config " + dir + "/bad.toml 2>&1; echo rc=$?");
  EXPECT_NE(out.find("bad.toml:4: unknown key metrics.adress"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos);
  std::ofstream(dir + "/good.toml") << "[metrics]\naddress = \"127.0.0.1:9100\"\n";
  out = capture(std::string(HYDRA_BIN_DIR) + "/hydrad --check-config " + dir + "/good.toml 2>&1; echo rc=$?");
  EXPECT_NE(out.find("address = \"127.0.0.1:9100\""), std::string::npos) << out;
  EXPECT_NE(out.find("rc=0"), std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Guard, EventStreamFollowsARestore) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  std::string out = g.dir + "/stream.json", text = g.dir + "/stream.txt";
  std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + g.hydrad.socket() + " events";
  // Two followers, JSON and text, each stopped by timeout after the restore.
  ASSERT_EQ(sh("(timeout 3 " + ctl + " --json > " + out + " &) ; (timeout 3 " + ctl + " > " + text + " &)"), 0);
  usleep(300000);
  ASSERT_TRUE(g.delete_and_wait_restored());
  sleep(3);
  std::ifstream in(out);
  std::string line;
  bool restored = false;
  while (std::getline(in, line)) {
    auto e = json::parse(line, nullptr, false);
    ASSERT_FALSE(e.is_discarded()) << line;
    if (e["event"] == "bridge_restored") {
      restored = true;
      EXPECT_EQ(e["bridge"], "docker0");
      EXPECT_EQ(e["ports"], 3);
    }
  }
  EXPECT_TRUE(restored) << "the JSON stream carried the restore";
  std::ifstream tin(text);
  std::string all((std::istreambuf_iterator<char>(tin)), std::istreambuf_iterator<char>());
  EXPECT_NE(all.find(" bridge_restored "), std::string::npos) << all;
  EXPECT_NE(all.find("bridge=docker0"), std::string::npos) << all;
}

TEST(Guard, ControlSocketGroupAndWhoAsked) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world(1);
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  std::ofstream(dir + "/h.toml") << "socket_group = \"daemon\"\n";
  HydradProcess hydrad(world.sbx.path(), dir, {"--config", dir + "/h.toml"});
  ASSERT_TRUE(hydrad.start());
  struct stat st {};
  ASSERT_EQ(stat(hydrad.socket().c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, 1u) << "group daemon (gid 1 on Debian)";
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  // A mutating request is logged with the asker's uid and pid.
  capture("curl -s -X DELETE --unix-socket " + hydrad.socket() + " http://localhost/api/v1/docker-instances/session/nope");
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "api_request"; }, 2000));
  for (const auto& e : hydrad.events()) {
    if (e["event"] != "api_request") continue;
    EXPECT_EQ(e["method"], "DELETE");
    EXPECT_EQ(e["status"], 404);
    EXPECT_EQ(e["peer_uid"], 0);
    EXPECT_GT(e["peer_pid"].get<long>(), 0);
  }
  hydrad.stop(SIGTERM);
  // A group that does not exist is an error at start, named.
  std::ofstream(dir + "/bad.toml") << "socket_group = \"no-such-group-hydra\"\n";
  auto out = capture("nsenter --net=" + world.sbx.path() + " " + std::string(HYDRA_BIN_DIR) + "/hydrad --config " +
                     dir + "/bad.toml --state-dir " + dir + "/s2 --socket " + dir + "/s2.sock 2>&1; echo rc=$?");
  EXPECT_NE(out.find("group \"no-such-group-hydra\" does not exist"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Guard, ReloadOnSighupKeepsGuarding) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world(1);
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  std::string conf = dir + "/h.toml";
  std::ofstream(conf) << "[guard]\nbridges = [\"docker0\"]\n";
  HydradProcess hydrad(world.sbx.path(), dir, {"--config", conf});
  ASSERT_TRUE(hydrad.start());
  // A new list: hydra1 joins.
  std::ofstream(conf, std::ios::trunc) << "[guard]\nbridges = [\"docker0\", \"hydra1\"]\n";
  kill(hydrad.pid(), SIGHUP);
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "reloaded"; }, 2000));
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_guarded" && e["bridge"] == "hydra1"; }, 2000));
  size_t skip = hydrad.event_count();
  ASSERT_EQ(world.sbx.ip("link del hydra1"), 0);
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored" && e["bridge"] == "hydra1"; },
                              5000, skip));
  EXPECT_EQ(world.master_of("vethb-h1"), "") << "vethb-* is never attached by the guard, as the issue rules";
  // A broken file: the reload is refused, the running configuration stays.
  std::ofstream(conf, std::ios::trunc) << "[guard]\nbridges = 7\n";
  kill(hydrad.pid(), SIGHUP);
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "reload_failed"; }, 2000));
  skip = hydrad.event_count();
  ASSERT_EQ(world.sbx.ip("link del docker0"), 0);
  EXPECT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored" && e["bridge"] == "docker0"; },
                              5000, skip));
  // hydra1 dropped from the list: no longer guarded.
  std::ofstream(conf, std::ios::trunc) << "[guard]\nbridges = [\"docker0\"]\n";
  kill(hydrad.pid(), SIGHUP);
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_unguarded"; }, 2000));
  auto status = json::parse(capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + hydrad.socket() +
                                    " status --json"), nullptr, false);
  ASSERT_TRUE(status.is_array());
  EXPECT_EQ(status.size(), 1u);
  hydrad.stop(SIGTERM);
  std::system(("rm -rf " + dir).c_str());
}
