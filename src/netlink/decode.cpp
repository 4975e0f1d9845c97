// SPDX-License-Identifier: Apache-2.0
#include "netlink/decode.hpp"

#include <arpa/inet.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "netlink/attr_tables.hpp"
#include "netlink/attr_walk.hpp"

namespace hydra::netlink {
namespace {

// Decodes a nest whose attributes are described by a spec table.
Status decode_table(const AttrView& nest, std::span<const AttrSpec> specs, AttrValues& out) {
  return walk_attrs(nest.payload, [&](const AttrView& a) -> Status {
    const AttrSpec* spec = find_spec(specs, a.type);
    if (!spec) return {};
    if (!a.fits(spec->width)) return attr_too_short(spec->name.data());
    uint64_t v = 0;
    switch (spec->width) {
      case 1: v = a.as<uint8_t>(); break;
      case 2: v = spec->network_order ? ntohs(a.as<uint16_t>()) : a.as<uint16_t>(); break;
      default: v = spec->network_order ? ntohl(a.as<uint32_t>()) : a.as<uint32_t>(); break;
    }
    out[spec->type] = v;
    return {};
  });
}

Status decode_linkinfo(const AttrView& nest, LinkInfo& link) {
  // IFLA_INFO_DATA is only meaningful once the kind is known, which may come
  // after it; remember the nests and decode them at the end.
  std::optional<AttrView> data, slave_data;
  auto st = walk_attrs(nest.payload, [&](const AttrView& a) -> Status {
    switch (a.type) {
      case IFLA_INFO_KIND:
        if (!a.as_string(link.kind)) return make_error("unterminated IFLA_INFO_KIND", EBADMSG);
        break;
      case IFLA_INFO_SLAVE_KIND:
        if (!a.as_string(link.slave_kind)) return make_error("unterminated IFLA_INFO_SLAVE_KIND", EBADMSG);
        break;
      case IFLA_INFO_DATA: data = a; break;
      case IFLA_INFO_SLAVE_DATA: slave_data = a; break;
      default: break;
    }
    return {};
  });
  if (!st) return st;
  if (data && link.kind == "bridge") {
    link.bridge.emplace();
    if (auto s = decode_table(*data, bridge_option_specs(), *link.bridge); !s) return s;
  }
  if (slave_data && link.slave_kind == "bridge") {
    link.port.emplace();
    if (auto s = decode_table(*slave_data, port_flag_specs(), *link.port); !s) return s;
  }
  return {};
}

}  // namespace

Result<LinkInfo> decode_link(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWLINK && nlh->nlmsg_type != RTM_DELLINK)
    return make_error("not a link message", EBADMSG);
  auto region = attr_region(nlh, sizeof(ifinfomsg));
  if (!region) return region.error();
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(nlh));
  LinkInfo link;
  link.ifindex = ifi->ifi_index;
  link.flags = ifi->ifi_flags;
  auto st = walk_attrs(*region, [&](const AttrView& a) -> Status {
    switch (a.type) {
      case IFLA_IFNAME:
        if (!a.as_string(link.name)) return make_error("unterminated IFLA_IFNAME", EBADMSG);
        break;
      case IFLA_GROUP: return read_int_attr(a, link.group, "IFLA_GROUP");
      case IFLA_ADDRESS:
        link.mac.assign(a.payload.begin(), a.payload.end());
        break;
      case IFLA_MTU: return read_int_attr(a, link.mtu, "IFLA_MTU");
      case IFLA_MASTER: {
        uint32_t v = 0;
        if (auto s = read_int_attr(a, v, "IFLA_MASTER"); !s) return s;
        link.master = static_cast<int>(v);
        break;
      }
      case IFLA_LINK: {
        uint32_t v = 0;
        if (auto s = read_int_attr(a, v, "IFLA_LINK"); !s) return s;
        link.peer_ifindex = static_cast<int>(v);
        break;
      }
      case IFLA_LINK_NETNSID: {
        uint32_t v = 0;
        if (auto s = read_int_attr(a, v, "IFLA_LINK_NETNSID"); !s) return s;
        link.link_netnsid = static_cast<int32_t>(v);
        break;
      }
      case IFLA_OPERSTATE:
        if (!a.fits(1)) return attr_too_short("IFLA_OPERSTATE");
        link.operstate = a.as<uint8_t>();
        break;
      case IFLA_LINKINFO: return decode_linkinfo(a, link);
      default: break;
    }
    return {};
  });
  if (!st) return st.error();
  if (link.name.empty() && nlh->nlmsg_type == RTM_NEWLINK)
    return make_error("link " + std::to_string(link.ifindex) + " without a name", EBADMSG);
  return link;
}

Result<AddrInfo> decode_addr(const nlmsghdr* nlh) {
  if (nlh->nlmsg_type != RTM_NEWADDR && nlh->nlmsg_type != RTM_DELADDR)
    return make_error("not an address message", EBADMSG);
  auto region = attr_region(nlh, sizeof(ifaddrmsg));
  if (!region) return region.error();
  const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(nlh));
  if (ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6)
    return make_error("address of unknown family " + std::to_string(ifa->ifa_family), EAFNOSUPPORT);
  AddrInfo addr;
  addr.family = ifa->ifa_family;
  addr.prefixlen = ifa->ifa_prefixlen;
  addr.flags = ifa->ifa_flags;
  addr.scope = ifa->ifa_scope;
  addr.ifindex = static_cast<int>(ifa->ifa_index);
  auto st = walk_attrs(*region, [&](const AttrView& a) -> Status {
    switch (a.type) {
      case IFA_LOCAL: return read_ip_attr(a, addr.family, addr.local, "address");
      case IFA_ADDRESS: return read_ip_attr(a, addr.family, addr.address, "address");
      case IFA_BROADCAST: return read_ip_attr(a, addr.family, addr.broadcast, "address");
      case IFA_LABEL:
        if (!a.as_string(addr.label)) return make_error("unterminated IFA_LABEL", EBADMSG);
        break;
      case IFA_FLAGS: return read_int_attr(a, addr.flags, "IFA_FLAGS");
      default: break;
    }
    return {};
  });
  if (!st) return st.error();
  if (!addr.address && !addr.local) return make_error("address message without an address", EBADMSG);
  return addr;
}

}  // namespace hydra::netlink
