// SPDX-License-Identifier: Apache-2.0
// The guard's state as the API serves it. The guard (event-loop thread)
// publishes; HTTP threads read. Each bridge's status is an immutable record
// behind a shared pointer: the mutex is held only to swap or copy pointers —
// never across I/O, never while a record is built or serialised — so a flood
// of API clients cannot hold up a restore. api/schema.hpp puts it on the wire.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hydra::telemetry {

struct BridgeStatus {
  struct Port {
    std::string name;
    int ifindex = 0;
    friend bool operator==(const Port&, const Port&) = default;
  };
  struct LastRestore {
    int64_t restore_us = 0;
    size_t ports_attached = 0;
    std::string at;  // UTC timestamp
    friend bool operator==(const LastRestore&, const LastRestore&) = default;
  };
  std::string name;
  std::string state;  // guard::bridge_state_name()
  bool up = false;
  std::optional<int> ifindex;  // unset until the bridge was seen
  std::optional<std::string> mac;
  std::optional<uint32_t> mtu;
  std::vector<std::string> addresses;  // CIDR
  std::vector<Port> ports;
  uint64_t restores = 0;
  std::optional<LastRestore> last_restore;
  std::optional<int> restore_attempts;  // while a restore is pending
  std::optional<std::string> conflict;
  std::vector<std::string> degraded;  // what the last restore could not bring back
  nlohmann::json extras = nlohmann::json::object();  // routes, neighbours, FDB, sysctls (net::extras_to_json)
};

class StatusBoard {
 public:
  void publish_bridge(BridgeStatus status) {
    auto doc = std::make_shared<const BridgeStatus>(std::move(status));
    std::lock_guard lock(mu_);
    bridges_[doc->name] = std::move(doc);
  }
  void remove_bridge(const std::string& name) {
    std::shared_ptr<const BridgeStatus> old;  // freed outside the lock
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
  // By name.
  [[nodiscard]] std::vector<BridgeStatus> bridges() const {
    std::map<std::string, std::shared_ptr<const BridgeStatus>> copy;
    {
      std::lock_guard lock(mu_);
      copy = bridges_;
    }
    std::vector<BridgeStatus> out;
    out.reserve(copy.size());
    for (const auto& [_, b] : copy) out.push_back(*b);
    return out;
  }
  // Protected bridges the guard found gone and began to put back, counted
  // as it reads the deletion, before any restore I/O: a reader that sees
  // the count unchanged knows the guard had not yet read one.
  void count_loss() { losses_.fetch_add(1); }
  [[nodiscard]] uint64_t losses() const { return losses_.load(); }
  [[nodiscard]] bool ready() const {
    std::lock_guard lock(mu_);
    return ready_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const BridgeStatus>> bridges_;
  bool ready_ = false;
  std::atomic<uint64_t> losses_{0};
};

}  // namespace hydra::telemetry
