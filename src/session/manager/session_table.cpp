// SPDX-License-Identifier: Apache-2.0
#include "session/manager/session_table.hpp"

#include <chrono>
#include <ctime>
#include <set>

namespace hydra::session {

SessionTable::SessionTable(std::string state_file, FileWriter& writer, telemetry::EventLog& log,
                           telemetry::Metrics& metrics)
    : store_(std::move(state_file), writer), log_(log), metrics_(metrics) {}

SessionPtr SessionTable::find_locked(const SessionKey& key) const {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionTable::insert_locked(SessionPtr s) {
  const SessionKey key = s->key;
  sessions_[key] = std::move(s);
}

void SessionTable::erase_locked(Session& s) {
  s.removed = true;
  sessions_.erase(s.key);
}

std::optional<int> SessionTable::free_index_locked(int max_index, const std::set<int>& also_held) const {
  std::set<int> held = also_held;
  for (const auto& [_, s] : sessions_)
    if (s->index_held) held.insert(s->index);
  return lowest_free_index(held, max_index);
}

SessionCounts SessionTable::counts_locked() const {
  SessionCounts c;
  for (const auto& [_, s] : sessions_) {
    c.starting += s->state == SessionState::kStarting || s->state == SessionState::kStopping ||
                  s->state == SessionState::kRecovering;
    c.recovering += s->state == SessionState::kRecovering;
    c.running += s->state == SessionState::kRunning;
    c.unresponsive += s->state == SessionState::kUnresponsive;
    c.exited += s->state == SessionState::kExited;
  }
  return c;
}

SessionCounts SessionTable::counts() const {
  std::lock_guard lock(mu_);
  return counts_locked();
}

std::vector<SessionPtr> SessionTable::snapshot() const {
  std::lock_guard lock(mu_);
  std::vector<SessionPtr> all;
  for (const auto& [_, s] : sessions_) all.push_back(s);
  return all;
}

void SessionTable::set_state_locked(Session& s, SessionState next, const std::string& reason) {
  s.reason = next == SessionState::kUnresponsive || next == SessionState::kExited ? reason : "";
  if (next != SessionState::kExited) s.failed = false;
  if (next == SessionState::kExited && s.state != SessionState::kExited) s.stopped_unix = time(nullptr);
  if (s.state == next) return;
  log_.emit("session_state", {{"session", s.key.text()}, {"from", session_state_name(s.state)},
                              {"to", session_state_name(next)}, {"reason", reason}});
  s.state = next;
}

void SessionTable::persist_locked() {
  std::vector<SessionRecord> records;
  for (const auto& [_, s] : sessions_)
    records.push_back({s->key, s->user_id, s->index, s->index_held, s->started_unix, s->created_unix,
                       s->max_containers, s->host_docker, s->desktop_container, s->desktop_pid, s->network,
                       s->desktop_resolv, s->stopped_unix, s->golden, s->limits});
  const SessionCounts c = counts_locked();
  metrics_.sessions(c.starting - c.recovering, c.running, c.unresponsive, c.exited, c.recovering);
  size_t shared = 0, isolated = 0;
  for (const auto& [_, s] : sessions_)
    if (s->state != SessionState::kExited && !s->host_docker) ++(s->network == NetworkMode::kIsolated ? isolated : shared);
  metrics_.sessions_by_network(shared, isolated);
  store_.save(records);  // written by the writer's thread
}

Result<SessionPtr> SessionTable::wait_adopted(const SessionKey& key, int wait_ms) {
  std::unique_lock lock(mu_);
  SessionPtr s = find_locked(key);
  if (!s) return SessionPtr{};
  // A session never goes back to recovering: once past it, it stays past.
  if (!adopted_cv_.wait_for(lock, std::chrono::milliseconds(wait_ms),
                            [&] { return s->state != SessionState::kRecovering; }))
    return make_error("session " + key.text() + " is still being recovered after hydrad restarted; retry shortly",
                      EAGAIN);
  return s;
}

}  // namespace hydra::session
