// SPDX-License-Identifier: Apache-2.0
#include "base/file_writer.hpp"

#include "base/state_file.hpp"
#include "base/guarded_thread.hpp"

namespace hydra {

FileWriter::FileWriter(std::function<void(const std::string&, const Error&)> on_error)
    : on_error_(std::move(on_error)), thread_(guarded_thread("state writer", [this] { run(); })) {}

FileWriter::~FileWriter() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void FileWriter::submit(const std::string& path, std::string text) {
  {
    std::lock_guard lock(mu_);
    pending_[path] = std::move(text);
  }
  wake_.notify_one();
}

void FileWriter::flush() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [&] { return pending_.empty() && !writing_; });
}

void FileWriter::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    wake_.wait(lock, [&] { return stop_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, and nothing left to write
    auto batch = std::move(pending_);
    pending_.clear();
    writing_ = true;
    lock.unlock();
    for (const auto& [path, text] : batch)
      if (auto st = write_state_file(path, text); !st && on_error_) on_error_(path, st.error());
    lock.lock();
    writing_ = false;
    idle_.notify_all();
  }
}

}  // namespace hydra
