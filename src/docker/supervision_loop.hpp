// SPDX-License-Identifier: Apache-2.0
// Every supervised child process (session dockerds, pool members, desktop
// resolvers) watched from one thread: their pidfds in one epoll set, their
// probe deadlines as its timeout. A session costs hydrad an entry here, not a
// thread of its own (a thread each held a malloc arena: 1.3 MiB resident per
// session, see BENCHMARKS.md).
//
// The hooks (a probe pings a dockerd and may take its timeout; an exit hook
// restarts or releases a session) never run on the watching thread: it hands
// them to hook threads: one at first, another only when hooks wait and none
// has been taken for kStallUs (every thread is held by a slow hook), up to
// kMaxHookThreads; a thread that finds nothing queued and another thread
// idle ends. So a hung dockerd's probe holds one hook thread, never the watching
// of the others; the probes of many sessions (tens of ms each) share a few
// threads (each thread holds a malloc arena of its own, see daemon/main.cpp);
// and an idle hydrad has no wakeup here: the watcher and the first hook
// thread block until a pidfd fires or a probe is due.
// One child's hooks never overlap: its exit hook runs after a probe in flight.
//
// THREADS: add() and remove() from any thread but a hook of the same entry;
// the watcher thread queues hooks; hook threads run them.
// LOCKS: `mu_` guards entries_, queue_ and the thread counts; it is never held
// while a hook runs nor across epoll_wait.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <list>
#include <map>
#include <mutex>
#include <thread>

#include "base/unique_fd.hpp"

namespace hydra::docker {

class SupervisionLoop {
 public:
  using Id = uint64_t;
  struct Watch {
    int pidfd = -1;              // stays open until remove() returns
    int probe_interval_ms = -1;  // -1: never probed
    std::function<void()> probe;
    std::function<void()> exited;  // once, when the pidfd becomes readable
  };
  static constexpr int kMaxHookThreads = 64;
  static constexpr int64_t kStallUs = 250'000;

  // The process's one loop, started at first use and never destroyed (its
  // threads end with the process).
  static SupervisionLoop& shared();

  // Tests shorten the times.
  explicit SupervisionLoop(int64_t stall_us = kStallUs);
  // Stops its threads (after a hook that runs); every entry removed first.
  ~SupervisionLoop();
  SupervisionLoop(const SupervisionLoop&) = delete;
  SupervisionLoop& operator=(const SupervisionLoop&) = delete;

  Id add(Watch watch);
  // After it returns no hook of `id` runs or will run; waits for one that is
  // running. Never call it from that entry's own hook.
  void remove(Id id);

  // For tests and benchmarks.
  [[nodiscard]] size_t watched() const;
  [[nodiscard]] int hook_threads() const;

 private:
  enum class HookState { kIdle, kQueued, kRunning };
  struct Entry {
    Watch watch;
    int64_t due_us = 0;  // next probe
    bool exit_seen = false;  // its exit hook is queued, running or done: no probe after it
    bool removing = false;   // remove() waits for its hook: queue nothing more
    bool unwatched = false;  // not in the epoll set: its pidfd is looked at on the timer
    HookState state = HookState::kIdle;
  };

  void watch_loop();
  void hook_loop();
  // With mu_ held: queue a hook for `id`.
  void queue_locked(Id id, Entry& e);
  // With mu_ held: start a hook thread if hooks wait and none is taking them.
  void add_thread_if_stalled_locked(int64_t now_us);
  [[nodiscard]] int timeout_ms_locked(int64_t now_us) const;
  void wake_watcher() const;

  const int64_t stall_us_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: entries changed, recompute the timeout
  mutable std::mutex mu_;
  std::condition_variable work_cv_;  // hook threads wait for queue_
  std::condition_variable done_cv_;  // remove() waits for a running hook
  std::map<Id, Entry> entries_;
  std::deque<Id> queue_;
  Id next_id_ = 1;
  int hook_threads_ = 0;
  int idle_hook_threads_ = 0;
  int64_t last_taken_us_ = 0;  // when a hook thread last took a queued hook
  bool stopping_ = false;
  std::list<std::thread> hook_thread_list_;  // a thread that ends detaches itself and leaves it
  std::thread watcher_;
};

}  // namespace hydra::docker
