// SPDX-License-Identifier: Apache-2.0
// The cgroup part of a session as the manager uses it: what this sandbox can
// limit, a session's cgroups made (acquire) or found again (adopt), its usage,
// its OOM kills as they happen, and its cgroups removed (release).
// KernelCgroups does it on the machine's cgroupfs (v1 or v2); the manager's
// unit tests give their own.
//
// THREADS: acquire/adopt/release/usage from the thread that holds the
// session's op, or a reader (usage); several sessions' calls at once. The
// OOM watcher runs on a thread of its own and calls `on_oom` from it.
// LOCKS: KernelCgroups::mu_ guards the per-session OOM counts and the
// watch list; never held across a callback. Taken after the manager's
// table lock is released (the manager never calls a part with it held).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "session/core/resource_limits.hpp"
#include "session/limits/cgroup_layout.hpp"

namespace hydra::session {

// What this sandbox can limit, found once at start.
struct CgroupSupport {
  CgroupVersion version = CgroupVersion::kNone;
  std::string parent;  // where sessions' cgroups live ("/hydra")
  bool memory = false, cpu = false, pids = false;
  // controller -> why it cannot be used (limits_unavailable says each).
  std::map<std::string, std::string> unavailable;
};

// Where a session's dockerd goes: one cgroup.procs per hierarchy (the child
// writes itself into each before exec) and the containers' parent.
struct CgroupPlacement {
  std::vector<UniqueFd> procs;
  std::string containers_parent;  // dockerd's --cgroup-parent ("": none)
};

class CgroupPart {
 public:
  virtual ~CgroupPart() = default;
  [[nodiscard]] virtual const CgroupSupport& support() const = 0;
  // Makes session N's cgroups (again: a reused index's are reset) with its
  // limits, and watches its OOM kills. A sandbox without usable cgroups
  // gives an empty placement: the session runs unlimited and unmeasured.
  virtual Result<CgroupPlacement> acquire(int index, const ResourceLimits& limits) = 0;
  // A live session of a previous hydrad: its cgroups found again (its limits
  // written again), its OOM kills watched.
  virtual Status adopt(int index, const ResourceLimits& limits) = 0;
  // What it uses now; ENOENT when it has no cgroup.
  virtual Result<CgroupUsage> usage(int index) = 0;
  // Its processes are gone: its cgroups removed, the watch ended.
  virtual Status release(int index) = 0;
};

// The OOM kills of session N: `kills` new ones, `total` since it started.
using OomHook = std::function<void(int index, uint64_t kills, uint64_t total)>;

class KernelCgroups final : public CgroupPart {
 public:
  // `parent`: where session cgroups live; "" picks the default (v1:
  // /hydra; v2: beside hydrad in its own cgroup, hydrad moved to a leaf).
  KernelCgroups(const std::string& parent, OomHook on_oom);
  ~KernelCgroups() override;
  KernelCgroups(const KernelCgroups&) = delete;
  KernelCgroups& operator=(const KernelCgroups&) = delete;

  [[nodiscard]] const CgroupSupport& support() const override { return support_; }
  Result<CgroupPlacement> acquire(int index, const ResourceLimits& limits) override;
  Status adopt(int index, const ResourceLimits& limits) override;
  Result<CgroupUsage> usage(int index) override;
  Status release(int index) override;

 private:
  [[nodiscard]] std::string path(const std::string& controller, const std::string& dir) const;
  Status make_dirs(const SessionCgroupDirs& d) const;
  Status write_limits(const SessionCgroupDirs& d, const ResourceLimits& limits) const;
  // v1: every memory cgroup of the session's subtree counts its own kills;
  // those of containers gone since the last look are kept in `gone`.
  uint64_t oom_kills_v1(int index);
  void watch(int index);
  void unwatch(int index);
  void watch_loop();
  void look_again(int index);

  CgroupSupport support_;
  CgroupMounts mounts_;
  bool swap_accounting_ = false;
  OomHook on_oom_;
  struct Watched {
    std::vector<UniqueFd> notices;         // v1: eventfds (session, containers); v2: an inotify fd
    std::vector<UniqueFd> controls;        // v1: the memory.oom_control files the eventfds watch
    UniqueFd timer;                        // the looks that follow a notice
    int containers_notice = -1;            // v1: the eventfd of containers/ (its count is the OOMs there)
    uint64_t notified = 0;                 // v1: OOMs the kernel notified for containers/ (an OOM of the
                                           // session's own limit notifies it too)
    uint64_t reported = 0;                 // kills said so far
    std::map<std::string, uint64_t> seen;  // v1: a memory cgroup -> its kills at the last look
    uint64_t gone = 0;                     // v1: kills of cgroups removed since
  };
  std::mutex mu_;
  std::map<int, Watched> watched_;  // guarded by mu_
  UniqueFd epoll_;
  UniqueFd wake_;      // an eventfd: the watch list changed, or stop
  bool stop_ = false;  // guarded by mu_
  std::thread watcher_;
};

}  // namespace hydra::session
