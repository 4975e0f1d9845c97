// SPDX-License-Identifier: Apache-2.0
#include "session/session_network.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netlink/addr_requests.hpp"
#include "netlink/dump.hpp"
#include "netlink/link_requests.hpp"
#include "netlink/netns.hpp"
#include "netlink/route_requests.hpp"
#include "session/desktop_firewall.hpp"

namespace hydra::session {

namespace {

Result<netlink::RtnlSocket> open_socket() { return netlink::RtnlSocket::open(); }

// ifindex of a link by name in the socket's namespace, 0 when absent.
Result<int> ifindex_of(netlink::RtnlSocket& sock, const std::string& name) {
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

Status delete_if_present(netlink::RtnlSocket& sock, const std::string& name) {
  auto idx = ifindex_of(sock, name);
  if (!idx) return idx.error();
  if (*idx == 0) return {};
  auto st = sock.execute_one(netlink::delete_link(*idx, name));
  if (!st && st.error().code != ENODEV) return st;
  return {};
}

Status enable_forwarding() {
  int fd = ::open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("enable IPv4 forwarding");
  bool ok = ::write(fd, "1\n", 2) == 2;
  ::close(fd);
  if (!ok) return errno_error("enable IPv4 forwarding");
  return {};
}

// eth1 inside the desktop: address, up, the route to the session's pools.
// The switch returns this thread to the sandbox when it goes out of scope.
Status configure_desktop_side(int desktop_ns_fd, const SessionNet& net) {
  auto inside = netlink::NetnsSwitch::enter(desktop_ns_fd);
  if (!inside) return inside.error();
  auto dsock = open_socket();
  if (!dsock) return dsock.error();
  auto eth1 = ifindex_of(*dsock, "eth1");
  if (!eth1) return eth1.error();
  if (*eth1 == 0) return make_error("eth1 did not appear in the desktop's namespace", ENODEV);
  std::vector<netlink::Request> setup;
  setup.push_back(netlink::add_address(v4(*eth1, net.desktop_ip, 24), "eth1"));
  setup.push_back(netlink::set_admin_up(*eth1, "eth1", true));
  setup.push_back(netlink::add_route_v4(*netlink::IpAddr::parse("10.112.0.0"), 12,
                                        *netlink::IpAddr::parse(net.gateway), *eth1, "eth1"));
  auto acks = dsock->execute(setup);
  if (!acks) return acks.error();
  for (size_t i = 0; i < acks->size(); ++i)
    if (!(*acks)[i].ok()) return netlink::ack_error(setup[i].what() + " in the desktop", (*acks)[i]);
  return {};
}

}  // namespace

Status create_session_bridge(const SessionNet& net) {
  auto sock = open_socket();
  if (!sock) return sock.error();
  if (auto st = delete_if_present(*sock, net.bridge); !st) return st;
  netlink::BridgeSpec spec;
  spec.name = net.bridge;
  auto req = netlink::create_bridge(spec);
  if (!req) return req.error();
  if (auto st = sock->execute_one(*req); !st) return st;
  auto idx = ifindex_of(*sock, net.bridge);
  if (!idx) return idx.error();
  if (auto st = sock->execute_one(netlink::add_address(v4(*idx, net.gateway, 24), net.bridge)); !st) return st;
  return enable_forwarding();
}

Status delete_session_network(const SessionNet& net) {
  if (auto st = revoke_desktop(net); !st) return st;
  auto sock = open_socket();
  if (!sock) return sock.error();
  if (auto st = delete_if_present(*sock, net.desktop_veth); !st) return st;
  return delete_if_present(*sock, net.bridge);
}

bool desktop_bridged(const SessionNet& net) {
  auto sock = open_socket();
  if (!sock) return false;
  auto idx = ifindex_of(*sock, net.desktop_veth);
  return idx && *idx != 0;
}

Status unbridge_desktop(const SessionNet& net) {
  if (auto st = revoke_desktop(net); !st) return st;
  auto sock = open_socket();
  if (!sock) return sock.error();
  return delete_if_present(*sock, net.desktop_veth);
}

Status bridge_desktop(const SessionNet& net, pid_t desktop_pid) {
  auto sock = open_socket();
  if (!sock) return sock.error();
  if (auto st = delete_if_present(*sock, net.desktop_veth); !st) return st;
  auto bridge = ifindex_of(*sock, net.bridge);
  if (!bridge) return bridge.error();
  if (*bridge == 0) return make_error(net.bridge + " does not exist", ENODEV);
  auto desktop_ns = netlink::open_netns_of_pid(desktop_pid);
  if (!desktop_ns) return desktop_ns.error();
  auto veth = netlink::create_veth(net.desktop_veth, "eth1", desktop_ns->get());
  if (!veth) return veth.error();
  if (auto st = sock->execute_one(*veth); !st) return st;
  auto port = ifindex_of(*sock, net.desktop_veth);
  if (!port) return port.error();
  std::vector<netlink::Request> attach;
  attach.push_back(netlink::set_master(*port, net.desktop_veth, *bridge, net.bridge));
  attach.push_back(netlink::set_admin_up(*port, net.desktop_veth, true));
  auto acks = sock->execute(attach);
  if (!acks) return acks.error();
  for (size_t i = 0; i < acks->size(); ++i)
    if (!(*acks)[i].ok()) return netlink::ack_error(attach[i].what(), (*acks)[i]);

  if (auto st = configure_desktop_side(desktop_ns->get(), net); !st) return st;
  if (auto fw = allow_desktop(net); !fw) return fw.error();
  return {};
}

}  // namespace hydra::session
