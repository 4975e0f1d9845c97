// SPDX-License-Identifier: Apache-2.0
#include "net/link_view.hpp"

#include "base/json_fields.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace hydra::net {

using nlohmann::json;

json attrs_to_json(const netlink::AttrValues& values, std::span<const netlink::AttrSpec> specs) {
  json j = json::object();
  for (const auto& [type, v] : values)
    if (const auto* spec = netlink::find_spec(specs, type)) j[std::string(spec->name)] = v;
  return j;
}

Result<netlink::AttrValues> attrs_from_json(const json& j, std::span<const netlink::AttrSpec> specs) {
  if (!j.is_object()) return make_error("expected an object of attributes", EINVAL);
  netlink::AttrValues out;
  for (const auto& [name, v] : j.items()) {
    const auto* spec = netlink::find_spec(specs, name);
    if (!spec) return make_error("unknown attribute \"" + name + "\"", EINVAL);
    auto n = json_fields::as_u64(v);
    if (!n) return make_error("attribute \"" + name + "\" is not an unsigned number", EINVAL);
    out[spec->type] = *n;
  }
  return out;
}

namespace {

const char* scope_name(uint8_t scope) {
  switch (scope) {
    case RT_SCOPE_UNIVERSE: return "global";
    case RT_SCOPE_SITE: return "site";
    case RT_SCOPE_LINK: return "link";
    case RT_SCOPE_HOST: return "host";
    default: return "other";
  }
}

}  // namespace

json addr_to_json(const AddrInfo& a) {
  json j{{"family", a.family == AF_INET ? "inet" : "inet6"},
         {"address", a.primary().to_string()},
         {"prefixlen", a.prefixlen},
         {"cidr", a.cidr()},
         {"scope", scope_name(a.scope)},
         {"scope_id", a.scope},
         {"flags", a.flags}};
  if (a.local) j["local"] = a.local->to_string();
  if (a.address) j["peer"] = a.address->to_string();
  if (a.broadcast) j["broadcast"] = a.broadcast->to_string();
  if (!a.label.empty()) j["label"] = a.label;
  return j;
}

Result<AddrInfo> addr_from_json(const json& j) {
  using json_fields::read;
  if (!j.is_object()) return make_error("an address record is a JSON object", EINVAL);
  AddrInfo a;
  std::string fam;
  if (auto st = json_fields::first_error({read(j, "family", fam, true), read(j, "prefixlen", a.prefixlen, true),
                                          read(j, "scope_id", a.scope), read(j, "flags", a.flags),
                                          read(j, "label", a.label)});
      !st)
    return make_error("address: " + st.error().message, EINVAL);
  if (fam != "inet" && fam != "inet6") return make_error("unknown address family \"" + fam + "\"", EINVAL);
  a.family = fam == "inet" ? AF_INET : AF_INET6;
  if (a.prefixlen > (a.family == AF_INET ? 32 : 128)) return make_error("address prefix length out of range", EINVAL);
  auto parse = [&](const char* key, std::optional<netlink::IpAddr>& out) -> Status {
    std::optional<std::string> text;
    if (auto st = read(j, key, text); !st) return st;
    if (!text) return {};
    auto ip = netlink::IpAddr::parse(*text);
    if (!ip || ip->family != a.family) return make_error(std::string("bad ") + key + " address", EINVAL);
    out = *ip;
    return {};
  };
  if (auto s = parse("local", a.local); !s) return s.error();
  if (auto s = parse("peer", a.address); !s) return s.error();
  if (auto s = parse("broadcast", a.broadcast); !s) return s.error();
  if (!a.local && !a.address) {
    std::optional<netlink::IpAddr> primary;
    if (auto s = parse("address", primary); !s) return s.error();
    if (!primary) return make_error("address without \"address\"", EINVAL);
    a.address = primary;
    if (a.family == AF_INET) a.local = primary;
  }
  return a;
}

json link_to_json(const LinkInfo& l, const LinkTable& table) {
  json j{{"name", l.name},
         {"ifindex", l.ifindex},
         {"kind", l.kind},
         {"mac", netlink::format_mac(l.mac)},
         {"mtu", l.mtu},
         {"admin_up", l.admin_up()},
         {"lower_up", l.lower_up()},
         {"operstate", l.operstate_name()}};
  j["addr_assign_type"] = l.addr_assign_type ? json(*l.addr_assign_type) : json(nullptr);
  j["master"] = nullptr;
  if (l.master) {
    const LinkInfo* m = table.find(l.master);
    j["master"] = m ? m->name : std::to_string(l.master);
  }
  j["peer"] = nullptr;
  if (l.kind == "veth" && l.peer_ifindex) {
    json peer{{"ifindex", l.peer_ifindex}, {"netnsid", nullptr}};
    if (l.link_netnsid) peer["netnsid"] = *l.link_netnsid;
    j["peer"] = peer;
  }
  json addrs = json::array();
  for (const auto& a : table.addresses_of(l.ifindex)) addrs.push_back(addr_to_json(a));
  j["addresses"] = addrs;
  if (l.bridge) j["bridge"] = attrs_to_json(*l.bridge, netlink::bridge_option_specs());
  if (l.port) j["bridge_port"] = attrs_to_json(*l.port, netlink::port_flag_specs());
  return j;
}

json links_to_json(const LinkTable& table) {
  json arr = json::array();
  for (const auto& [_, l] : table.links()) arr.push_back(link_to_json(l, table));
  return arr;
}

}  // namespace hydra::net
