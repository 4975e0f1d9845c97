// SPDX-License-Identifier: Apache-2.0
// The sessions hydrad knows: the map, the one lock that guards it and every
// Session's fields, the indexes they hold, the state changes, and their
// persistence (sessions.json, the sessions gauges).
//
// THREADS: any (API connection threads, the main thread at start and its
// adoption workers, the supervisors' hooks, the storage watcher).
// LOCKS: mu_ guards sessions_ and every field of a Session but `op`,
// `supervisor` and `key`; it is never held across I/O to a dockerd, the
// kernel or the disk (persist_locked() hands the file to the writer's
// thread). Taken after a session's `op`, never before (session_manager.hpp).
// Functions that expect it held end in `_locked`; lock() takes it.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <ctime>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "docker/child_supervisor.hpp"
#include "session/core/session_spec.hpp"
#include "session/core/session_state.hpp"
#include "session/desktop/desktop_link.hpp"
#include "session/manager/session_store.hpp"
#include "telemetry/event_log.hpp"
#include "telemetry/metrics.hpp"

namespace hydra::session {

// A clone from a golden in progress (GET of the session being created).
struct CloneProgress {
  std::string golden;
  std::string method;
  uint64_t bytes_done = 0;
  uint64_t bytes_total = 0;
};

struct SessionCounts {
  size_t starting = 0, running = 0, unresponsive = 0, exited = 0;
  size_t recovering = 0;  // also counted in `starting`
};

struct Session {
  explicit Session(SessionKey k) : key(std::move(k)) {}
  const SessionKey key;
  std::mutex op;  // serialises everything that changes this session
  // Guarded by the table's mu_:
  std::string user_id;
  int index = 0;
  bool index_held = false;
  bool removed = false;  // erased from the table: a waiting create looks again
  SessionState state = SessionState::kStarting;
  bool failed = false;
  std::string reason;
  std::optional<int> exit_code;
  int64_t started_unix = 0;
  int64_t created_unix = 0;
  int64_t stopped_unix = 0;
  int max_containers = 0;
  ResourceLimits limits;  // what its dockerd was started with
  bool host_docker = false;
  NetworkMode network = NetworkMode::kShared;  // where its dockerd runs (kept for adoption)
  std::optional<size_t> container_count;
  time_t counted_unix = 0;  // when container_count was taken
  void count_containers(size_t n) {
    container_count = n;
    counted_unix = time(nullptr);
  }
  std::string desktop_container;
  pid_t desktop_pid = 0;
  std::string desktop_resolv;  // the desktop's resolv.conf before the link changed it
  std::string golden;          // its data root was cloned from it
  std::string want_golden;     // a new data root starts from it (this create)
  std::optional<CloneProgress> clone;
  pid_t pid = 0;
  // Set and reset with `op` held and under mu_ (views read it); destroyed
  // outside mu_ (its destructor joins a thread and does I/O).
  std::unique_ptr<DesktopLink> desktop_link;
  // Set and reset only with `op` held, outside mu_ (its destructor joins a
  // thread whose hooks take mu_).
  std::unique_ptr<docker::ChildSupervisor> supervisor;
};
using SessionPtr = std::shared_ptr<Session>;

class SessionTable {
 public:
  SessionTable(std::string state_file, FileWriter& writer, telemetry::EventLog& log, telemetry::Metrics& metrics);
  SessionTable(const SessionTable&) = delete;
  SessionTable& operator=(const SessionTable&) = delete;

  [[nodiscard]] std::unique_lock<std::mutex> lock() const { return std::unique_lock(mu_); }

  // With mu_ held:
  [[nodiscard]] SessionPtr find_locked(const SessionKey& key) const;
  void insert_locked(SessionPtr s);
  // Forgets it; a request still holding it sees `removed`.
  void erase_locked(Session& s);
  [[nodiscard]] const std::map<SessionKey, SessionPtr>& all_locked() const { return sessions_; }
  // The lowest index no session holds, up to `max_index`.
  // The lowest index no session holds, nor `also_held` (the warm pool's).
  [[nodiscard]] std::optional<int> free_index_locked(int max_index, const std::set<int>& also_held = {}) const;
  [[nodiscard]] SessionCounts counts_locked() const;
  // Every state change: logs old -> new (session_state); an exit stamps
  // stopped_unix; only unresponsive and exited keep a reason.
  void set_state_locked(Session& s, SessionState next, const std::string& reason);
  // Hands sessions.json to the writer, refreshes the sessions gauges.
  void persist_locked();
  // A session left `recovering`: wakes the requests waiting for it.
  void adopted_locked() { adopted_cv_.notify_all(); }

  // Without mu_: the session of `key` once it is past `recovering` (nullptr
  // when the table has none). Waits at most `wait_ms` for its adoption,
  // then EAGAIN.
  Result<SessionPtr> wait_adopted(const SessionKey& key, int wait_ms);
  [[nodiscard]] SessionCounts counts() const;
  [[nodiscard]] std::vector<SessionPtr> snapshot() const;
  // sessions.json as the previous hydrad left it.
  [[nodiscard]] Result<SessionStore::Loaded> load() const { return store_.load(); }
  [[nodiscard]] const std::string& path() const { return store_.path(); }

 private:
  SessionStore store_;
  telemetry::EventLog& log_;
  telemetry::Metrics& metrics_;
  mutable std::mutex mu_;
  std::condition_variable adopted_cv_;  // with mu_: a session left `recovering`
  std::map<SessionKey, SessionPtr> sessions_;
};

}  // namespace hydra::session
