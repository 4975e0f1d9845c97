// SPDX-License-Identifier: Apache-2.0
// Sessions across hydrad's own restart, across a dockerd that dies at the
// worst moment, and under the disk brake, with stand-in dockerds (tests/tools/fake_dockerd.cpp): no
// Docker needed, so these run under the sanitizers too.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <fstream>

#include "hydrad_process.hpp"
#include "sandbox_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

struct RecoveryReply {
  int status = 0;
  std::string headers;
  json body;
};

RecoveryReply recovery_call(const HydradProcess& h, const std::string& method, const std::string& path, const std::string& body = "") {
  std::string data = body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'";
  auto out = capture("curl -s -i -m 30 -w '\\n%{http_code}' -X " + method + " --unix-socket " + h.socket() + data +
                     " http://localhost" + path);
  RecoveryReply r;
  auto nl = out.find_last_of('\n');
  if (nl == std::string::npos) return r;
  r.status = std::atoi(out.substr(nl + 1).c_str());
  out.resize(nl);
  auto split = out.find("\r\n\r\n");
  r.headers = out.substr(0, split);
  if (split != std::string::npos) r.body = json::parse(out.substr(split + 4), nullptr, false);
  return r;
}

bool path_exists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

// The stand-in dockerds whose command line names `needle`.
int fake_dockerds_with(const std::string& needle) {
  return std::atoi(capture("pgrep -c -f 'fake_docker[d].*" + needle + "' || true").c_str());
}

struct FakeDockerdWorld {
  SandboxWorld world{1};
  std::string dir = make_temp_dir("hydra-rec");
  std::unique_ptr<HydradProcess> hydrad;

  explicit FakeDockerdWorld(const std::string& extra_config = "") {
    std::ofstream(dir + "/hydra.toml") << "[sessions]\ndockerd = \"" << HYDRA_BIN_DIR << "/fake_dockerd\"\n"
                                       << "data_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir << "/run\"\n"
                                       << "start_timeout = 5\nstop_timeout = 2\n" << test_cgroup_line(dir) << extra_config;
    hydrad = std::make_unique<HydradProcess>(world.sbx.path(), dir + "/state",
                                             std::vector<std::string>{"--config", dir + "/hydra.toml"});
  }
  ~FakeDockerdWorld() {
    hydrad->stop(SIGTERM);
    sh("pkill -CONT -f 'fake_docker[d].*" + dir + "'");
    sh("pkill -KILL -f 'fake_docker[d].*" + dir + "'");
    // Safety net when the hydrad under test leaked: its namespace pins.
    sh("for m in $(grep ' " + dir + "/' /proc/mounts | cut -d' ' -f2 | sort -r); do umount -l $m; done");
    sh("rm -rf " + dir);
    remove_test_cgroups(dir);
  }
};

}  // namespace

// Fault 1: hydrad restarts with a running session whose dockerd hangs and
// another that answers; requests arrive at once. None of them may meet a
// table that does not know those sessions: no 404, no purge under a live
// dockerd, no second dockerd on a data root, no index given away.
TEST(SessionRecovery, RequestsDuringRecoveryWaitForAdoption) {
  HYDRA_REQUIRE_ROOT();
  FakeDockerdWorld w("api_timeout = 3\nrecovery_wait = 1\nprobe_interval = 60\n");
  ASSERT_TRUE(w.world.ok);
  ASSERT_TRUE(w.hydrad->start());
  auto s1 = recovery_call(*w.hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  auto s2 = recovery_call(*w.hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s2"})");
  ASSERT_EQ(s1.status, 201) << s1.body.dump();
  ASSERT_EQ(s2.status, 201) << s2.body.dump();
  const pid_t hung = s1.body.value("pid", 0);
  ASSERT_GT(hung, 0);
  const std::string marker = s2.body.value("data_root", "") + "/user-file";
  std::ofstream(marker) << "kept\n";
  ASSERT_TRUE(path_exists(marker));

  kill(hung, SIGSTOP);  // its adoption waits api_timeout (3 s) for an answer
  w.hydrad->stop(SIGKILL);
  const size_t before = w.hydrad->event_count();
  ASSERT_TRUE(w.hydrad->launch());
  ASSERT_TRUE(wait_until([&] { return recovery_call(*w.hydrad, "GET", "/health").status == 200; }, 10000));

  // The hung one: still being adopted past recovery_wait: 503, retry.
  auto get1 = recovery_call(*w.hydrad, "GET", "/api/v1/docker-instances/session/s1");
  EXPECT_EQ(get1.status, 503) << get1.body.dump();
  EXPECT_NE(get1.headers.find("Retry-After: 1"), std::string::npos) << get1.headers;
  EXPECT_NE(w.hydrad->get("/metrics").find("hydra_sessions{state=\"recovering\"} 1"), std::string::npos);
  auto again1 = recovery_call(*w.hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  EXPECT_TRUE(again1.status == 503 || again1.status == 200) << again1.status << " " << again1.body.dump();
  // Both known from the first request on.
  auto list = recovery_call(*w.hydrad, "GET", "/api/v1/docker-instances");
  ASSERT_EQ(list.status, 200);
  std::set<std::string> listed;
  for (const auto& i : list.body["instances"]) {
    listed.insert(i.value("scope_id", ""));
    EXPECT_NE(i.value("status", ""), "stopped") << i.dump();
  }
  EXPECT_EQ(listed, (std::set<std::string>{"s1", "s2"}));
  // The answering one: a purge is refused (it runs), its files stay.
  auto purge2 = recovery_call(*w.hydrad, "DELETE", "/api/v1/docker-instances/session/s2/data");
  EXPECT_TRUE(purge2.status == 409 || purge2.status == 503) << purge2.status << " " << purge2.body.dump();
  EXPECT_TRUE(path_exists(marker)) << "a purge during recovery deleted a running session's files";
  // A new key never gets an index a recovering session holds.
  auto s3 = recovery_call(*w.hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s3"})");
  ASSERT_EQ(s3.status, 201) << s3.body.dump();
  EXPECT_NE(s3.body.value("index", 0), s1.body.value("index", 0));
  EXPECT_NE(s3.body.value("index", 0), s2.body.value("index", 0));

  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "ready"; }, 15000, before));
  EXPECT_EQ(fake_dockerds_with(s1.body.value("data_root", "")), 1) << "one dockerd per data root";
  auto after = recovery_call(*w.hydrad, "GET", "/api/v1/docker-instances/session/s1");
  EXPECT_EQ(after.status, 200);
  EXPECT_EQ(after.body.value("state", ""), "unresponsive") << after.body.dump();
  kill(hung, SIGCONT);
  EXPECT_TRUE(wait_until([&] {
    return recovery_call(*w.hydrad, "GET", "/api/v1/docker-instances/session/s1").body.value("state", "") == "running";
  }, 10000));
  for (const char* id : {"s1", "s2", "s3"})
    EXPECT_EQ(recovery_call(*w.hydrad, "DELETE", std::string("/api/v1/docker-instances/session/") + id).status, 200);
  EXPECT_TRUE(wait_until([&] { return fake_dockerds_with(w.dir) == 0; }, 10000)) << "every dockerd stopped";
  EXPECT_TRUE(path_exists(marker)) << "a delete keeps the data root";
}

