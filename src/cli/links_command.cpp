// SPDX-License-Identifier: Apache-2.0
#include "cli/links_command.hpp"

#include <fmt/format.h>

#include <ostream>

#include "cli/table.hpp"
#include "net/link_view.hpp"
#include "netlink/dump.hpp"

namespace hydra::cli {

namespace {

std::string state_of(const net::LinkInfo& l) {
  if (!l.admin_up()) return "DOWN";
  return l.operstate_name();
}

std::string peer_of(const net::LinkInfo& l) {
  if (l.kind != "veth" || !l.peer_ifindex) return "-";
  std::string s = "if" + std::to_string(l.peer_ifindex);
  if (l.link_netnsid) s += " netnsid " + std::to_string(*l.link_netnsid);
  return s;
}

}  // namespace

int run_links(bool json, std::ostream& out, std::ostream& err) {
  auto sock = netlink::RtnlSocket::open();
  if (!sock) {
    err << "hydractl: " << sock.error().text() << "\n";
    return 1;
  }
  auto links = netlink::dump_links(*sock);
  if (!links) {
    err << "hydractl: " << links.error().text() << "\n";
    return 1;
  }
  auto addrs = netlink::dump_addrs(*sock);
  if (!addrs) {
    err << "hydractl: " << addrs.error().text() << "\n";
    return 1;
  }
  for (auto& l : *links) l.addr_assign_type = netlink::read_addr_assign_type(l.name, l.ifindex);
  net::LinkTable table;
  table.reset(std::move(*links), std::move(*addrs));
  if (json) {
    out << net::links_to_json(table).dump(2) << "\n";
    return 0;
  }
  Table t({"NAME", "INDEX", "KIND", "MASTER", "STATE", "MTU", "MAC", "ADDRESSES", "PEER"});
  for (const auto& [_, l] : table.links()) {
    std::string master = "-";
    if (l.master) {
      const auto* m = table.find(l.master);
      master = m ? m->name : "if" + std::to_string(l.master);
    }
    std::string addresses;
    for (const auto& a : table.addresses_of(l.ifindex)) addresses += (addresses.empty() ? "" : " ") + a.cidr();
    t.add({l.name, std::to_string(l.ifindex), l.kind.empty() ? "-" : l.kind, master, state_of(l),
           std::to_string(l.mtu), netlink::format_mac(l.mac), addresses.empty() ? "-" : addresses, peer_of(l)});
  }
  t.print(out);
  return 0;
}

}  // namespace hydra::cli
