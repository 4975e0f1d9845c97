// SPDX-License-Identifier: Apache-2.0
#include "session/storage/golden_spares.hpp"

#include <chrono>

#include "base/clock.hpp"
#include "base/guarded_thread.hpp"
#include "session/storage/data_usage.hpp"

namespace hydra::session {

GoldenSpares::GoldenSpares(GoldenStore& store, telemetry::EventLog& log, std::function<bool()> room, int retry_ms)
    : store_(store), log_(log), room_(std::move(room)), retry_ms_(retry_ms) {}

GoldenSpares::~GoldenSpares() {
  {
    std::lock_guard lock(mu_);
    quit_ = true;
  }
  cv_.notify_all();
  store_.stop_spares();
  if (thread_.joinable()) thread_.join();
}

void GoldenSpares::start() {
  thread_ = guarded_thread("golden spares", [this] { loop(); });
}

void GoldenSpares::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

void GoldenSpares::loop() {
  lower_own_priority();  // the clone's threads inherit it
  bool held_back = false;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      auto go = [&] { return woken_ || quit_; };
      if (held_back) cv_.wait_for(lock, std::chrono::milliseconds(retry_ms_), go);
      else cv_.wait(lock, go);
      if (quit_) return;
      woken_ = false;
    }
    held_back = make_missing();
  }
}

bool GoldenSpares::make_missing() {
  for (const auto& g : store_.list()) {
    {
      std::lock_guard lock(mu_);
      if (quit_) return false;
    }
    // Snapshots and copies have none (make_spare() passes over them too).
    if (g.spare || g.method != clone_method_name(CloneMethod::kReflink)) continue;
    if (room_ && !room_()) return true;
    const int64_t t0 = monotonic_us();
    auto made = store_.make_spare(g.name);
    if (!made)
      log_.emit("golden_spare_failed", {{"golden", g.name}, {"error", made.error().text()}});
    else if (*made)
      log_.emit("golden_spare_ready", {{"golden", g.name}, {"took_us", monotonic_us() - t0}});
  }
  return false;
}

}  // namespace hydra::session
