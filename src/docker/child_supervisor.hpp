// SPDX-License-Identifier: Apache-2.0
// Watches one child process (a session dockerd, a desktop's dnsmasq):
// reports its exit, and calls a probe every interval (a session pings its
// dockerd, so one that stops answering is noticed without anyone asking).
// The watching is an entry in the process's SupervisionLoop, not a thread.
// The process is only watched: destroying the supervisor leaves it running
// (the next hydrad adopts a dockerd).
//
// THREADS: a hook thread of the SupervisionLoop runs the hooks, one at a
// time; signal(), wait_exited() and the destructor are called from the
// owner's thread.
// LOCKS: `mu_` guards exit_code_ (written after the exit hook returned).
// Never destroy a supervisor from one of its hooks, nor while holding a lock
// a hook takes: the destructor waits for a hook that is running.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>

#include "docker/child_process.hpp"
#include "docker/supervision_loop.hpp"

namespace hydra::docker {

class ChildSupervisor {
 public:
  struct Hooks {
    std::function<void(int exit_code)> exited;  // once, from a hook thread
    std::function<void()> probe;                // every probe interval while it runs
  };

  ChildSupervisor(docker::ChildProcess proc, int probe_interval_ms, Hooks hooks);
  // Stops watching and waits for a running hook; never call it from a hook,
  // nor with a lock a hook takes.
  ~ChildSupervisor();
  ChildSupervisor(const ChildSupervisor&) = delete;
  ChildSupervisor& operator=(const ChildSupervisor&) = delete;

  [[nodiscard]] pid_t pid() const { return pid_; }
  // Through the pidfd: never a recycled pid.
  void signal(int sig) { proc_.signal(sig); }
  // Waits until the watcher has seen the exit (and run its hook); false
  // after timeout_ms.
  bool wait_exited(int timeout_ms);

 private:
  void on_exit();

  docker::ChildProcess proc_;  // touched only by the exit hook, but for signal()
  const pid_t pid_;
  Hooks hooks_;
  std::mutex mu_;
  std::condition_variable exited_cv_;
  std::optional<int> exit_code_;
  SupervisionLoop::Id watch_id_ = 0;  // last: watching starts when all above is set
};

}  // namespace hydra::docker
