// SPDX-License-Identifier: Apache-2.0
// The restore planner and the never-harm rules, on hand-built link tables.
#include <gtest/gtest.h>

#include <random>

#include "guard/restore_batch.hpp"
#include "net/port_policy.hpp"
#include "net/restore_plan.hpp"
#include "netlink/decode.hpp"
#include "world_builder.hpp"

using namespace hydra;
using namespace hydra::net;
using hydra::test::make_addr;
using hydra::test::make_link;
using hydra::test::SandboxWorld;

namespace {

std::vector<std::string> names(const std::vector<PortRecord>& ports) {
  std::vector<std::string> out;
  for (const auto& p : ports) out.push_back(p.name);
  return out;
}

const RefusedPort* refused(const RestorePlan& plan, const std::string& name) {
  for (const auto& r : plan.refused)
    if (r.port.name == name) return &r;
  return nullptr;
}

}  // namespace

TEST(RestorePlan, DeletedBridgeComesBackWithItsPorts) {
  SandboxWorld w;
  w.delete_docker0();
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.create);
  EXPECT_EQ(plan.create->name, "docker0");
  EXPECT_EQ(plan.create->ifindex, 5) << "the old ifindex is free: reuse it";
  EXPECT_EQ(plan.create->mac, w.snap.mac);
  EXPECT_EQ(plan.create->mtu, 0u) << "1500, the default: nothing to set";
  EXPECT_FALSE(plan.mtu_after_create);
  EXPECT_TRUE(plan.create->up);
  EXPECT_EQ(plan.bridge_ifindex, 5);
  EXPECT_EQ(names(plan.attach), (std::vector<std::string>{"veth0a", "veth0b", "veth0c"}));
  EXPECT_TRUE(plan.refused.empty());
  EXPECT_TRUE(plan.gone.empty());
  ASSERT_EQ(plan.addresses.size(), 2u) << "IPv6 link-local is left to the kernel";
  EXPECT_EQ(plan.addresses[0].cidr(), "10.213.0.1/24");
  EXPECT_EQ(plan.addresses[1].cidr(), "fd00:d0c::1/64");
  EXPECT_FALSE(plan.mtu_after_ports);
}

TEST(RestorePlan, OnlyNonDefaultOptionsAreWritten) {
  SandboxWorld w;
  w.snap.options[IFLA_BR_AGEING_TIME] = 12000;    // differs from 30000
  w.snap.options[IFLA_BR_VLAN_FILTERING] = 0;     // the default: never sent
  w.delete_docker0();
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.create);
  EXPECT_EQ(plan.create->options, (netlink::AttrValues{{IFLA_BR_AGEING_TIME, 12000}}));
}

TEST(RestorePlan, TakenIfindexGetsAFreshOne) {
  SandboxWorld w;
  w.delete_docker0();
  w.table.apply(netlink::LinkEvent{false, make_link(5, "newcomer", "veth")});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.create);
  EXPECT_NE(plan.create->ifindex, 5);
  EXPECT_EQ(w.table.find(plan.create->ifindex), nullptr);
  EXPECT_EQ(plan.bridge_ifindex, plan.create->ifindex);
  for (const auto& a : plan.addresses) EXPECT_EQ(a.ifindex, plan.bridge_ifindex);
}

TEST(RestorePlan, GoneAndChangedPortsAreNotAttached) {
  SandboxWorld w;
  w.delete_docker0();
  w.table.apply(netlink::LinkEvent{true, *w.table.find(10)});  // container stopped, veth deleted
  auto moved = *w.table.find(11);
  moved.master = 20;  // now a port of hydra1
  w.table.apply(netlink::LinkEvent{false, moved});
  w.table.apply(netlink::AddrEvent{false, make_addr(12, "10.9.9.9", 24)});  // now holds an address
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  EXPECT_TRUE(plan.attach.empty());
  EXPECT_EQ(names(plan.gone), (std::vector<std::string>{"veth0a"}));
  ASSERT_NE(refused(plan, "veth0b"), nullptr);
  EXPECT_NE(refused(plan, "veth0b")->reason.find("hydra1"), std::string::npos);
  ASSERT_NE(refused(plan, "veth0c"), nullptr);
  EXPECT_NE(refused(plan, "veth0c")->reason.find("address"), std::string::npos);
}

