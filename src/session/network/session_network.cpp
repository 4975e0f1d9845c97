// SPDX-License-Identifier: Apache-2.0
#include "session/network/session_network.hpp"
#include "session/network/session_nat.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/whole_file.hpp"
#include "netlink/addr_requests.hpp"
#include "netlink/dump.hpp"
#include "netlink/link_requests.hpp"
#include "netlink/netns.hpp"
#include "netlink/route_requests.hpp"
#include "session/network/desktop_firewall.hpp"
#include "session/network/uplink_firewall.hpp"

namespace hydra::session {

namespace {

using netlink::RtnlSocket;

// ifindex of a link by name in the socket's namespace, 0 when absent.
Result<int> ifindex_of(RtnlSocket& sock, const std::string& name) {
  auto links = netlink::dump_links(sock);
  if (!links) return links.error();
  for (const auto& l : *links)
    if (l.name == name) return l.ifindex;
  return 0;
}

netlink::AddrInfo v4(int ifindex, const std::string& ip, uint8_t prefix) {
  netlink::AddrInfo a;
  a.family = AF_INET;
  a.ifindex = ifindex;
  a.prefixlen = prefix;
  a.local = a.address = netlink::IpAddr::parse(ip);
  return a;
}

Status delete_if_present(RtnlSocket& sock, const std::string& name) {
  auto idx = ifindex_of(sock, name);
  if (!idx) return idx.error();
  if (*idx == 0) return {};
  auto st = sock.execute_one(netlink::delete_link(*idx, name));
  if (!st && st.error().code != ENODEV) return st;
  return {};
}

Status execute_all(RtnlSocket& sock, const std::vector<netlink::Request>& reqs, const std::string& where) {
  auto acks = sock.execute(reqs);
  if (!acks) return acks.error();
  for (size_t i = 0; i < acks->size(); ++i)
    if (!(*acks)[i].ok()) return netlink::ack_error(reqs[i].what() + where, (*acks)[i]);
  return {};
}

// In the namespace of the calling thread (sysctls under /proc/sys/net are
// the opener's namespace's).
Status enable_forwarding() {
  return write_sysctl("/proc/sys/net/ipv4/ip_forward", "1");
}

// Runs f() where the session's hydraN lives.
template <class F>
Status where_bridge_lives(const SessionNet& net, F&& f) {
  if (!net.isolated) return f();
  auto inside = netlink::NetnsSwitch::enter(net.netns);
  if (!inside) return inside.error();
  return f();
}

// hydraN with its gateway address, in the socket's namespace.
Status make_bridge(RtnlSocket& sock, const SessionNet& net) {
  if (auto st = delete_if_present(sock, net.bridge); !st) return st;
  netlink::BridgeSpec spec;
  spec.name = net.bridge;
  // An address of its own: without one the bridge's MAC follows its smallest
  // port, and a container joining would cut the desktop off its gateway.
  spec.mac = netlink::random_local_mac();
  auto req = netlink::create_bridge(spec);
  if (!req) return req.error();
  if (auto st = sock.execute_one(*req); !st) return st;
  auto idx = ifindex_of(sock, net.bridge);
  if (!idx) return idx.error();
  return sock.execute_one(netlink::add_address(v4(*idx, net.gateway, 24), net.bridge));
}

// Inside the session's namespace: lo, the uplink's end, the default route,
// hydraN, forwarding.
Status configure_session_side(const SessionNet& net) {
  auto inside = netlink::NetnsSwitch::enter(net.netns);
  if (!inside) return inside.error();
  auto sock = RtnlSocket::open();
  if (!sock) return sock.error();
  auto lo = ifindex_of(*sock, "lo");
  auto up = ifindex_of(*sock, kUplinkInterface);
  if (!lo) return lo.error();
  if (!up) return up.error();
  if (*up == 0) return make_error(std::string(kUplinkInterface) + " did not appear in " + net.netns, ENODEV);
  const std::string where = " in " + net.netns;
  std::vector<netlink::Request> setup;
  setup.push_back(netlink::set_admin_up(*lo, "lo", true));
  setup.push_back(netlink::add_address(v4(*up, net.uplink_address, kUplinkPrefix), kUplinkInterface));
  setup.push_back(netlink::set_admin_up(*up, kUplinkInterface, true));
  setup.push_back(netlink::add_route_v4(*netlink::IpAddr::parse("0.0.0.0"), 0,
                                        *netlink::IpAddr::parse(net.uplink_gateway), *up, kUplinkInterface));
  if (auto st = execute_all(*sock, setup, where); !st) return st;
  if (auto st = make_bridge(*sock, net); !st) return st;
  if (net.hydra_nat)
    if (auto st = install_session_nat(net); !st) return st;
  return enable_forwarding();
}

Status create_isolated(const SessionNet& net) {
  auto sock = RtnlSocket::open();
  if (!sock) return sock.error();
  if (auto st = delete_if_present(*sock, net.uplink); !st) return st;
  if (auto st = netlink::create_pinned_netns(net.netns); !st) return st;
  auto ns = netlink::open_netns(net.netns);
  if (!ns) return ns.error();
  auto veth = netlink::create_veth(net.uplink, kUplinkInterface, ns->get());
  if (!veth) return veth.error();
  if (auto st = sock->execute_one(*veth); !st) return st;
  auto idx = ifindex_of(*sock, net.uplink);
  if (!idx) return idx.error();
  if (*idx == 0) return make_error(net.uplink + " did not appear", ENODEV);
  std::vector<netlink::Request> setup;
  setup.push_back(netlink::add_address(v4(*idx, net.uplink_gateway, kUplinkPrefix), net.uplink));
  setup.push_back(netlink::set_admin_up(*idx, net.uplink, true));
  if (auto st = execute_all(*sock, setup, ""); !st) return st;
  if (auto st = enable_forwarding(); !st) return st;
  if (auto st = configure_session_side(net); !st) return st;
  return open_uplink(net);
}

// eth1 inside the desktop: address, up, the route to the session's pools.
Status configure_desktop_side(int desktop_ns_fd, const SessionNet& net) {
  auto inside = netlink::NetnsSwitch::enter(desktop_ns_fd);
  if (!inside) return inside.error();
  auto dsock = RtnlSocket::open();
  if (!dsock) return dsock.error();
  auto eth1 = ifindex_of(*dsock, kDesktopInterface);
  if (!eth1) return eth1.error();
  if (*eth1 == 0) return make_error("eth1 did not appear in the desktop's namespace", ENODEV);
  auto pools = Ipv4Net::parse(net.pools);
  if (!pools) return pools.error();
  std::vector<netlink::Request> setup;
  setup.push_back(netlink::add_address(v4(*eth1, net.desktop_ip, 24), kDesktopInterface));
  setup.push_back(netlink::set_admin_up(*eth1, kDesktopInterface, true));
  setup.push_back(netlink::add_route_v4(*netlink::IpAddr::parse(ipv4_text(pools->base)),
                                        static_cast<uint8_t>(pools->prefix), *netlink::IpAddr::parse(net.gateway),
                                        *eth1, kDesktopInterface));
  return execute_all(*dsock, setup, " in the desktop");
}

}  // namespace

Status create_session_network(const SessionNet& net) {
  if (net.isolated) return create_isolated(net);
  auto sock = RtnlSocket::open();
  if (!sock) return sock.error();
  if (auto st = make_bridge(*sock, net); !st) return st;
  return enable_forwarding();
}

Status delete_session_network(const SessionNet& net) {
  Status first;
  auto keep = [&](const Status& st) {
    if (!st && first) first = st;
  };
  if (!net.isolated || netlink::netns_pinned(net.netns)) {
    // The desktop's leg and hydraN explicitly: containers left running may
    // keep an isolated namespace alive after it is unpinned.
    keep(where_bridge_lives(net, [&]() -> Status {
      keep(revoke_desktop(net));
      auto sock = RtnlSocket::open();
      if (!sock) return sock.error();
      keep(delete_if_present(*sock, net.desktop_veth));
      return delete_if_present(*sock, net.bridge);
    }));
  }
  if (net.isolated) {
    keep(close_uplink(net));
    auto sock = RtnlSocket::open();
    if (sock) keep(delete_if_present(*sock, net.uplink));  // its peer goes with it
    else keep(sock.error());
    keep(netlink::unpin_netns(net.netns));
  }
  return first;
}

bool session_network_present(const SessionNet& net) {
  if (!net.isolated) return true;
  if (!netlink::netns_pinned(net.netns)) return false;
  auto sock = RtnlSocket::open();
  if (!sock) return false;
  auto idx = ifindex_of(*sock, net.uplink);
  return idx && *idx != 0;
}

bool desktop_bridged(const SessionNet& net) {
  bool bridged = false;
  (void)where_bridge_lives(net, [&]() -> Status {
    auto sock = RtnlSocket::open();
    if (!sock) return sock.error();
    auto idx = ifindex_of(*sock, net.desktop_veth);
    bridged = idx && *idx != 0;
    return {};
  });
  return bridged;
}

Status unbridge_desktop(const SessionNet& net) {
  return where_bridge_lives(net, [&]() -> Status {
    if (auto st = revoke_desktop(net); !st) return st;
    auto sock = RtnlSocket::open();
    if (!sock) return sock.error();
    return delete_if_present(*sock, net.desktop_veth);
  });
}

Status bridge_desktop(const SessionNet& net, pid_t desktop_pid) {
  auto desktop_ns = netlink::open_netns_of_pid(desktop_pid);
  if (!desktop_ns) return desktop_ns.error();
  return where_bridge_lives(net, [&]() -> Status {
    auto sock = RtnlSocket::open();
    if (!sock) return sock.error();
    if (auto st = delete_if_present(*sock, net.desktop_veth); !st) return st;
    auto bridge = ifindex_of(*sock, net.bridge);
    if (!bridge) return bridge.error();
    if (*bridge == 0) return make_error(net.bridge + " does not exist", ENODEV);
    auto veth = netlink::create_veth(net.desktop_veth, kDesktopInterface, desktop_ns->get());
    if (!veth) return veth.error();
    if (auto st = sock->execute_one(*veth); !st) return st;
    auto port = ifindex_of(*sock, net.desktop_veth);
    if (!port) return port.error();
    std::vector<netlink::Request> attach;
    attach.push_back(netlink::set_master(*port, net.desktop_veth, *bridge, net.bridge));
    attach.push_back(netlink::set_admin_up(*port, net.desktop_veth, true));
    if (auto st = execute_all(*sock, attach, ""); !st) return st;
    if (auto st = configure_desktop_side(desktop_ns->get(), net); !st) return st;
    if (auto fw = allow_desktop(net); !fw) return fw.error();
    return {};
  });
}

}  // namespace hydra::session
