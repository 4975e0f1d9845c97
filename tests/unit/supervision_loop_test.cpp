// SPDX-License-Identifier: Apache-2.0
// The supervision loop with real child processes (sleep), no root needed:
// exits reported, probes on time, one child's hung hook never holds up the
// others', a child's hooks never overlap, remove() ends its hooks, and many
// children cost a few threads, not one each.
#include "docker/supervision_loop.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <thread>
#include <vector>

#include "docker/child_process.hpp"
#include "docker/child_supervisor.hpp"

using namespace hydra;
using namespace hydra::docker;

namespace {

ChildProcess sleeper() {
  auto p = ChildProcess::spawn({"/bin/sleep", "60"}, "/dev/null");
  if (!p) throw std::runtime_error("spawn sleep: " + p.error().text());
  return std::move(*p);
}

// A child that is killed and reaped when the test ends, however it ends.
struct Kid : ChildProcess {
  Kid() : ChildProcess(sleeper()) {}
  Kid(const Kid&) = delete;
  Kid& operator=(const Kid&) = delete;
  ~Kid() {
    signal(SIGKILL);
    wait_exit();
  }
};

template <class Pred>
bool eventually(Pred pred, int timeout_ms = 10000) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return pred();
}

// Lets a held hook go when a test ends early (a failed assertion), before the
// loop it runs in is stopped.
struct Release {
  std::atomic<bool> flag{false};
  ~Release() { flag = true; }
  explicit operator bool() const { return flag; }
  void operator=(bool v) { flag = v; }
};

struct Counter {
  std::atomic<int> probes{0};
  std::atomic<int> exits{0};
};

}  // namespace

TEST(SupervisionLoop, ReportsAnExitAndProbesEachChildOnItsInterval) {
  SupervisionLoop loop;
  Kid a, b;
  Counter ca, cb;
  const auto ida = loop.add({a.pidfd(), 5, [&] { ++ca.probes; }, [&] { ++ca.exits; }});
  const auto idb = loop.add({b.pidfd(), 5, [&] { ++cb.probes; }, [&] { ++cb.exits; }});
  ASSERT_TRUE(eventually([&] { return ca.probes >= 3 && cb.probes >= 3; }));
  EXPECT_EQ(ca.exits, 0);
  a.signal(SIGKILL);
  ASSERT_TRUE(eventually([&] { return ca.exits == 1; }));
  EXPECT_EQ(a.wait_exit(), 128 + SIGKILL);
  // b is still probed after a's exit; a no longer is.
  const int a_probes = ca.probes;
  const int b_probes = cb.probes;
  ASSERT_TRUE(eventually([&] { return cb.probes >= b_probes + 3; }));
  EXPECT_EQ(ca.probes, a_probes);
  EXPECT_EQ(ca.exits, 1);
  EXPECT_EQ(cb.exits, 0);
  loop.remove(ida);
  loop.remove(idb);
}

