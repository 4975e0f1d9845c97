// SPDX-License-Identifier: Apache-2.0
#include "docker/child_supervisor.hpp"

#include <chrono>

namespace hydra::docker {

ChildSupervisor::ChildSupervisor(docker::ChildProcess proc, int probe_interval_ms, Hooks hooks)
    : proc_(std::move(proc)), pid_(proc_.pid()), hooks_(std::move(hooks)) {
  SupervisionLoop::Watch watch;
  watch.pidfd = proc_.pidfd();
  watch.probe_interval_ms = probe_interval_ms;
  if (hooks_.probe) watch.probe = [this] { hooks_.probe(); };
  watch.exited = [this] { on_exit(); };
  watch_id_ = SupervisionLoop::shared().add(std::move(watch));
}

ChildSupervisor::~ChildSupervisor() { SupervisionLoop::shared().remove(watch_id_); }

void ChildSupervisor::on_exit() {
  const int code = proc_.wait_exit();  // the pidfd is readable: at once
  if (hooks_.exited) hooks_.exited(code);
  std::lock_guard lock(mu_);
  exit_code_ = code;
  exited_cv_.notify_all();
}

bool ChildSupervisor::wait_exited(int timeout_ms) {
  std::unique_lock lock(mu_);
  return exited_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return exit_code_.has_value(); });
}

}  // namespace hydra::docker
