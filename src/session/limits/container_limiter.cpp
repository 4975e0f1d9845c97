// SPDX-License-Identifier: Apache-2.0
#include "session/limits/container_limiter.hpp"

#include <chrono>

#include "base/clock.hpp"

namespace hydra::session {

namespace {

std::chrono::steady_clock::time_point at_us(int64_t monotonic) {
  // steady_clock is CLOCK_MONOTONIC on Linux, the clock of monotonic_us().
  return std::chrono::steady_clock::time_point(std::chrono::microseconds(monotonic));
}

}  // namespace

void ContainerLimiter::track(pid_t dockerd, const std::string& session, const std::string& socket, int limit) {
  std::lock_guard lock(mu_);
  Entry& e = entries_[dockerd];
  e.session = session;
  e.socket = socket;
  e.limit = limit;
  changed_.notify_all();
}

void ContainerLimiter::untrack(pid_t dockerd) {
  std::lock_guard lock(mu_);
  entries_.erase(dockerd);
  changed_.notify_all();
}

void ContainerLimiter::set_ready() {
  std::lock_guard lock(mu_);
  ready_ = true;
  changed_.notify_all();
}

LimitVerdict ContainerLimiter::on_request(pid_t peer, const std::string& method, const std::string& uri) {
  if (!creates_container(method, uri)) return {};
  std::unique_lock lock(mu_);
  const int64_t give_up = monotonic_us() + int64_t{hold_ms_} * 1000;
  if (!changed_.wait_until(lock, at_us(give_up), [&] { return ready_ || entries_.count(peer); }))
    return {false, "hydrad is still recovering its sessions; try again"};
  // One create of this session at a time.
  auto it = entries_.find(peer);
  for (;; it = entries_.find(peer)) {
    if (it == entries_.end()) return {};  // not a limited session
    const int64_t now = monotonic_us();
    if (!it->second.in_flight || now >= it->second.in_flight_until) break;
    if (now >= give_up) return {false, "another container create of " + it->second.session + " is still running"};
    changed_.wait_until(lock, at_us(std::min(it->second.in_flight_until, give_up)));
  }
  Entry& e = it->second;
  e.in_flight = true;
  e.in_flight_until = monotonic_us() + int64_t{hold_ms_} * 1000;
  const std::string session = e.session, socket = e.socket;
  const int limit = e.limit;
  lock.unlock();
  auto existing = count_(socket);  // the Engine API: never under the lock
  lock.lock();
  LimitVerdict v = existing ? limit_verdict(session, *existing, limit)
                            : LimitVerdict{false, "cannot count the containers of session " + session + ": " +
                                                      existing.error().text()};
  if (!v.allow) {
    if (auto it = entries_.find(peer); it != entries_.end()) it->second.in_flight = false;
    changed_.notify_all();
  }
  return v;
}

void ContainerLimiter::on_response(pid_t peer, const std::string& method, const std::string& uri) {
  if (!creates_container(method, uri)) return;
  std::lock_guard lock(mu_);
  if (auto it = entries_.find(peer); it != entries_.end()) it->second.in_flight = false;
  changed_.notify_all();
}

}  // namespace hydra::session