// ...and the thread added for it ends once it is not needed.
TEST(SupervisionLoop, AHungProbeHoldsUpNoOtherChild) {
  SupervisionLoop loop(/*stall_us=*/20'000);
  Kid hung, other;
  Release release;
  std::atomic<int> hung_probes{0};
  Counter co;
  const auto idh = loop.add({hung.pidfd(), 1,
                             [&] {
                               ++hung_probes;
                               while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                             },
                             {}});
  ASSERT_TRUE(eventually([&] { return hung_probes == 1; }));
  const auto ido = loop.add({other.pidfd(), 5, [&] { ++co.probes; }, [&] { ++co.exits; }});
  ASSERT_TRUE(eventually([&] { return co.probes >= 3; })) << "the other child is not probed while one probe hangs";
  other.signal(SIGKILL);
  ASSERT_TRUE(eventually([&] { return co.exits == 1; })) << "the other child's exit is not seen while one probe hangs";
  EXPECT_EQ(hung_probes, 1);
  EXPECT_EQ(loop.hook_threads(), 2) << "one more thread while one hangs, no more";
  release = true;
  // Still probed every ms: one thread takes it all, the other ends.
  ASSERT_TRUE(eventually([&] { return loop.hook_threads() == 1; })) << loop.hook_threads();
  const int h = hung_probes;
  ASSERT_TRUE(eventually([&] { return hung_probes >= h + 3; }));
  loop.remove(idh);
  loop.remove(ido);
}

TEST(SupervisionLoop, AnExitDuringAProbeRunsAfterItNeverBeside) {
  SupervisionLoop loop(/*stall_us=*/20'000);
  Kid c;
  std::atomic<bool> in_probe{false}, overlapped{false};
  Release release;
  std::atomic<int> probes{0}, exits{0};
  const auto id = loop.add({c.pidfd(), 1,
                            [&] {
                              in_probe = true;
                              ++probes;
                              while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                              in_probe = false;
                            },
                            [&] {
                              if (in_probe) overlapped = true;
                              ++exits;
                            }});
  ASSERT_TRUE(eventually([&] { return probes == 1; }));
  c.signal(SIGKILL);
  // The exit is waiting for the probe: give another hook thread every chance
  // to run it beside the probe (a wrong loop would within its stall time).
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(exits, 0);
  release = true;
  ASSERT_TRUE(eventually([&] { return exits == 1; }));
  EXPECT_FALSE(overlapped);
  EXPECT_EQ(probes, 1) << "probed after its exit was seen";
  loop.remove(id);
}

TEST(SupervisionLoop, RemoveWaitsForARunningHookAndEndsItsHooks) {
  SupervisionLoop loop;
  Kid c, witness;
  std::atomic<bool> in_probe{false};
  Release release;
  std::atomic<int> probes{0};
  Counter cw;
  const auto id = loop.add({c.pidfd(), 1,
                            [&] {
                              ++probes;
                              in_probe = true;
                              while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(1));
                              in_probe = false;
                            },
                            {}});
  const auto idw = loop.add({witness.pidfd(), 2, [&] { ++cw.probes; }, {}});
  ASSERT_TRUE(eventually([&] { return in_probe.load(); }));
  std::atomic<bool> removed{false};
  std::thread remover([&] {
    loop.remove(id);
    removed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(removed) << "remove() returned while the entry's probe ran";
  release = true;
  remover.join();
  EXPECT_FALSE(in_probe);
  const int after = probes;
  // Many of the witness's probes later, none of the removed entry's.
  const int w = cw.probes;
  ASSERT_TRUE(eventually([&] { return cw.probes >= w + 10; }));
  EXPECT_EQ(probes, after);
  loop.remove(idw);
}

TEST(SupervisionLoop, SixtyFourChildrenCostAFewThreadsNotOneEach) {
  SupervisionLoop loop;
  std::deque<Kid> kids;
  std::vector<std::unique_ptr<std::atomic<int>>> probes;
  std::vector<SupervisionLoop::Id> ids;
  for (int i = 0; i < 64; ++i) {
    kids.emplace_back();
    probes.push_back(std::make_unique<std::atomic<int>>(0));
    auto* counter = probes.back().get();
    ids.push_back(loop.add({kids.back().pidfd(), 10, [counter] { ++*counter; }, {}}));
  }
  ASSERT_TRUE(eventually([&] {
    for (const auto& p : probes)
      if (*p < 5) return false;
    return true;
  }));
  EXPECT_EQ(loop.watched(), 64u);
  // Quick probes are taken by the first hook thread as they come; a busy
  // machine may add a few, never one per child.
  EXPECT_LE(loop.hook_threads(), 8);
  for (auto id : ids) loop.remove(id);
  EXPECT_EQ(loop.watched(), 0u);
}

TEST(ChildSupervisor, ReportsTheExitCodeThroughTheSharedLoop) {
  std::atomic<int> code{-2};
  auto sup = std::make_unique<ChildSupervisor>(sleeper(), 5, ChildSupervisor::Hooks{[&](int c) { code = c; }, {}});
  const size_t watched = SupervisionLoop::shared().watched();
  EXPECT_GE(watched, 1u);
  sup->signal(SIGTERM);
  ASSERT_TRUE(sup->wait_exited(10000));
  EXPECT_EQ(code, 128 + SIGTERM);
  sup.reset();
  EXPECT_EQ(SupervisionLoop::shared().watched(), watched - 1);
}
