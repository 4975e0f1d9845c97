// SPDX-License-Identifier: Apache-2.0
// Writes state files on a thread of its own, so that no caller — the guard
// thread least of all — waits for the disk (every write fsyncs, and a busy
// disk can take seconds). Only the latest text of each file is kept
// pending: a burst of changes costs one write. The lock is held only to
// hand text over, never across the write.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include "base/result.hpp"

namespace hydra {

class FileWriter {
 public:
  // `on_error` runs on the writer's thread for each write that failed.
  explicit FileWriter(std::function<void(const std::string& path, const Error&)> on_error);
  // Writes what is pending, then stops.
  ~FileWriter();
  FileWriter(const FileWriter&) = delete;
  FileWriter& operator=(const FileWriter&) = delete;

  // Replaces `path` with `text` (atomic rename), soon.
  void submit(const std::string& path, std::string text);
  // Waits until everything submitted before the call is on disk.
  void flush();

 private:
  void run();

  std::function<void(const std::string&, const Error&)> on_error_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::map<std::string, std::string> pending_;
  bool writing_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hydra
