// SPDX-License-Identifier: Apache-2.0
#include "session/storage/storage_watch.hpp"

#include <linux/magic.h>
#include <sys/statfs.h>

#include <chrono>
#include "base/guarded_thread.hpp"

namespace hydra::session {

FsReading read_fs(const std::string& path) {
  FsReading r;
  r.path = path;
  std::string p = path;
  struct statfs st {};
  for (;;) {
    if (statfs(p.c_str(), &st) == 0) break;
    if (errno != ENOENT || p.size() <= 1) {
      r.error = Error::errno_text(errno);
      return r;
    }
    auto slash = p.rfind('/');
    p = slash == 0 || slash == std::string::npos ? "/" : p.substr(0, slash);
  }
  r.free = static_cast<uint64_t>(st.f_bavail) * st.f_frsize;
  r.total = static_cast<uint64_t>(st.f_blocks) * st.f_frsize;
  r.btrfs = static_cast<unsigned long>(st.f_type) == BTRFS_SUPER_MAGIC;
  return r;
}

StorageWatch::StorageWatch(std::vector<std::string> paths, FreeThreshold critical_free, int interval_ms, Hooks hooks)
    : paths_(std::move(paths)), critical_(critical_free), interval_ms_(interval_ms), hooks_(std::move(hooks)) {
  thread_ = guarded_thread("storage watch", [this] { run(); });
}

StorageWatch::~StorageWatch() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void StorageWatch::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    std::vector<FsReading> readings;
    for (const auto& p : paths_) readings.push_back(read_fs(p));
    if (hooks_.measured) hooks_.measured(readings);
    // data_dir's filesystem (the first path) is where sessions grow.
    // Unmeasurable is not critical: creates fail closed, containers are left alone.
    if (hooks_.critical && !readings.empty() && readings[0].error.empty() &&
        below_threshold(readings[0], critical_, "critical_free"))
      hooks_.critical(readings[0]);
    if (hooks_.periodic_gc) hooks_.periodic_gc();
    const bool active = !hooks_.active || hooks_.active();
    lock.lock();
    if (active) cv_.wait_for(lock, std::chrono::milliseconds(interval_ms_), [this] { return stop_ || woken_; });
    else cv_.wait(lock, [this] { return stop_ || woken_; });
    woken_ = false;
  }
}

void StorageWatch::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace hydra::session
