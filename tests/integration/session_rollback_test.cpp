// SPDX-License-Identifier: Apache-2.0
// A session whose dockerd never becomes ready is rolled back completely.
// No Docker needed: stand-in "dockerd" programs fail in the two ways a real
// one can (exits at once; never answers).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "hydrad_process.hpp"
#include "sandbox_world.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

std::pair<int, std::string> api(const HydradProcess& h, const std::string& method, const std::string& path,
                                const std::string& body = "") {
  std::string data = body.empty() ? "" : " -H 'Content-Type: application/json' -d '" + body + "'";
  auto out = capture("curl -s -m 30 -w '\\n%{http_code}' -X " + method + " --unix-socket " + h.socket() + data +
                     " http://localhost" + path);
  auto nl = out.find_last_of('\n');
  return {std::atoi(out.substr(nl + 1).c_str()), out.substr(0, nl)};
}

void rollback_case(const std::string& network, const std::string& fake_dockerd_body,
                   const std::string& expect_in_error, const std::string& leftover_pattern) {
  SandboxWorld world(1);
  ASSERT_TRUE(world.ok);
  char tmpl[] = "/tmp/hydra-rb-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string fake = dir + "/fake-dockerd";
  std::ofstream(fake) << "#!/bin/sh\n" << fake_dockerd_body << "\n";
  chmod(fake.c_str(), 0755);
  std::ofstream(dir + "/hydra.toml") << "[sessions]\ndockerd = \"" << fake << "\"\ndata_dir = \"" << dir
                                     << "/data\"\nrun_dir = \"" << dir << "/run\"\nstart_timeout = 2\nnetwork = \"" << network << "\"\n" << test_cgroup_line(dir);
  HydradProcess hydrad(world.sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
  ASSERT_TRUE(hydrad.start());
  for (int attempt = 0; attempt < 2; ++attempt) {  // the index is freed: the retry gets hydra1 again
    auto [status, body] = api(hydrad, "POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
    EXPECT_EQ(status, 500) << body;
    EXPECT_NE(body.find(expect_in_error), std::string::npos) << body;
    if (network == "shared") {
      EXPECT_NE(world.sbx.ip("link show hydra1"), 0) << "bridge rolled back";
    } else {
      // Its uplink, namespace and rules; the sandbox's own hydra1 (the
      // world's, not the session's) untouched.
      EXPECT_NE(world.sbx.ip("link show hup-h1"), 0) << "uplink rolled back";
      struct stat st {};
      EXPECT_NE(stat((dir + "/run/netns/h1").c_str(), &st), 0) << "namespace unpinned";
      EXPECT_EQ(capture("nsenter --net=" + world.sbx.path() + " nft list set inet hydra uplink_gateways").find("hup-h1"),
                std::string::npos);
      EXPECT_EQ(world.sbx.ip("link show vethb-h1"), 0) << "not hydra's to remove";
    }
    // Listed with status "error" and why (as Hydra's client reads it); no index held.
    auto list = json::parse(api(hydrad, "GET", "/api/v1/docker-instances").second, nullptr, false);
    ASSERT_TRUE(list.is_object() && list["instances"].is_array() && list["instances"].size() == 1) << list.dump();
    const auto& s1 = list["instances"][0];
    EXPECT_EQ(s1["status"], "error");
    EXPECT_NE(s1.value("error", "").find(expect_in_error), std::string::npos) << s1.dump();
    EXPECT_FALSE(s1.contains("pid") && !s1["pid"].is_null());
  }
  // Written by hydrad's log thread, maybe just after the answer.
  EXPECT_TRUE(wait_until([&] { return hydrad.count("session_start_failed") >= 2; }, 5000)) << "both failures logged";
  EXPECT_EQ(hydrad.count("session_start_failed"), 2u);
  if (!leftover_pattern.empty()) {
    EXPECT_TRUE(capture("pgrep -f '" + leftover_pattern + "'").empty()) << "the process was killed";
  }
  hydrad.stop(SIGTERM);
  std::system(("rm -rf " + dir).c_str());
  remove_test_cgroups(dir);
}

}  // namespace

TEST(SessionRollback, DockerdThatExitsAtOnce) {
  HYDRA_REQUIRE_ROOT();
  for (const char* network : {"isolated", "shared"})
    rollback_case(network, "echo 'cannot start' >&2; exit 3", "exited with code 3", "");
}

TEST(SessionRollback, DockerdThatNeverAnswers) {
  HYDRA_REQUIRE_ROOT();
  // A duration of this test process's own (61.PID seconds), so that pgrep sees
  // only its own stand-in: the ASan and TSan suites run this test at the same time.
  const std::string sleeper = "sleep 61." + std::to_string(getpid());
  for (const char* network : {"isolated", "shared"})
    rollback_case(network, "exec " + sleeper, "did not create", "^" + sleeper + "$");
}
