// SPDX-License-Identifier: Apache-2.0
// Monotonic microseconds, the unit every timing in hydra is reported in,
// and the wall-clock time as events and file names show it.
#pragma once

#include <sys/time.h>

#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hydra {

inline int64_t monotonic_us() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

// The steps of one operation, each the microseconds since the one before:
// where a session's start goes (its started event says it).
class PhaseClock {
 public:
  PhaseClock() : last_(monotonic_us()) {}
  void mark(std::string phase) {
    const int64_t now = monotonic_us();
    phases_.emplace_back(std::move(phase), now - last_);
    last_ = now;
  }
  [[nodiscard]] const std::vector<std::pair<std::string, int64_t>>& phases() const { return phases_; }

 private:
  int64_t last_;
  std::vector<std::pair<std::string, int64_t>> phases_;
};

// Wall-clock nanoseconds: Docker stamps its events with them (timeNano).
inline int64_t realtime_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// "2026-11-28T22:01:32.123456Z"
inline std::string utc_timestamp() {
  timeval tv{};
  gettimeofday(&tv, nullptr);
  tm utc{};
  gmtime_r(&tv.tv_sec, &utc);
  char buf[40];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
  (void)snprintf(buf + n, sizeof buf - n, ".%06ldZ", static_cast<long>(tv.tv_usec));
  return buf;
}

// "2026-11-28T22:01:32Z": RFC 3339, as Go's time.Time reads it.
inline std::string rfc3339(int64_t unix_seconds) {
  const time_t t = static_cast<time_t>(unix_seconds);
  tm utc{};
  gmtime_r(&t, &utc);
  char buf[32];
  if (strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc) == 0) return "";
  return buf;
}

// The seconds since the epoch of rfc3339()'s form; nothing for another.
inline std::optional<int64_t> from_rfc3339(const std::string& text) {
  tm utc{};
  const char* end = strptime(text.c_str(), "%Y-%m-%dT%H:%M:%SZ", &utc);
  if (end == nullptr || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&utc));
}

}  // namespace hydra
