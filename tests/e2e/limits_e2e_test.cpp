// SPDX-License-Identifier: Apache-2.0
// Issue 30 end to end with Debian's real dockerd: a session's cgroup holds
// its dockerd and every container it starts; its memory and task limits
// stop a hog and a fork bomb inside it while another session keeps serving;
// its limits and usage are in GET and the metrics, survive hydrad's restart,
// and its cgroups go with its delete. Runs on this machine's cgroup v1.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return trim(ss.str());
}

// A v1 controller's file of session `index` (PARENT/hN/...).
std::string cg_file(const DockerWorld& w, const char* controller, int index, const std::string& rest) {
  return std::string("/sys/fs/cgroup/") + controller + test_cgroup_parent(w.dir) + "/h" + std::to_string(index) + rest;
}

json create(DockerWorld& w, const std::string& id, const std::string& extra, int want = 201) {
  auto [status, body] =
      w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":")" + id + "\"" + extra + "}");
  EXPECT_EQ(status, want) << body;
  return json::parse(body, nullptr, false);
}

json get(DockerWorld& w, const std::string& id) {
  return json::parse(w.api("GET", "/api/v1/docker-instances/session/" + id).second, nullptr, false);
}

std::string sock(const json& s) { return s.value("docker_socket", ""); }

bool pings(const std::string& socket) {
  return trim(capture("curl -s -m 5 --unix-socket " + socket + " http://localhost/_ping")) == "OK";
}

}  // namespace

TEST(LimitsE2E, AMemoryHogIsKilledInsideItsSessionWhileAnotherServes) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json a = create(w, "a", R"(,"memory_limit":"256MiB","pids_limit":1024)");
  json b = create(w, "b", "");
  ASSERT_TRUE(a.is_object() && b.is_object());
  EXPECT_EQ(a["limits"]["memory"], 256u << 20);
  EXPECT_EQ(a["limits"]["pids"], 1024);
  EXPECT_EQ(a["cgroup"], test_cgroup_parent(w.dir) + "/h1");
  // The kernel holds the limits; the session's dockerd is in its daemon cgroup.
  EXPECT_EQ(read_text(cg_file(w, "memory", 1, "/memory.limit_in_bytes")), std::to_string(256u << 20));
  EXPECT_EQ(read_text(cg_file(w, "pids", 1, "/pids.max")), "1024");
  EXPECT_EQ(read_text(cg_file(w, "pids", 1, "/containers/pids.max")), "768");
  const std::string dockerd_cgroup = read_text("/proc/" + std::to_string(a["pid"].get<int>()) + "/cgroup");
  EXPECT_NE(dockerd_cgroup.find("memory:" + test_cgroup_parent(w.dir) + "/h1/daemon"), std::string::npos)
      << dockerd_cgroup;
  EXPECT_EQ(read_text(cg_file(w, "memory", 2, "/memory.limit_in_bytes")).size(), 19u) << "b: no limit";

  ASSERT_TRUE(w.import_busybox(sock(a)));
  ASSERT_TRUE(w.import_busybox(sock(b)));
  ASSERT_EQ(w.docker_rc(sock(b), "run -d --name web busybox:hydra httpd -f -p 8080 -h /bin"), 0);
  // Its containers are in its cgroup too (dockerd's cgroup-parent).
  const std::string web = w.docker(sock(b), "inspect -f '{{.Id}}' web");
  EXPECT_TRUE(wait_until(
      [&] { return !read_text(cg_file(w, "memory", 2, "/containers/" + web + "/cgroup.procs")).empty(); }, 10000))
      << "web's processes in b's containers cgroup";

  const std::string docker0 = w.docker0_ifindex();
  const size_t before = w.hydrad->event_count();
  // tail keeps /dev/zero's endless line in memory: past 256 MiB the kernel
  // ends it, inside a's cgroup. Docker's own 1 GiB limit on the container is
  // only a backstop for this shared machine, should a's limit not hold.
  EXPECT_NE(w.docker_rc(sock(a), "run --name hog --memory 1g busybox:hydra busybox tail /dev/zero"), 0);
  EXPECT_EQ(w.docker(sock(a), "inspect -f '{{.State.OOMKilled}}' hog"), "true")
      << w.docker(sock(a), "inspect -f '{{json .State}}' hog") << "\n"
      << w.docker(sock(a), "logs hog");
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) { return e["event"] == "session_oom" && e["session"] == "session/a" && e["oom_kills"] >= 1; },
      10000, before))
      << "a session_oom event names a";
  // Meanwhile docker0 goes, and comes back; b kept serving; a's dockerd answers.
  ASSERT_EQ(system(("ip -n " + w.sbx.name() + " link del docker0").c_str()), 0);
  EXPECT_TRUE(wait_until([&] { return w.docker0_ifindex() == docker0; }, 10000))
      << "docker0 was " << docker0 << ", now " << w.docker0_ifindex();
  EXPECT_EQ(w.docker_rc(sock(b), "exec web wget -q -O /dev/null http://127.0.0.1:8080/busybox"), 0) << "b still serves";
  EXPECT_TRUE(pings(sock(a))) << "a's own dockerd lives through its container's OOM";

  json a_now = get(w, "a");
  ASSERT_TRUE(a_now.contains("usage")) << a_now;
  EXPECT_GE(a_now["usage"]["oom_kills"].get<int>(), 1) << a_now;
  EXPECT_GE(a_now["usage"]["memory_peak_bytes"].get<int64_t>(), 200 << 20) << a_now;
  EXPECT_LE(a_now["usage"]["memory_peak_bytes"].get<int64_t>(), 256 << 20) << a_now;
  EXPECT_GT(a_now["usage"]["cpu_seconds"].get<double>(), 0) << a_now;
  EXPECT_GT(a_now["usage"]["pids"].get<int>(), 5) << "dockerd's threads (its containerd is the shared one) " << a_now;
  EXPECT_FALSE(get(w, "b")["usage"].is_null());
  // hydractl's views: inspect, and top (one frame, by memory).
  const std::string ctl = std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + w.hydrad->socket();
  const std::string inspect = capture(ctl + " session inspect session/a");
  EXPECT_NE(inspect.find("memory 256.0MiB, 1024 tasks"), std::string::npos) << inspect;
  EXPECT_NE(inspect.find(" OOM kills"), std::string::npos) << inspect;
  const std::string top = capture(ctl + " top -n 1 -d 0.2 --sort memory");
  EXPECT_NE(top.find("session/a"), std::string::npos) << top;
  EXPECT_NE(top.find("256.0MiB"), std::string::npos) << top;
  EXPECT_NE(top.find("session/b"), std::string::npos) << top;
  const std::string metrics = w.api("GET", "/metrics").second;
  EXPECT_NE(metrics.find("hydra_session_oom_kills_total{session=\"session/a\"} 1"), std::string::npos) << metrics;
  EXPECT_NE(metrics.find("hydra_session_memory_limit_bytes{session=\"session/a\"} 268435456"), std::string::npos);
  EXPECT_NE(metrics.find("hydra_session_cpu_seconds_total{session=\"session/b\"}"), std::string::npos);
  EXPECT_NE(metrics.find("hydra_session_pids{session=\"session/b\"}"), std::string::npos);
}

