// SPDX-License-Identifier: Apache-2.0
#include "guard/bridge_guard.hpp"

#include <algorithm>
#include <cerrno>

#include "base/clock.hpp"
#include "netlink/link_requests.hpp"
#include "guard/restorer.hpp"
#include "net/restore_plan.hpp"

namespace hydra::guard {

using nlohmann::json;

namespace {

// A record's ports stay sorted by ifindex.
void insert_port(std::vector<net::PortRecord>& ports, const net::PortRecord& rec) {
  ports.insert(std::upper_bound(ports.begin(), ports.end(), rec,
                                [](const auto& a, const auto& c) { return a.ifindex < c.ifindex; }),
               rec);
}

}  // namespace

BridgeGuard::BridgeGuard(GuardConfig config, netlink::RtnlSocket& sock, Announcer& announcer,
                         const SnapshotStore& store, FileWriter& writer, telemetry::EventLog& log,
                         telemetry::StatusBoard& board, telemetry::Metrics& metrics)
    : config_(std::move(config)),
      sock_(sock),
      announcer_(announcer),
      store_(store),
      writer_(writer),
      log_(log),
      board_(board),
      metrics_(metrics) {
  for (const auto& name : config_.bridges) bridges_[name].name = name;
}

void BridgeGuard::set_state(Bridge& b, BridgeState next, const std::string& reason) {
  b.dirty = true;
  if (b.state == next) return;
  log_.emit("bridge_state", {{"bridge", b.name}, {"from", bridge_state_name(b.state)},
                             {"to", bridge_state_name(next)}, {"reason", reason}});
  b.state = next;
}

void BridgeGuard::begin_recovery(Bridge& b, int64_t read_us, const std::string& reason) {
  b.recovery = Recovery{read_us};
  b.released.clear();  // released by the deletion, not by a daemon
  b.settle_us.reset();
  b.extras_stale = false;  // flushed by the deletion, too
  b.sysctls_stale = false;
  board_.count_loss();  // before the restore's I/O: see StatusBoard::losses
  set_state(b, BridgeState::kRestoring, reason);
}

Status BridgeGuard::start() {
  if (auto st = refresh_table(sock_, table_); !st) return st;
  const int64_t now = monotonic_us();
  for (auto& [name, b] : bridges_) {
    std::optional<net::BridgeSnapshot> saved;
    if (auto disk = store_.load(name); !disk) {
      json fields{{"bridge", name}, {"error", disk.error().text()}};
      // A file that does not decode is moved aside for a human to read; the
      // guard goes on as if there were none.
      if (disk.error().code == EBADMSG) {
        auto aside = store_.move_aside(name);
        fields["moved_to"] = aside ? *aside : aside.error().text();
      }
      log_.emit("snapshot_unreadable", fields);
    } else {
      saved = std::move(*disk);
    }
    const net::LinkInfo* cur = table_.find(name);
    if (cur && cur->kind == "bridge" && saved && cur->group == net::kRestoringGroup) {
      b.snap = std::move(saved);
      log_.emit("bridge_missing", {{"bridge", name}, {"action", "finish an interrupted restore"},
                                   {"snapshot", store_.path_of(name)}});
      begin_recovery(b, now, "a restore was interrupted");
    } else if (cur && cur->kind == "bridge") {
      adopt(b, *cur);
    } else if (cur) {
      b.snap = std::move(saved);
      report_conflict(b, *cur);
    } else if (saved) {
      b.snap = std::move(saved);
      log_.emit("bridge_missing", {{"bridge", name}, {"action", "restore from snapshot"},
                                   {"snapshot", store_.path_of(name)}});
      begin_recovery(b, now, "missing at start, snapshot on disk");
    } else {
      log_.emit("bridge_missing", {{"bridge", name}, {"action", "wait for it to appear"}});
    }
    b.dirty = true;
  }
  process(now);
  return {};
}

void BridgeGuard::set_bridges(const std::vector<std::string>& bridges) {
  for (auto it = bridges_.begin(); it != bridges_.end();) {
    if (std::find(bridges.begin(), bridges.end(), it->first) == bridges.end()) {
      log_.emit("bridge_unguarded", {{"bridge", it->first}});
      board_.remove_bridge(it->first);
      it = bridges_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& name : bridges) {
    if (bridges_.count(name)) continue;
    Bridge& b = bridges_[name];
    b.name = name;
    const net::LinkInfo* cur = table_.find(name);
    if (cur && cur->kind == "bridge") {
      adopt(b, *cur);
    } else if (cur) {
      report_conflict(b, *cur);
    } else {
      log_.emit("bridge_missing", {{"bridge", name}, {"action", "wait for it to appear"}});
    }
    b.dirty = true;
  }
  config_.bridges = bridges;
}

bool BridgeGuard::alive(const Bridge& b) const {
  if (!b.snap || b.recovery) return false;
  const net::LinkInfo* l = table_.find(b.snap->ifindex);
  return l && l->name == b.name && l->kind == "bridge";
}

void BridgeGuard::on_event(const netlink::MonitorEvent& ev, int64_t read_us) {
  if (const auto* l = std::get_if<netlink::LinkEvent>(&ev)) {
    table_.apply(*l);
    on_link(*l, read_us);
  } else if (const auto* a = std::get_if<netlink::AddrEvent>(&ev)) {
    table_.apply(*a);
    on_addr(*a, read_us);
  } else if (const auto* r = std::get_if<netlink::RouteEvent>(&ev)) {
    on_route(*r, read_us);
  } else if (const auto* n = std::get_if<netlink::NeighEvent>(&ev)) {
    on_neigh(*n, read_us);
  } else if (const auto* c = std::get_if<netlink::NetconfEvent>(&ev)) {
    on_netconf(*c);
  } else if (const auto* x = std::get_if<netlink::ResyncNeeded>(&ev)) {
    resync_reason_ = x->reason;
  }
}

void BridgeGuard::adopt(Bridge& b, const net::LinkInfo& link) {
  b.snap = net::snapshot_bridge(link, table_);
  refresh_extras(b, true);
  b.recovery.reset();
  set_state(b, BridgeState::kGuarded, "snapshotted #" + std::to_string(link.ifindex));
  b.conflict.clear();
  b.released.clear();
  b.settle_us.reset();
  b.dirty = true;
  log_.emit("bridge_guarded", {{"bridge", b.name}, {"ifindex", link.ifindex},
                               {"mac", netlink::format_mac(link.mac)}, {"ports", b.snap->ports.size()},
                               {"addresses", b.snap->addresses.size()}});
  if (!link.admin_up()) b.settle_us = monotonic_us();
}

void BridgeGuard::report_conflict(Bridge& b, const net::LinkInfo& link) {
  std::string what = b.name + " is a " + (link.kind.empty() ? std::string("device") : link.kind) +
                     " (#" + std::to_string(link.ifindex) + "), not a bridge: left alone";
  if (b.state != BridgeState::kConflict || b.conflict != what)
    log_.emit("bridge_conflict", {{"bridge", b.name}, {"ifindex", link.ifindex}, {"kind", link.kind},
                                  {"message", what}});
  b.conflict = what;
  b.recovery.reset();
  set_state(b, BridgeState::kConflict, "a " + (link.kind.empty() ? std::string("device") : link.kind) +
                                           " holds the name");
}

void BridgeGuard::on_link(const netlink::LinkEvent& ev, int64_t read_us) {
  const net::LinkInfo& l = ev.link;
  for (auto& [name, b] : bridges_) {
    if (l.name == name) {  // the protected name itself
      if (ev.deleted) {
        if (l.kind == "bridge" && b.snap && !b.recovery) {
          begin_recovery(b, read_us, "deleted");
        } else if (b.state == BridgeState::kConflict) {
          b.conflict.clear();
          if (b.snap) begin_recovery(b, read_us, "the conflicting device left");
          else set_state(b, BridgeState::kMissing, "the conflicting device left");
        } else if (b.recovery) {
          b.recovery->retry_us.reset();  // whatever held it up may be gone: try again now
        }
        continue;
      }
      if (l.kind != "bridge") {
        report_conflict(b, l);
        continue;
      }
      if (b.recovery) continue;  // recreated by someone else: recover() takes it as it is
      b.sysctls_stale = true;
      if (!b.snap || b.snap->ifindex != l.ifindex) {
        adopt(b, l);
        continue;
      }
      auto& s = *b.snap;
      if (s.mac != l.mac || s.mtu != l.mtu || (l.bridge && s.options != *l.bridge)) {
        s.mac = l.mac;
        s.mtu = l.mtu;
        if (l.bridge) s.options = *l.bridge;
        b.dirty = true;
      }
      if (!l.admin_up()) b.settle_us = read_us + config_.settle_us;
      continue;
    }
    if (!b.snap) continue;
    auto& ports = b.snap->ports;
    auto rec = std::find_if(ports.begin(), ports.end(), [&](const auto& p) { return p.ifindex == l.ifindex; });
    if (ev.deleted) {  // a deleted port leaves the record, whatever the bridge's state
      if (rec != ports.end()) {
        ports.erase(rec);
        b.released.erase(l.ifindex);
        b.dirty = true;
      }
      // A device gone may have held what a degraded restore needs (its ifindex).
      if (b.recovery && b.state == BridgeState::kDegraded) b.recovery->retry_us.reset();
      continue;
    }
    if (b.recovery) continue;
    if (l.master == b.snap->ifindex) {
      net::PortRecord now = net::record_port(l);
      if (rec == ports.end()) {
        insert_port(ports, now);
        b.dirty = true;
      } else if (!(*rec == now)) {
        *rec = now;
        b.dirty = true;
      }
      b.released.erase(l.ifindex);
    } else if (rec != ports.end()) {
      b.released.insert(l.ifindex);
      b.settle_us = read_us + config_.settle_us;
    }
  }
}

void BridgeGuard::on_addr(const netlink::AddrEvent& ev, int64_t read_us) {
  for (auto& [name, b] : bridges_) {
    if (!alive(b) || ev.addr.ifindex != b.snap->ifindex) continue;
    if (!b.recovery) b.sysctls_stale = true;
    auto& addrs = b.snap->addresses;
    auto it = std::find_if(addrs.begin(), addrs.end(), [&](const auto& a) { return net::same_address(a, ev.addr); });
    if (!ev.deleted) {
      if (it == addrs.end()) {
        addrs.push_back(ev.addr);
        b.dirty = true;
      } else if (!(*it == ev.addr)) {
        *it = ev.addr;
        b.dirty = true;
      }
    } else if (it != addrs.end() && net::restorable_address(*it)) {
      // Removed while the bridge lives: re-added once things settle.
      b.settle_us = read_us + config_.settle_us;
    }
  }
}

void BridgeGuard::resync(int64_t now_us) {
  std::string reason = *resync_reason_;
  resync_reason_.reset();
  if (auto st = refresh_table(sock_, table_); !st) {
    log_.emit("resync", {{"reason", reason}, {"error", st.error().text()}});
    resync_reason_ = reason;  // try again on the next round
    return;
  }
  for (auto& [name, b] : bridges_) {
    const net::LinkInfo* cur = table_.find(name);
    if (!cur) {
      if (b.snap && !b.recovery) begin_recovery(b, now_us, "missing after a resync");
      else if (b.recovery) b.recovery->retry_us.reset();  // a resync is a reason to try again now
    } else if (cur->kind != "bridge") {
      report_conflict(b, *cur);
    } else if (!b.recovery) {
      if (!b.snap || b.snap->ifindex != cur->ifindex) {
        adopt(b, *cur);
      } else {
        // Events were lost while the bridge lived: its ports now are the
        // record. Recorded addresses are kept, so lost ones are re-added.
        auto kept = b.snap->addresses;
        auto before = *b.snap;
        b.snap = net::snapshot_bridge(*cur, table_);
        carry_extras(before, *b.snap);
        b.extras_stale = true;  // re-read at settle, below
        for (const auto& a : kept)
          if (std::none_of(b.snap->addresses.begin(), b.snap->addresses.end(),
                           [&](const auto& x) { return net::same_address(x, a); }))
            b.snap->addresses.push_back(a);
        b.released.clear();
        // A dump does not wait for a deletion under way: ports it shows off
        // the bridge may be leaving with it. They stay in the record as
        // released, and settle() decides once any such change has finished.
        for (const auto& p : before.ports) {
          if (b.snap->port(p.ifindex) || !table_.find(p.ifindex)) continue;
          insert_port(b.snap->ports, p);
          b.released.insert(p.ifindex);
        }
        b.settle_us = now_us;
      }
    }
    b.dirty = true;
  }
  metrics_.resync();
  log_.emit("resync", {{"reason", reason}, {"links", table_.size()}});
}

void BridgeGuard::recovery_failed(Bridge& b, int64_t now_us, const std::vector<std::string>& problems, bool at_once) {
  metrics_.netlink_errors(problems.size());
  Recovery& r = *b.recovery;
  ++r.attempts;
  const auto quick = static_cast<int>(config_.retry_backoff_us.size());
  if (r.attempts <= quick) {
    r.retry_us = now_us + (at_once ? 0 : config_.retry_backoff_us[r.attempts - 1]);
    log_.emit("restore_retry", {{"bridge", b.name}, {"attempt", r.attempts}, {"problems", problems}});
    return;
  }
  // Still missing after the quick retries: degraded, and retried for as long
  // as it is missing, the delay doubling up to max_retry_us. Any event that
  // may have removed the obstacle (a device gone, a resync) retries at once.
  r.backoff_us = r.backoff_us ? std::min(r.backoff_us * 2, config_.max_retry_us)
                              : std::min(config_.retry_backoff_us.back() * 2, config_.max_retry_us);
  r.retry_us = now_us + (at_once ? 0 : r.backoff_us);
  if (b.state != BridgeState::kDegraded) {
    log_.emit("restore_failed", {{"bridge", b.name}, {"attempts", r.attempts}, {"problems", problems},
                                 {"action", "retried every " + std::to_string(config_.max_retry_us / 1000) +
                                                " ms at most while it is missing"}});
    set_state(b, BridgeState::kDegraded, "restore failed " + std::to_string(r.attempts) + " times");
  } else {
    log_.emit("restore_retry", {{"bridge", b.name}, {"attempt", r.attempts}, {"problems", problems},
                                {"next_retry_ms", r.backoff_us / 1000}});
  }
}

void BridgeGuard::recover(Bridge& b, int64_t now_us) {
  const int64_t t0 = b.recovery->since_us;
  RestoreOutcome out =
      run_restore(sock_, announcer_, *b.snap, table_, net::plan_restore(*b.snap, table_, net::PlanMode::kRecover));
  b.dirty = true;
  if (out.plan.conflict) {
    const net::LinkInfo* cur = table_.find(b.name);
    if (cur) report_conflict(b, *cur);
    return;
  }
  if (!out.verified) {
    recovery_failed(b, now_us, out.problems, out.name_taken);
    return;
  }
  json gone = json::array();
  for (const auto& p : out.plan.gone) gone.push_back(p.name);
  for (const auto& n : out.vanished) gone.push_back(n);
  json refused = json::array();
  for (const auto& r : out.plan.refused) refused.push_back({{"port", r.port.name}, {"reason", r.reason}});
  const int64_t detect = out.sent_us - t0;
  const int64_t restore = out.done_us - t0;
  log_.emit("bridge_restored", {{"bridge", b.name},
                                {"ifindex", out.plan.bridge_ifindex},
                                {"created", out.plan.create.has_value()},
                                {"ports", out.attached.size()},
                                {"ports_gone", gone},
                                {"ports_refused", refused},
                                {"addresses", out.plan.addresses.size()},
                                {"routes", out.plan.routes.size()},
                                {"neighbours", out.plan.neighbours.size()},
                                {"fdb", out.plan.fdb.size()},
                                {"sysctls", out.plan.sysctls.size()},
                                {"degraded", out.degraded},
                                {"announced", out.announced},
                                {"attempts", b.recovery->attempts + 1},
                                {"detect_us", detect},
                                {"batch_us", out.acked_us - out.sent_us},
                                {"readback_us", out.done_us - out.announced_us},
                                {"restore_us", restore}});
  ++b.restores;
  metrics_.restored(b.name, static_cast<double>(restore) / 1e6);
  b.last_restore = telemetry::BridgeStatus::LastRestore{restore, out.attached.size(), telemetry::EventLog::timestamp()};
  // The record is now what was verified to be there.
  auto before = *b.snap;
  b.snap = net::snapshot_bridge(*table_.find(b.name), table_);
  carry_extras(before, *b.snap);
  b.last_degraded = out.degraded;
  b.recovery.reset();
  set_state(b, BridgeState::kGuarded, "restored");
}

bool BridgeGuard::settled_view(Bridge& b, int64_t now_us) {
  // Ports leaving, addresses going and the bridge going down are also the
  // first half of the bridge's own deletion, and on a busy machine the second
  // half (the bridge gone) can come well after the quiet time. A request the
  // kernel serialises after any link change in flight, then a fresh read,
  // tell a daemon's decision from a deletion: then the bridge is gone, and
  // its deletion is already on its way to on_link().
  const netlink::Request barrier = netlink::link_barrier(b.snap->ifindex, b.name);
  auto ack = sock_.execute(std::span<const netlink::Request>(&barrier, 1));
  if (ack && !ack->front().ok() && ack->front().error == ENODEV) return false;
  Status st = ack ? Status{} : Status(ack.error());
  if (st && !ack->front().ok()) st = netlink::ack_error("wait for link changes on " + b.name, ack->front());
  if (st) st = refresh_table(sock_, table_);
  if (!st) {
    metrics_.netlink_errors(1);
    log_.emit("restore_retry", {{"bridge", b.name}, {"settle", true}, {"problems", {st.error().text()}}});
    b.settle_us = now_us + config_.retry_backoff_us.back();
    return false;
  }
  return alive(b);
}

void BridgeGuard::settle(Bridge& b, int64_t now_us) {
  b.settle_us.reset();
  if (!alive(b) || !settled_view(b, now_us)) return;
  auto& ports = b.snap->ports;
  for (int idx : b.released) {
    const net::LinkInfo* dev = table_.find(idx);
    if (dev && dev->master == b.snap->ifindex) continue;  // back again
    auto rec = std::find_if(ports.begin(), ports.end(), [&](const auto& p) { return p.ifindex == idx; });
    if (rec == ports.end()) continue;
    log_.emit("port_released", {{"bridge", b.name}, {"port", rec->name}, {"ifindex", idx},
                                {"action", "dropped from the record, not re-attached"}});
    ports.erase(rec);
    b.dirty = true;
  }
  b.released.clear();
  auto plan = net::plan_restore(*b.snap, table_, net::PlanMode::kRepair);
  // Removals that came with the bridge going down or losing its addresses are
  // consequences, not decisions: the repair puts the record back. Otherwise
  // the record follows what is there now.
  if (plan.empty()) {
    if (b.extras_stale) refresh_extras(b, true);
    return;
  }
  RestoreOutcome out = run_restore(sock_, announcer_, *b.snap, table_, std::move(plan));
  json added = json::array();
  for (const auto& a : out.plan.addresses) added.push_back(a.cidr());
  if (out.verified) {
    log_.emit("bridge_repaired", {{"bridge", b.name}, {"set_up", out.plan.set_up}, {"addresses", added},
                                  {"routes", out.plan.routes.size()}, {"neighbours", out.plan.neighbours.size()},
                                  {"degraded", out.degraded}, {"repair_us", out.done_us - now_us}});
    b.last_degraded = out.degraded;
    b.extras_stale = false;
  } else {
    json problems = out.problems;
    log_.emit("restore_failed", {{"bridge", b.name}, {"repair", true}, {"problems", problems}});
    b.settle_us = now_us + config_.retry_backoff_us.back();
  }
}

void BridgeGuard::process(int64_t now_us) {
  if (resync_reason_) resync(now_us);
  for (auto& [name, b] : bridges_) {
    if (b.recovery && (!b.recovery->retry_us || *b.recovery->retry_us <= now_us)) {
      recover(b, now_us);
    } else if (!b.recovery && b.settle_us && *b.settle_us <= now_us) {
      settle(b, now_us);
    }
  }
  for (auto& [name, b] : bridges_)
    if (b.sysctls_stale) refresh_extras(b, false);
  for (auto& [name, b] : bridges_) {
    if (!b.dirty) continue;
    persist(b);
    publish(b);
    b.dirty = false;
  }
}

std::optional<int64_t> BridgeGuard::next_deadline() const {
  std::optional<int64_t> next;
  auto consider = [&](std::optional<int64_t> t) {
    if (t && (!next || *t < *next)) next = t;
  };
  if (resync_reason_) consider(monotonic_us() + config_.retry_backoff_us.front());
  for (const auto& [_, b] : bridges_) {
    if (b.recovery) consider(b.recovery->retry_us ? b.recovery->retry_us : b.recovery->since_us);
    else consider(b.settle_us);
  }
  return next;
}

void BridgeGuard::persist(Bridge& b) {
  if (b.snap) writer_.submit(store_.path_of(b.name), store_.encode(*b.snap));
}

void BridgeGuard::publish(const Bridge& b) {
  telemetry::BridgeStatus st;
  st.name = b.name;
  st.state = bridge_state_name(b.state);
  st.restores = b.restores;
  st.last_restore = b.last_restore;
  if (b.recovery) st.restore_attempts = b.recovery->attempts;
  const net::LinkInfo* live = alive(b) ? table_.find(b.snap->ifindex) : nullptr;
  st.up = live && live->admin_up();
  if (b.snap) {
    st.ifindex = b.snap->ifindex;
    st.mac = netlink::format_mac(b.snap->mac);
    st.mtu = b.snap->mtu;
    for (const auto& a : b.snap->addresses)
      if (net::restorable_address(a)) st.addresses.push_back(a.cidr());
    for (const auto& p : b.snap->ports) st.ports.push_back({p.name, p.ifindex});
    st.extras = net::extras_to_json(b.snap->extras);
  }
  if (!b.conflict.empty()) st.conflict = b.conflict;
  st.degraded = b.last_degraded;
  const bool up = st.up;
  const size_t ports = st.ports.size();
  const bool degraded = !st.degraded.empty();
  board_.publish_bridge(std::move(st));
  metrics_.bridge_state(b.name, up, ports, degraded);
}

}  // namespace hydra::guard
