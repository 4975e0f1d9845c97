// SPDX-License-Identifier: Apache-2.0
// One dockerd child process (or one adopted after a hydrad restart): spawned
// with an explicit argument vector, watched through a pidfd, ready when its
// socket appears and answers /_ping, stopped with SIGTERM then SIGKILL.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace hydra::docker {

class ChildProcess {
 public:
  struct Options {
    // The child enters this network namespace (setns) before exec — and
    // nothing else: it keeps the sandbox's mounts, /sys and cgroups, which
    // dockerd needs as they are.
    int netns_fd = -1;
    // The child is killed when the spawning thread ends (PR_SET_PDEATHSIG)
    // — for helpers such as a copier, never dockerd.
    bool die_with_spawner = false;
    // cgroup.procs files (open for writing) the child joins before exec:
    // what it starts is counted and limited there from its first task.
    std::vector<int> cgroup_procs;
    // Its nice value (whatever the spawning thread's): 19 for a warm pool's
    // dockerd, made in the background.
    int nice = 0;
  };
  // argv[0] is the program. stdout and stderr go to log_path. The child gets
  // its own session (a signal to hydrad's group is not its), a clean signal
  // mask and an OOM score of 0 (hydrad's own protection is not inherited).
  static Result<ChildProcess> spawn(const std::vector<std::string>& argv, const std::string& log_path,
                                    const Options& options);
  static Result<ChildProcess> spawn(const std::vector<std::string>& argv, const std::string& log_path) {
    return spawn(argv, log_path, Options{});
  }
  // A dockerd that is not our child (found through its pidfile).
  static Result<ChildProcess> adopt(pid_t pid);

  ChildProcess(ChildProcess&&) noexcept = default;
  ChildProcess& operator=(ChildProcess&&) noexcept = default;

  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] int pidfd() const { return pidfd_.get(); }

  // Event-driven readiness: inotify on the socket's directory until the
  // socket exists, then /_ping; fails early if the process exits.
  Status wait_ready(const std::string& socket, int timeout_ms);
  // The same for a server that serves as soon as its socket exists
  // (containerd): the socket appears and accepts a connection.
  Status wait_listening(const std::string& socket, int timeout_ms);
  // SIGTERM, then SIGKILL after grace_ms. Returns the exit code (-1 unknown).
  int stop(int grace_ms);
  // Blocks until the process exits; returns its exit code (-1 when unknown:
  // an adopted process, or killed by a signal — then 128+signal).
  int wait_exit();
  enum class Waited { kExited, kAborted, kTimedOut };
  // Waits for the exit (its code in `code`), for abort_fd to become
  // readable, or for timeout_ms (-1: no timeout), whichever comes first.
  Waited wait_exit_for(int abort_fd, int timeout_ms, int& code);
  // Sends a signal through the pidfd (never to a recycled pid).
  void signal(int sig);
  // The exit code if it has exited, without blocking.
  std::optional<int> exited();

 private:
  ChildProcess(pid_t pid, UniqueFd pidfd, bool child) : pid_(pid), pidfd_(std::move(pidfd)), child_(child) {}
  int reap();
  // Until `socket` exists (inotify on its directory), the process ends, or
  // the deadline passes.
  Status wait_socket_file(const std::string& socket, int64_t deadline_us);
  // Its /proc comm ("dockerd", "containerd"), for errors.
  [[nodiscard]] std::string program_name() const;

  pid_t pid_ = -1;
  UniqueFd pidfd_;
  bool child_ = false;
  std::optional<int> exit_code_;
};

// Every thread of `pid` to this nice value (the threads a process starts
// later take their creator's): a pooled dockerd bound to a session.
Status set_process_nice(pid_t pid, int nice);

}  // namespace hydra::docker
