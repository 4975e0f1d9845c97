// SPDX-License-Identifier: Apache-2.0
#include "session/network/plan_check.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <map>

#include "netlink/dump.hpp"
#include "netlink/route_neigh.hpp"

namespace hydra::session {

Result<std::vector<SandboxRoute>> sandbox_routes() {
  auto sock = netlink::RtnlSocket::open();
  if (!sock) return sock.error();
  auto links = netlink::dump_links(*sock);
  if (!links) return links.error();
  std::map<int, std::string> names;
  for (const auto& l : *links) names[l.ifindex] = l.name;
  auto routes = netlink::dump_routes(*sock, AF_INET);
  if (!routes) return routes.error();
  std::vector<SandboxRoute> out;
  for (const auto& r : *routes) {
    if (r.table != RT_TABLE_MAIN || r.type != RTN_UNICAST || !r.dst) continue;
    SandboxRoute sr;
    sr.dst.prefix = r.dst_len;
    const auto& b = r.dst->bytes;
    sr.dst.base = (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) | (uint32_t{b[2]} << 8) | b[3];
    sr.dst.base &= ~sr.dst.host_mask();
    sr.dev = names.count(r.oif) ? names[r.oif] : "";
    out.push_back(sr);
  }
  return out;
}

Status check_plan_against_sandbox(const AddressPlan& plan) {
  auto routes = sandbox_routes();
  if (!routes) return make_error("read the sandbox's routes to check the address plan: " + routes.error().text(),
                                 routes.error().code);
  if (auto conflict = plan_conflict(plan, *routes)) return make_error("sessions." + *conflict, EINVAL);
  return {};
}

}  // namespace hydra::session
