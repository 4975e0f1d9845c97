// SPDX-License-Identifier: Apache-2.0
// Watches one child process (a session dockerd, a desktop's dnsmasq) from a
// thread of its own: reports its exit, and calls a probe every interval (a
// session pings its dockerd, so one that stops answering is noticed without
// anyone asking). The process is only watched: destroying the supervisor
// leaves it running (the next hydrad adopts a dockerd).
//
// THREADS: the watcher thread runs both hooks; signal(), wait_exited() and
// the destructor are called from the owner's thread.
// LOCKS: `mu_` guards exit_code_ (the watcher writes it after the exit hook
// returned). Never destroy a supervisor from one of its hooks, nor while
// holding a lock a hook takes: the destructor joins the watcher.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "base/unique_fd.hpp"
#include "docker/child_process.hpp"

namespace hydra::docker {

class ChildSupervisor {
 public:
  struct Hooks {
    std::function<void(int exit_code)> exited;  // once, from the watcher thread
    std::function<void()> probe;                // every probe interval while it runs
  };

  ChildSupervisor(docker::ChildProcess proc, int probe_interval_ms, Hooks hooks);
  // Stops watching and joins the watcher; never call it from a hook, nor with
  // a lock a hook takes.
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
  void watch(int probe_interval_ms);

  docker::ChildProcess proc_;  // touched only by the watcher, but for signal()
  const pid_t pid_;
  Hooks hooks_;
  UniqueFd stop_fd_;  // eventfd: "stop watching"
  std::mutex mu_;
  std::condition_variable exited_cv_;
  std::optional<int> exit_code_;
  std::thread thread_;
};

}  // namespace hydra::docker
