// SPDX-License-Identifier: Apache-2.0
// Fans hydrad's events out to the clients of GET /api/v1/events. Each
// client gets its own bounded queue; a client that falls too far behind is
// cut off (its stream ends) rather than slowing anything down.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace hydra::api {

class EventStream {
 public:
  static constexpr size_t kMaxQueued = 10000;

  struct Subscriber {
    std::mutex mu;
    std::condition_variable ready;
    std::deque<std::string> lines;
    bool overflowed = false;
  };

  // Called for every event (one JSON line, newline included).
  void publish(const std::string& line);
  std::shared_ptr<Subscriber> subscribe();
  [[nodiscard]] size_t subscribers();

 private:
  std::mutex mu_;
  std::vector<std::weak_ptr<Subscriber>> subs_;
};

}  // namespace hydra::api