TEST(RestorePlan, UnrecordedMasterlessDevicesAreNeverConsidered) {
  SandboxWorld w;
  w.delete_docker0();
  // A masterless veth that was never on docker0, and eth0 (masterless veth).
  w.table.apply(netlink::LinkEvent{false, make_link(30, "vethstray", "veth")});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  for (const auto& p : plan.attach) {
    EXPECT_NE(p.name, "vethstray");
    EXPECT_NE(p.name, "eth0");
  }
  EXPECT_EQ(plan.attach.size(), 3u);
}

TEST(RestorePlan, NonDefaultMtuIsSetAfterTheBridgeIsMade) {
  SandboxWorld w;
  w.snap.mtu = 1400;
  for (auto& p : w.snap.ports) (void)p;
  w.delete_docker0();
  for (int idx : {10, 11, 12}) {  // ports of the same MTU: joining would not change it
    auto l = *w.table.find(idx);
    l.mtu = 1400;
    w.table.apply(netlink::LinkEvent{false, l});
  }
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.create);
  EXPECT_EQ(plan.create->mtu, 0u) << "created at 1500 ...";
  ASSERT_TRUE(plan.mtu_after_create) << "... then changed, so that it stays when the ports leave";
  EXPECT_EQ(*plan.mtu_after_create, 1400u);
  auto batch = guard::build_restore_batch(plan, "docker0");
  ASSERT_TRUE(batch);
  EXPECT_EQ(batch->items[1].kind, guard::BatchItem::Kind::kMtu) << "right after the create";
}

TEST(RestorePlan, MtuSetAfterPortsWhenTheyWouldChangeIt) {
  SandboxWorld w;  // docker0 at 1500; its ports come back at 9000
  w.delete_docker0();
  for (int idx : {10, 11, 12}) {
    auto l = *w.table.find(idx);
    l.mtu = 9000;
    w.table.apply(netlink::LinkEvent{false, l});
  }
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  EXPECT_FALSE(plan.mtu_after_create);
  ASSERT_TRUE(plan.mtu_after_ports);
  EXPECT_EQ(*plan.mtu_after_ports, 1500u);
  auto batch = guard::build_restore_batch(plan, "docker0");
  ASSERT_TRUE(batch);
  ASSERT_GE(batch->items.size(), 2u);
  EXPECT_EQ(batch->items[batch->items.size() - 2].kind, guard::BatchItem::Kind::kMtu) << "the MTU after the ports";
  EXPECT_EQ(batch->items.back().kind, guard::BatchItem::Kind::kGroup) << "the marker cleared last";
}

TEST(RestorePlan, RepairBringsUpAndReAddsButLeavesPortsAlone) {
  SandboxWorld w;
  auto br = *w.table.find(5);
  br.flags &= ~IFF_UP;
  w.table.apply(netlink::LinkEvent{false, br});
  w.table.apply(netlink::AddrEvent{true, make_addr(5, "10.213.0.1", 24)});
  auto released = *w.table.find(10);
  released.master = 0;
  w.table.apply(netlink::LinkEvent{false, released});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRepair);
  EXPECT_FALSE(plan.create);
  EXPECT_TRUE(plan.set_up);
  ASSERT_EQ(plan.addresses.size(), 1u);
  EXPECT_EQ(plan.addresses[0].cidr(), "10.213.0.1/24");
  EXPECT_TRUE(plan.attach.empty()) << "a port released while the bridge lives is the daemon's decision";
  EXPECT_TRUE(plan_restore(SandboxWorld().snap, SandboxWorld().table, PlanMode::kRepair).empty());
}

TEST(RestorePlan, DeviceOfTheProtectedNameThatIsNoBridgeIsAConflict) {
  SandboxWorld w;
  w.delete_docker0();
  w.table.apply(netlink::LinkEvent{false, make_link(40, "docker0", "dummy")});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.conflict);
  EXPECT_NE(plan.conflict->find("dummy"), std::string::npos);
  EXPECT_TRUE(plan.empty());
  EXPECT_TRUE(plan.attach.empty());
}

TEST(RestorePlan, RecreatedBySomeoneElseGetsPortsAndAddresses) {
  SandboxWorld w;
  w.delete_docker0();
  w.table.apply(netlink::LinkEvent{false, make_link(50, "docker0", "bridge")});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  EXPECT_FALSE(plan.create);
  EXPECT_EQ(plan.bridge_ifindex, 50);
  EXPECT_EQ(plan.attach.size(), 3u);
  EXPECT_EQ(plan.addresses.size(), 2u);
}

