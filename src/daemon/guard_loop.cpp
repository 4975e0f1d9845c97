// SPDX-License-Identifier: Apache-2.0
#include "daemon/guard_loop.hpp"

#include <pthread.h>
#include <signal.h>

#include "base/clock.hpp"

namespace hydra::daemon {

GuardLoop::GuardLoop(netlink::Monitor& monitor, guard::BridgeGuard& guard, telemetry::EventLog& log)
    : monitor_(monitor), guard_(guard), log_(log) {}

GuardLoop::~GuardLoop() {
  sd_event_source_unref(io_);
  sd_event_source_unref(timer_);
  sd_event_unref(event_);
}

Status block_termination_signals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  // sd-event takes them through a signalfd, which needs them blocked.
  if (pthread_sigmask(SIG_BLOCK, &mask, nullptr) != 0) return errno_error("block termination signals");
  return {};
}

Status GuardLoop::setup(std::function<void()> on_reload) {
  on_reload_ = std::move(on_reload);
  int r = sd_event_new(&event_);
  if (r < 0) return make_error("create event loop", -r);
  if (auto st = block_termination_signals(); !st) return st;
  for (int sig : {SIGTERM, SIGINT}) {
    r = sd_event_add_signal(event_, nullptr, sig, nullptr, nullptr);
    if (r < 0) return make_error("watch signal " + std::to_string(sig), -r);
  }
  r = sd_event_add_signal(event_, nullptr, SIGHUP, &GuardLoop::on_hup, this);
  if (r < 0) return make_error("watch SIGHUP", -r);
  r = sd_event_add_io(event_, &io_, monitor_.fd(), EPOLLIN, &GuardLoop::on_monitor, this);
  if (r < 0) return make_error("watch netlink monitor", -r);
  // Highest priority: a deletion is handled before anything else queued.
  sd_event_source_set_priority(io_, SD_EVENT_PRIORITY_IMPORTANT);
  // Accuracy of 1 us: sd-event would otherwise coalesce timers by up to 250 ms.
  r = sd_event_add_time(event_, &timer_, CLOCK_MONOTONIC, UINT64_MAX, 1, &GuardLoop::on_timer, this);
  if (r < 0) return make_error("create guard timer", -r);
  sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
  // Under systemd with WatchdogSec=, sd-event sends WATCHDOG=1 from the loop
  // itself: a loop that stops turning stops the pings.
  sd_event_set_watchdog(event_, true);
  return {};
}

int GuardLoop::on_monitor(sd_event_source*, int, uint32_t, void* userdata) {
  auto* self = static_cast<GuardLoop*>(userdata);
  auto n = self->monitor_.drain(
      [&](const netlink::MonitorEvent& ev, int64_t read_us) { self->guard_.on_event(ev, read_us); });
  if (!n) {
    self->log_.emit("fatal", {{"error", n.error().text()}});
    self->exit_code_ = 1;
    sd_event_exit(sd_event_source_get_event(self->io_), 1);
    return 0;
  }
  self->after_work();
  return 0;
}

int GuardLoop::on_hup(sd_event_source*, const struct signalfd_siginfo*, void* userdata) {
  auto* self = static_cast<GuardLoop*>(userdata);
  if (self->on_reload_) self->on_reload_();
  self->after_work();
  return 0;
}

int GuardLoop::on_timer(sd_event_source*, uint64_t, void* userdata) {
  static_cast<GuardLoop*>(userdata)->after_work();
  return 0;
}

void GuardLoop::after_work() {
  guard_.process(monotonic_us());
  if (auto next = guard_.next_deadline()) {
    sd_event_source_set_time(timer_, static_cast<uint64_t>(std::max<int64_t>(*next, 1)));
    sd_event_source_set_enabled(timer_, SD_EVENT_ONESHOT);
  } else {
    sd_event_source_set_enabled(timer_, SD_EVENT_OFF);
  }
}

int GuardLoop::run() {
  after_work();  // arm the timer for anything start() left pending
  int r = sd_event_loop(event_);
  if (r < 0) {
    log_.emit("fatal", {{"error", std::string("event loop: ") + Error::errno_text(-r)}});
    return 1;
  }
  return exit_code_;
}

}  // namespace hydra::daemon
