// SPDX-License-Identifier: Apache-2.0
// What a session as a whole may use — memory, CPU, tasks — as a create asks
// for it, as [sessions.limits] sets its defaults, and as sessions.json keeps
// it. Pure: parsing, checking against the machine, and how much of each the
// session's containers get once its daemons keep their share.
//
// THREADS: any; nothing here keeps state. LOCKS: none.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.hpp"

namespace hydra::session {

struct ResourceLimits {
  std::optional<uint64_t> memory;       // bytes: the hard limit (no swap beyond it)
  std::optional<uint64_t> memory_high;  // bytes: reclaimed and throttled above it (cgroup v2; v1's soft limit)
  std::optional<double> cpus;           // CPUs of time per wall-clock second
  std::optional<uint32_t> cpu_weight;   // 1..10000, 100 as every other session (cgroup v2's scale)
  std::optional<uint64_t> pids;         // tasks: its daemons', its shims' and its containers' together
  [[nodiscard]] bool any() const { return memory || memory_high || cpus || cpu_weight || pids; }
  // Each field this one leaves unset taken from `defaults`.
  [[nodiscard]] ResourceLimits over(const ResourceLimits& defaults) const;
  friend bool operator==(const ResourceLimits&, const ResourceLimits&) = default;
};

// What the field is called where a value came from (errors name it).
struct LimitNames {
  const char* memory;
  const char* memory_high;
  const char* cpus;
  const char* cpu_weight;
  const char* pids;
};
inline constexpr LimitNames kRequestLimitNames{"memory_limit", "memory_high", "cpu_limit", "cpu_weight", "pids_limit"};
inline constexpr LimitNames kConfigLimitNames{"sessions.limits.memory", "sessions.limits.memory_high",
                                              "sessions.limits.cpus", "sessions.limits.cpu_weight",
                                              "sessions.limits.pids"};

// The machine's size, what a limit may not exceed.
struct MachineSize {
  uint64_t memory_bytes = 0;  // MemTotal
  unsigned cpus = 0;          // online CPUs
  uint64_t pid_max = 0;       // kernel.pid_max
};

// Read from /proc (the one piece of I/O here).
MachineSize read_machine_size();

// Bounds below which a session's own daemons could not run.
inline constexpr uint64_t kMinSessionMemory = 64ULL << 20;
inline constexpr uint64_t kMinSessionPids = 256;
inline constexpr double kMinCpus = 0.01;  // a 1 ms quota per 100 ms period

// A size as Docker's --memory takes it: a whole or decimal number, then an
// optional unit k, m, g, t or p (powers of 1024, either case), optionally
// followed by "i" and/or "b" ("64m", "64MiB", "1.5g", "512MB"), a space
// allowed before the unit; bytes without a unit.
Result<uint64_t> parse_memory_size(std::string_view text);
// The shortest exact text parse_memory_size reads back ("64MiB", "1536MiB",
// "1000000").
std::string memory_size_text(uint64_t bytes);

// Every limit set is in range and within the machine; EINVAL naming the
// field (by `names`) and the bound otherwise.
Status check_limits(const ResourceLimits& limits, const MachineSize& machine, const LimitNames& names);

// What the session's containers together may use: the session's limit less
// a share kept for its dockerd, containerd and shims, so that containers
// that reach their limit never starve the daemon that must stop them.
uint64_t containers_memory(uint64_t session_memory);  // less max(48 MiB, 1/8)
uint64_t containers_pids(uint64_t session_pids);      // less max(128, 1/4)

// sessions.json's and the API's form: only the fields set, memory in bytes.
nlohmann::json limits_json(const ResourceLimits& limits);
// The same form read back; an error names the field.
Result<ResourceLimits> limits_from_json(const nlohmann::json& j);

}  // namespace hydra::session