TEST(RestorePlan, ACreatedBridgeCarriesTheRestoreMarkerUntilTheLastRequest) {
  SandboxWorld w;
  w.delete_docker0();
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.create);
  EXPECT_EQ(plan.create->group, kRestoringGroup);
  EXPECT_EQ(plan.restore_group, 0u);
}

// hydrad killed between the create and the rest: the bridge is there, bare,
// with the marker; the next hydrad finishes the restore, MTU included.
TEST(RestorePlan, AnInterruptedRestoreIsFinished) {
  SandboxWorld w;
  w.snap.mtu = 1400;
  w.delete_docker0();
  auto bare = make_link(5, "docker0", "bridge");
  bare.group = kRestoringGroup;
  bare.mtu = 1500;
  w.table.apply(netlink::LinkEvent{false, bare});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  EXPECT_FALSE(plan.create);
  EXPECT_EQ(plan.attach.size(), 3u);
  EXPECT_EQ(plan.addresses.size(), 2u);
  EXPECT_EQ(plan.mtu_after_ports, 1400u);
  EXPECT_EQ(plan.restore_group, 0u);
  // Without the marker a bridge someone else made keeps its MTU.
  bare.group = 0;
  w.table.apply(netlink::LinkEvent{false, bare});
  auto other = plan_restore(w.snap, w.table, PlanMode::kRecover);
  EXPECT_FALSE(other.restore_group);
  EXPECT_FALSE(other.mtu_after_ports);
}

TEST(RestoreBatch, OrderIsBridgeAddressesPortsAndFlags) {
  SandboxWorld w;
  w.snap.ports[1].flags[IFLA_BRPORT_MODE] = 1;  // hairpin on veth0b: needs a flags request
  w.delete_docker0();
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  auto batch = guard::build_restore_batch(plan, "docker0");
  ASSERT_TRUE(batch);
  using K = guard::BatchItem::Kind;
  std::vector<K> kinds;
  for (const auto& i : batch->items) kinds.push_back(i.kind);
  EXPECT_EQ(kinds, (std::vector<K>{K::kCreate, K::kAddress, K::kAddress, K::kAttach, K::kAttach, K::kPortFlags,
                                   K::kAttach, K::kGroup}));
  EXPECT_EQ(batch->requests.size(), batch->items.size());
  EXPECT_EQ(batch->requests[5].what(), "set bridge port flags of veth0b");
}

TEST(PortPolicy, EveryNeverHarmRule) {
  SandboxWorld w;
  w.delete_docker0();
  const PortRecord rec = *w.snap.port(10);
  auto dev = *w.table.find(10);
  EXPECT_FALSE(attach_refusal(dev, rec, w.table)) << "the recorded, masterless veth may go back";
  auto expect_refused = [&](netlink::LinkInfo d, const PortRecord& r, const std::string& why) {
    auto reason = attach_refusal(d, r, w.table);
    ASSERT_TRUE(reason) << why;
    EXPECT_NE(reason->find(why), std::string::npos) << *reason;
  };
  for (const char* name : {"lo", "eth0", "eth1", "vethb-h1"}) {
    auto d = dev;
    d.name = name;
    auto r = rec;
    r.name = name;
    expect_refused(d, r, "reserved");
  }
  auto other_name = dev;
  other_name.name = "vethzz";
  expect_refused(other_name, rec, "not the recorded device");
  auto other_kind = dev;
  other_kind.kind = "dummy";
  expect_refused(other_kind, rec, "kind changed");
  auto other_mac = dev;
  other_mac.mac[5] ^= 1;
  expect_refused(other_mac, rec, "MAC changed");
  auto other_peer = dev;
  other_peer.peer_ifindex = 99;
  expect_refused(other_peer, rec, "peer changed");
  auto enslaved = dev;
  enslaved.master = 20;
  expect_refused(enslaved, rec, "already a port of hydra1");
  w.table.apply(netlink::AddrEvent{false, make_addr(10, "10.1.1.1", 8)});
  expect_refused(dev, rec, "holds an IP address");
}

