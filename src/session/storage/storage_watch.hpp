// SPDX-License-Identifier: Apache-2.0
// Watches the free space of the filesystems under data_dir and run_dir from
// a thread of its own (statfs every check interval; never the guard's
// thread), publishes it, and calls `critical` while data_dir's filesystem is
// below [storage] critical_free. Also runs the periodic garbage collection.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "session/storage/storage_policy.hpp"

namespace hydra::session {

// statfs of `path`, or of its nearest existing parent (a data_dir not made yet).
FsReading read_fs(const std::string& path);

class StorageWatch {
 public:
  struct Hooks {
    std::function<void(const std::vector<FsReading>&)> measured;  // every round
    std::function<void(const FsReading&)> critical;               // data_dir below critical_free
    std::function<void()> periodic_gc;                            // every round, when [gc] stale_after is set
    // Whether there is anything to watch (sessions exist): when it says no,
    // the watcher sleeps until wake() — no periodic wakeup in an idle hydrad.
    std::function<bool()> active;
  };
  StorageWatch(std::vector<std::string> paths, FreeThreshold critical_free, int interval_ms, Hooks hooks);
  ~StorageWatch();  // stops and joins
  // Something to watch again (a session was created): a round now.
  void wake();
  StorageWatch(const StorageWatch&) = delete;
  StorageWatch& operator=(const StorageWatch&) = delete;

 private:
  void run();
  std::vector<std::string> paths_;
  FreeThreshold critical_;
  int interval_ms_;
  Hooks hooks_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace hydra::session
