// SPDX-License-Identifier: Apache-2.0
// Storage decisions, pure: free-space thresholds (bytes or a percentage of
// the filesystem), whether a filesystem is below one, and which stopped
// sessions garbage collection may purge. Unit-tested without a filesystem.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"
#include "session/core/session_state.hpp"

namespace hydra::session {

// "0" or "" (off), "2147483648", "512MiB", "20GB", "5%".
struct FreeThreshold {
  uint64_t bytes = 0;
  double percent = 0;  // of the filesystem's size
  [[nodiscard]] bool set() const { return bytes > 0 || percent > 0; }
  [[nodiscard]] uint64_t bytes_for(uint64_t total) const {
    return percent > 0 ? static_cast<uint64_t>(static_cast<double>(total) * percent / 100.0) : bytes;
  }
  [[nodiscard]] std::string text() const;
  static Result<FreeThreshold> parse(const std::string& text);
};

// One filesystem as statfs saw it (error set when it could not be measured).
struct FsReading {
  std::string path;
  uint64_t free = 0;   // available to unprivileged users (f_bavail)
  uint64_t total = 0;
  std::string error;
  bool btrfs = false;  // the filesystem is btrfs (f_type)
};

// "1.5 GiB"
std::string human_bytes(uint64_t bytes);
// Why `fs` is below `threshold` (named `key`), or nothing when it is not.
// A filesystem that could not be measured is below: creates fail closed.
std::optional<std::string> below_threshold(const FsReading& fs, const FreeThreshold& threshold, const std::string& key);

// A session as garbage collection sees it.
struct GcSession {
  SessionKey key;
  SessionState state = SessionState::kExited;
  bool host_docker = false;
  int64_t stopped_unix = 0;  // when it last stopped (0: unknown — never collected by age)
};

// Sessions that may be purged: stopped (exited) for longer than `grace_s`
// at `now`, not in `live`, not host-docker. A session being created,
// running, unresponsive or stopping is never one, whatever the clock says.
std::vector<SessionKey> gc_victims(const std::vector<GcSession>& sessions, const std::set<SessionKey>& live,
                                   int64_t grace_s, int64_t now);

}  // namespace hydra::session
