// Faults outside hydra that hydrad must survive without losing the guard:
// a log reader that stops reading, state files that are not what they
// should be. The real hydrad, in namespaces.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>

#include <fstream>

#include "guarded_fixture.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

std::string drain(int fd) {
  std::string out;
  char buf[65536];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

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
    EXPECT_EQ(world.ports_of("docker0").size(), 2u);
    // The reader comes back: an events_dropped line says how many.
    ASSERT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    std::string text;
    EXPECT_TRUE(wait_until([&] {
      text += drain(p[0]);
      return text.find("\"event\":\"events_dropped\"") != std::string::npos;
    }, 20000)) << "no events_dropped line";
    // Keep reading while hydrad stops, so its last lines have somewhere to go.
    std::thread reader([&] {
      pollfd pf{p[0], POLLIN, 0};
      while (poll(&pf, 1, 3000) > 0 && !(pf.revents & POLLHUP)) drain(p[0]);
    });
    hydrad.stop(SIGTERM);
    close(p[1]);
    reader.join();
  }
  close(p[0]);
  std::system(("rm -rf " + dir).c_str());
}
