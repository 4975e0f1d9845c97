// SPDX-License-Identifier: Apache-2.0
#include "docker/child_supervisor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include "base/guarded_thread.hpp"

namespace hydra::docker {

ChildSupervisor::ChildSupervisor(docker::ChildProcess proc, int probe_interval_ms, Hooks hooks)
    : proc_(std::move(proc)),
      pid_(proc_.pid()),
      hooks_(std::move(hooks)),
      stop_fd_(eventfd(0, EFD_CLOEXEC)),
      thread_(guarded_thread("supervisor of pid " + std::to_string(pid_),
                             [this, probe_interval_ms] { watch(probe_interval_ms); })) {}

ChildSupervisor::~ChildSupervisor() {
  uint64_t one = 1;
  (void)!write(stop_fd_.get(), &one, sizeof one);
  thread_.join();
}

void ChildSupervisor::watch(int probe_interval_ms) {
  for (;;) {
    int code = -1;
    auto waited = proc_.wait_exit_for(stop_fd_.get(), probe_interval_ms, code);
    if (waited == docker::ChildProcess::Waited::kAborted) return;
    if (waited == docker::ChildProcess::Waited::kTimedOut) {
      if (hooks_.probe) hooks_.probe();
      continue;
    }
    if (hooks_.exited) hooks_.exited(code);
    std::lock_guard lock(mu_);
    exit_code_ = code;
    exited_cv_.notify_all();
    return;
  }
}

bool ChildSupervisor::wait_exited(int timeout_ms) {
  std::unique_lock lock(mu_);
  return exited_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return exit_code_.has_value(); });
}

}  // namespace hydra::docker