TEST(LimitsE2E, AForkBombStopsAtItsSessionsTaskLimit) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json a = create(w, "a", R"(,"pids_limit":512)");
  json b = create(w, "b", "");
  ASSERT_TRUE(w.import_busybox(sock(a)));
  ASSERT_TRUE(w.import_busybox(sock(b)));
  // Docker's --pids-limit 2000 is only a backstop for this shared machine,
  // should a's limit not hold.
  ASSERT_EQ(w.docker_rc(sock(a),
                        "run -d --name bomb --pids-limit 2000 busybox:hydra sh -c 'f() { f | f & }; f; sleep 100000'"),
            0);
  // Its containers reach their share (512 less the daemons' 128) and no more.
  const std::string containers_max = cg_file(w, "pids", 1, "/containers/pids.max");
  EXPECT_EQ(read_text(containers_max), "384");
  EXPECT_TRUE(wait_until([&] { return read_text(cg_file(w, "pids", 1, "/containers/pids.current")) == "384"; }, 30000))
      << "the bomb fills its containers' share: " << read_text(cg_file(w, "pids", 1, "/containers/pids.current"));
  EXPECT_LE(std::stoi(read_text(cg_file(w, "pids", 1, "/pids.current"))), 512);
  // a's dockerd keeps its headroom: it answers, lists, and ends the bomb.
  EXPECT_TRUE(pings(sock(a)));
  EXPECT_EQ(w.docker_rc(sock(a), "ps -q"), 0);
  EXPECT_EQ(w.docker_rc(sock(b), "run --rm busybox:hydra sh -c true"), 0) << "b starts containers meanwhile";
  EXPECT_EQ(w.docker_rc(sock(a), "rm -f bomb"), 0) << w.docker(sock(a), "rm -f bomb");
  EXPECT_TRUE(wait_until([&] { return std::stoi(read_text(cg_file(w, "pids", 1, "/pids.current"))) < 200; }, 20000));
  EXPECT_EQ(w.docker_rc(sock(a), "run --rm busybox:hydra sh -c true"), 0) << "a works again";
}

