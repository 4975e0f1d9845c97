// SPDX-License-Identifier: Apache-2.0
#include "daemon/guard_priority.hpp"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <string>

#include "base/unique_fd.hpp"

namespace hydra::daemon {

Status make_thread_realtime(int priority) {
  if (priority < 1 || priority > 99) return make_error("realtime priority must be 1 to 99", EINVAL);
  sched_param param{};
  param.sched_priority = priority;
  // pid 0 is the calling thread on Linux, not the whole process.
  if (sched_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &param) != 0)
    return errno_error("set SCHED_FIFO priority " + std::to_string(priority) + " for the guard thread");
  return {};
}

Status make_thread_ordinary() {
  sched_param param{};
  if (sched_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &param) != 0)
    return errno_error("set SCHED_OTHER for the guard thread");
  return {};
}

Status protect_from_oom_killer(int adj) {
  const std::string value = std::to_string(adj);
  UniqueFd fd(::open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open /proc/self/oom_score_adj");
  if (::write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return errno_error("write " + value + " to /proc/self/oom_score_adj");
  return {};
}

}  // namespace hydra::daemon
