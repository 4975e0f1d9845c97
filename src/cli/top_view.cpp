// SPDX-License-Identifier: Apache-2.0
#include "cli/top_view.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include "cli/table.hpp"

namespace hydra::cli {

std::string short_bytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(std::max<int64_t>(bytes, 0));
  int unit = 0;
  while (v >= 1024 && unit < 4) {
    v /= 1024;
    ++unit;
  }
  char buf[32];
  (void)std::snprintf(buf, sizeof buf, unit == 0 ? "%.0f%s" : "%.1f%s", v, kUnits[unit]);
  return buf;
}

std::vector<TopRow> top_rows(const std::vector<api::DockerInstance>& before,
                             const std::vector<api::DockerInstance>& now, double seconds, TopSort sort) {
  std::map<std::string, double> cpu_before;
  for (const auto& s : before)
    if (s.usage) cpu_before[s.scope_type + "/" + s.scope_id] = s.usage->cpu_seconds;
  std::vector<TopRow> rows;
  for (const auto& s : now) {
    if (!s.usage) continue;
    TopRow r;
    r.session = s.scope_type + "/" + s.scope_id;
    r.state = s.state;
    r.cpu_seconds = s.usage->cpu_seconds;
    // A smaller figure than before: a new cgroup (it restarted): not a rate.
    if (auto b = cpu_before.find(r.session); b != cpu_before.end() && seconds > 0 && b->second <= r.cpu_seconds)
      r.cpu_percent = (r.cpu_seconds - b->second) / seconds * 100.0;
    r.memory_bytes = s.usage->memory_bytes;
    r.memory_peak_bytes = s.usage->memory_peak_bytes;
    r.memory_limit = s.limits.memory.value_or(0);
    r.cpu_limit = s.limits.cpus.value_or(0);
    r.pids = s.usage->pids;
    r.pids_limit = s.limits.pids.value_or(0);
    r.oom_kills = s.usage->oom_kills;
    rows.push_back(std::move(r));
  }
  std::stable_sort(rows.begin(), rows.end(), [sort](const TopRow& a, const TopRow& b) {
    if (sort == TopSort::kMemory) return a.memory_bytes > b.memory_bytes;
    return a.cpu_percent != b.cpu_percent ? a.cpu_percent > b.cpu_percent : a.cpu_seconds > b.cpu_seconds;
  });
  return rows;
}

std::string top_table(const std::vector<TopRow>& rows) {
  Table t({"SESSION", "STATE", "CPU%", "CPU LIMIT", "CPU TIME", "MEMORY", "/ LIMIT", "PEAK", "TASKS", "OOM"});
  for (const auto& r : rows) {
    char cpu[32], limit[32], time[32];
    (void)std::snprintf(cpu, sizeof cpu, "%.1f", r.cpu_percent);
    (void)std::snprintf(limit, sizeof limit, "%.2f", r.cpu_limit);
    (void)std::snprintf(time, sizeof time, "%.1fs", r.cpu_seconds);
    t.add({r.session, r.state, r.cpu_percent < 0 ? "-" : cpu, r.cpu_limit > 0 ? limit : "-", time,
           short_bytes(r.memory_bytes), r.memory_limit > 0 ? short_bytes(static_cast<int64_t>(r.memory_limit)) : "-",
           short_bytes(r.memory_peak_bytes),
           std::to_string(r.pids) + (r.pids_limit > 0 ? "/" + std::to_string(r.pids_limit) : ""),
           std::to_string(r.oom_kills)});
  }
  std::ostringstream out;
  t.print(out);
  return out.str();
}

}  // namespace hydra::cli
