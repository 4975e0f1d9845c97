// SPDX-License-Identifier: Apache-2.0
#include "netlink/link_requests.hpp"

#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <linux/veth.h>

#include <cerrno>
#include <chrono>

#include "netlink/attr_tables.hpp"
#include "netlink/ifname.hpp"

namespace hydra::netlink {
namespace {

ifinfomsg* link_header(Request& r, int ifindex) {
  auto* ifi = r.put_extra_header<ifinfomsg>();
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return ifi;
}

void put_table(Request& r, std::span<const AttrSpec> specs, const AttrValues& values) {
  for (const auto& [type, value] : values) {
    if (const AttrSpec* spec = find_spec(specs, type)) r.put_uint(type, spec->width, spec->network_order, value);
  }
}

}  // namespace

std::vector<uint8_t> local_unicast_mac(std::array<uint8_t, 6> random_bytes) {
  auto& b = random_bytes;
  b[0] = static_cast<uint8_t>((b[0] & 0xfe) | 0x02);  // unicast, locally administered
  return {b.begin(), b.end()};
}

std::vector<uint8_t> random_local_mac() {
  std::array<uint8_t, 6> b{};
  ssize_t n = -1;
  do n = getrandom(b.data(), b.size(), 0);  // 6 bytes never come short; a signal may interrupt
  while (n < 0 && errno == EINTR);
  if (n != static_cast<ssize_t>(b.size())) {  // no getrandom (a pre-3.17 kernel): the clock
    uint64_t t = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    for (auto& x : b) x = static_cast<uint8_t>(t), t >>= 8;
  }
  return local_unicast_mac(b);
}

Result<Request> create_bridge(const BridgeSpec& spec) {
  if (auto st = validate_ifname(spec.name); !st) return st.error();
  if (!spec.mac.empty() && spec.mac.size() != 6)
    return make_error("bridge " + spec.name + ": MAC must be 6 bytes", EINVAL);
  Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "create bridge " + spec.name);
  ifinfomsg* ifi = link_header(r, spec.ifindex);
  if (spec.up) {
    ifi->ifi_flags = IFF_UP;
    ifi->ifi_change = IFF_UP;
  }
  r.put_str(IFLA_IFNAME, spec.name);
  if (!spec.mac.empty()) r.put(IFLA_ADDRESS, spec.mac.data(), spec.mac.size());
  if (spec.mtu) r.put_u32(IFLA_MTU, spec.mtu);
  if (spec.group) r.put_u32(IFLA_GROUP, *spec.group);
  size_t linkinfo = r.begin_nest(IFLA_LINKINFO);
  r.put_str(IFLA_INFO_KIND, "bridge");
  if (!spec.options.empty()) {
    size_t data = r.begin_nest(IFLA_INFO_DATA);
    put_table(r, bridge_option_specs(), spec.options);
    r.end_nest(data);
  }
  r.end_nest(linkinfo);
  return r;
}

Request link_barrier(int ifindex, const std::string& name) {
  Request r(RTM_NEWLINK, 0, "wait for link changes in flight on " + name);
  link_header(r, ifindex);
  return r;
}

Request set_group(int ifindex, const std::string& name, uint32_t group) {
  Request r(RTM_NEWLINK, 0, "set group of " + name + " to " + std::to_string(group));
  link_header(r, ifindex);
  r.put_u32(IFLA_GROUP, group);
  return r;
}

Request delete_link(int ifindex, const std::string& name) {
  Request r(RTM_DELLINK, 0, "delete link " + name);
  link_header(r, ifindex);
  return r;
}

Request set_master(int ifindex, const std::string& name, int master, const std::string& master_name) {
  Request r(RTM_NEWLINK, 0,
            master ? "set master of " + name + " to " + master_name : "clear master of " + name);
  link_header(r, ifindex);
  r.put_u32(IFLA_MASTER, static_cast<uint32_t>(master));
  return r;
}

Request set_mtu(int ifindex, const std::string& name, uint32_t mtu) {
  Request r(RTM_NEWLINK, 0, "set mtu of " + name + " to " + std::to_string(mtu));
  link_header(r, ifindex);
  r.put_u32(IFLA_MTU, mtu);
  return r;
}

Request set_admin_up(int ifindex, const std::string& name, bool up) {
  Request r(RTM_NEWLINK, 0, std::string("set ") + name + (up ? " up" : " down"));
  ifinfomsg* ifi = link_header(r, ifindex);
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  return r;
}

Request set_port_flags(int ifindex, const std::string& name, const AttrValues& flags) {
  Request r(RTM_NEWLINK, 0, "set bridge port flags of " + name);
  link_header(r, ifindex);
  size_t linkinfo = r.begin_nest(IFLA_LINKINFO);
  r.put_str(IFLA_INFO_SLAVE_KIND, "bridge");
  size_t data = r.begin_nest(IFLA_INFO_SLAVE_DATA);
  put_table(r, port_flag_specs(), flags);
  r.end_nest(data);
  r.end_nest(linkinfo);
  return r;
}

Result<Request> create_veth(const std::string& name, const std::string& peer_name, int peer_netns_fd) {
  if (auto st = validate_ifname(name); !st) return st.error();
  if (auto st = validate_ifname(peer_name); !st) return st.error();
  Request r(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, "create veth " + name + " (peer " + peer_name + ")");
  link_header(r, 0);
  r.put_str(IFLA_IFNAME, name);
  size_t linkinfo = r.begin_nest(IFLA_LINKINFO);
  r.put_str(IFLA_INFO_KIND, "veth");
  size_t data = r.begin_nest(IFLA_INFO_DATA);
  size_t peer = r.begin_nest(VETH_INFO_PEER);
  auto* peer_ifi = r.put_extra_header<ifinfomsg>();
  // The peer's ifinfomsg sits inside the nest; put_extra_header grew the
  // message, and the nest length is fixed up by end_nest.
  peer_ifi->ifi_family = AF_UNSPEC;
  r.put_str(IFLA_IFNAME, peer_name);
  if (peer_netns_fd >= 0) r.put_u32(IFLA_NET_NS_FD, static_cast<uint32_t>(peer_netns_fd));
  r.end_nest(peer);
  r.end_nest(data);
  r.end_nest(linkinfo);
  return r;
}


}  // namespace hydra::netlink
