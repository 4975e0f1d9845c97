// SPDX-License-Identifier: Apache-2.0
#include "session/core/resource_limits.hpp"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "base/json_fields.hpp"
#include "base/whole_file.hpp"

namespace hydra::session {

ResourceLimits ResourceLimits::over(const ResourceLimits& defaults) const {
  ResourceLimits out = *this;
  if (!out.memory) out.memory = defaults.memory;
  if (!out.memory_high) out.memory_high = defaults.memory_high;
  if (!out.cpus) out.cpus = defaults.cpus;
  if (!out.cpu_weight) out.cpu_weight = defaults.cpu_weight;
  if (!out.pids) out.pids = defaults.pids;
  return out;
}

Result<uint64_t> parse_memory_size(std::string_view text) {
  auto bad = [&] {
    return make_error("\"" + std::string(text) +
                          "\" is not a size: a number of bytes, or a number with k, m, g, t or p (\"512m\", \"64MiB\", "
                          "\"1.5g\")",
                      EINVAL);
  };
  size_t i = 0;
  std::string digits;
  bool dot = false;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || (text[i] == '.' && !dot))) {
    dot = dot || text[i] == '.';
    digits += text[i++];
  }
  if (digits.empty() || digits.front() == '.' || digits.back() == '.' || digits.size() > 24) return bad();
  if (i < text.size() && text[i] == ' ') ++i;
  uint64_t unit = 1;
  if (i < text.size()) {
    static constexpr std::string_view kUnits = "kmgtp";
    const auto at = kUnits.find(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
    if (at != std::string_view::npos) {
      unit = 1ULL << (10 * (at + 1));
      ++i;
    }
  }
  if (i < text.size() && std::tolower(static_cast<unsigned char>(text[i])) == 'i' && unit > 1) ++i;
  if (i < text.size() && std::tolower(static_cast<unsigned char>(text[i])) == 'b') ++i;
  if (i != text.size()) return bad();
  const long double value = std::strtold(digits.c_str(), nullptr) * static_cast<long double>(unit);
  if (!std::isfinite(value) || value >= 18446744073709551615.0L) return bad();
  return static_cast<uint64_t>(value);
}

std::string memory_size_text(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
  int unit = -1;
  while (unit < 4 && bytes != 0 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++unit;
  }
  return std::to_string(bytes) + (unit < 0 ? "" : kUnits[unit]);
}

namespace {

Error limit_error(const char* field, const std::string& why) {
  return make_error(std::string("field \"") + field + "\" " + why, EINVAL);
}

}  // namespace

Status check_limits(const ResourceLimits& l, const MachineSize& m, const LimitNames& names) {
  if (l.memory) {
    if (*l.memory < kMinSessionMemory)
      return limit_error(names.memory, "is " + memory_size_text(*l.memory) + ": a session needs at least " +
                                           memory_size_text(kMinSessionMemory) + " (its dockerd and containerd)");
    if (m.memory_bytes > 0 && *l.memory > m.memory_bytes)
      return limit_error(names.memory, "is " + memory_size_text(*l.memory) + ", more than this machine's " +
                                           memory_size_text(m.memory_bytes));
  }
  if (l.memory_high) {
    if (*l.memory_high < kMinSessionMemory)
      return limit_error(names.memory_high, "is " + memory_size_text(*l.memory_high) + ": at least " +
                                                memory_size_text(kMinSessionMemory));
    if (l.memory && *l.memory_high > *l.memory)
      return limit_error(names.memory_high, "(" + memory_size_text(*l.memory_high) + ") is above " +
                                                std::string(names.memory) + " (" + memory_size_text(*l.memory) + ")");
    if (m.memory_bytes > 0 && *l.memory_high > m.memory_bytes)
      return limit_error(names.memory_high, "is more than this machine's " + memory_size_text(m.memory_bytes));
  }
  if (l.cpus) {
    if (!std::isfinite(*l.cpus) || *l.cpus < kMinCpus) return limit_error(names.cpus, "must be at least 0.01 (CPUs)");
    if (m.cpus > 0 && *l.cpus > m.cpus)
      return limit_error(names.cpus, "is " + std::to_string(*l.cpus).substr(0, 8) + ", more than this machine's " +
                                         std::to_string(m.cpus) + " CPUs");
  }
  if (l.cpu_weight && (*l.cpu_weight < 1 || *l.cpu_weight > 10000))
    return limit_error(names.cpu_weight, "must be 1 to 10000 (100 is every other session's)");
  if (l.pids) {
    if (*l.pids < kMinSessionPids)
      return limit_error(names.pids, "is " + std::to_string(*l.pids) + ": a session needs at least " +
                                         std::to_string(kMinSessionPids) +
                                         " tasks (its dockerd, containerd and shims keep a quarter, at least 128)");
    if (m.pid_max > 0 && *l.pids > m.pid_max)
      return limit_error(names.pids, "is " + std::to_string(*l.pids) + ", more than this machine's pid_max " +
                                         std::to_string(m.pid_max));
  }
  return {};
}

uint64_t containers_memory(uint64_t session_memory) {
  const uint64_t keep = std::max<uint64_t>(48ULL << 20, session_memory / 8);
  return session_memory > keep ? session_memory - keep : session_memory / 2;
}

uint64_t containers_pids(uint64_t session_pids) {
  const uint64_t keep = std::max<uint64_t>(128, session_pids / 4);
  return session_pids > keep ? session_pids - keep : session_pids / 2;
}

namespace {

uint64_t pid_max_of() {
  auto text = read_whole_file("/proc/sys/kernel/pid_max");
  return text ? std::strtoull(text->c_str(), nullptr, 10) : 0;
}

}  // namespace

MachineSize read_machine_size() {
  MachineSize m;
  if (auto meminfo = read_whole_file("/proc/meminfo"); meminfo) {
    // "MemTotal:       24684000 kB"
    const auto at = meminfo->find("MemTotal:");
    if (at != std::string::npos) m.memory_bytes = std::strtoull(meminfo->c_str() + at + 9, nullptr, 10) * 1024;
  }
  const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
  m.cpus = cpus > 0 ? static_cast<unsigned>(cpus) : 0;
  m.pid_max = pid_max_of();
  return m;
}

nlohmann::json limits_json(const ResourceLimits& l) {
  nlohmann::json j = nlohmann::json::object();
  if (l.memory) j["memory"] = *l.memory;
  if (l.memory_high) j["memory_high"] = *l.memory_high;
  if (l.cpus) j["cpus"] = *l.cpus;
  if (l.cpu_weight) j["cpu_weight"] = *l.cpu_weight;
  if (l.pids) j["pids"] = *l.pids;
  return j;
}

Result<ResourceLimits> limits_from_json(const nlohmann::json& j) {
  if (!j.is_object()) return make_error("limits: not a JSON object", EINVAL);
  ResourceLimits l;
  using json_fields::read;
  if (auto st = json_fields::first_error({read(j, "memory", l.memory), read(j, "memory_high", l.memory_high),
                                          read(j, "cpu_weight", l.cpu_weight), read(j, "pids", l.pids)});
      !st)
    return st.error();
  if (auto it = j.find("cpus"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return make_error("field \"cpus\" must be a number", EINVAL);
    l.cpus = it->get<double>();
  }
  return l;
}

}  // namespace hydra::session
