// SPDX-License-Identifier: Apache-2.0
#include "session/storage/storage_policy.hpp"

#include <charconv>
#include <cstdio>

namespace hydra::session {

Result<FreeThreshold> FreeThreshold::parse(const std::string& text) {
  FreeThreshold t;
  if (text.empty() || text == "0") return t;
  const char* b = text.data();
  const char* e = b + text.size();
  double number = 0;
  auto [end, ec] = std::from_chars(b, e, number);
  if (ec != std::errc() || end == b || number < 0)
    return make_error("\"" + text + "\" is not a size (bytes, 512MiB, 20GB, or 5%)", EINVAL);
  std::string unit(end, e);
  if (unit == "%") {
    if (number > 100) return make_error("\"" + text + "\": a percentage is at most 100%", EINVAL);
    t.percent = number;
    return t;
  }
  struct Unit {
    const char* name;
    double factor;
  };
  for (auto u : {Unit{"", 1}, Unit{"B", 1}, Unit{"KiB", 1024.0}, Unit{"MiB", 1048576.0}, Unit{"GiB", 1073741824.0},
                 Unit{"TiB", 1099511627776.0}, Unit{"KB", 1e3}, Unit{"MB", 1e6}, Unit{"GB", 1e9}, Unit{"TB", 1e12}})
    if (unit == u.name) {
      t.bytes = static_cast<uint64_t>(number * u.factor);
      return t;
    }
  return make_error("\"" + text + "\": unknown unit \"" + unit + "\" (B, KiB, MiB, GiB, TiB, KB, MB, GB, TB or %)",
                    EINVAL);
}

std::string FreeThreshold::text() const {
  if (percent > 0) {
    char b[32];
    (void)std::snprintf(b, sizeof b, "%g%%", percent);
    return b;
  }
  return bytes ? std::to_string(bytes) : "0";
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    ++u;
  }
  char b[32];
  (void)std::snprintf(b, sizeof b, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
  return b;
}

std::optional<std::string> below_threshold(const FsReading& fs, const FreeThreshold& threshold, const std::string& key) {
  if (!threshold.set()) return std::nullopt;
  if (!fs.error.empty()) return "the free space of " + fs.path + " cannot be measured (" + fs.error + ")";
  const uint64_t need = threshold.bytes_for(fs.total);
  if (fs.free >= need) return std::nullopt;
  std::string want = human_bytes(need);
  if (threshold.percent > 0) want += " (" + threshold.text() + " of " + human_bytes(fs.total) + ")";
  return "free space on " + fs.path + " is " + human_bytes(fs.free) + ", below " + key + " " + want;
}

std::vector<SessionKey> gc_victims(const std::vector<GcSession>& sessions, const std::set<SessionKey>& live,
                                   int64_t grace_s, int64_t now) {
  std::vector<SessionKey> out;
  for (const auto& s : sessions) {
    if (s.state != SessionState::kExited || s.host_docker || live.count(s.key)) continue;
    if (s.stopped_unix <= 0 || now - s.stopped_unix < grace_s) continue;
    out.push_back(s.key);
  }
  return out;
}

}  // namespace hydra::session
