// The guard's state as the API serves it. The guard (event-loop thread)
// publishes; HTTP threads read. Each bridge's status is an immutable JSON
// document behind a shared pointer: the mutex is held only to swap or copy
// pointers — never across I/O, never while a document is built or
// serialised — so a flood of API clients cannot hold up a restore.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace hydra::telemetry {

class StatusBoard {
 public:
  void publish_bridge(const std::string& name, nlohmann::json status) {
    auto doc = std::make_shared<const nlohmann::json>(std::move(status));
    std::lock_guard lock(mu_);
    bridges_[name] = std::move(doc);
  }
  void remove_bridge(const std::string& name) {
    std::shared_ptr<const nlohmann::json> old;  // freed outside the lock
    std::lock_guard lock(mu_);
    auto it = bridges_.find(name);
    if (it == bridges_.end()) return;
    old = std::move(it->second);
    bridges_.erase(it);
  }
  void set_ready(bool ready) {
    std::lock_guard lock(mu_);
    ready_ = ready;
  }
  [[nodiscard]] nlohmann::json bridges() const {
    std::map<std::string, std::shared_ptr<const nlohmann::json>> copy;
    {
      std::lock_guard lock(mu_);
      copy = bridges_;
    }
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& [_, b] : copy) arr.push_back(*b);
    return arr;
  }
  [[nodiscard]] bool ready() const {
    std::lock_guard lock(mu_);
    return ready_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const nlohmann::json>> bridges_;
  bool ready_ = false;
};

}  // namespace hydra::telemetry
