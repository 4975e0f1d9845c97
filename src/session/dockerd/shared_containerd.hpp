// SPDX-License-Identifier: Apache-2.0
// The one containerd every session dockerd uses ([sessions] containerd =
// "shared"): started by hydrad at the first need, watched and restarted
// after a crash (with a backoff), left running at hydrad's exit while
// sessions run and adopted by the next hydrad from its pidfile. Session
// dockerds reach it with --containerd and a containerd namespace each
// (hydraN); its shims outlive it, so its crash or restart stops no container
// and every dockerd reconnects by itself.
//
// THREADS: ensure() from the threads that start or adopt sessions, several
// at once; status() from any thread; the watcher thread (made at the first
// ensure()) starts, adopts, watches and restarts containerd; stop() and the
// destructor from the owner's thread.
// LOCKS: mu_ guards every field below it; never held across I/O — the
// watcher starts containerd with mu_ released and callers of ensure() wait
// on changed_ meanwhile.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "session/core/session_spec.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::session {

// Where the shared containerd keeps everything: run_dir/containerd/. Its
// root is there too: dockerd keeps no images in containerd, only the tasks
// of running containers, which a reboot ends anyway.
struct ContainerdPaths {
  std::string dir, socket, config, pidfile, log, root, state;
};
ContainerdPaths containerd_paths(const SessionSettings& s);
// Its config (version 2): the CRI plugin off (dockerd does not use it), no
// TCP, no debug socket; OOM score left to the process (hydrad gives its
// children 0).
std::string containerd_config_toml(const ContainerdPaths& p);
// Whether a process's command line is this containerd's (a pidfile may name
// a recycled pid).
bool is_shared_containerd(const std::string& cmdline_nul_separated, const ContainerdPaths& p);

struct ContainerdStatus {
  bool configured = false;  // [sessions] containerd = "shared"
  bool running = false;
  pid_t pid = 0;
  int restarts = 0;         // by this hydrad, after it exited
  std::string socket;
  std::string error;        // why the last start failed ("" after a good one)
};

class SharedContainerd {
 public:
  SharedContainerd(const SessionSettings& settings, telemetry::EventLog& log);
  // Stops watching; containerd keeps running (see stop()).
  ~SharedContainerd();
  SharedContainerd(const SharedContainerd&) = delete;
  SharedContainerd& operator=(const SharedContainerd&) = delete;

  // Its socket once it runs and accepts connections (adopting a previous
  // hydrad's, else starting one); waits at most the session start timeout.
  Result<std::string> ensure();
  [[nodiscard]] ContainerdStatus status() const;
  [[nodiscard]] const ContainerdPaths& paths() const { return paths_; }
  // Ends it (SIGTERM, then SIGKILL after the stop timeout) and stops
  // watching: at hydrad's exit when no session dockerd needs it.
  void stop();

 private:
  enum class State { kDown, kStarting, kRunning, kStopped };
  void watch();
  void wake();

  const SessionSettings& settings_;
  telemetry::EventLog& log_;
  const ContainerdPaths paths_;
  UniqueFd wake_fd_;  // eventfd: "start it" or "stop watching"
  std::thread watcher_;

  mutable std::mutex mu_;
  std::condition_variable changed_;  // state_ or attempts_ changed
  State state_ = State::kDown;
  bool wanted_ = false;     // someone asked for it: keep it running
  bool quit_ = false;       // stop watching
  bool terminate_ = false;  // ...and end containerd
  uint64_t attempts_ = 0;   // finished start attempts
  pid_t pid_ = 0;
  int restarts_ = 0;
  std::string error_;
};

}  // namespace hydra::session
