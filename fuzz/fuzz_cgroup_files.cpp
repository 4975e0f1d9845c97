// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as what hydrad reads of cgroups and limits —
// /proc/self/mountinfo, /proc/PID/cgroup, a keyed file (cpu.stat,
// memory.events, memory.oom_control), a one-number file — and as a size a
// request or hydra.toml gives (memory_limit). Never a crash; a size that
// parses prints back to the same bytes; mounts found are absolute paths.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "session/core/resource_limits.hpp"
#include "session/limits/cgroup_layout.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto mounts = hydra::session::parse_cgroup_mounts(text);
  for (const auto& [controller, mount] : mounts.v1)
    if (mount.empty() || mount[0] != '/') std::abort();
  if (mounts.version == hydra::session::CgroupVersion::kV2 && mounts.unified != "/sys/fs/cgroup") std::abort();
  if (auto own = hydra::session::unified_cgroup_of(text); own && (own->empty() || (*own)[0] != '/')) std::abort();
  (void)hydra::session::keyed_value(text, "oom_kill");
  (void)hydra::session::single_value(text);
  if (auto bytes = hydra::session::parse_memory_size(text)) {
    auto again = hydra::session::parse_memory_size(hydra::session::memory_size_text(*bytes));
    if (!again || *again != *bytes) std::abort();
  }
  return 0;
}
