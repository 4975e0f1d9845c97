// SPDX-License-Identifier: Apache-2.0
// A session's cgroups on paper, for both cgroup versions: where the
// hierarchies are (mountinfo), which directories a session gets, which
// files say its limits and in what order, and how its usage files read.
#include "session/limits/cgroup_layout.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace hydra::session {
namespace {

// This machine's kind: v1 controllers, a named systemd hierarchy and an
// empty cgroup2 beside them (hybrid).
const char* kHybrid =
    "25 30 0:22 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "26 25 0:23 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "27 25 0:24 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "28 25 0:25 / /sys/fs/cgroup/memory rw,relatime shared:9 - cgroup cgroup rw,memory\n"
    "29 25 0:26 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
    "30 25 0:27 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "31 25 0:28 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

TEST(CgroupLayout, MountinfoFindsEachV1Controller) {
  const auto m = parse_cgroup_mounts(kHybrid);
  EXPECT_EQ(m.version, CgroupVersion::kV1);
  EXPECT_EQ(m.v1.at("memory"), "/sys/fs/cgroup/memory");
  EXPECT_EQ(m.v1.at("cpu"), "/sys/fs/cgroup/cpu");
  EXPECT_EQ(m.v1.at("cpuacct"), "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(m.v1.at("pids"), "/sys/fs/cgroup/pids");
  EXPECT_EQ(m.v1_all.size(), 6u) << "every hierarchy, the named systemd one and the hybrid's unified one too";
  // Co-mounted (Debian 10's systemd): both controllers in one hierarchy.
  const auto co = parse_cgroup_mounts(
      "26 25 0:23 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
      "27 25 0:24 /docker/abc /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n");
  EXPECT_EQ(co.v1.at("cpu"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(co.v1.at("cpuacct"), "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_FALSE(co.v1.count("memory")) << "a hierarchy mounted from below its root is left out";
}

TEST(CgroupLayout, MountinfoFindsTheUnifiedHierarchy) {
  const auto m = parse_cgroup_mounts(
      "35 24 0:30 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate\n");
  EXPECT_EQ(m.version, CgroupVersion::kV2);
  EXPECT_EQ(m.unified, "/sys/fs/cgroup");
  EXPECT_EQ(parse_cgroup_mounts("").version, CgroupVersion::kNone);
  EXPECT_EQ(parse_cgroup_mounts("garbage\n1 2 3\n - - -\n").version, CgroupVersion::kNone);
  EXPECT_EQ(unified_cgroup_of("12:pids:/x\n0::/system.slice/hydrad.service\n"), "/system.slice/hydrad.service");
  EXPECT_FALSE(unified_cgroup_of("12:pids:/x\n"));
}

TEST(CgroupLayout, ASessionHasADaemonAndAContainersCgroup) {
  const auto d = session_cgroup_dirs("/hydra", 3);
  EXPECT_EQ(d.session, "/hydra/h3");
  EXPECT_EQ(d.daemon, "/hydra/h3/daemon");
  EXPECT_EQ(d.containers, "/hydra/h3/containers");
  EXPECT_EQ(session_cgroup_dirs("/", 1).session, "/h1");
  EXPECT_EQ(session_cgroup_dirs("/a/b/", 1).session, "/a/b/h1");
}

std::string value_of(const std::vector<CgroupWrite>& w, const std::string& dir, const std::string& file) {
  std::string v = "(absent)";
  for (const auto& x : w)
    if (x.dir == dir && x.file == file) v = x.value;  // the last write wins
  return v;
}

TEST(CgroupLayout, V2FilesSayTheLimits) {
  const auto d = session_cgroup_dirs("/hydra", 1);
  ResourceLimits l{.memory = 1ULL << 30, .memory_high = 768ULL << 20, .cpus = 1.5, .cpu_weight = 200, .pids = 1024};
  const auto w = limit_writes(CgroupVersion::kV2, d, l, false);
  EXPECT_EQ(value_of(w, d.session, "memory.max"), "1073741824");
  EXPECT_EQ(value_of(w, d.session, "memory.swap.max"), "0");
  EXPECT_EQ(value_of(w, d.session, "memory.high"), "805306368");
  EXPECT_EQ(value_of(w, d.containers, "memory.max"), std::to_string(containers_memory(1ULL << 30)));
  EXPECT_EQ(value_of(w, d.session, "cpu.max"), "150000 100000");
  EXPECT_EQ(value_of(w, d.session, "cpu.weight"), "200");
  EXPECT_EQ(value_of(w, d.session, "pids.max"), "1024");
  EXPECT_EQ(value_of(w, d.containers, "pids.max"), "768");
  for (const auto& x : w) EXPECT_EQ(x.controller, "") << x.file;
  // No limits: every file written back to none (a reused index forgets).
  const auto none = limit_writes(CgroupVersion::kV2, d, {}, false);
  EXPECT_EQ(value_of(none, d.session, "memory.max"), "max");
  EXPECT_EQ(value_of(none, d.session, "cpu.max"), "max 100000");
  EXPECT_EQ(value_of(none, d.session, "cpu.weight"), "100");
  EXPECT_EQ(value_of(none, d.containers, "pids.max"), "max");
}

TEST(CgroupLayout, V2HandsTheControllersDownFromTheRoot) {
  const auto w = v2_enable_writes(session_cgroup_dirs("/system.slice/hydrad.service/sessions", 2));
  std::vector<std::string> dirs;
  for (const auto& x : w) {
    dirs.push_back(x.dir);
    EXPECT_EQ(x.file, "cgroup.subtree_control");
    EXPECT_EQ(x.value, "+memory +cpu +pids");
  }
  EXPECT_EQ(dirs, (std::vector<std::string>{"/", "/system.slice", "/system.slice/hydrad.service",
                                            "/system.slice/hydrad.service/sessions",
                                            "/system.slice/hydrad.service/sessions/h2"}));
}

TEST(CgroupLayout, V1FilesSayTheLimitsInAnOrderTheKernelTakes) {
  const auto d = session_cgroup_dirs("/hydra", 1);
  ResourceLimits l{.memory = 512ULL << 20, .memory_high = 256ULL << 20, .cpus = 0.5, .cpu_weight = 50, .pids = 300};
  const auto w = limit_writes(CgroupVersion::kV1, d, l, true);
  EXPECT_EQ(value_of(w, d.session, "memory.limit_in_bytes"), "536870912");
  EXPECT_EQ(value_of(w, d.session, "memory.memsw.limit_in_bytes"), "536870912");
  EXPECT_EQ(value_of(w, d.session, "memory.soft_limit_in_bytes"), "268435456");
  EXPECT_EQ(value_of(w, d.containers, "memory.limit_in_bytes"), std::to_string(containers_memory(512ULL << 20)));
  EXPECT_EQ(value_of(w, d.session, "cpu.cfs_quota_us"), "50000");
  EXPECT_EQ(value_of(w, d.session, "cpu.cfs_period_us"), "100000");
  EXPECT_EQ(value_of(w, d.session, "cpu.shares"), "512");
  EXPECT_EQ(value_of(w, d.session, "pids.max"), "300");
  EXPECT_EQ(value_of(w, d.containers, "pids.max"), std::to_string(containers_pids(300)));
  // memsw must stay >= memory at each step: lifted before memory is set.
  auto first_memsw = std::find_if(w.begin(), w.end(), [&](const CgroupWrite& x) {
    return x.dir == d.session && x.file == "memory.memsw.limit_in_bytes";
  });
  auto memory = std::find_if(w.begin(), w.end(), [&](const CgroupWrite& x) {
    return x.dir == d.session && x.file == "memory.limit_in_bytes";
  });
  ASSERT_NE(first_memsw, w.end());
  EXPECT_LT(first_memsw - w.begin(), memory - w.begin());
  EXPECT_EQ(first_memsw->value, "-1");
  for (const auto& x : w) EXPECT_EQ(x.controller, x.file.substr(0, x.file.find('.'))) << x.file;
  const auto none = limit_writes(CgroupVersion::kV1, d, {}, false);
  EXPECT_EQ(value_of(none, d.session, "memory.limit_in_bytes"), "-1");
  EXPECT_EQ(value_of(none, d.session, "memory.memsw.limit_in_bytes"), "(absent)") << "no swap accounting";
  EXPECT_EQ(value_of(none, d.session, "cpu.cfs_quota_us"), "-1");
  EXPECT_EQ(value_of(none, d.session, "cpu.shares"), "1024");
  EXPECT_TRUE(limit_writes(CgroupVersion::kNone, d, l, true).empty());
}

TEST(CgroupLayout, UsageFilesRead) {
  EXPECT_EQ(keyed_value("usage_usec 1234\nuser_usec 1000\n", "usage_usec"), 1234u);
  EXPECT_EQ(keyed_value("user_usec 1000\nusage_usec 99", "usage_usec"), 99u);
  EXPECT_EQ(keyed_value("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill"), 3u);
  EXPECT_FALSE(keyed_value("oom_kill_disable 0\n", "oom_kill"));
  EXPECT_FALSE(keyed_value("oom_kill x\n", "oom_kill"));
  EXPECT_FALSE(keyed_value("", "oom_kill"));
  EXPECT_EQ(single_value("4096\n"), 4096u);
  EXPECT_FALSE(single_value("max\n"));
  EXPECT_FALSE(single_value("99999999999999999999999\n"));
}

}  // namespace
}  // namespace hydra::session
