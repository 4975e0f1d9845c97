// SPDX-License-Identifier: Apache-2.0
#include "netlink/route_neigh.hpp"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "netlink/attr_walk.hpp"

namespace hydra::netlink {
std::string RouteInfo::describe() const {
  std::string out = dst ? dst->to_string() + "/" + std::to_string(dst_len) : "default";
  if (gateway) out += " via " + gateway->to_string();
  if (table != RT_TABLE_MAIN) out += " table " + std::to_string(table);
  out += " proto " + std::to_string(protocol);
  if (priority) out += " metric " + std::to_string(*priority);
  return out;
}

std::string NeighInfo::describe() const {
  std::string out = family == AF_BRIDGE ? "fdb " + format_mac(lladdr) : dst ? dst->to_string() : "?";
  if (family != AF_BRIDGE) out += " lladdr " + format_mac(lladdr);
  if (vlan) out += " vlan " + std::to_string(*vlan);
  return out;
}

Result<RouteInfo> decode_route(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWROUTE && nlh->nlmsg_type != RTM_DELROUTE)
    return make_error("not a route message", EBADMSG);
  auto region = attr_region(nlh, sizeof(rtmsg));
  if (!region) return region.error();
  const auto* rtm = static_cast<const rtmsg*>(NLMSG_DATA(nlh));
  if (rtm->rtm_family != AF_INET && rtm->rtm_family != AF_INET6)
    return make_error("route of unknown family " + std::to_string(rtm->rtm_family), EAFNOSUPPORT);
  RouteInfo r;
  r.family = rtm->rtm_family;
  r.dst_len = rtm->rtm_dst_len;
  r.src_len = rtm->rtm_src_len;
  r.tos = rtm->rtm_tos;
  r.table = rtm->rtm_table;
  r.protocol = rtm->rtm_protocol;
  r.scope = rtm->rtm_scope;
  r.type = rtm->rtm_type;
  r.flags = rtm->rtm_flags;
  auto st = walk_attrs(*region, [&](const AttrView& a) -> Status {
    switch (a.type) {
      case RTA_DST: return read_ip_attr(a, r.family, r.dst, "RTA_DST");
      case RTA_SRC: return read_ip_attr(a, r.family, r.src, "RTA_SRC");
      case RTA_GATEWAY: return read_ip_attr(a, r.family, r.gateway, "RTA_GATEWAY");
      case RTA_PREFSRC: return read_ip_attr(a, r.family, r.prefsrc, "RTA_PREFSRC");
      case RTA_TABLE: return read_int_attr(a, r.table, "RTA_TABLE");
      case RTA_OIF: {
        uint32_t v = 0;
        if (auto s = read_int_attr(a, v, "RTA_OIF"); !s) return s;
        r.oif = static_cast<int>(v);
        return {};
      }
      case RTA_PRIORITY: {
        uint32_t v = 0;
        if (auto s = read_int_attr(a, v, "RTA_PRIORITY"); !s) return s;
        r.priority = v;
        return {};
      }
      case RTA_PREF: {
        uint8_t v = 0;
        if (auto s = read_int_attr(a, v, "RTA_PREF"); !s) return s;
        r.pref = v;
        return {};
      }
      case RTA_METRICS: r.metrics.assign(a.payload.begin(), a.payload.end()); return {};
      case RTA_MULTIPATH: r.multipath = true; return {};
      default: return {};
    }
  });
  if (!st) return st.error();
  return r;
}

