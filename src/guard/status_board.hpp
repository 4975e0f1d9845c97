// The guard's state as the API serves it. The guard (event-loop thread)
// publishes; the HTTP server's thread reads. A mutex and copies keep the two
// apart, so a flood of API clients never waits on — or delays — a restore.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace hydra::guard {

class StatusBoard {
 public:
  void publish_bridge(const std::string& name, nlohmann::json status) {
    std::lock_guard lock(mu_);
    bridges_[name] = std::move(status);
  }
  void remove_bridge(const std::string& name) {
    std::lock_guard lock(mu_);
    bridges_.erase(name);
  }
  void set_ready(bool ready) {
    std::lock_guard lock(mu_);
    ready_ = ready;
  }
  [[nodiscard]] nlohmann::json bridges() const {
    std::lock_guard lock(mu_);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& [_, b] : bridges_) arr.push_back(b);
    return arr;
  }
  [[nodiscard]] bool ready() const {
    std::lock_guard lock(mu_);
    return ready_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, nlohmann::json> bridges_;
  bool ready_ = false;
};

}  // namespace hydra::guard
