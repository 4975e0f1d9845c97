// SPDX-License-Identifier: Apache-2.0
// How much disk the session data roots take. Sizing a data root of millions
// of files takes a while, so it never happens on a request: a thread of its
// own (lowest CPU and idle I/O priority) measures every folder of data_dir
// each interval and the API serves the last figure with its time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "base/result.hpp"

namespace hydra::session {

struct TreeSize {
  uint64_t bytes = 0;  // allocated, as du counts it: each inode once
  uint64_t entries = 0;
};

// Walks `root` without following symlinks or crossing into other mounts.
// `stop` (may be null) ends the walk early with ECANCELED. ENOENT when
// `root` is absent.
Result<TreeSize> measure_tree(const std::string& root, const std::atomic<bool>* stop = nullptr);
// Deletes `root` and everything under it, returning what it held. A mount
// inside is left in place (and named in the error): nothing is deleted
// through it. Absent is zero bytes.
Result<TreeSize> remove_tree(const std::string& root);

// The calling thread yields to everything else: nice 19, idle I/O class
// (the sizing thread, the spares' thread and the threads they start).
void lower_own_priority();

class DataUsage {
 public:
  DataUsage(std::string data_dir, int interval_ms);
  ~DataUsage();  // ends a walk in progress and joins
  DataUsage(const DataUsage&) = delete;
  DataUsage& operator=(const DataUsage&) = delete;

  struct Figure {
    uint64_t bytes = 0;
    int64_t measured_unix = 0;  // when the walk that found it ended
  };
  [[nodiscard]] std::optional<Figure> of(const std::string& data_root) const;
  // Measure again now (a session started or stopped) rather than at the
  // next interval.
  void refresh();

 private:
  void run();

  const std::string data_dir_;
  const int interval_ms_;
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool refresh_ = true;
  std::atomic<bool> stop_{false};
  std::map<std::string, Figure> figures_;
  std::thread thread_;
};

}  // namespace hydra::session
