// SPDX-License-Identifier: Apache-2.0
// Faults outside hydra that hydrad must survive without losing the guard:
// a log reader that stops reading, state files that are not what they
// should be. The real hydrad, in namespaces.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <fstream>

#include "../pipe_reader.hpp"
#include "guarded_fixture.hpp"

using namespace hydra::test;
using nlohmann::json;

// Issue 12, fault 1: stderr into a pipe whose reader is paused. Before, the
// guard thread blocked in the log's fprintf once the pipe was full and the
// next deletion of docker0 was never restored.
TEST(Fault, AStalledLogReaderNeverStopsTheGuard) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world(2);
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  fcntl(p[1], F_SETPIPE_SZ, 4096);  // fills after a few dozen events
  {
    HydradProcess hydrad(world.sbx.path(), dir, {"--event-queue", "16"});
    hydrad.set_stderr(p[1]);
    ASSERT_TRUE(hydrad.start());
    constexpr int kDeletions = 200;
    for (int i = 0; i < kDeletions; ++i) {
      ASSERT_EQ(world.sbx.ip("link del docker0"), 0) << "deletion " << i;
      ASSERT_TRUE(wait_until([&] { return world.sbx.ip("link show docker0") == 0; }, 10000))
          << "docker0 not restored after deletion " << i << " with the log reader stalled";
    }
    // The API still answers, and says what was lost.
    auto metrics = hydrad.get("/metrics");
    auto at = metrics.find("\nhydra_events_dropped_total ");
    ASSERT_NE(at, std::string::npos) << metrics;
    EXPECT_GT(std::stod(metrics.substr(at + 28)), 0.0) << metrics.substr(at, 60);
    // The bridge is back before its ports are, and a restore cut short by
    // the next deletion is retried with backoff (up to 5 s): wait for them.
    EXPECT_TRUE(wait_until([&] { return world.ports_of("docker0").size() == 2u; }, 30000))
        << "docker0 has " << world.ports_of("docker0").size() << " ports after the last restore, not 2";
    // The reader comes back: an events_dropped line says how many.
    ASSERT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    std::string text;
    EXPECT_TRUE(wait_until([&] {
      text += hydra::test::drain_pipe(p[0]);
      return text.find("\"event\":\"events_dropped\"") != std::string::npos;
    }, 20000)) << "no events_dropped line";
    // Keep reading while hydrad stops, so its last lines have somewhere to go.
    std::thread reader([&] {
      pollfd pf{p[0], POLLIN, 0};
      while (poll(&pf, 1, 3000) > 0 && !(pf.revents & POLLHUP)) hydra::test::drain_pipe(p[0]);
    });
    hydrad.stop(SIGTERM);
    close(p[1]);
    reader.join();
  }
  close(p[0]);
  std::system(("rm -rf " + dir).c_str());
}

// Issue 12, fault 2: a sessions.json that is valid JSON with a wrong type
// made hydrad exit at start (a restart loop with docker0 unguarded). Now
// bad entries are skipped and reported, a file that is not an array and a
// snapshot that does not decode are moved aside, and the guard starts.
TEST(Fault, BadStateFilesAreReportedAndTheGuardStartsAnyway) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(1);
  ASSERT_TRUE(g.start());
  g.hydrad.stop(SIGTERM);
  const std::string sessions = g.dir + "/sessions.json", snapshot = g.dir + "/bridge-docker0.json";
  std::ofstream(sessions) << R"([{"scope_type":"session","scope_id":7,"index":1,"index_held":true},
                                 {"scope_type":"session","scope_id":"s2","index":"two"}])";
  std::ofstream(snapshot) << R"({"version":1,"name":5,"ifindex":"x"})";
  size_t skip = g.hydrad.event_count();
  ASSERT_TRUE(g.hydrad.start()) << "hydrad did not start with bad state files";
  auto after = [&](const std::string& name) {
    std::vector<json> out;
    auto evs = g.hydrad.events();
    for (size_t i = skip; i < evs.size(); ++i)
      if (evs[i]["event"] == name) out.push_back(evs[i]);
    return out;
  };
  auto skipped = after("session_entry_skipped");
  ASSERT_EQ(skipped.size(), 2u);
  EXPECT_NE(skipped[0]["problem"].get<std::string>().find("scope_id"), std::string::npos) << skipped[0];
  auto unreadable = after("snapshot_unreadable");
  ASSERT_EQ(unreadable.size(), 1u);
  std::string aside = unreadable[0].value("moved_to", "");
  EXPECT_NE(aside.find(snapshot + ".corrupt-"), std::string::npos) << unreadable[0];
  EXPECT_EQ(access(aside.c_str(), F_OK), 0) << "the bad snapshot is kept for a human to read";
  // The guard works: docker0 comes back after a deletion.
  ASSERT_TRUE(g.delete_and_wait_restored());
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  // A sessions.json that is not an array at all is moved aside.
  g.hydrad.stop(SIGTERM);
  std::ofstream(sessions) << R"({"sessions": "not an array"})";
  skip = g.hydrad.event_count();
  ASSERT_TRUE(g.hydrad.start());
  auto corrupt = after("state_file_corrupt");
  ASSERT_EQ(corrupt.size(), 1u);
  std::string moved = corrupt[0].value("moved_to", "");
  EXPECT_NE(moved.find(sessions + ".corrupt-"), std::string::npos) << corrupt[0];
  EXPECT_EQ(access(moved.c_str(), F_OK), 0);
  auto health = g.hydrad.health();
  EXPECT_TRUE(health.is_object() && health["guarded"] == 1) << health;
}
