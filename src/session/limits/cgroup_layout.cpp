// SPDX-License-Identifier: Apache-2.0
#include "session/limits/cgroup_layout.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace hydra::session {

std::string_view cgroup_version_name(CgroupVersion v) {
  switch (v) {
    case CgroupVersion::kV1:
      return "v1";
    case CgroupVersion::kV2:
      return "v2";
    case CgroupVersion::kNone:
      break;
  }
  return "none";
}

namespace {

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && line[i] == ' ') ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ') ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

bool has_option(std::string_view options, std::string_view name) {
  size_t i = 0;
  while (i <= options.size()) {
    const size_t comma = std::min(options.find(',', i), options.size());
    if (options.substr(i, comma - i) == name) return true;
    i = comma + 1;
  }
  return false;
}

std::optional<uint64_t> whole_number(std::string_view s) {
  if (s.empty() || s.size() > 20) return std::nullopt;
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;
    v = next;
  }
  return v;
}

}  // namespace

CgroupMounts parse_cgroup_mounts(const std::string& mountinfo, const std::string& prefer_v2_at) {
  CgroupMounts out;
  std::istringstream in(mountinfo);
  std::string line;
  while (std::getline(in, line)) {
    // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
    const auto f = split_spaces(line);
    const auto dash = std::find(f.begin(), f.end(), std::string_view("-"));
    if (f.size() < 6 || dash == f.end() || std::distance(dash, f.end()) < 4) continue;
    const std::string_view root = f[3], point = f[4], fstype = *(dash + 1), super = *(dash + 3);
    if (point.empty() || point[0] != '/') continue;  // not a mount point hydrad could write under
    if (fstype == "cgroup2" && point == prefer_v2_at && root == "/") {
      out.version = CgroupVersion::kV2;
      out.unified = std::string(point);
    } else if (fstype == "cgroup2" && root == "/") {
      out.v1_all.emplace_back(point);  // a hybrid's unified hierarchy: runc makes cgroups there too
    } else if (fstype == "cgroup" && root == "/") {
      out.v1_all.emplace_back(point);
      for (const char* c : kCgroupControllers)
        if (has_option(super, c) && !out.v1.count(c)) out.v1[c] = std::string(point);
    }
  }
  if (out.version == CgroupVersion::kV2)
    out.v1.clear();
  else if (!out.v1.empty())
    out.version = CgroupVersion::kV1;
  return out;
}

std::optional<std::string> unified_cgroup_of(const std::string& proc_cgroup) {
  std::istringstream in(proc_cgroup);
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("0::", 0) == 0 && line.size() > 3 && line[3] == '/') return line.substr(3);
  return std::nullopt;
}

SessionCgroupDirs session_cgroup_dirs(const std::string& parent, int index) {
  std::string p = parent;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  const std::string session = (p == "/" ? "" : p) + "/h" + std::to_string(index);
  return {session, session + "/daemon", session + "/containers"};
}

std::vector<CgroupWrite> limit_writes(CgroupVersion v, const SessionCgroupDirs& d, const ResourceLimits& l,
                                      bool v1_swap_accounting) {
  std::vector<CgroupWrite> w;
  const auto num = [](uint64_t n) { return std::to_string(n); };
  constexpr uint64_t kPeriodUs = 100000;
  const std::string quota =
      l.cpus ? num(static_cast<uint64_t>(std::llround(*l.cpus * static_cast<double>(kPeriodUs)))) : "";
  if (v == CgroupVersion::kV2) {
    const std::string max = "max";
    w.push_back({"", d.session, "memory.max", l.memory ? num(*l.memory) : max});
    w.push_back({"", d.session, "memory.swap.max", l.memory ? "0" : max});
    w.push_back({"", d.session, "memory.high", l.memory_high ? num(*l.memory_high) : max});
    w.push_back({"", d.containers, "memory.max", l.memory ? num(containers_memory(*l.memory)) : max});
    w.push_back({"", d.session, "cpu.max", (l.cpus ? quota : max) + " " + num(kPeriodUs)});
    w.push_back({"", d.session, "cpu.weight", num(l.cpu_weight.value_or(100))});
    w.push_back({"", d.session, "pids.max", l.pids ? num(*l.pids) : max});
    w.push_back({"", d.containers, "pids.max", l.pids ? num(containers_pids(*l.pids)) : max});
    return w;
  }
  if (v != CgroupVersion::kV1) return w;
  // v1 wants memory+swap >= memory at every step: lift memsw first, then
  // set memory, then bring memsw down to it.
  const std::string unlimited = "-1";
  auto memory = [&](const std::string& dir, std::optional<uint64_t> bytes) {
    if (v1_swap_accounting) w.push_back({"memory", dir, "memory.memsw.limit_in_bytes", unlimited});
    w.push_back({"memory", dir, "memory.limit_in_bytes", bytes ? num(*bytes) : unlimited});
    if (v1_swap_accounting && bytes) w.push_back({"memory", dir, "memory.memsw.limit_in_bytes", num(*bytes)});
  };
  memory(d.session, l.memory);
  memory(d.containers, l.memory ? std::optional(containers_memory(*l.memory)) : std::nullopt);
  w.push_back({"memory", d.session, "memory.soft_limit_in_bytes", l.memory_high ? num(*l.memory_high) : unlimited});
  w.push_back({"cpu", d.session, "cpu.cfs_period_us", num(kPeriodUs)});
  w.push_back({"cpu", d.session, "cpu.cfs_quota_us", l.cpus ? quota : unlimited});
  // v1 shares: 1024 is v2's weight 100.
  const uint64_t shares = std::clamp<uint64_t>(uint64_t{l.cpu_weight.value_or(100)} * 1024 / 100, 2, 262144);
  w.push_back({"cpu", d.session, "cpu.shares", num(shares)});
  w.push_back({"pids", d.session, "pids.max", l.pids ? num(*l.pids) : "max"});
  w.push_back({"pids", d.containers, "pids.max", l.pids ? num(containers_pids(*l.pids)) : "max"});
  return w;
}

std::vector<CgroupWrite> v2_enable_writes(const SessionCgroupDirs& d) {
  // Every directory from the root down to the session's: a controller is
  // usable in a cgroup only when each ancestor hands it down.
  const std::string all = "+memory +cpu +pids";
  std::vector<CgroupWrite> w{{"", "/", "cgroup.subtree_control", all}};
  for (size_t slash = d.session.find('/', 1); slash != std::string::npos; slash = d.session.find('/', slash + 1))
    w.push_back({"", d.session.substr(0, slash), "cgroup.subtree_control", all});
  w.push_back({"", d.session, "cgroup.subtree_control", all});
  return w;
}

std::optional<uint64_t> keyed_value(std::string_view text, std::string_view key) {
  size_t i = 0;
  while (i < text.size()) {
    const size_t end = std::min(text.find('\n', i), text.size());
    const std::string_view line = text.substr(i, end - i);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ' ')
      return whole_number(line.substr(key.size() + 1));
    i = end + 1;
  }
  return std::nullopt;
}

std::optional<uint64_t> single_value(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
  return whole_number(text);
}

}  // namespace hydra::session
