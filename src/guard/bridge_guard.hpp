// SPDX-License-Identifier: Apache-2.0
// The guard: keeps a live snapshot of every protected bridge from monitor
// events, and puts a bridge back when it is deleted, set down or loses an
// address. Single-threaded: driven by the daemon's event loop through
// on_event() for each notification and process() after each batch of them.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "guard/announcer.hpp"
#include "guard/bridge_state.hpp"
#include "guard/snapshot_store.hpp"
#include "base/file_writer.hpp"
#include "telemetry/event_log.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/status_board.hpp"
#include "net/bridge_snapshot.hpp"
#include "net/link_table.hpp"
#include "netlink/monitor.hpp"
#include "netlink/rtnl_socket.hpp"

namespace hydra::guard {

struct GuardConfig {
  std::vector<std::string> bridges{"docker0"};
  // A port released, an address removed or the bridge set down while the
  // bridge lives is acted on only after this quiet time: a bridge being
  // deleted releases its ports and drops its addresses first, and those must
  // not be mistaken for a daemon's decisions.
  int64_t settle_us = 100'000;
  // Read-back mismatches are retried after these delays, then reported
  // degraded and retried for as long as the bridge is missing: the delay
  // doubles from the last one here up to max_retry_us.
  std::vector<int64_t> retry_backoff_us{2'000, 10'000, 50'000, 250'000};
  int64_t max_retry_us = 5'000'000;
};

class BridgeGuard {
 public:
  // Snapshots are read from `store` at start and written through `writer`
  // (its thread, never the guard's).
  BridgeGuard(GuardConfig config, netlink::RtnlSocket& sock, Announcer& announcer, const SnapshotStore& store,
              FileWriter& writer, telemetry::EventLog& log, telemetry::StatusBoard& board,
              telemetry::Metrics& metrics);

  // Reads the table; snapshots present bridges, restores missing ones from
  // their snapshot on disk. Every bridge is then snapshotted or known missing.
  Status start();
  void on_event(const netlink::MonitorEvent& ev, int64_t read_us);
  // Guards exactly `bridges` from now on: new names are snapshotted (or
  // waited for), dropped names are no longer guarded; the others keep their
  // state. Used by a configuration reload.
  void set_bridges(const std::vector<std::string>& bridges);
  // Carries out what the events asked for, then persists changed snapshots.
  void process(int64_t now_us);
  // When process() must run even without events.
  [[nodiscard]] std::optional<int64_t> next_deadline() const;
  [[nodiscard]] const net::LinkTable& table() const { return table_; }

 private:
  // A deleted bridge on its way back: pending while set.
  struct Recovery {
    int64_t since_us = 0;             // when the deletion was read
    std::optional<int64_t> retry_us;  // next attempt (none: at once)
    int attempts = 0;                 // failed attempts so far
    int64_t backoff_us = 0;           // delay before the next one, once degraded
  };

  struct Bridge {
    std::string name;
    std::optional<net::BridgeSnapshot> snap;
    BridgeState state = BridgeState::kMissing;
    std::optional<Recovery> recovery;
    std::set<int> released;             // ports released while the bridge lives
    std::optional<int64_t> settle_us;   // act on releases / repairs after this
    std::string conflict;
    uint64_t restores = 0;
    std::optional<telemetry::BridgeStatus::LastRestore> last_restore;
    bool dirty = false;
    bool extras_stale = false;   // something was removed: re-read at settle
    bool sysctls_stale = false;  // an event concerned the bridge: re-read its sysctls
    std::vector<std::string> last_degraded;
  };

  // Every state change goes through here: logged as old → new with why.
  void set_state(Bridge& b, BridgeState next, const std::string& reason);
  // Starts a recovery (the bridge was read deleted at `read_us`).
  void begin_recovery(Bridge& b, int64_t read_us, const std::string& reason);
  void recovery_failed(Bridge& b, int64_t now_us, const std::vector<std::string>& problems, bool at_once);
  void on_link(const netlink::LinkEvent& ev, int64_t read_us);
  void on_addr(const netlink::AddrEvent& ev, int64_t read_us);
  // bridge_guard_extras.cpp: routes, neighbours, FDB entries and sysctls.
  void on_route(const netlink::RouteEvent& ev, int64_t read_us);
  void on_neigh(const netlink::NeighEvent& ev, int64_t read_us);
  void on_netconf(const netlink::NetconfEvent& ev);
  void refresh_extras(Bridge& b, bool dumps);
  // After the record was rebuilt from the link table: keeps the extras of
  // `before` (moved to the new ifindex).
  static void carry_extras(const net::BridgeSnapshot& before, net::BridgeSnapshot& after);
  void resync(int64_t now_us);
  void recover(Bridge& b, int64_t now_us);
  void settle(Bridge& b, int64_t now_us);
  // The table as the kernel holds it once link changes in flight are done;
  // false when the bridge is gone (or the read failed: settle is retried).
  bool settled_view(Bridge& b, int64_t now_us);
  void adopt(Bridge& b, const net::LinkInfo& link);
  void report_conflict(Bridge& b, const net::LinkInfo& link);
  void persist(Bridge& b);
  void publish(const Bridge& b);
  [[nodiscard]] bool alive(const Bridge& b) const;

  GuardConfig config_;
  netlink::RtnlSocket& sock_;
  Announcer& announcer_;
  const SnapshotStore& store_;
  FileWriter& writer_;
  telemetry::EventLog& log_;
  telemetry::StatusBoard& board_;
  telemetry::Metrics& metrics_;
  net::LinkTable table_;
  std::map<std::string, Bridge> bridges_;
  std::optional<std::string> resync_reason_;
};

}  // namespace hydra::guard
