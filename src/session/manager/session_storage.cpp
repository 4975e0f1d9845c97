// SPDX-License-Identifier: Apache-2.0
// The session manager and the disk: refusing creates when the disk is
// nearly full, the critical brake, and garbage collection of stopped
// sessions.
#include <algorithm>
#include <ctime>

#include "docker/engine_client.hpp"
#include "session/storage/data_usage.hpp"
#include "session/manager/session_manager.hpp"
#include "session/storage/storage_policy.hpp"
#include "session/storage/storage_watch.hpp"

namespace hydra::session {

Status SessionManager::storage_allows_create() const {
  auto min_free = FreeThreshold::parse(settings_.min_free);
  if (!min_free || !min_free->set()) return {};
  for (const auto& path : {settings_.data_dir, settings_.run_dir})
    if (auto why = below_threshold(read_fs(path), *min_free, "[storage] min_free"))
      return make_error("no new session: " + *why, ENOSPC);
  return {};
}

Result<GcResult> SessionManager::reconcile(const std::set<SessionKey>& live, int64_t grace_s, bool dry_run) {
  if (grace_s < 0) return make_error("grace_period_seconds must be 0 or more", EINVAL);
  std::vector<GcSession> all;
  std::map<SessionKey, int64_t> stopped;
  {
    auto lock = table_.lock();
    for (const auto& [key, s] : table_.all_locked()) {
      all.push_back({key, s->state, s->host_docker, s->stopped_unix});
      stopped[key] = s->stopped_unix;
    }
  }
  GcResult result;
  for (const auto& key : gc_victims(all, live, grace_s, time(nullptr))) {
    GcResult::Item item{key, 0, stopped[key], ""};
    if (dry_run) {
      auto size = measure_tree(data_root_of(settings_, key));
      if (size) item.bytes = size->bytes;
    } else if (auto bytes = purge(key); bytes) {
      item.bytes = *bytes;
    } else {
      // Started again since it was chosen (purge refuses a running one), or
      // the data root could not be removed: it stays, and says why.
      item.error = bytes.error().text();
    }
    if (item.error.empty()) result.bytes_freed += item.bytes;
    result.removed.push_back(std::move(item));
  }
  // Goldens nothing was cloned from for [gc] golden_unused_days.
  const auto goldens = goldens_.list();
  for (const auto& name : unused_goldens(goldens, settings_.golden_unused_s, time(nullptr))) {
    auto g = std::find_if(goldens.begin(), goldens.end(), [&](const GoldenInfo& x) { return x.name == name; });
    GcResult::GoldenItem item{name, g->bytes, g->last_used_unix, ""};
    if (!dry_run) {
      if (auto bytes = remove_golden(name)) item.bytes = *bytes;
      else item.error = bytes.error().text();  // a clone began since: it stays
    }
    if (item.error.empty()) result.bytes_freed += item.bytes;
    result.goldens_removed.push_back(std::move(item));
  }
  if (!result.removed.empty() || !result.goldens_removed.empty())
    log_.emit("gc_reconciled", {{"dry_run", dry_run}, {"live", live.size()}, {"grace_period_seconds", grace_s},
                              {"removed", result.removed.size()},
                              {"goldens_removed", result.goldens_removed.size()}, {"bytes_freed", result.bytes_freed}});
  return result;
}

void SessionManager::brake(const std::function<uint64_t(const std::string&)>& size_of,
                           const std::function<bool()>& enough, const std::string& reason) {
  struct Running {
    SessionPtr session;
    uint64_t bytes = 0;
  };
  // The warm pool gives way first: its members hold data roots and memory
  // that no session needs yet.
  while (auto m = pool_->take_to_discard()) discard_member(*m, "the disk is nearly full: " + reason);
  std::vector<Running> running;
  {
    auto lock = table_.lock();
    for (const auto& [key, s] : table_.all_locked())
      if (s->state == SessionState::kRunning && !s->host_docker) running.push_back({s, 0});
  }
  for (auto& r : running) r.bytes = size_of(data_root_of(settings_, r.session->key));
  std::sort(running.begin(), running.end(), [](const Running& a, const Running& b) { return a.bytes > b.bytes; });
  for (const auto& r : running) {
    if (enough()) return;
    const SessionKey& key = r.session->key;
    // Never in the middle of this session's create, delete or bridge: those
    // hold its op. A busy session is passed over (the next check finds it).
    SessionOp op(*this, r.session, std::try_to_lock);
    if (!op.owns()) {
      log_.emit("disk_brake", {{"session", key.text()}, {"data_bytes", r.bytes}, {"containers_stopped", 0},
                               {"reason", reason}, {"action", "passed over: the session is being changed"}});
      continue;
    }
    std::string socket;
    {
      auto lock = table_.lock();
      if (r.session->removed || r.session->state != SessionState::kRunning) continue;
      socket = session_paths(settings_, key, r.session->index).socket;
    }
    docker::EngineClient engine(socket, api_timeout_s(settings_));
    auto ids = engine.running_containers();
    if (!ids || ids->empty()) continue;
    size_t stopped = 0;
    for (const auto& id : *ids)
      if (engine.stop_container(id, settings_.stop_timeout_ms / 1000)) ++stopped;
    log_.emit("disk_brake", {{"session", key.text()}, {"data_bytes", r.bytes}, {"containers_stopped", stopped},
                             {"reason", reason}, {"action", "containers stopped, nothing removed"}});
    metrics_.disk_brake(key.text());
  }
}

}  // namespace hydra::session
