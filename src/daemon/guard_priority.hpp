// SPDX-License-Identifier: Apache-2.0
// The guard thread's scheduling: a restore must not wait for a CPU behind
// API connections, session starts or anyone else's work on the machine.
#pragma once

#include "base/result.hpp"

namespace hydra::daemon {

// Makes the calling thread SCHED_FIFO at `priority` (1-99). Threads and
// processes it creates afterwards start as ordinary ones (SCHED_RESET_ON_FORK):
// neither HTTP workers nor dockerd inherit it. Needs CAP_SYS_NICE.
Status make_thread_realtime(int priority);
// Back to SCHED_OTHER (nice 0) for the calling thread.
Status make_thread_ordinary();

// hydrad's OOM score: a session that fills the machine's memory must never
// make the kernel pick hydrad (and its guard). Its children start at 0
// again (ChildProcess). Lowering it needs CAP_SYS_RESOURCE.
inline constexpr int kHydradOomScoreAdj = -900;
Status protect_from_oom_killer(int adj = kHydradOomScoreAdj);

}  // namespace hydra::daemon
