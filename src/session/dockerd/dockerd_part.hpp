// SPDX-License-Identifier: Apache-2.0
// The dockerd part of a session as the manager uses it: launch (acquire),
// adopt after a restart, and release what a dead dockerd left behind. The
// manager is given one (DockerdLauncher in hydrad; tests may give their own).
//
// THREADS: called from the thread that holds the session's op (or the warm
// pool's thread, for a member); several sessions' calls run at once.
// LOCKS: none here; the shared containerd (shared_containerd.hpp) guards its
// own state, and launch() waits on it without holding a lock.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "docker/child_process.hpp"
#include "session/core/session_spec.hpp"
#include "session/dockerd/shared_containerd.hpp"

namespace hydra::session {

// What a release found and ended.
struct DockerdLeftovers {
  size_t processes = 0;            // its containerd, shims, containers
  size_t mounts = 0;               // under its run dir (exec/netns/default...)
  std::vector<std::string> errors; // each piece is tried; one line per failure
};

// How a session dockerd is started besides its network and paths.
struct LaunchOptions {
  int netns_fd = -1;           // its namespace (-1: hydrad's own)
  bool limited = false;        // max_containers: it asks hydrad's authorization plugin
  std::string storage_driver;  // "": dockerd's choice
  // Its session's cgroups: the cgroup.procs files it joins before exec,
  // and its containers' --cgroup-parent ("" and none: hydrad's cgroups).
  std::vector<int> cgroup_procs;
  std::string cgroup_parent;
  int nice = 0;  // 19: a warm pool's, started in the background
};

class DockerdPart {
 public:
  virtual ~DockerdPart() = default;
  // Writes its daemon.json, clears what a dead dockerd left in the run dir
  // (socket, stale pidfiles) and starts it as `options` say. Does not wait
  // for it to answer.
  virtual Result<docker::ChildProcess> launch(const SessionNet& net, const SessionPaths& paths,
                                              const LaunchOptions& options) = 0;
  // The live dockerd of the session's pidfile (a previous hydrad's child).
  virtual Result<docker::ChildProcess> adopt(const SessionPaths& paths) = 0;
  // The dockerd is gone: what it left running (ended while the session still
  // holds its index, so surely its own: its containerd, or its shims under
  // the shared containerd), the mounts under its run dir (its
  // bind mount of its namespace would keep that namespace alive), and the
  // mounts in its data root (a killed dockerd's, its containers' roots).
  virtual DockerdLeftovers release(const SessionNet& net, const SessionPaths& paths) = 0;
};

// The storage drivers whose stores a data root holds (dockerd keeps each in a
// directory of the driver's name: overlay2/, btrfs/, vfs/ ...); empty for a
// new data root.
std::vector<std::string> data_root_drivers(const std::string& data_root);

// Runs `settings.dockerd` with dockerd_argv (dockerd_config.hpp); with a
// shared containerd, makes sure it runs first and points dockerd at it.
class DockerdLauncher final : public DockerdPart {
 public:
  // `containerd`: the shared one (null: each dockerd starts its own).
  DockerdLauncher(const SessionSettings& settings, SharedContainerd* containerd)
      : settings_(settings), containerd_(containerd) {}
  Result<docker::ChildProcess> launch(const SessionNet& net, const SessionPaths& paths,
                                      const LaunchOptions& options) override;
  Result<docker::ChildProcess> adopt(const SessionPaths& paths) override;
  DockerdLeftovers release(const SessionNet& net, const SessionPaths& paths) override;

 private:
  const SessionSettings& settings_;
  SharedContainerd* containerd_;
};

}  // namespace hydra::session
