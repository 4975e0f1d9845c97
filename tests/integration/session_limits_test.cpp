// SPDX-License-Identifier: Apache-2.0
// Session limits on the real kernel's cgroups with stand-in dockerds
// (tests/tools/fake_dockerd.cpp; no Docker needed): a controller this
// sandbox cannot use is said at start and refused (422) to every create that
// asks for its limit, never ignored; the others still limit and measure;
// a delete takes the session's cgroups.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "hydrad_process.hpp"
#include "sandbox_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

std::pair<int, json> limits_call(const HydradProcess& h, const std::string& method, const std::string& path,
                                 const std::string& body = "") {
  std::string data = body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'";
  auto out = capture("curl -s -m 30 -w '\\n%{http_code}' -X " + method + " --unix-socket " + h.socket() + data +
                     " http://localhost" + path);
  auto nl = out.find_last_of('\n');
  if (nl == std::string::npos) return {0, json()};
  return {std::atoi(out.substr(nl + 1).c_str()), json::parse(out.substr(0, nl), nullptr, false)};
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string t = ss.str();
  while (!t.empty() && (t.back() == '\n' || t.back() == ' ')) t.pop_back();
  return t;
}

}  // namespace

TEST(SessionLimits, AControllerThatCannotBeUsedIsSaidAndRefusedNeverIgnored) {
  HYDRA_REQUIRE_ROOT();
  struct stat st {};
  // Written for this machine's kind (cgroup v1: a controller is a mount to
  // hide); v2's files and order are unit-tested (CgroupLayout).
  ASSERT_TRUE(stat("/sys/fs/cgroup/pids/cgroup.procs", &st) == 0 &&
              stat("/sys/fs/cgroup/memory/cgroup.procs", &st) == 0)
      << "needs cgroup v1 with the pids and memory hierarchies";
  SandboxWorld world{1};
  ASSERT_TRUE(world.ok);
  const std::string dir = make_temp_dir("hydra-lim");
  struct Cleanup {  // also when an assertion ends the test early
    std::string dir;
    ~Cleanup() {
      std::system(("pkill -KILL -f 'fake_docker[d].*" + dir + "'; rm -rf " + dir).c_str());
      remove_test_cgroups(dir);
    }
  } cleanup{dir};
  std::ofstream(dir + "/hydra.toml") << "[sessions]\ndockerd = \"" << HYDRA_BIN_DIR << "/fake_dockerd\"\n"
                                     << "data_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir << "/run\"\n"
                                     << "start_timeout = 5\nstop_timeout = 2\n"
                                     << test_cgroup_line(dir);
  {
    HydradProcess h(world.sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
    h.hide_mount("/sys/fs/cgroup/pids");  // this sandbox has no pids controller
    ASSERT_TRUE(h.start());
    EXPECT_TRUE(h.wait_for(
        [](const json& e) { return e["event"] == "limits_unavailable" && e["controller"] == "pids"; }, 1000));
    auto [refused, why] = limits_call(h, "POST", "/api/v1/docker-instances",
                                      R"({"scope_type":"session","scope_id":"s1","pids_limit":512})");
    EXPECT_EQ(refused, 422) << why;
    EXPECT_NE(why.dump().find("pids_limit"), std::string::npos) << why;
    EXPECT_NE(why.dump().find("pids controller"), std::string::npos) << why;
    EXPECT_EQ(limits_call(h, "GET", "/api/v1/docker-instances").second["instances"].size(), 0u) << "nothing made";

    // Memory still limits: the stand-in is in its session's cgroup, the
    // kernel holds the limit, GET reads the usage.
    auto [created, s1] = limits_call(h, "POST", "/api/v1/docker-instances",
                                     R"({"scope_type":"session","scope_id":"s1","memory_limit":"256MiB"})");
    ASSERT_EQ(created, 201) << s1;
    const std::string memory = "/sys/fs/cgroup/memory" + test_cgroup_parent(dir) + "/h1";
    EXPECT_EQ(file_text(memory + "/memory.limit_in_bytes"), std::to_string(256u << 20));
    EXPECT_NE(file_text("/proc/" + std::to_string(s1.value("pid", 0)) + "/cgroup")
                  .find("memory:" + test_cgroup_parent(dir) + "/h1/daemon"),
              std::string::npos);
    auto [got, view] = limits_call(h, "GET", "/api/v1/docker-instances/session/s1");
    EXPECT_EQ(got, 200);
    EXPECT_GT(view["usage"].value("memory_bytes", 0), 0) << view;
    EXPECT_EQ(view["limits"], json::parse(R"({"memory":268435456})")) << view;
    EXPECT_EQ(limits_call(h, "DELETE", "/api/v1/docker-instances/session/s1").first, 200);
    EXPECT_NE(stat(memory.c_str(), &st), 0) << "the session's cgroup went with its delete";
    h.stop(SIGTERM);
  }
}
