// SPDX-License-Identifier: Apache-2.0
// hydrad's watch over the disk under the sessions: free space and data-root
// sizes into the metrics, the critical brake, periodic garbage collection.
//
// THREADS: the StorageWatch's own thread runs every hook; the hooks reach
// the sessions only through SessionManager's public calls. LOCKS: none of
// its own; its state (whether the disk was critical) is the watcher
// thread's alone.
#pragma once

#include <memory>

#include "daemon/config.hpp"
#include "session/manager/session_manager.hpp"
#include "session/storage/data_usage.hpp"
#include "session/storage/storage_watch.hpp"

namespace hydra::daemon {

// Started here; destroy it before `sessions`, which it brakes and collects.
std::unique_ptr<session::StorageWatch> watch_disk(const DaemonConfig& config, session::SessionManager& sessions,
                                                  session::DataUsage& usage, telemetry::Metrics& metrics,
                                                  telemetry::EventLog& log);

}  // namespace hydra::daemon
