// SPDX-License-Identifier: Apache-2.0
// session/manager: the warm pool ([sessions] warm_pool = N) — session
// dockerds already answering, each in its namespace with its uplink and
// hydraN, its cgroup and a data root of its own, made in the background and
// kept at N. A create of a new session takes one and binds it to the key
// (SessionManager::bind_pooled); from then on it is a session like any other.
// Members are not sessions: the table does not hold them, but their indexes
// are reserved (reserved(), read inside the table's lock).
//
// THREADS: the pool thread (SessionManager::pool_loop) makes, discards and
// drains members; API threads take them; a supervision hook thread marks
// one dead; /health and the metrics read counts().
// LOCKS: mu_ guards every field; a leaf lock (taken inside the table's mu_,
// nothing taken inside it). HookTarget::mu_ is a leaf lock too.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "docker/child_supervisor.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

// Where a pooled dockerd's supervisor hooks go: to the pool while it waits,
// to its session once bound (set() swaps them; the watcher keeps running).
class HookTarget {
 public:
  void set(std::function<void(int)> exited, std::function<void()> probe) {
    std::lock_guard lock(mu_);
    exited_ = std::move(exited);
    probe_ = std::move(probe);
  }
  void exited(int code) {
    std::function<void(int)> f;
    {
      std::lock_guard lock(mu_);
      f = exited_;
    }
    if (f) f(code);
  }
  void probe() {
    std::function<void()> f;
    {
      std::lock_guard lock(mu_);
      f = probe_;
    }
    if (f) f();
  }

 private:
  std::mutex mu_;
  std::function<void(int)> exited_;
  std::function<void()> probe_;
};

struct PoolMember {
  int index = 0;
  SessionNet net;
  SessionPaths paths;   // its run dir by index; data_root: data_dir/warm-N-STAMP
  pid_t pid = 0;
  std::string golden;     // its data root is a clone of this golden ("": empty)
  std::string golden_id;  // ...as it was then (GoldenInfo::id)
  std::shared_ptr<HookTarget> hooks;
  std::unique_ptr<docker::ChildSupervisor> supervisor;
};

struct PoolCounts {
  int target = 0;
  int ready = 0;
  int starting = 0;
};

// What the pool thread does next, from the machine's state (pure).
struct PoolPressure {
  bool disk_short = false;     // below [storage] min_free
  uint64_t mem_available = 0;  // /proc/meminfo MemAvailable (0: unknown)
  uint64_t mem_total = 0;
};
struct PoolAction {
  int start = 0;    // members to make now
  int discard = 0;  // ready members to stop: the pool gives way first
};
// Short of memory: less than an eighth of MemTotal available, or 512 MiB.
bool memory_short(const PoolPressure& p);
PoolAction pool_action(int missing, int ready, const PoolPressure& p);
// MemAvailable and MemTotal from /proc/meminfo's text.
void parse_meminfo(const std::string& text, PoolPressure& out);

// A member data root's name: "warm-" is no session type, so it never meets a
// session's data root (TYPE-ID).
std::string warm_data_root(const std::string& data_dir, int index, int64_t stamp);
bool is_warm_data_root_name(const std::string& name);

class WarmPool {
 public:
  explicit WarmPool(unsigned target) : target_(static_cast<int>(target)) {}

  [[nodiscard]] int target() const { return target_; }
  [[nodiscard]] PoolCounts counts() const;
  // Indexes members hold (starting, ready, dead, stale from a previous hydrad).
  [[nodiscard]] std::set<int> reserved() const;
  // How many more to start now (0 when full, or when stopping).
  [[nodiscard]] int missing() const;

  // A ready member whose data root is a clone of `golden` as it is now
  // (its id; "" and "": empty), oldest first; null when there is none.
  std::unique_ptr<PoolMember> take(const std::string& golden, const std::string& golden_id);
  // Ready members that are not such a clone (the golden was made again, or
  // appeared or went since): the pool thread replaces them.
  std::vector<std::unique_ptr<PoolMember>> take_unlike(const std::string& golden, const std::string& golden_id);
  // A member is being made on `index` with this data root (or a stale one
  // of a previous hydrad's is there, to be discarded).
  void reserve(int index, const std::string& data_root);
  void start_failed(int index);  // ...and could not be
  void add_ready(std::unique_ptr<PoolMember> m);
  // The oldest ready member, to be discarded (its index stays reserved
  // until discarded()); null when there is none.
  std::unique_ptr<PoolMember> take_to_discard();
  void discarded(int index);     // a member taken out (dead, drained) is gone
  // Its dockerd exited or stopped answering: the pool thread discards it.
  void mark_dead(int index);
  std::vector<std::unique_ptr<PoolMember>> take_dead();
  std::vector<std::unique_ptr<PoolMember>> take_all_ready();  // at exit, and to shrink
  // Every member's index and data root (pool.json, for the next hydrad).
  [[nodiscard]] std::map<int, std::string> records() const;
  // Stale members reserved at load, handed to the pool thread once.
  void add_stale(int index, const std::string& data_root);
  std::map<int, std::string> take_stale();

  // The pool thread sleeps here until woken or timeout_ms (-1: no timeout).
  void wait(int timeout_ms);
  void wake();
  void quit();
  [[nodiscard]] bool quitting() const;

 private:
  const int target_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  bool woken_ = false;
  bool quit_ = false;
  std::map<int, std::string> reserved_;  // every member's index and data root, ready or not
  std::map<int, std::string> stale_;     // a previous hydrad's, not discarded yet
  int starting_ = 0;
  std::vector<std::unique_ptr<PoolMember>> ready_;
  std::set<int> dead_;  // ready members whose dockerd is gone
};

}  // namespace hydra::session
