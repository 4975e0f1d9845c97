// SPDX-License-Identifier: Apache-2.0
// session/limits: enforces max_containers for the session dockerds that ask hydrad's
// authorization plugin. A dockerd is known by its pid (SO_PEERCRED of the
// plugin connection). Creates of one session are decided one at a time:
// a create holds its session's gate from the request until dockerd reports
// the response (or hold_ms passes), so two `docker run`s at once never
// both take the last slot.
//
// THREADS: track()/untrack() from the session manager's threads; decisions
// from the authorization plugin's connection threads. LOCKS: `mu_` guards
// the table of dockerds and their gates; it is taken after the manager's
// `mu_` when both are, and never held across I/O (the count of a session's
// containers is asked with it released).
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "base/result.hpp"
#include "session/limits/container_limit.hpp"

namespace hydra::session {

class ContainerLimiter {
 public:
  // Counts a session dockerd's containers, all states (the Engine API in
  // hydrad; a fake in unit tests). Called without the limiter's lock.
  using Counter = std::function<Result<size_t>(const std::string& socket)>;

  explicit ContainerLimiter(Counter count, int hold_ms = 30000) : count_(std::move(count)), hold_ms_(hold_ms) {}

  void track(pid_t dockerd, const std::string& session, const std::string& socket, int limit);
  void untrack(pid_t dockerd);
  // The previous hydrad's sessions are tracked again: from now on a peer
  // that is not tracked has no limit. Until then its creates wait (a
  // limited session must not slip through while hydrad restarts).
  void set_ready();

  // AuthZReq and AuthZRes of Docker's authorization protocol.
  LimitVerdict on_request(pid_t peer, const std::string& method, const std::string& uri);
  void on_response(pid_t peer, const std::string& method, const std::string& uri);

 private:
  struct Entry {
    std::string session;
    std::string socket;
    int limit = 0;
    bool in_flight = false;  // a create was allowed; its response has not come
    int64_t in_flight_until = 0;
  };

  Counter count_;
  int hold_ms_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::map<pid_t, Entry> entries_;
  bool ready_ = false;
};

}  // namespace hydra::session
