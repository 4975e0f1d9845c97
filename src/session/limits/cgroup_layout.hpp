// SPDX-License-Identifier: Apache-2.0
// A session's cgroups on paper: where the hierarchy is mounted (cgroup v2,
// or v1 with a mount per controller), which directories a session gets and
// which files say its limits, per version, and how its usage files read.
// Pure: session_cgroup.hpp does the I/O with what this decides.
//
//   PARENT/hN             the session: its limits (memory, CPU, tasks)
//   PARENT/hN/daemon      its dockerd, its containerd and their shims
//   PARENT/hN/containers  dockerd's --cgroup-parent: every container, with the
//                         session's limits less what the daemons keep
//
// THREADS: any; nothing here keeps state. LOCKS: none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.hpp"
#include "session/core/resource_limits.hpp"

namespace hydra::session {

enum class CgroupVersion { kNone, kV1, kV2 };
std::string_view cgroup_version_name(CgroupVersion v);

// The controllers hydra uses. On v1 cpuacct holds the CPU time; on v2 the
// cpu controller does.
inline constexpr const char* kCgroupControllers[] = {"memory", "cpu", "cpuacct", "pids"};

struct CgroupMounts {
  CgroupVersion version = CgroupVersion::kNone;
  std::string unified;                    // v2: the cgroup2 mount
  std::map<std::string, std::string> v1;  // v1: controller -> its hierarchy's mount
  // v1: every hierarchy's mount (runc makes a container's cgroup in each,
  // parents included: a session's directories are removed from all).
  std::vector<std::string> v1_all;
};
// From /proc/self/mountinfo: cgroup2 mounted at `prefer_v2_at` (the
// machine's /sys/fs/cgroup) makes it v2; else each v1 controller's mount.
// A v1 hierarchy mounted from below its root (a cgroup namespace seen from
// outside) is left out: paths in it would not be what dockerd writes.
CgroupMounts parse_cgroup_mounts(const std::string& mountinfo, const std::string& prefer_v2_at = "/sys/fs/cgroup");

// A process's cgroup on the unified hierarchy ("0::/PATH" of
// /proc/PID/cgroup); nullopt when it has none.
std::optional<std::string> unified_cgroup_of(const std::string& proc_cgroup);

// One file to write: the directory (relative to the controller's mount; on
// v2 to the unified mount), the controller that owns it ("" on v2) and the
// value, in the order they must be written.
struct CgroupWrite {
  std::string controller;
  std::string dir;
  std::string file;
  std::string value;
  friend bool operator==(const CgroupWrite&, const CgroupWrite&) = default;
};

struct SessionCgroupDirs {
  std::string session;     // PARENT/hN
  std::string daemon;      // PARENT/hN/daemon
  std::string containers;  // PARENT/hN/containers
};
// `parent` is absolute ("/hydra"); index N names hN.
SessionCgroupDirs session_cgroup_dirs(const std::string& parent, int index);

// The writes that give a session its limits (unset ones: no limit, written
// too so a reused directory forgets an older session's). On v1 the memory
// hard limit also bounds memory+swap where the kernel accounts swap.
std::vector<CgroupWrite> limit_writes(CgroupVersion v, const SessionCgroupDirs& dirs, const ResourceLimits& l,
                                      bool v1_swap_accounting);
// v2: the controllers to enable, root first, in each directory above the
// session's daemon and containers.
std::vector<CgroupWrite> v2_enable_writes(const SessionCgroupDirs& dirs);

// What a session used, from its cgroup's files.
struct CgroupUsage {
  double cpu_seconds = 0;
  uint64_t memory_bytes = 0;
  uint64_t memory_peak_bytes = 0;
  uint64_t pids = 0;
  uint64_t oom_kills = 0;
  friend bool operator==(const CgroupUsage&, const CgroupUsage&) = default;
};

// "KEY VALUE" lines (cpu.stat, memory.events, memory.oom_control): the
// value of `key`, nullopt when it is absent or not a whole number.
std::optional<uint64_t> keyed_value(std::string_view text, std::string_view key);
// A file holding one whole number ("max" reads as nullopt).
std::optional<uint64_t> single_value(std::string_view text);

}  // namespace hydra::session