TEST(PortPolicy, Ipv6LinkLocalDoesNotCountAsHoldingAnAddress) {
  SandboxWorld w;
  EXPECT_FALSE(holds_address(10, w.table)) << "veth0a has only fe80::1";
  EXPECT_TRUE(holds_address(2, w.table)) << "eth0 has 192.0.2.2";
}

// Random link tables: whatever the planner decides, it never attaches a
// forbidden device, a device with a master, or one not in the record.
TEST(RestorePlan, RandomTablesNeverTouchForbiddenDevices) {
  std::mt19937 rng(20261128);
  const char* names[] = {"lo", "eth0", "eth1", "vethb-h1", "veth1", "veth2", "veth3", "tap0", "docker0", "br1"};
  const char* kinds[] = {"veth", "veth", "dummy", "bridge", ""};
  for (int round = 0; round < 2000; ++round) {
    std::vector<netlink::LinkInfo> links;
    std::vector<netlink::AddrInfo> addrs;
    int n = 2 + static_cast<int>(rng() % 12);
    for (int i = 1; i <= n; ++i) {
      auto l = make_link(i, names[rng() % 10] + std::to_string(rng() % 2 ? i : 0), kinds[rng() % 5],
                         rng() % 3 == 0 ? static_cast<int>(1 + rng() % n) : 0);
      if (rng() % 4 == 0) l.name = names[rng() % 10];
      links.push_back(l);
      if (rng() % 3 == 0) addrs.push_back(make_addr(i, rng() % 2 ? "10.0.0." + std::to_string(i) : "fe80::9", 24));
    }
    LinkTable table;
    table.reset(links, addrs);
    BridgeSnapshot snap;
    snap.name = "docker0";
    snap.ifindex = 1 + static_cast<int>(rng() % (n + 3));
    snap.mac = {2, 0, 0, 0, 0, 1};
    for (const auto& l : links)
      if (rng() % 2) snap.ports.push_back(record_port(l));
    for (const auto& l : links) {  // and some stale records
      if (rng() % 5 == 0) {
        auto r = record_port(l);
        r.mac[0] ^= 0x10;
        snap.ports.push_back(r);
      }
    }
    auto plan = plan_restore(snap, table, rng() % 2 ? PlanMode::kRecover : PlanMode::kRepair);
    for (const auto& p : plan.attach) {
      const auto* dev = table.find(p.ifindex);
      ASSERT_NE(dev, nullptr);
      EXPECT_FALSE(is_reserved_name(dev->name)) << dev->name;
      EXPECT_EQ(dev->master, 0) << dev->name;
      EXPECT_FALSE(holds_address(dev->ifindex, table)) << dev->name;
      EXPECT_NE(dev->kind, "bridge");
      EXPECT_NE(snap.port(p.ifindex), nullptr) << "only recorded ports";
      EXPECT_EQ(dev->mac, p.mac);
      EXPECT_EQ(dev->name, p.name);
    }
    if (plan.create) {
      EXPECT_EQ(table.find(plan.create->ifindex), nullptr);
    }
    if (plan.conflict) {
      EXPECT_TRUE(plan.empty());
    }
  }
}

TEST(VerifyRestore, ReportsEachMismatch) {
  SandboxWorld w;
  w.delete_docker0();
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  EXPECT_EQ(verify_restore(plan, w.snap, w.table, {}), (std::vector<std::string>{"docker0 is missing"}));
  // Bring it back wrong: other MAC, down, one address, one port unattached.
  auto br = make_link(5, "docker0", "bridge");
  br.mac = {2, 9, 9, 9, 9, 9};
  br.flags = 0;
  w.table.apply(netlink::LinkEvent{false, br});
  w.table.apply(netlink::AddrEvent{false, make_addr(5, "10.213.0.1", 24)});
  auto problems = verify_restore(plan, w.snap, w.table, {10});
  std::string all;
  for (const auto& p : problems) all += p + "\n";
  EXPECT_NE(all.find("MAC"), std::string::npos) << all;
  EXPECT_NE(all.find("down"), std::string::npos) << all;
  EXPECT_NE(all.find("fd00:d0c::1/64 missing"), std::string::npos) << all;
  EXPECT_NE(all.find("veth0a not attached"), std::string::npos) << all;
  EXPECT_EQ(all.find("10.213.0.1/24"), std::string::npos) << all;
}
