// SPDX-License-Identifier: Apache-2.0
#include "guard/restorer.hpp"

#include <span>

#include "base/clock.hpp"
#include "guard/announcer.hpp"
#include "guard/bridge_sysctls.hpp"
#include "guard/restore_batch.hpp"
#include "netlink/dump.hpp"

namespace hydra::guard {

Status refresh_table(netlink::RtnlSocket& sock, net::LinkTable& table) {
  auto links = netlink::dump_links(sock);
  if (!links) return links.error();
  auto addrs = netlink::dump_addrs(sock);
  if (!addrs) return addrs.error();
  table.reset(std::move(*links), std::move(*addrs));
  return {};
}

namespace {
std::function<void()>& after_batch_hook() {
  static std::function<void()> fn;
  return fn;
}
}  // namespace

void set_after_batch(std::function<void()> fn) { after_batch_hook() = std::move(fn); }

RestoreOutcome run_restore(netlink::RtnlSocket& sock, Announcer& announcer, const net::BridgeSnapshot& snap,
                           net::LinkTable& table, net::RestorePlan plan) {
  RestoreOutcome out;
  out.plan = std::move(plan);
  if (out.plan.conflict) {
    out.problems.push_back(*out.plan.conflict);
    return out;
  }
  auto batch = build_restore_batch(out.plan, snap.name);
  if (!batch) {
    out.problems.push_back(batch.error().text());
    return out;
  }
  out.sent_us = monotonic_us();
  // Every request after a create names the bridge by the ifindex the plan
  // chose. If the create is refused, that index may belong to a stranger
  // (another device created meanwhile gets exactly the index the planner
  // picks), so the create goes alone and the rest only once it is acked.
  std::span<const netlink::Request> all(batch->requests);
  const size_t head = out.plan.create ? 1 : 0;
  auto acks = sock.execute(all.first(head));
  if (acks && (head == 0 || (*acks)[0].ok()) && all.size() > head) {
    auto rest = sock.execute(all.subspan(head));
    if (rest) acks->insert(acks->end(), rest->begin(), rest->end());
    else acks = rest.error();
  }
  out.acked_us = monotonic_us();
  if (after_batch_hook()) after_batch_hook()();
  if (!acks) {
    out.problems.push_back(acks.error().text());
    return out;
  }
  bool bridge_ok = true;
  if (acks->size() < batch->requests.size())
    out.problems.push_back(std::to_string(batch->requests.size() - acks->size()) +
                           " requests not sent: the bridge was not created");
  for (size_t i = 0; i < acks->size(); ++i) {
    const auto& ack = (*acks)[i];
    const auto& item = batch->items[i];
    using Kind = BatchItem::Kind;
    if (ack.ok()) {
      if (item.kind == Kind::kAttach) out.attached.push_back(out.plan.attach[item.index].ifindex);
      continue;
    }
    if (item.kind == Kind::kCreate) {
      bridge_ok = false;
      out.name_taken = ack.error == EEXIST;
    }
    if (item.kind == Kind::kRoute || item.kind == Kind::kNeighbour || item.kind == Kind::kFdb) {
      out.degraded.push_back(netlink::ack_error(batch->requests[i].what(), ack).text());
      continue;
    }
    if ((item.kind == Kind::kAttach || item.kind == Kind::kPortFlags) && ack.error == ENODEV) {
      if (item.kind == Kind::kAttach) out.vanished.push_back(out.plan.attach[item.index].name);
      continue;  // the port went away meanwhile: nothing to restore
    }
    out.problems.push_back(netlink::ack_error(batch->requests[i].what(), ack).text());
  }
  if (bridge_ok && (out.plan.create || !out.plan.addresses.empty())) {
    const net::LinkInfo* existing = out.plan.create ? nullptr : table.find(out.plan.bridge_ifindex);
    auto sent = announcer.announce(out.plan.bridge_ifindex, snap.name, existing ? existing->mac : snap.mac, snap.addresses);
    if (sent) out.announced = *sent;
    else out.problems.push_back(sent.error().text());
  }
  out.announced_us = monotonic_us();
  // Sysctls last: the device must exist, and none of them is on the path of
  // the first packets (a new device inherits the "default" values meanwhile).
  if (bridge_ok && !out.plan.sysctls.empty())
    for (auto& failed : write_bridge_sysctls(snap.name, out.plan.sysctls)) out.degraded.push_back("sysctl " + failed);
  if (auto st = refresh_table(sock, table); !st) {
    out.problems.push_back("read-back: " + st.error().text());
  } else {
    for (auto& m : net::verify_restore(out.plan, snap, table, out.attached)) out.problems.push_back("read-back: " + m);
  }
  out.done_us = monotonic_us();
  out.verified = out.problems.empty();
  return out;
}

}  // namespace hydra::guard
