// SPDX-License-Identifier: Apache-2.0
#include "session/storage/golden_spares.hpp"

#include "base/clock.hpp"
#include "base/guarded_thread.hpp"
#include "session/storage/data_usage.hpp"

namespace hydra::session {

GoldenSpares::GoldenSpares(GoldenStore& store, telemetry::EventLog& log, std::function<bool()> room)
    : store_(store), log_(log), room_(std::move(room)) {}

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
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return woken_ || quit_; });
      if (quit_) return;
      woken_ = false;
    }
    make_missing();
  }
}

void GoldenSpares::make_missing() {
  for (const auto& g : store_.list()) {
    {
      std::lock_guard lock(mu_);
      if (quit_) return;
    }
    if (g.spare) continue;  // make_spare() itself passes over goldens not cloned by reflink
    if (room_ && !room_()) return;  // tried again at the next wake
    const int64_t t0 = monotonic_us();
    auto made = store_.make_spare(g.name);
    if (!made)
      log_.emit("golden_spare_failed", {{"golden", g.name}, {"error", made.error().text()}});
    else if (*made)
      log_.emit("golden_spare_ready", {{"golden", g.name}, {"took_us", monotonic_us() - t0}});
  }
}

}  // namespace hydra::session