// Fault 2: a dockerd that exits just as it is found ready. Whatever the order
// in which hydrad sees "ready" and the exit, the session ends exited with
// its network released and its index free — never "running" with no
// dockerd, never a leaked uplink or namespace.
TEST(SessionRecovery, DockerdExitingAsItAnswersIsReleased) {
  HYDRA_REQUIRE_ROOT();
  FakeDockerdWorld w("probe_interval = 60\n");
  ASSERT_TRUE(w.world.ok);
  ASSERT_TRUE(w.hydrad->start({{"FAKE_DOCKERD_MODE", "exit-after-ping"}}));
  for (int i = 0; i < 12; ++i) {
    const std::string id = "x" + std::to_string(i);
    auto r = recovery_call(*w.hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + id + "\"}");
    ASSERT_TRUE(r.status == 500 || r.status == 201) << r.status << " " << r.body.dump();
    EXPECT_TRUE(wait_until([&] {
      auto g = recovery_call(*w.hydrad, "GET", "/api/v1/docker-instances/session/" + id);
      return g.body.value("state", "") == "exited" && g.body.value("status", "") == "error";
    }, 5000)) << id << ": " << recovery_call(*w.hydrad, "GET", "/api/v1/docker-instances/session/" + id).body.dump();
    EXPECT_TRUE(wait_until([&] {
      return w.world.sbx.ip("link show hup-h1") != 0 && !path_exists(w.dir + "/run/netns/h1");
    }, 5000)) << id << ": the session's uplink and namespace released";
  }
}

// Fault 4: the disk brake acts on a session only with that session's op, so
// never in the middle of its create or delete. The stand-in's one container
// takes 4 s to stop and its log says when two stops overlap. The disk is
// "critical" all along (critical_free 100%): the brake stops that container
// every second; a delete sent the moment a brake's stop begins must wait for
// it instead of stopping the same container beside it.
TEST(SessionRecovery, DiskBrakeNeverActsBesideADelete) {
  HYDRA_REQUIRE_ROOT();
  FakeDockerdWorld w("probe_interval = 60\n[storage]\ncritical_free = \"100%\"\ncheck_interval = 1\n");
  ASSERT_TRUE(w.world.ok);
  ASSERT_TRUE(w.hydrad->start({{"FAKE_DOCKERD_MODE", "slow-stop"}}));
  auto s1 = recovery_call(*w.hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  ASSERT_EQ(s1.status, 201) << s1.body.dump();
  const std::string fake_log = w.dir + "/run/h" + std::to_string(s1.body.value("index", 0)) + "/dockerd.log";
  auto stops_begun = [&] { return std::atoi(capture("grep -c 'stop begins' " + fake_log + " || true").c_str()); };
  ASSERT_TRUE(wait_until([&] { return stops_begun() >= 1; }, 10000)) << "the brake stops the session's container";
  EXPECT_EQ(recovery_call(*w.hydrad, "DELETE", "/api/v1/docker-instances/session/s1").status, 200);
  EXPECT_GE(stops_begun(), 2) << "the delete stopped the container too";
  EXPECT_EQ(capture("grep OVERLAP " + fake_log + " || true"), "") << "the brake and the delete stopped it at once";
  EXPECT_GE(w.hydrad->count("disk_brake"), 1u);
}
