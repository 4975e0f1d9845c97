// SPDX-License-Identifier: Apache-2.0
// The event log never blocks its caller: a stalled reader costs events
// (counted and reported), never the emitting thread.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <set>
#include <thread>

#include "../pipe_reader.hpp"
#include "base/bounded_queue.hpp"
#include "telemetry/event_log.hpp"

using namespace hydra;

TEST(EventLog, JournalFields) {
  nlohmann::json e{{"ts", "2026-11-28T00:00:00Z"}, {"event", "bridge_restored"}, {"bridge", "docker0"},
                   {"restore_us", 612}, {"ports", 3}};
  auto f = telemetry::journal_fields(e);
  auto has = [&](const std::string& s) { return std::find(f.begin(), f.end(), s) != f.end(); };
  EXPECT_TRUE(has("EVENT=bridge_restored"));
  EXPECT_TRUE(has("BRIDGE=docker0"));
  EXPECT_TRUE(has("RESTORE_USEC=612"));
  EXPECT_TRUE(has("PORTS=3"));
  EXPECT_TRUE(has("PRIORITY=6"));
  EXPECT_EQ(f[0].rfind("MESSAGE=bridge_restored ", 0), 0u);
  auto s = telemetry::journal_fields({{"event", "session_started"}, {"session", "session/s1"}});
  EXPECT_NE(std::find(s.begin(), s.end(), "SESSION=session/s1"), s.end());
  auto failed = telemetry::journal_fields({{"event", "restore_failed"}});
  EXPECT_NE(std::find(failed.begin(), failed.end(), "PRIORITY=3"), failed.end());
}

TEST(EventLog, JournalOnlyWhenStderrIsTheJournal) {
  setenv("JOURNAL_STREAM", "1:1", 1);  // some other file
  EXPECT_FALSE(telemetry::stderr_is_journal());
  struct stat st {};
  ASSERT_EQ(fstat(2, &st), 0);
  setenv("JOURNAL_STREAM", (std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino)).c_str(), 1);
  EXPECT_TRUE(telemetry::stderr_is_journal());
  unsetenv("JOURNAL_STREAM");
  EXPECT_FALSE(telemetry::stderr_is_journal());
}

TEST(BoundedQueue, FullRefusesEmptyGivesNothingOrderKept) {
  BoundedQueue<int> q(3);  // rounded up to 4
  EXPECT_EQ(q.capacity(), 4u);
  EXPECT_FALSE(q.try_pop());
  for (int i = 0; i < 4; ++i) {
    int v = i;
    EXPECT_TRUE(q.try_push(v));
  }
  int extra = 99;
  EXPECT_FALSE(q.try_push(extra));
  EXPECT_EQ(extra, 99);  // left untouched
  for (int i = 0; i < 4; ++i) EXPECT_EQ(q.try_pop(), i);
  EXPECT_FALSE(q.try_pop());
}

TEST(BoundedQueue, ManyProducersOneConsumerLoseNothingThatWasTaken) {
  BoundedQueue<int> q(64);
  constexpr int kPerThread = 20000;
  std::atomic<int> refused{0};
  std::vector<std::thread> producers;
  for (int t = 0; t < 3; ++t)
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        int v = t * kPerThread + i;
        while (!q.try_push(v)) ++refused;  // retried here only to check every value arrives
      }
    });
  std::set<int> seen;
  while (seen.size() < 3u * kPerThread)
    if (auto v = q.try_pop()) {
      EXPECT_TRUE(seen.insert(*v).second) << "duplicate " << *v;
    }
  for (auto& p : producers) p.join();
  EXPECT_EQ(*seen.begin(), 0);
  EXPECT_EQ(*seen.rbegin(), 3 * kPerThread - 1);
}

// The fault of issue 12: hydrad's stderr into a pipe nobody reads. Before,
// emit() blocked in fprintf once the pipe was full (with the log's mutex
// held), and the guard thread with it.
TEST(EventLog, AReaderThatStopsReadingNeverBlocksEmit) {
  int p[2];
  ASSERT_EQ(pipe2(p, O_CLOEXEC), 0);
  fcntl(p[1], F_SETPIPE_SZ, 4096);
  {
    telemetry::EventLog log(telemetry::LogFormat::kJson, p[1], 64);
    constexpr int kEvents = 5000;  // far more than the pipe and the queue hold
    auto done = std::async(std::launch::async, [&] {
      for (int i = 0; i < kEvents; ++i) log.emit("bridge_restored", {{"bridge", "docker0"}, {"n", i}});
    });
    ASSERT_EQ(done.wait_for(std::chrono::seconds(60)), std::future_status::ready) << "emit() blocked";
    EXPECT_GT(log.dropped(), 0u);
    EXPECT_LE(log.dropped(), static_cast<uint64_t>(kEvents));
    // The reader comes back: the writer catches up and says what was lost.
    ASSERT_EQ(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
    std::string text;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (text.find("\"events_dropped\"") == std::string::npos && std::chrono::steady_clock::now() < deadline) {
      text += hydra::test::drain_pipe(p[0]);
      pollfd pf{p[0], POLLIN, 0};
      poll(&pf, 1, 50);
    }
    auto at = text.find("\"events_dropped\"");
    ASSERT_NE(at, std::string::npos) << "no events_dropped line";
    auto line_start = text.rfind('\n', at);
    auto line = nlohmann::json::parse(text.substr(line_start == std::string::npos ? 0 : line_start + 1,
                                                  text.find('\n', at) - (line_start + 1)));
    EXPECT_GT(line["dropped"].get<uint64_t>(), 0u);
    EXPECT_LE(line["total"].get<uint64_t>(), log.dropped());
    // Everything that was not dropped was written, and nothing twice.
    ASSERT_TRUE(log.flush(30000));
    text += hydra::test::drain_pipe(p[0]);
    size_t lines = std::count(text.begin(), text.end(), '\n');
    size_t reports = 0;
    for (size_t at2 = 0; (at2 = text.find("\"events_dropped\"", at2)) != std::string::npos; ++at2) ++reports;
    EXPECT_EQ(lines - reports + log.dropped(), static_cast<size_t>(kEvents));
  }
  close(p[0]);
  close(p[1]);
}

TEST(EventLog, SubscribersSeeEveryQueuedEventAsJson) {
  int devnull = open("/dev/null", O_WRONLY | O_CLOEXEC);
  std::mutex mu;
  std::vector<std::string> names;
  {
    telemetry::EventLog log(telemetry::LogFormat::kText, devnull);
    log.subscribe([&](const nlohmann::json& e) {
      std::lock_guard lock(mu);
      names.push_back(e.value("event", ""));
      EXPECT_TRUE(e.contains("ts"));
    });
    log.emit("a", {{"x", 1}});
    log.emit("b");
    ASSERT_TRUE(log.flush(30000));
  }
  close(devnull);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b"}));
}

TEST(EventLog, TextLineFormat) {
  auto line = telemetry::EventLog::format_line(telemetry::LogFormat::kText,
                                               {{"ts", "T"}, {"event", "bridge_guarded"}, {"bridge", "docker0"}});
  EXPECT_EQ(line, "T bridge_guarded bridge=docker0\n");
}
