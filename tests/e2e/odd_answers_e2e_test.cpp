// SPDX-License-Identifier: Apache-2.0
// A session's Docker socket answers in every shape the fuzzers found: wrong
// types, wrong nesting, not JSON, an event stream of odd lines. The session
// is created, inspected, probed and deleted, its desktop bridged (the
// desktop link decodes the session's containers on its own thread, again
// after every event); through all of it hydrad lives, its API answers and
// the guard still restores docker0. (Before issue 26, the first inspect of
// {"State":{"Running":{}}} on the link's thread ended hydrad.)
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "docker_world.hpp"

using namespace hydra::test;
using nlohmann::json;

TEST(OddAnswersE2E, HydradAndTheGuardLiveThroughEveryShapeASessionDockerdAnswers) {
  HYDRA_REQUIRE_DOCKERD();
  if (access("/usr/sbin/dnsmasq", X_OK) != 0) {
    if (std::getenv("CI")) FAIL() << "dnsmasq missing: make test installs it";
    GTEST_SKIP() << "needs Debian's dnsmasq-base; skipped on this machine";
  }
  // The session's "dockerd" is the stand-in, answering oddly; the main
  // dockerd (and its desktop container) is Debian's.
  DockerWorld w(true,
                std::string("network = \"shared\"\nprobe_interval = 1\nstop_timeout = 2\ndockerd = \"") + HYDRA_BIN_DIR +
                    "/fake_dockerd\"\n",
                /*start_hydrad=*/false);
  ASSERT_TRUE(w.ok) << "world did not come up; see " << w.dir;
  w.hydrad = std::make_unique<HydradProcess>(w.sbx.path(), w.dir + "/state",
                                             std::vector<std::string>{"--config", w.dir + "/hydra.toml"});
  ASSERT_TRUE(w.hydrad->start({{"FAKE_DOCKERD_MODE", "odd-answers"}}));
  const pid_t hydrad = w.hydrad->pid();
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  ASSERT_EQ(status, 201) << body;
  const std::string fake_log = w.dir + "/run/h1/dockerd.log";
  auto bridged = w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"s1","desktop_container_id":"desktop"})");
  ASSERT_EQ(bridged.first, 200) << bridged.second;
  // The link follows the odd event stream, which ends after a few lines:
  // every reconnection syncs, and every sync inspects in another shape.
  auto inspects = [&] { return std::atoi(capture("grep -c 'inspect .* answered' " + fake_log + " || true").c_str()); };
  EXPECT_TRUE(wait_until([&] { return inspects() >= 6; }, 30000)) << "the desktop link inspected every shape";
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(w.api("GET", "/api/v1/docker-instances/session/s1").first, 200);
    EXPECT_EQ(w.api("GET", "/api/v1/docker-instances").first, 200);
  }
  EXPECT_EQ(kill(hydrad, 0), 0) << "hydrad lives";
  EXPECT_EQ(w.hydrad->count("thread_failed"), 0u) << "no decoder threw";
  EXPECT_EQ(w.api("DELETE", "/api/v1/docker-instances/session/s1").first, 200);
  // The guard, all along: docker0 deleted from outside comes back.
  ASSERT_EQ(w.sbx.ip("link del docker0"), 0);
  EXPECT_TRUE(w.hydrad->wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 10000))
      << "the guard restores docker0";
  EXPECT_EQ(w.api("GET", "/health").first, 200);
  EXPECT_EQ(kill(hydrad, 0), 0) << "hydrad lives";
}
