// SPDX-License-Identifier: Apache-2.0
#include "daemon/guard_priority.hpp"

#include <sched.h>

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

}  // namespace hydra::daemon
