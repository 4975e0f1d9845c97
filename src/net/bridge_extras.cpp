// SPDX-License-Identifier: Apache-2.0
#include "net/bridge_extras.hpp"

#include "base/json_fields.hpp"

#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <algorithm>

namespace hydra::net {

using netlink::IpAddr;
using netlink::NeighInfo;
using netlink::RouteInfo;
using nlohmann::json;

const std::vector<std::string>& recorded_sysctls() {
  static const std::vector<std::string> names{
      "ipv4.forwarding", "ipv4.rp_filter",    "ipv4.route_localnet", "ipv4.arp_notify",
      "ipv4.proxy_arp",  "ipv6.accept_ra",    "ipv6.disable_ipv6",   "ipv6.forwarding"};
  return names;
}

bool keep_route(const RouteInfo& r, int bridge_ifindex) {
  if (r.oif != bridge_ifindex || r.multipath || (r.flags & RTM_F_CLONED)) return false;
  return r.protocol != RTPROT_KERNEL && r.protocol != RTPROT_REDIRECT && r.protocol != RTPROT_RA;
}

bool keep_neighbour(const NeighInfo& n, int bridge_ifindex) {
  return (n.family == AF_INET || n.family == AF_INET6) && n.ifindex == bridge_ifindex && n.dst &&
         (n.state & NUD_PERMANENT) && !n.lladdr.empty();
}

bool keep_fdb(const NeighInfo& n, int bridge_ifindex, const std::vector<uint8_t>& bridge_mac,
              const std::map<int, std::vector<uint8_t>>& port_macs) {
  if (n.family != AF_BRIDGE || n.master != bridge_ifindex || n.lladdr.size() != 6) return false;
  if (n.lladdr[0] & 1) return false;  // multicast: the device's own list, or mdb
  if (!(n.state & (NUD_PERMANENT | NUD_NOARP))) return false;
  if (n.flags & (NTF_EXT_LEARNED | NTF_OFFLOADED)) return false;
  if (n.ifindex == bridge_ifindex) return n.lladdr != bridge_mac;  // the bridge's own entry is the kernel's
  auto port = port_macs.find(n.ifindex);
  return port != port_macs.end() && n.lladdr != port->second;  // a port's own MAC: added with the port
}

bool same_route(const RouteInfo& a, const RouteInfo& b) {
  return a.family == b.family && a.table == b.table && a.dst == b.dst && a.dst_len == b.dst_len && a.src == b.src &&
         a.src_len == b.src_len && a.tos == b.tos && a.priority.value_or(0) == b.priority.value_or(0) &&
         a.type == b.type;
}

bool same_neighbour(const NeighInfo& a, const NeighInfo& b) {
  if (a.family != b.family || a.ifindex != b.ifindex) return false;
  if (a.family == AF_BRIDGE) return a.lladdr == b.lladdr && a.vlan == b.vlan;
  return a.dst == b.dst;
}

namespace {

template <class T, class Same>
bool upsert(std::vector<T>& list, const T& item, Same same) {
  auto it = std::find_if(list.begin(), list.end(), [&](const T& x) { return same(x, item); });
  if (it == list.end()) {
    list.push_back(item);
    return true;
  }
  if (*it == item) return false;
  *it = item;
  return true;
}

std::string hex(const std::vector<uint8_t>& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

Result<std::vector<uint8_t>> unhex(const std::string& text) {
  if (text.size() % 2) return make_error("odd-length hex string", EINVAL);
  std::vector<uint8_t> out;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < text.size(); i += 2) {
    int hi = nibble(text[i]), lo = nibble(text[i + 1]);
    if (hi < 0 || lo < 0) return make_error("bad hex string", EINVAL);
    out.push_back(static_cast<uint8_t>(hi * 16 + lo));
  }
  return out;
}

json ip_json(const std::optional<IpAddr>& ip) { return ip ? json(ip->to_string()) : json(nullptr); }

Result<std::optional<IpAddr>> ip_field(const json& j, const char* key, uint8_t family) {
  std::optional<std::string> text;
  if (auto st = json_fields::read(j, key, text); !st) return st.error();
  if (!text) return std::optional<IpAddr>();
  auto ip = IpAddr::parse(*text);
  if (!ip || ip->family != family) return make_error(std::string("field \"") + key + "\" is not an address of its family", EINVAL);
  return std::optional<IpAddr>(*ip);
}

uint8_t family_of(const std::string& name) {
  if (name == "inet") return AF_INET;
  if (name == "inet6") return AF_INET6;
  if (name == "bridge") return AF_BRIDGE;
  return 0;
}

std::string family_name(uint8_t f) { return f == AF_INET ? "inet" : f == AF_INET6 ? "inet6" : "bridge"; }

}  // namespace

bool upsert_route(std::vector<RouteInfo>& list, const RouteInfo& item) { return upsert(list, item, same_route); }
bool upsert_neighbour(std::vector<NeighInfo>& list, const NeighInfo& item) { return upsert(list, item, same_neighbour); }

BridgeExtras select_extras(int bridge_ifindex, const std::vector<uint8_t>& bridge_mac,
                           const std::map<int, std::vector<uint8_t>>& port_macs, const std::vector<RouteInfo>& routes,
                           const std::vector<NeighInfo>& neighbours, const std::vector<NeighInfo>& fdb) {
  BridgeExtras e;
  for (const auto& r : routes)
    if (keep_route(r, bridge_ifindex)) e.routes.push_back(r);
  for (const auto& n : neighbours)
    if (keep_neighbour(n, bridge_ifindex)) e.neighbours.push_back(n);
  for (const auto& n : fdb)
    if (keep_fdb(n, bridge_ifindex, bridge_mac, port_macs)) e.fdb.push_back(n);
  return e;
}

void move_extras(BridgeExtras& e, int old_ifindex, int new_ifindex) {
  for (auto& r : e.routes)
    if (r.oif == old_ifindex) r.oif = new_ifindex;
  for (auto& n : e.neighbours)
    if (n.ifindex == old_ifindex) n.ifindex = new_ifindex;
  for (auto& n : e.fdb) {
    if (n.ifindex == old_ifindex) n.ifindex = new_ifindex;
    if (n.master == old_ifindex) n.master = new_ifindex;
  }
}

json extras_to_json(const BridgeExtras& e) {
  json routes = json::array();
  for (const auto& r : e.routes)
    routes.push_back({{"family", family_name(r.family)}, {"dst", ip_json(r.dst)},     {"dst_len", r.dst_len},
                      {"src", ip_json(r.src)},           {"src_len", r.src_len},      {"gateway", ip_json(r.gateway)},
                      {"prefsrc", ip_json(r.prefsrc)},   {"table", r.table},          {"protocol", r.protocol},
                      {"scope", r.scope},                {"type", r.type},            {"tos", r.tos},
                      {"flags", r.flags},                {"oif", r.oif},
                      {"priority", r.priority ? json(*r.priority) : json(nullptr)},
                      {"pref", r.pref ? json(*r.pref) : json(nullptr)},
                      {"metrics", hex(r.metrics)},       {"text", r.describe()}});
  auto neigh_json = [](const NeighInfo& n) {
    return json{{"family", family_name(n.family)}, {"ifindex", n.ifindex},  {"dst", ip_json(n.dst)},
                {"lladdr", netlink::format_mac(n.lladdr)}, {"state", n.state}, {"flags", n.flags},
                {"master", n.master},              {"vlan", n.vlan ? json(*n.vlan) : json(nullptr)}};
  };
  json neighbours = json::array(), fdb = json::array();
  for (const auto& n : e.neighbours) neighbours.push_back(neigh_json(n));
  for (const auto& n : e.fdb) fdb.push_back(neigh_json(n));
  return json{{"routes", routes}, {"sysctls", e.sysctls}, {"neighbours", neighbours}, {"fdb", fdb}};
}

namespace {

using json_fields::first_error;
using json_fields::read;

Result<RouteInfo> route_from_json(const json& jr) {
  if (!jr.is_object()) return make_error("a route is not an object", EINVAL);
  RouteInfo r;
  std::string family, metrics;
  if (auto st = first_error({read(jr, "family", family, true), read(jr, "dst_len", r.dst_len, true),
                             read(jr, "src_len", r.src_len, true), read(jr, "table", r.table, true),
                             read(jr, "protocol", r.protocol, true), read(jr, "scope", r.scope, true),
                             read(jr, "type", r.type, true), read(jr, "tos", r.tos, true),
                             read(jr, "flags", r.flags, true), read(jr, "oif", r.oif, true),
                             read(jr, "priority", r.priority), read(jr, "pref", r.pref),
                             read(jr, "metrics", metrics, true)});
      !st)
    return make_error("route: " + st.error().message, EINVAL);
  r.family = family_of(family);
  if (r.family != AF_INET && r.family != AF_INET6) return make_error("route of unknown family", EINVAL);
  for (auto [key, field] : {std::pair{"dst", &r.dst}, {"src", &r.src}, {"gateway", &r.gateway}, {"prefsrc", &r.prefsrc}}) {
    auto ip = ip_field(jr, key, r.family);
    if (!ip) return ip.error();
    *field = *ip;
  }
  auto bytes = unhex(metrics);
  if (!bytes) return make_error("route metrics: " + bytes.error().message, EINVAL);
  r.metrics = *bytes;
  return r;
}

Result<NeighInfo> neighbour_from_json(const json& jn) {
  if (!jn.is_object()) return make_error("a neighbour entry is not an object", EINVAL);
  NeighInfo n;
  std::string family, lladdr;
  if (auto st = first_error({read(jn, "family", family, true), read(jn, "ifindex", n.ifindex, true),
                             read(jn, "lladdr", lladdr, true), read(jn, "state", n.state, true),
                             read(jn, "flags", n.flags, true), read(jn, "master", n.master, true),
                             read(jn, "vlan", n.vlan)});
      !st)
    return make_error("neighbour: " + st.error().message, EINVAL);
  n.family = family_of(family);
  if (!n.family) return make_error("neighbour of unknown family", EINVAL);
  if (n.family != AF_BRIDGE) {
    auto ip = ip_field(jn, "dst", n.family);
    if (!ip) return ip.error();
    n.dst = *ip;
  }
  auto mac = netlink::parse_mac(lladdr);
  if (!mac) return make_error("neighbour lladdr is not a MAC address", EINVAL);
  n.lladdr = *mac;
  return n;
}

}  // namespace

// Never throws: every field is read with its type checked (json_fields).
Result<BridgeExtras> extras_from_json(const json& j) {
  if (!j.is_object()) return make_error("extras must be an object", EINVAL);
  BridgeExtras e;
  auto list = [&](const char* key) -> Result<const json*> {
    auto it = j.find(key);
    if (it == j.end()) return static_cast<const json*>(nullptr);
    if (!it->is_array()) return make_error(std::string("field \"") + key + "\" must be an array", EINVAL);
    return &*it;
  };
  auto routes = list("routes");
  if (!routes) return routes.error();
  if (*routes)
    for (const auto& jr : **routes) {
      auto r = route_from_json(jr);
      if (!r) return r.error();
      e.routes.push_back(std::move(*r));
    }
  if (auto sysctls = j.find("sysctls"); sysctls != j.end()) {
    if (!sysctls->is_object()) return make_error("field \"sysctls\" must be an object", EINVAL);
    for (const auto& [k, v] : sysctls->items()) {
      if (std::find(recorded_sysctls().begin(), recorded_sysctls().end(), k) == recorded_sysctls().end())
        return make_error("unknown sysctl \"" + k + "\"", EINVAL);
      auto text = json_fields::as_string(v);
      if (!text) return make_error("sysctl \"" + k + "\" must be a string", EINVAL);
      e.sysctls[k] = std::move(*text);
    }
  }
  for (const char* name : {"neighbours", "fdb"}) {
    auto entries = list(name);
    if (!entries) return entries.error();
    if (!*entries) continue;
    for (const auto& jn : **entries) {
      auto n = neighbour_from_json(jn);
      if (!n) return n.error();
      (std::string(name) == "fdb" ? e.fdb : e.neighbours).push_back(std::move(*n));
    }
  }
  return e;
}

}  // namespace hydra::net
