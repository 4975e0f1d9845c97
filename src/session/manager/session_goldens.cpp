// SPDX-License-Identifier: Apache-2.0
// The session manager and golden data roots: making a golden from a
// stopped session, and starting a new session's data root from one.
#include <sys/stat.h>

#include <ctime>

#include "session/storage/btrfs_subvolume.hpp"
#include "session/storage/data_usage.hpp"
#include "session/storage/network_store.hpp"
#include "session/core/run_files.hpp"
#include "session/manager/session_manager.hpp"

namespace hydra::session {

Result<GoldenInfo> SessionManager::create_golden(const std::string& name, const SessionKey& from) {
  if (auto st = validate_golden_name(name); !st) return st.error();
  if (auto st = validate_key(from); !st) return st.error();
  if (auto st = storage_allows_create(); !st) return make_error("no new golden: " + st.error().text(), ENOSPC);
  auto found = adopted_session(from);
  if (!found) return found.error();
  SessionPtr s = *found;
  // Held for the copy: the session cannot be started or purged under it.
  SessionOp op(*this, s, std::try_to_lock);
  if (!op.owns()) return make_error("session " + from.text() + " is being created, stopped or bridged", EBUSY);
  {
    auto lock = table_.lock();
    if (s->removed) return make_error("no session " + from.text(), ENOENT);
    if (s->host_docker) return make_error("session " + from.text() + " uses the main dockerd: no data root of its own", EINVAL);
    // Copied only at rest: a running dockerd would change files under the
    // copier, and stopping a user's session is not hydra's to decide.
    if (s->state != SessionState::kExited)
      return make_error("session " + from.text() + " is " + std::string(session_state_name(s->state)) +
                            ": stop it first (DELETE /api/v1/docker-instances/" + from.text() +
                            "); a golden is copied from a stopped data root",
                        EBUSY);
  }
  auto made = goldens_.create(name, from.text(), resolved_data_root(data_root_of(settings_, from)));
  if (made && name == settings_.default_golden) pool_->wake();  // its members are clones of what was there
  if (made && spares_) spares_->wake();
  return made;
}

Result<uint64_t> SessionManager::remove_golden(const std::string& name) {
  auto freed = goldens_.remove(name);
  if (freed && name == settings_.default_golden) pool_->wake();
  return freed;
}

Status SessionManager::make_data_root(const SessionPtr& s, const std::string& data_root) {
  std::string name;
  {
    auto lock = table_.lock();
    name = std::move(s->want_golden);
    s->want_golden.clear();
  }
  if (auto st = make_dirs(settings_.data_dir, 0710); !st) return st;
  struct stat st {};
  if (name.empty()) {
    // A new data root on btrfs is a subvolume, so a golden of it is a snapshot.
    if (lstat(data_root.c_str(), &st) != 0 && on_btrfs(settings_.data_dir)) {
      if (auto made = create_subvolume(data_root); !made) return made;
      if (::chmod(data_root.c_str(), 0710) != 0) return errno_error("chmod " + data_root);
    }
    return {};
  }
  if (lstat(data_root.c_str(), &st) == 0) {
    log_.emit("golden_not_used", {{"session", s->key.text()}, {"golden", name},
                                  {"reason", "the session has a data root of its own (a warm restart keeps it)"}});
    return {};
  }
  auto g = goldens_.get(name);
  if (!g) {
    if (g.error().code != ENOENT || name != settings_.default_golden) return g.error();
    log_.emit("golden_missing", {{"session", s->key.text()}, {"golden", name},
                                 {"action", "started empty ([sessions] default_golden names no golden)"}});
    return {};
  }
  const CloneMethod method = goldens_.clone_method(name);
  {
    auto lock = table_.lock();
    s->clone = CloneProgress{name, clone_method_name(method), 0, g->bytes};
  }
  auto cloned = goldens_.clone_to(name, data_root, [&](uint64_t done, uint64_t total) {
    {
      auto lock = table_.lock();
      if (s->clone) s->clone->bytes_done = done;
    }
    log_.emit("golden_clone_progress",
              {{"session", s->key.text()}, {"golden", name}, {"bytes_done", done}, {"bytes_total", total}});
  });
  bool shared = false;
  {
    auto lock = table_.lock();
    s->clone.reset();
    shared = !net_of_locked(*s).isolated;
  }
  if (!cloned) return cloned.error();
  if (shared) {
    if (auto dropped = drop_network_store(data_root); !dropped) {
      // Never left to be started as the session's own: it holds the source's networks.
      (void)remove_tree(data_root);
      return dropped.error();
    }
  }
  auto lock = table_.lock();
  s->golden = name;
  log_.emit("session_cloned", {{"session", s->key.text()}, {"golden", name}, {"method", cloned->method},
                               {"spare", cloned->spare}, {"bytes", cloned->bytes}, {"took_us", cloned->took_us},
                               {"networks", clone_networks_note(shared)}});
  return {};
}

}  // namespace hydra::session
