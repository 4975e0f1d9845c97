// SPDX-License-Identifier: Apache-2.0
// The warm pool's life (warm_pool.hpp): the pool thread makes members in the
// background and discards dead or stale ones; a create of a new session binds
// a ready member to its key; hydrad's exit stops the ready ones.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <ctime>

#include "base/clock.hpp"
#include "base/guarded_thread.hpp"
#include "base/json_fields.hpp"
#include "base/state_file.hpp"
#include "base/whole_file.hpp"
#include "docker/engine_client.hpp"
#include "session/core/run_files.hpp"
#include "session/core/storage_driver.hpp"
#include "session/manager/session_manager.hpp"
#include "session/storage/btrfs_subvolume.hpp"
#include "session/storage/network_store.hpp"

namespace hydra::session {

namespace {

constexpr int kPoolNice = 19;  // members are made and wait at the lowest CPU priority
constexpr int kFillBackoffMs = 5000;

}  // namespace

void SessionManager::load_pool() {
  auto text = read_whole_file(pool_file_);
  if (!text) return;  // no pool before
  const auto j = nlohmann::json::parse(*text, nullptr, false);
  const nlohmann::json* members = j.is_object() ? json_fields::array_field(j, "members") : nullptr;
  if (!members) {
    log_.emit("state_file_corrupt", {{"file", pool_file_}, {"error", "not {\"members\": [...]}"},
                                     {"action", "warm pool members of the previous hydrad are not discarded"}});
    return;
  }
  for (const auto& m : *members) {
    const int index = json_fields::int_or(m, "index", 0);
    const std::string root = json_fields::string_or(m, "data_root");
    // Only what a pool makes: an index of the plan, a warm- root in data_dir.
    const bool ours = index > 0 && index <= settings_.plan.max_index() &&
                      root.rfind(settings_.data_dir + "/", 0) == 0 &&
                      is_warm_data_root_name(root.substr(settings_.data_dir.size() + 1)) &&
                      root.find('/', settings_.data_dir.size() + 1) == std::string::npos;
    if (ours) pool_->add_stale(index, root);
    else log_.emit("session_entry_skipped", {{"file", pool_file_}, {"problem", "not a warm pool member: " + m.dump()}});
  }
}

void SessionManager::start_pool_thread() {
  if (pool_->target() == 0 && pool_->records().empty()) return;
  pool_thread_ = guarded_thread("warm pool", [this] { pool_loop(); });
}

PoolCounts SessionManager::pool_counts() const { return pool_->counts(); }

void SessionManager::persist_pool() {
  nlohmann::json members = nlohmann::json::array();
  for (const auto& [index, root] : pool_->records()) members.push_back({{"index", index}, {"data_root", root}});
  std::string text = nlohmann::json{{"members", members}}.dump(2) + "\n";
  std::lock_guard lock(pool_file_mu_);
  if (text == pool_file_text_) return;  // the pool thread looks often; the disk hears of changes only
  pool_file_text_ = text;
  writer_.submit(pool_file_, std::move(text));
}

void SessionManager::report_pool() {
  const PoolCounts c = pool_->counts();
  metrics_.warm_pool(c.target, c.ready);
}

void SessionManager::pool_loop() {
  for (const auto& [index, root] : pool_->take_stale()) {
    PoolMember m;
    m.index = index;
    m.net = session_net(settings_, index, settings_.network);
    m.paths = session_paths(settings_, SessionKey{"warm", std::to_string(index)}, index);
    m.paths.data_root = root;
    if (auto proc = dockerd_->adopt(m.paths); proc) (void)proc->stop(settings_.stop_timeout_ms);
    discard_member(m, "left by the previous hydrad");
  }
  int wait_ms = -1;
  while (!pool_->quitting()) {
    for (auto& m : pool_->take_dead()) discard_member(*m, "its dockerd exited or stopped answering");
    if (auto golden = pool_golden(settings_.default_golden))
      for (auto& m : pool_->take_unlike(golden->name, golden->id))
        discard_member(*m, golden->name.empty() ? "default_golden " + m->golden + " was removed"
                           : m->golden.empty()  ? "default_golden " + golden->name + " was made"
                                                : "default_golden " + golden->name + " was made again");
    PoolPressure pressure;
    pressure.disk_short = !storage_allows_create();
    parse_meminfo(read_whole_file("/proc/meminfo").value_or(""), pressure);
    const PoolCounts counts = pool_->counts();
    const PoolAction action = pool_action(pool_->missing(), counts.ready, pressure);
    wait_ms = -1;
    if (action.discard > 0)
      if (auto m = pool_->take_to_discard())
        discard_member(*m, pressure.disk_short ? "below [storage] min_free: the pool gives way first"
                                               : "memory is short: the pool gives way first");
    for (int n = action.start; n > 0 && !pool_->quitting(); --n)
      if (!fill_pool_member()) {
        wait_ms = kFillBackoffMs;  // tried again after a while, or at the next take
        break;
      }
    // With members, or held back, the machine is looked at again as often as
    // the disk is; an empty pool at rest waits for a take.
    const bool held_back = pressure.disk_short || memory_short(pressure);
    if (wait_ms < 0 && (pool_->counts().ready > 0 || held_back)) wait_ms = settings_.storage_check_interval_ms;
    persist_pool();
    pool_->wait(wait_ms);
  }
}

bool SessionManager::fill_pool_member() {
  auto m = std::make_unique<PoolMember>();
  {
    auto lock = table_.lock();
    auto index = free_index_locked();
    if (!index) return false;  // every index is a session's: the pool waits
    m->index = *index;
    m->paths = session_paths(settings_, SessionKey{"warm", std::to_string(*index)}, *index);
    m->paths.data_root = warm_data_root(settings_.data_dir, *index, monotonic_us());
    pool_->reserve(*index, m->paths.data_root);
  }
  persist_pool();  // before anything is made: a crash from here on leaves it to be discarded
  const int64_t t0 = monotonic_us();
  m->net = session_net(settings_, m->index, settings_.network);
  auto fail = [&](const Error& e) {
    discard_member(*m, e.text());
    pool_->start_failed(m->index);
    pool_->discarded(m->index);
    log_.emit("warm_pool_fill_failed", {{"index", m->index}, {"error", e.text()}});
    return false;
  };
  if (m->net.isolated)
    if (auto st = ensure_firewall(); !st) return fail(st.error());
  auto netns = network_->acquire(m->net);
  if (!netns) return fail(netns.error());
  if (auto st = make_dirs(m->paths.dir, 0700); !st) return fail(st.error());
  if (auto st = make_dirs(settings_.data_dir, 0710); !st) return fail(st.error());
  const auto golden = pool_golden(settings_.default_golden);
  if (!golden) return fail(make_error("golden " + settings_.default_golden + " cannot be read", EIO));
  if (!golden->name.empty()) {
    // Its id first: a golden made again during the clone leaves this member
    // stale, to be replaced, never passed for the new one.
    auto cloned = goldens_.clone_to(golden->name, m->paths.data_root, nullptr);
    if (!cloned) return fail(cloned.error());
    if (!m->net.isolated)
      if (auto st = drop_network_store(m->paths.data_root); !st) return fail(st.error());
    if (cloned->spare && spares_) spares_->wake();
    m->golden = golden->name;
    m->golden_id = golden->id;
  } else if (on_btrfs(settings_.data_dir)) {
    if (auto st = create_subvolume(m->paths.data_root); !st) return fail(st.error());
  }
  if (auto st = make_dirs(m->paths.data_root, 0710); !st) return fail(st.error());
  const StorageDriverChoice driver = choose_storage_driver(settings_.storage_driver,
                                                           data_root_drivers(m->paths.data_root),
                                                           on_btrfs(settings_.data_dir));
  auto placement = cgroups_->acquire(m->index, settings_.limits);
  if (!placement) return fail(placement.error());
  LaunchOptions launch{.netns_fd = netns->valid() ? netns->get() : -1, .limited = false,
                       .storage_driver = driver.driver, .cgroup_procs = {},
                       .cgroup_parent = placement->containers_parent, .nice = kPoolNice};
  for (const auto& fd : placement->procs) launch.cgroup_procs.push_back(fd.get());
  auto gate = shared_start_gate(m->net);
  auto proc = dockerd_->launch(m->net, m->paths, launch);
  if (!proc) return fail(proc.error());
  if (auto st = proc->wait_ready(m->paths.socket, settings_.start_timeout_ms); !st) {
    (void)proc->stop(2000);
    return fail(make_error(st.error().text() + "; dockerd log: " + log_tail(m->paths.log), st.error().code));
  }
  if (gate.owns_lock()) gate.unlock();
  m->pid = proc->pid();
  m->hooks = std::make_shared<HookTarget>();
  const int index = m->index;
  const std::string socket = m->paths.socket;
  m->hooks->set([this, index](int) { pool_->mark_dead(index); },
                [this, index, socket] {
                  if (!docker::EngineClient(socket, api_timeout_s(settings_)).ping(api_timeout_s(settings_)))
                    pool_->mark_dead(index);
                });
  std::shared_ptr<HookTarget> hooks = m->hooks;
  m->supervisor = std::make_unique<docker::ChildSupervisor>(
      std::move(*proc), settings_.probe_interval_ms,
      docker::ChildSupervisor::Hooks{[hooks](int code) { hooks->exited(code); }, [hooks] { hooks->probe(); }});
  log_.emit("warm_pool_member_ready", {{"index", index}, {"bridge", m->net.bridge}, {"pid", m->pid},
                                       {"golden", m->golden}, {"golden_id", m->golden_id},
                                       {"networks", m->golden.empty() ? "" : clone_networks_note(!m->net.isolated)},
                                       {"start_us", monotonic_us() - t0}});
  pool_->add_ready(std::move(m));
  report_pool();
  return true;
}

void SessionManager::discard_member(PoolMember& m, const std::string& why) {
  if (m.supervisor) {
    m.supervisor->signal(SIGTERM);
    if (!m.supervisor->wait_exited(settings_.stop_timeout_ms)) {
      m.supervisor->signal(SIGKILL);
      (void)m.supervisor->wait_exited(settings_.stop_timeout_ms);
    }
    m.supervisor.reset();
  }
  release_at("warm pool member " + std::to_string(m.index), m.paths, m.index, m.net);
  struct stat st {};
  if (lstat(m.paths.data_root.c_str(), &st) == 0)
    if (auto removed = remove_data_tree(m.paths.data_root); !removed)
      log_.emit("session_cleanup_failed", {{"data_root", m.paths.data_root}, {"error", removed.error().text()}});
  pool_->discarded(m.index);
  log_.emit("warm_pool_member_discarded", {{"index", m.index}, {"reason", why}});
  report_pool();
}

void SessionManager::stop_pool() {
  pool_->quit();
  if (pool_thread_.joinable()) pool_thread_.join();
  for (auto& m : pool_->take_all_ready()) discard_member(*m, "hydrad is exiting");
  persist_pool();
}

std::optional<SessionManager::PoolGolden> SessionManager::pool_golden(const std::string& golden) const {
  if (golden.empty()) return PoolGolden{};
  auto g = goldens_.get(golden);
  if (g) return PoolGolden{golden, g->id};
  if (g.error().code == ENOENT && golden == settings_.default_golden) return PoolGolden{};
  return std::nullopt;
}

bool SessionManager::pool_may_serve(const SessionKey& key, const CreateOptions& options) const {
  // A session with data of its own starts on it; a max_containers limit
  // needs dockerd's authorization plugin from its start (members run
  // without: a hydrad restart must never stall their API).
  if (pool_->target() == 0 || options.use_host_docker || options.max_containers > 0) return false;
  struct stat st {};
  return lstat(data_root_of(settings_, key).c_str(), &st) != 0;
}

Result<std::pair<SessionView, bool>> SessionManager::bind_pooled(const SessionPtr& s, std::unique_ptr<PoolMember> m) {
  const int64_t t0 = monotonic_us();
  const SessionKey key = s->key;
  ResourceLimits limits;
  {
    auto lock = table_.lock();
    limits = s->limits;
  }
  const std::string data_root = data_root_of(settings_, key);
  auto cold = [&](const std::string& why) {
    discard_member(*m, why);  // its network and cgroup released: start() makes them again
    return start(s);
  };
  // Still answering? (It may have died since it was last probed.)
  if (!docker::EngineClient(m->paths.socket, api_timeout_s(settings_)).ping(api_timeout_s(settings_)))
    return cold("did not answer when taken");
  // The key's data root is the member's, by a relative link: dockerd
  // resolves it to the same real path at the session's next cold start.
  const std::string target = m->paths.data_root.substr(m->paths.data_root.rfind('/') + 1);
  if (symlink(target.c_str(), data_root.c_str()) != 0) return cold(errno_error("link " + data_root).text());
  if (auto placed = cgroups_->acquire(m->index, limits); !placed) {
    unlink(data_root.c_str());
    return cold(placed.error().text());
  }
  (void)docker::set_process_nice(m->pid, 0);
  std::weak_ptr<Session> weak = s;
  m->hooks->set([this, weak](int code) {
                  if (auto p = weak.lock()) on_exit(p, code);
                },
                [this, weak] {
                  if (auto p = weak.lock()) on_probe(p);
                });
  s->supervisor = std::move(m->supervisor);
  const int64_t took = monotonic_us() - t0;
  auto lock = table_.lock();
  s->pid = m->pid;
  s->started_unix = time(nullptr);
  s->golden = m->golden;
  s->want_golden.clear();
  if (s->state != SessionState::kStarting) {  // it exited as it was bound: its exit hook said so
    metrics_.session_failed("start_failed");
    return make_error("session " + key.text() + ": " + s->reason + " as it was taken from the warm pool", EIO);
  }
  table_.set_state_locked(*s, SessionState::kRunning, "a dockerd from the warm pool");
  table_.persist_locked();
  metrics_.session_started(static_cast<double>(took) / 1e6, "pool");
  report_pool();
  const SessionNet net = net_of_locked(*s);
  log_.emit("session_started", {{"session", key.text()}, {"bridge", net.bridge}, {"pid", s->pid},
                                {"network", net.isolated ? "isolated" : "shared"}, {"netns", net.netns},
                                {"uplink", net.isolated ? net.uplink : ""}, {"source", "pool"}, {"start_us", took},
                                {"phases_us", {{"bind", took}}}, {"live_restore", settings_.live_restore},
                                {"max_containers", 0}, {"golden", s->golden}, {"limits", limits_json(limits)},
                                {"cgroup", cgroup_of_locked(*s)}, {"data_root", m->paths.data_root},
                                {"protected_bridges_touched", false}, {"protected_restores", 0}});
  return std::make_pair(view_locked(*s), true);
}

}  // namespace hydra::session
