// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a link table and a snapshot drawn from the input bytes. The
// planner may decide anything except to attach a forbidden device, a device
// with a master or an address, or one not in the record.
#include <linux/if.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdlib>

#include "net/port_policy.hpp"
#include "net/restore_plan.hpp"

using namespace hydra;

namespace {

struct Bytes {
  const uint8_t* p;
  size_t n;
  uint8_t next() {
    if (!n) return 0;
    --n;
    return *p++;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Bytes in{data, size};
  static const char* names[] = {"lo", "eth0", "eth1", "vethb-h1", "veth1", "veth2", "vethx", "docker0", "tap0", "br-x"};
  static const char* kinds[] = {"veth", "bridge", "dummy", "", "veth"};
  std::vector<netlink::LinkInfo> links;
  std::vector<netlink::AddrInfo> addrs;
  int count = 1 + in.next() % 24;
  for (int i = 1; i <= count; ++i) {
    netlink::LinkInfo l;
    l.ifindex = i;
    l.name = names[in.next() % 10];
    if (in.next() % 2) l.name += std::to_string(i);
    l.kind = kinds[in.next() % 5];
    l.master = in.next() % 3 == 0 ? 1 + in.next() % count : 0;
    l.mac = {2, 0, 0, 0, 0, static_cast<uint8_t>(in.next() % 4)};
    l.peer_ifindex = in.next() % 4;
    if (in.next() % 2) l.link_netnsid = in.next() % 3;
    l.flags = in.next() % 2 ? IFF_UP : 0;
    l.mtu = 1400 + in.next();
    links.push_back(l);
    if (in.next() % 4 == 0) {
      netlink::AddrInfo a;
      a.ifindex = i;
      a.family = in.next() % 2 ? AF_INET : AF_INET6;
      netlink::IpAddr ip{a.family, {}};
      ip.bytes[0] = in.next() % 2 ? 0xfe : 10;
      ip.bytes[1] = 0x80;
      a.address = ip;
      a.prefixlen = 24;
      addrs.push_back(a);
    }
  }
  net::LinkTable table;
  table.reset(links, addrs);
  net::BridgeSnapshot snap;
  snap.name = "docker0";
  snap.ifindex = 1 + in.next() % (count + 2);
  snap.mac = {2, 0, 0, 0, 0, 9};
  snap.mtu = 1500;
  for (const auto& l : links) {
    if (in.next() % 2 == 0) continue;
    auto r = net::record_port(l);
    if (in.next() % 5 == 0) r.mac[5] ^= 1;
    if (in.next() % 7 == 0) r.name += "x";
    snap.ports.push_back(r);
  }
  auto plan = net::plan_restore(snap, table, in.next() % 2 ? net::PlanMode::kRecover : net::PlanMode::kRepair);
  for (const auto& p : plan.attach) {
    const auto* dev = table.find(p.ifindex);
    if (!dev || net::is_reserved_name(dev->name) || dev->master != 0 || net::holds_address(dev->ifindex, table) ||
        dev->kind == "bridge" || !snap.port(p.ifindex) || dev->mac != p.mac || dev->name != p.name)
      std::abort();
  }
  if (plan.create && table.find(plan.create->ifindex)) std::abort();
  if (plan.conflict && !plan.empty()) std::abort();
  return 0;
}
