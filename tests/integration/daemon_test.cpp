// SPDX-License-Identifier: Apache-2.0
// hydrad as a daemon: readiness, API, metrics, events, control socket,
// signals and scheduling — the real process, in namespaces.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "guarded_fixture.hpp"

using namespace hydra::test;
using nlohmann::json;

TEST(Daemon, ApiAndReadiness) {
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

TEST(Daemon, MetricsAfterARestore) {
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
  // Metrics are updated as the restore completes; wait for them, not for time.
  EXPECT_TRUE(wait_until([&] { return metrics().find("hydra_bridge_restores_total{bridge=\"docker0\"} 1") != std::string::npos; },
                         10000));
  auto after = metrics();
  EXPECT_NE(after.find("hydra_bridge_restores_total{bridge=\"docker0\"} 1"), std::string::npos) << after;
  EXPECT_NE(after.find("hydra_bridge_restore_duration_seconds_count 1"), std::string::npos) << after;
  EXPECT_NE(after.find("hydra_bridge_restore_duration_seconds_bucket{le=\"1\"} 1"), std::string::npos) << after;
  EXPECT_NE(after.find("hydra_resyncs_total 0"), std::string::npos);
}

TEST(Daemon, MetricsOverTcpAndConfigCheck) {
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
  // The address plan against the sandbox's routes: an overlap is named, by
  // --check-config and at start.
  ASSERT_EQ(world.sbx.ip("route add 10.112.64.0/20 dev docker0"), 0);
  const std::string in_sbx = "nsenter --net=" + world.sbx.path() + " " + HYDRA_BIN_DIR + "/hydrad";
  out = capture(in_sbx + " --check-config " + dir + "/good.toml 2>&1; echo rc=$?");
  EXPECT_NE(out.find("sessions.address_pools 10.112.0.0/12 overlaps the sandbox's route 10.112.64.0/20 on docker0"),
            std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << out;
  std::ofstream(dir + "/moved.toml") << "[sessions]\naddress_pools = \"10.160.0.0/12\"\n";
  out = capture(in_sbx + " --check-config " + dir + "/moved.toml 2>&1; echo rc=$?");
  EXPECT_NE(out.find("address_pools = \"10.160.0.0/12\""), std::string::npos) << out;
  EXPECT_NE(out.find("rc=0"), std::string::npos) << out;
  out = capture(in_sbx + " --state-dir " + dir + "/st --socket " + dir + "/h.sock 2>&1; echo rc=$?");
  EXPECT_NE(out.find("overlaps the sandbox's route 10.112.64.0/20 on docker0"), std::string::npos) << out;
  EXPECT_NE(out.find("rc=1"), std::string::npos) << "refused at start too: " << out;
  std::system(("rm -rf " + dir).c_str());
}

TEST(Daemon, EventStreamFollowsARestore) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  std::string out = g.dir + "/stream.json", text = g.dir + "/stream.txt";
  std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + g.hydrad.socket() + " events";
  // Two followers, JSON and text, started by pid and stopped by pid once
  // they have shown the restore. Conditions with deadlines, no sleeps: on a
  // busy machine a follower may take its time to connect.
  auto follow = [&](const std::string& args, const std::string& path) {
    pid_t pid = fork();
    if (pid == 0) {
      execl("/bin/sh", "sh", "-c", ("exec " + ctl + args + " > " + path).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    return pid;
  };
  const pid_t json_follower = follow(" --json", out), text_follower = follow("", text);
  auto read_all = [](const std::string& path) {
    std::ifstream f(path);
    return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  };
  EXPECT_TRUE(wait_until([&] { return g.hydrad.get("/metrics").find("\nhydra_event_stream_clients 2") != std::string::npos; },
                         20000))
      << "the followers did not connect";
  ASSERT_TRUE(g.delete_and_wait_restored());
  EXPECT_TRUE(wait_until([&] {
    return read_all(out).find("\"bridge_restored\"") != std::string::npos &&
           read_all(text).find(" bridge_restored ") != std::string::npos;
  }, 20000));
  for (pid_t p : {json_follower, text_follower}) {
    kill(p, SIGTERM);
    waitpid(p, nullptr, 0);
  }
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

TEST(Daemon, ControlSocketGroupAndWhoAsked) {
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
    EXPECT_EQ(e["status"], 200) << "stopping what does not run succeeds (Hydra's client takes only 200)";
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

TEST(Daemon, ReloadOnSighupKeepsGuarding) {
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

namespace {

// Scheduling policy of one thread of `pid`, from /proc (field 41 of stat).
int thread_policy(pid_t pid, const std::string& tid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + tid + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), {});
  auto close = stat.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream rest(stat.substr(close + 2));
  std::string field;
  for (int i = 3; i <= 41 && rest >> field; ++i) {
    if (i == 41) return std::stoi(field);
  }
  return -1;
}

std::vector<std::string> thread_ids(pid_t pid) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task"))
    out.push_back(e.path().filename());
  return out;
}

}  // namespace

TEST(Daemon, GuardThreadIsRealtimeNothingElseIs) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(2);
  ASSERT_TRUE(g.start());
  std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + g.hydrad.socket();
  ASSERT_EQ(capture(ctl + " status --json").substr(0, 1), "[");
  auto ready = g.last("ready");
  EXPECT_EQ(ready["realtime_priority"], 10);
  const pid_t pid = g.hydrad.pid();
  sched_param param{};
  // The main thread runs the guard's loop: SCHED_FIFO, reset for children.
  int policy = sched_getscheduler(pid);
  EXPECT_EQ(policy, SCHED_FIFO | SCHED_RESET_ON_FORK);
  ASSERT_EQ(sched_getparam(pid, &param), 0);
  EXPECT_EQ(param.sched_priority, 10);
  auto tids = thread_ids(pid);
  EXPECT_GT(tids.size(), 1u) << "the HTTP server's threads";
  for (const auto& tid : tids)
    if (tid != std::to_string(pid)) {
      EXPECT_EQ(thread_policy(pid, tid), SCHED_OTHER) << "thread " << tid;
    }
  g.hydrad.stop(SIGTERM);

  // realtime_priority = 0: an ordinary thread.
  std::ofstream(g.dir + "/off.toml") << "[guard]\nbridges = [\"docker0\"]\nrealtime_priority = 0\n";
  HydradProcess off(g.world.sbx.path(), g.dir + "/off", {"--config", g.dir + "/off.toml"});
  ASSERT_TRUE(off.start());
  EXPECT_EQ(sched_getscheduler(off.pid()), SCHED_OTHER);
  off.stop(SIGTERM);
}