Result<NeighInfo> decode_neigh(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWNEIGH && nlh->nlmsg_type != RTM_DELNEIGH)
    return make_error("not a neighbour message", EBADMSG);
  auto region = attr_region(nlh, sizeof(ndmsg));
  if (!region) return region.error();
  const auto* ndm = static_cast<const ndmsg*>(NLMSG_DATA(nlh));
  if (ndm->ndm_family != AF_INET && ndm->ndm_family != AF_INET6 && ndm->ndm_family != AF_BRIDGE)
    return make_error("neighbour of unknown family " + std::to_string(ndm->ndm_family), EAFNOSUPPORT);
  NeighInfo n;
  n.family = ndm->ndm_family;
  n.ifindex = ndm->ndm_ifindex;
  n.state = ndm->ndm_state;
  n.flags = ndm->ndm_flags;
  auto st = walk_attrs(*region, [&](const AttrView& a) -> Status {
    switch (a.type) {
      case NDA_DST:
        if (n.family == AF_BRIDGE) return {};  // a VXLAN remote, not ours
        return read_ip_attr(a, n.family, n.dst, "NDA_DST");
      case NDA_LLADDR: n.lladdr.assign(a.payload.begin(), a.payload.end()); return {};
      case NDA_MASTER: {
        uint32_t v = 0;
        if (auto s = read_int_attr(a, v, "NDA_MASTER"); !s) return s;
        n.master = static_cast<int>(v);
        return {};
      }
      case NDA_VLAN: {
        uint16_t v = 0;
        if (auto s = read_int_attr(a, v, "NDA_VLAN"); !s) return s;
        n.vlan = v;
        return {};
      }
      default: return {};
    }
  });
  if (!st) return st.error();
  return n;
}

Request add_route(const RouteInfo& route, int oif, const std::string& ifname) {
  Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, "add route " + route.describe() + " dev " + ifname);
  auto* rtm = r.put_extra_header<rtmsg>();
  rtm->rtm_family = route.family;
  rtm->rtm_dst_len = route.dst_len;
  rtm->rtm_src_len = route.src_len;
  rtm->rtm_tos = route.tos;
  rtm->rtm_table = route.table < 256 ? static_cast<uint8_t>(route.table) : uint8_t{RT_TABLE_UNSPEC};
  rtm->rtm_protocol = route.protocol;
  rtm->rtm_scope = route.scope;
  rtm->rtm_type = route.type;
  rtm->rtm_flags = route.flags & RTNH_F_ONLINK;  // the only flag a request sets
  r.put_u32(RTA_TABLE, route.table);
  if (route.dst) r.put(RTA_DST, route.dst->bytes.data(), route.dst->size());
  if (route.src) r.put(RTA_SRC, route.src->bytes.data(), route.src->size());
  if (route.gateway) r.put(RTA_GATEWAY, route.gateway->bytes.data(), route.gateway->size());
  if (route.prefsrc) r.put(RTA_PREFSRC, route.prefsrc->bytes.data(), route.prefsrc->size());
  r.put_u32(RTA_OIF, static_cast<uint32_t>(oif));
  if (route.priority) r.put_u32(RTA_PRIORITY, *route.priority);
  if (route.pref) r.put_u8(RTA_PREF, *route.pref);
  if (!route.metrics.empty()) r.put(RTA_METRICS | NLA_F_NESTED, route.metrics.data(), route.metrics.size());
  return r;
}

Request add_neigh(const NeighInfo& neigh, int ifindex, bool on_bridge_itself, const std::string& ifname) {
  Request r(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE, "add " + std::string(neigh.family == AF_BRIDGE ? "" : "neighbour ") +
                                                             neigh.describe() + " dev " + ifname);
  auto* ndm = r.put_extra_header<ndmsg>();
  ndm->ndm_family = neigh.family;
  ndm->ndm_ifindex = ifindex;
  ndm->ndm_state = neigh.state;
  if (neigh.family == AF_BRIDGE) ndm->ndm_flags = on_bridge_itself ? NTF_SELF : NTF_MASTER;
  if (neigh.dst) r.put(NDA_DST, neigh.dst->bytes.data(), neigh.dst->size());
  if (!neigh.lladdr.empty()) r.put(NDA_LLADDR, neigh.lladdr.data(), neigh.lladdr.size());
  if (neigh.vlan) r.put_u16(NDA_VLAN, *neigh.vlan);
  return r;
}

}  // namespace hydra::netlink
