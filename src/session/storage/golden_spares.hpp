// SPDX-License-Identifier: Apache-2.0
// The thread that keeps a spare clone of each golden cloned by reflink
// (golden_store.hpp, "Spares"): woken when a golden is made or a spare
// taken, it makes what is missing, one at a time, at the lowest CPU and I/O
// priority, and not while [storage] min_free refuses creates: a spare held
// back so is looked at again every `retry_ms` until there is room. Idle
// (nothing missing, or nothing held back), it blocks: no timer.
//
// THREADS: its own ("golden spares") calls GoldenStore::make_spare(); wake()
// from any thread. LOCKS: mu_ guards woken_ and quit_ (a leaf lock, never
// held across a spare's making).
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "session/storage/golden_store.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::session {

class GoldenSpares {
 public:
  // `room()`: whether data_dir has room for more (creates allowed);
  // `retry_ms`: how often a spare held back for want of room is looked at.
  GoldenSpares(GoldenStore& store, telemetry::EventLog& log, std::function<bool()> room, int retry_ms);
  ~GoldenSpares();  // stops a spare being made and joins
  GoldenSpares(const GoldenSpares&) = delete;
  GoldenSpares& operator=(const GoldenSpares&) = delete;

  void start();
  // Looks again at every golden (a golden made, a spare taken, room again).
  void wake();

 private:
  void loop();
  // True when a spare was held back for want of room.
  bool make_missing();

  GoldenStore& store_;
  telemetry::EventLog& log_;
  std::function<bool()> room_;
  int retry_ms_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool woken_ = true;  // mu_: the first look is at start
  bool quit_ = false;  // mu_
  std::thread thread_;
};

}  // namespace hydra::session
