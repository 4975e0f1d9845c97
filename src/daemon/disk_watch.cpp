// SPDX-License-Identifier: Apache-2.0
#include "daemon/disk_watch.hpp"

#include <map>

#include "session/storage/storage_policy.hpp"

namespace hydra::daemon {

std::unique_ptr<session::StorageWatch> watch_disk(const DaemonConfig& config, session::SessionManager& sessions,
                                                  session::DataUsage& usage, telemetry::Metrics& metrics,
                                                  telemetry::EventLog& log) {
  // Both checked with the config; unset is no threshold.
  const auto critical_free = session::FreeThreshold::parse(config.sessions.critical_free).value_or({});
  const auto min_free = session::FreeThreshold::parse(config.sessions.min_free).value_or({});
  const std::string data_dir = config.sessions.data_dir;
  auto critical = std::make_shared<bool>(false);  // the watcher thread's alone
  session::StorageWatch::Hooks hooks;
  hooks.measured = [&sessions, &usage, &metrics, &log, critical_free, min_free, data_dir,
                    critical](const std::vector<session::FsReading>& readings) {
    for (size_t i = 0; i < readings.size(); ++i) {
      const auto& r = readings[i];
      if (!r.error.empty()) continue;
      metrics.filesystem_free(r.path, r.free);
      // readings[0] is data_dir's: the brake watches it alone.
      metrics.filesystem_floors(r.path, min_free.bytes_for(r.total), i == 0 ? critical_free.bytes_for(r.total) : 0);
    }
    for (const auto& v : sessions.list())
      if (auto f = usage.of(v.paths.data_root); f && !v.host_docker) metrics.session_data_bytes(v.key.text(), f->bytes);
    std::map<std::string, uint64_t> goldens;
    for (const auto& g : sessions.goldens().list()) goldens[g.name] = g.bytes;
    metrics.golden_bytes(goldens);
    bool below = false;
    if (!readings.empty())
      below = readings[0].error.empty() && session::below_threshold(readings[0], critical_free, "critical_free");
    if (*critical && !below && !readings.empty())
      log.emit("disk_critical_cleared", {{"path", data_dir}, {"free", readings[0].free}});
    *critical = below;
  };
  hooks.critical = [&sessions, &usage, &log, critical_free, data_dir](const session::FsReading& fs) {
    const std::string why = session::below_threshold(fs, critical_free, "[storage] critical_free").value_or("");
    log.emit("disk_critical", {{"path", fs.path}, {"free", fs.free}, {"error", why},
                               {"action", "stopping the containers of running sessions, largest data root first"}});
    sessions.brake([&](const std::string& root) { auto f = usage.of(root); return f ? f->bytes : uint64_t{0}; },
                   [&] { return !session::below_threshold(session::read_fs(data_dir), critical_free, "critical_free"); },
                   why);
  };
  if (config.sessions.stale_after_s > 0)
    hooks.periodic_gc = [&sessions, stale = config.sessions.stale_after_s] {
      (void)sessions.reconcile({}, stale, false);
    };
  // Nothing to watch while there is no session (a create wakes it): an idle
  // hydrad has no periodic wakeup.
  hooks.active = [&sessions] {
    const auto c = sessions.counts();
    return c.starting + c.running + c.unresponsive + c.exited > 0;
  };
  auto watch = std::make_unique<session::StorageWatch>(
      std::vector<std::string>{config.sessions.data_dir, config.sessions.run_dir}, critical_free,
      config.sessions.storage_check_interval_ms, std::move(hooks));
  sessions.on_new_session([w = watch.get()] { w->wake(); });
  return watch;
}

}  // namespace hydra::daemon
