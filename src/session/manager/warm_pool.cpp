// SPDX-License-Identifier: Apache-2.0
#include "session/manager/warm_pool.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace hydra::session {

std::string warm_data_root(const std::string& data_dir, int index, int64_t stamp) {
  return data_dir + "/warm-" + std::to_string(index) + "-" + std::to_string(stamp);
}

bool is_warm_data_root_name(const std::string& name) { return name.rfind("warm-", 0) == 0; }

bool memory_short(const PoolPressure& p) {
  if (p.mem_total == 0) return false;  // unknown: no pressure seen
  constexpr uint64_t kFloor = uint64_t{512} << 20;
  return p.mem_available < std::max(kFloor, p.mem_total / 8);
}

PoolAction pool_action(int missing, int ready, const PoolPressure& p) {
  // Under pressure one member goes at a time (each frees an idle session's
  // worth), and none is made; else the missing are made.
  if (p.disk_short || memory_short(p)) return {0, ready > 0 ? 1 : 0};
  return {missing, 0};
}

void parse_meminfo(const std::string& text, PoolPressure& out) {
  auto field = [&](const char* key) -> uint64_t {
    const auto at = text.find(key);
    if (at == std::string::npos) return 0;
    return std::strtoull(text.c_str() + at + std::strlen(key), nullptr, 10) * 1024;  // kB
  };
  out.mem_available = field("\nMemAvailable:");
  out.mem_total = text.rfind("MemTotal:", 0) == 0 ? std::strtoull(text.c_str() + 9, nullptr, 10) * 1024
                                                   : field("\nMemTotal:");
}

PoolCounts WarmPool::counts() const {
  std::lock_guard lock(mu_);
  return {target_, static_cast<int>(ready_.size() - dead_.size()), starting_};
}

std::set<int> WarmPool::reserved() const {
  std::lock_guard lock(mu_);
  std::set<int> out;
  for (const auto& [index, _] : reserved_) out.insert(index);
  return out;
}

std::map<int, std::string> WarmPool::records() const {
  std::lock_guard lock(mu_);
  return reserved_;
}

void WarmPool::add_stale(int index, const std::string& data_root) {
  std::lock_guard lock(mu_);
  reserved_[index] = data_root;
  stale_[index] = data_root;
}

std::map<int, std::string> WarmPool::take_stale() {
  std::lock_guard lock(mu_);
  return std::exchange(stale_, {});
}

int WarmPool::missing() const {
  std::lock_guard lock(mu_);
  if (quit_) return 0;
  const int have = static_cast<int>(ready_.size()) + starting_;
  return have < target_ ? target_ - have : 0;
}

std::unique_ptr<PoolMember> WarmPool::take(const std::string& golden, const std::string& golden_id) {
  std::lock_guard lock(mu_);
  for (auto it = ready_.begin(); it != ready_.end(); ++it) {
    if (dead_.count((*it)->index) || (*it)->golden != golden || (*it)->golden_id != golden_id) continue;
    auto m = std::move(*it);
    ready_.erase(it);
    reserved_.erase(m->index);  // the session holds it now
    woken_ = true;              // refill
    changed_.notify_all();
    return m;
  }
  return nullptr;
}

std::vector<std::unique_ptr<PoolMember>> WarmPool::take_unlike(const std::string& golden,
                                                               const std::string& golden_id) {
  std::lock_guard lock(mu_);
  std::vector<std::unique_ptr<PoolMember>> out;
  for (auto it = ready_.begin(); it != ready_.end();) {
    if ((*it)->golden == golden && (*it)->golden_id == golden_id) {
      ++it;
      continue;
    }
    dead_.erase((*it)->index);
    out.push_back(std::move(*it));  // its index stays reserved until discarded()
    it = ready_.erase(it);
  }
  return out;
}

void WarmPool::reserve(int index, const std::string& data_root) {
  std::lock_guard lock(mu_);
  reserved_[index] = data_root;
  ++starting_;
}

void WarmPool::start_failed(int index) {
  std::lock_guard lock(mu_);
  reserved_.erase(index);
  --starting_;
}

void WarmPool::add_ready(std::unique_ptr<PoolMember> m) {
  std::lock_guard lock(mu_);
  --starting_;
  ready_.push_back(std::move(m));
}

std::unique_ptr<PoolMember> WarmPool::take_to_discard() {
  std::lock_guard lock(mu_);
  if (ready_.empty()) return nullptr;
  auto m = std::move(ready_.front());
  ready_.erase(ready_.begin());
  dead_.erase(m->index);
  return m;
}

void WarmPool::discarded(int index) {
  std::lock_guard lock(mu_);
  reserved_.erase(index);
}

void WarmPool::mark_dead(int index) {
  std::lock_guard lock(mu_);
  for (const auto& m : ready_)
    if (m->index == index) {
      dead_.insert(index);
      woken_ = true;
      changed_.notify_all();
    }
}

std::vector<std::unique_ptr<PoolMember>> WarmPool::take_dead() {
  std::lock_guard lock(mu_);
  std::vector<std::unique_ptr<PoolMember>> out;
  for (auto it = ready_.begin(); it != ready_.end();) {
    if (dead_.count((*it)->index)) {
      dead_.erase((*it)->index);
      out.push_back(std::move(*it));
      it = ready_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<std::unique_ptr<PoolMember>> WarmPool::take_all_ready() {
  std::lock_guard lock(mu_);
  std::vector<std::unique_ptr<PoolMember>> out = std::move(ready_);
  ready_.clear();
  dead_.clear();
  return out;
}


void WarmPool::wait(int timeout_ms) {
  std::unique_lock lock(mu_);
  auto woken = [&] { return woken_ || quit_; };
  if (timeout_ms < 0) changed_.wait(lock, woken);
  else changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), woken);
  woken_ = false;
}

void WarmPool::wake() {
  std::lock_guard lock(mu_);
  woken_ = true;
  changed_.notify_all();
}

void WarmPool::quit() {
  std::lock_guard lock(mu_);
  quit_ = true;
  changed_.notify_all();
}

bool WarmPool::quitting() const {
  std::lock_guard lock(mu_);
  return quit_;
}

}  // namespace hydra::session