TEST(LimitsE2E, TwoBusyLoopsStayWithinTheirSessionsCpus) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  json a = create(w, "a", R"(,"cpu_limit":0.5)");
  json b = create(w, "b", "");
  EXPECT_EQ(read_text(cg_file(w, "cpu", 1, "/cpu.cfs_quota_us")), "50000");
  ASSERT_TRUE(w.import_busybox(sock(a)));
  ASSERT_TRUE(w.import_busybox(sock(b)));
  const std::string work = "run --rm busybox:hydra sh -c 'i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done'";
  auto timed = [&](const std::string& socket) {
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_EQ(w.docker_rc(socket, work), 0);
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  const double alone = timed(sock(b));
  for (const char* n : {"loop1", "loop2"})
    ASSERT_EQ(w.docker_rc(sock(a), std::string("run -d --name ") + n +
                                       " busybox:hydra sh -c 'trap exit TERM; while :; do :; done'"),
              0);
  auto cpu_of_a = [&] { return get(w, "a")["usage"]["cpu_seconds"].get<double>(); };
  const double c0 = cpu_of_a();
  auto t0 = std::chrono::steady_clock::now();
  const double beside = timed(sock(b));
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(3))
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double rate = (cpu_of_a() - c0) / wall;
  std::printf("a used %.3f CPUs (limit 0.5); b's work: %.2f s alone, %.2f s beside a\n", rate, alone, beside);
  EXPECT_LE(rate, 0.55) << "a's quota holds";
  EXPECT_GE(rate, 0.25) << "a's loops ran";
  EXPECT_LT(beside, alone * 2.0 + 1.0) << "b is not starved by a";
}

TEST(LimitsE2E, LimitsSurviveARestartBadOnesAreRefusedAndADeleteTakesTheCgroups) {
  HYDRA_REQUIRE_DOCKERD();
  DockerWorld w(/*live_restore=*/true);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  const std::pair<const char*, const char*> bad[] = {
      {R"(,"memory_limit":-5)", "memory_limit"},   {R"(,"memory_limit":"lots")", "memory_limit"},
      {R"(,"memory_limit":1024)", "memory_limit"}, {R"(,"memory_limit":"100TiB")", "memory_limit"},
      {R"(,"cpu_limit":4096)", "cpu_limit"},       {R"(,"cpu_limit":"two")", "cpu_limit"},
      {R"(,"pids_limit":-1)", "pids_limit"},       {R"(,"pids_limit":10)", "pids_limit"},
      {R"(,"pids_limit":"many")", "pids_limit"},   {R"(,"cpu_limit":-0.5)", "cpu_limit"}};
  for (const auto& [extra, field] : bad) {
    json e = create(w, "x", extra, 400);
    EXPECT_NE(e.dump().find(field), std::string::npos) << extra << " → " << e;
  }
  EXPECT_EQ(json::parse(w.api("GET", "/api/v1/docker-instances").second)["instances"].size(), 0u) << "nothing made";

  json a = create(w, "a", R"(,"memory_limit":"512m","cpu_limit":1.5,"pids_limit":2048)");
  ASSERT_TRUE(a.is_object());
  w.hydrad->stop(SIGKILL);
  const size_t before = w.hydrad->event_count();
  ASSERT_TRUE(w.hydrad->launch());
  ASSERT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "ready"; }, 30000, before));
  json again = get(w, "a");
  EXPECT_EQ(again["status"], "running") << again;
  EXPECT_EQ(again["limits"], a["limits"]) << "the limits it was started with";
  EXPECT_FALSE(again["usage"].is_null()) << "its cgroup found again";
  EXPECT_EQ(read_text(cg_file(w, "memory", 1, "/memory.limit_in_bytes")), std::to_string(512u << 20));
  EXPECT_EQ(read_text(cg_file(w, "cpu", 1, "/cpu.cfs_quota_us")), "150000");
  EXPECT_TRUE(w.hydrad->wait_for(
      [](const json& e) { return e["event"] == "session_adopted" && e["limits"]["pids"] == 2048; }, 1000, before));
  // A running session keeps its limits: asking again with others changes nothing.
  json same = create(w, "a", R"(,"memory_limit":"1g")", 200);
  EXPECT_EQ(same["limits"], a["limits"]);
  ASSERT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/a").first, 200);
  for (const char* c : {"memory", "cpu", "cpuacct", "pids"}) {
    struct stat st {};
    EXPECT_NE(stat(cg_file(w, c, 1, "").c_str(), &st), 0) << c << ": the session's cgroup went with its delete";
  }
}
