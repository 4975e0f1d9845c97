// SPDX-License-Identifier: Apache-2.0
#include "api/connection_table.hpp"

namespace hydra::api {

ConnectionTable::Admission ConnectionTable::admit(long uid) {
  std::lock_guard lock(mu_);
  if (admitted_ >= limits_.max_connections) return Admission::kServerFull;
  unsigned& held = per_uid_[uid];
  if (limits_.per_peer > 0 && held >= limits_.per_peer) {
    if (held == 0) per_uid_.erase(uid);
    return Admission::kPeerFull;
  }
  ++held;
  ++admitted_;
  return Admission::kAdmitted;
}

void ConnectionTable::opened(int fd, long uid, int64_t now_us) {
  std::lock_guard lock(mu_);
  conns_[fd] = Conn{uid, limits_.request_timeout_us > 0 ? now_us + limits_.request_timeout_us : 0};
}

void ConnectionTable::handling(int fd) {
  std::lock_guard lock(mu_);
  if (auto it = conns_.find(fd); it != conns_.end()) it->second.deadline_us = 0;
}

void ConnectionTable::waiting(int fd, int64_t now_us) {
  std::lock_guard lock(mu_);
  if (auto it = conns_.find(fd); it != conns_.end() && limits_.request_timeout_us > 0)
    it->second.deadline_us = now_us + limits_.request_timeout_us;
}

void ConnectionTable::closed(int fd) {
  std::lock_guard lock(mu_);
  auto it = conns_.find(fd);
  if (it == conns_.end()) return;
  if (auto u = per_uid_.find(it->second.uid); u != per_uid_.end() && --u->second == 0) per_uid_.erase(u);
  --admitted_;
  conns_.erase(it);
}

void ConnectionTable::expire(int64_t now_us, const std::function<void(int fd)>& close_it) {
  std::lock_guard lock(mu_);
  for (auto& [fd, c] : conns_) {
    if (c.deadline_us == 0 || now_us < c.deadline_us) continue;
    c.deadline_us = 0;  // once: it is on its way out
    close_it(fd);
  }
}

unsigned ConnectionTable::connections() const {
  std::lock_guard lock(mu_);
  return admitted_;
}

unsigned ConnectionTable::held_by(long uid) const {
  std::lock_guard lock(mu_);
  auto it = per_uid_.find(uid);
  return it == per_uid_.end() ? 0 : it->second;
}

}  // namespace hydra::api
