// SPDX-License-Identifier: Apache-2.0
// The daemon's event loop (sd-event): the netlink monitor, the guard's
// timers and the termination signals. Everything the guard does happens on
// this one thread.
#pragma once

#include <systemd/sd-event.h>

#include <functional>

#include "base/result.hpp"
#include "guard/bridge_guard.hpp"
#include "telemetry/event_log.hpp"
#include "netlink/monitor.hpp"

namespace hydra::daemon {

// Blocks SIGTERM and SIGINT in the calling thread and every thread it starts
// later; call it first thing in main, so that no helper thread (the HTTP
// server's) takes a termination signal with its default, fatal action.
Status block_termination_signals();

class GuardLoop {
 public:
  GuardLoop(netlink::Monitor& monitor, guard::BridgeGuard& guard, telemetry::EventLog& log);
  ~GuardLoop();
  GuardLoop(const GuardLoop&) = delete;
  GuardLoop& operator=(const GuardLoop&) = delete;

  // Installs the sources; SIGTERM and SIGINT end run(); SIGHUP calls `on_reload`.
  Status setup(std::function<void()> on_reload = {});
  // Runs until a termination signal or a fatal monitor error; returns the exit code.
  int run();

 private:
  static int on_monitor(sd_event_source*, int, uint32_t, void* userdata);
  static int on_timer(sd_event_source*, uint64_t, void* userdata);
  static int on_hup(sd_event_source*, const struct signalfd_siginfo*, void* userdata);
  void after_work();

  netlink::Monitor& monitor_;
  guard::BridgeGuard& guard_;
  telemetry::EventLog& log_;
  sd_event* event_ = nullptr;
  sd_event_source* io_ = nullptr;
  sd_event_source* timer_ = nullptr;
  int exit_code_ = 0;
  std::function<void()> on_reload_;
};

}  // namespace hydra::daemon
