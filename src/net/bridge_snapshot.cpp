// SPDX-License-Identifier: Apache-2.0
#include "net/bridge_snapshot.hpp"

#include "base/json_fields.hpp"

#include <algorithm>

#include "net/link_view.hpp"
#include "netlink/ifname.hpp"

namespace hydra::net {

using nlohmann::json;

const PortRecord* BridgeSnapshot::port(int ifindex) const {
  auto it = std::find_if(ports.begin(), ports.end(), [&](const PortRecord& p) { return p.ifindex == ifindex; });
  return it == ports.end() ? nullptr : &*it;
}

std::map<int, std::vector<uint8_t>> BridgeSnapshot::port_macs() const {
  std::map<int, std::vector<uint8_t>> out;
  for (const auto& p : ports) out[p.ifindex] = p.mac;
  return out;
}

PortRecord record_port(const LinkInfo& port) {
  PortRecord r;
  r.ifindex = port.ifindex;
  r.name = port.name;
  r.mac = port.mac;
  r.kind = port.kind;
  r.peer_ifindex = port.peer_ifindex;
  r.peer_netnsid = port.link_netnsid;
  if (port.port) r.flags = *port.port;
  return r;
}

BridgeSnapshot snapshot_bridge(const LinkInfo& bridge, const LinkTable& table) {
  BridgeSnapshot s;
  s.name = bridge.name;
  s.ifindex = bridge.ifindex;
  s.mac = bridge.mac;
  s.mtu = bridge.mtu;
  s.group = bridge.group;
  s.admin_up = bridge.admin_up();
  s.addresses = table.addresses_of(bridge.ifindex);
  if (bridge.bridge) s.options = *bridge.bridge;
  for (const LinkInfo* p : table.ports_of(bridge.ifindex)) s.ports.push_back(record_port(*p));
  std::sort(s.ports.begin(), s.ports.end(), [](const auto& a, const auto& b) { return a.ifindex < b.ifindex; });
  return s;
}

json snapshot_to_json(const BridgeSnapshot& s) {
  json addrs = json::array();
  for (const auto& a : s.addresses) addrs.push_back(addr_to_json(a));
  json ports = json::array();
  for (const auto& p : s.ports) {
    json jp{{"ifindex", p.ifindex},
            {"name", p.name},
            {"mac", netlink::format_mac(p.mac)},
            {"kind", p.kind},
            {"peer_ifindex", p.peer_ifindex},
            {"peer_netnsid", p.peer_netnsid ? json(*p.peer_netnsid) : json(nullptr)},
            {"flags", attrs_to_json(p.flags, netlink::port_flag_specs())}};
    ports.push_back(jp);
  }
  return json{{"version", 1},
              {"name", s.name},
              {"ifindex", s.ifindex},
              {"mac", netlink::format_mac(s.mac)},
              {"mtu", s.mtu},
              {"group", s.group},
              {"admin_up", s.admin_up},
              {"options", attrs_to_json(s.options, netlink::bridge_option_specs())},
              {"addresses", addrs},
              {"ports", ports},
              {"extras", extras_to_json(s.extras)}};
}

namespace {

using json_fields::first_error;
using json_fields::read;

Result<std::vector<uint8_t>> mac_field(const json& j, const char* key) {
  std::string text;
  if (auto st = read(j, key, text, true); !st) return st.error();
  auto mac = netlink::parse_mac(text);
  if (!mac) return make_error(std::string("field \"") + key + "\" is not a MAC address", EINVAL);
  return *mac;
}

Result<PortRecord> port_from_json(const json& jp) {
  if (!jp.is_object()) return make_error("a port is not an object", EINVAL);
  PortRecord p;
  std::optional<int32_t> netnsid;
  if (auto st = first_error({read(jp, "ifindex", p.ifindex, true), read(jp, "name", p.name, true),
                             read(jp, "kind", p.kind, true), read(jp, "peer_ifindex", p.peer_ifindex, true),
                             read(jp, "peer_netnsid", netnsid)});
      !st)
    return make_error("port: " + st.error().message, EINVAL);
  p.peer_netnsid = netnsid;
  auto pmac = mac_field(jp, "mac");
  if (!pmac) return pmac.error();
  p.mac = *pmac;
  auto flags = jp.find("flags");
  if (flags == jp.end()) return make_error("port " + p.name + ": missing field \"flags\"", EINVAL);
  auto decoded = attrs_from_json(*flags, netlink::port_flag_specs());
  if (!decoded) return make_error("port " + p.name + ": " + decoded.error().message, EINVAL);
  p.flags = *decoded;
  return p;
}

}  // namespace

// Never throws: every field is read with its type checked (json_fields).
Result<BridgeSnapshot> snapshot_from_json(const json& j) {
  if (!j.is_object()) return make_error("a snapshot is a JSON object", EINVAL);
  int version = 0;
  if (auto st = read(j, "version", version, true); !st) return st.error();
  if (version != 1) return make_error("unsupported snapshot version", EINVAL);
  BridgeSnapshot s;
  if (auto st = first_error({read(j, "name", s.name, true), read(j, "ifindex", s.ifindex, true),
                             read(j, "mtu", s.mtu, true), read(j, "group", s.group),  // older snapshots have no group
                             read(j, "admin_up", s.admin_up, true)});
      !st)
    return st.error();
  if (auto st = netlink::validate_ifname(s.name); !st) return st.error();
  auto mac = mac_field(j, "mac");
  if (!mac) return mac.error();
  s.mac = *mac;
  auto options = j.find("options");
  if (options == j.end()) return make_error("missing field \"options\"", EINVAL);
  auto opts = attrs_from_json(*options, netlink::bridge_option_specs());
  if (!opts) return make_error("options: " + opts.error().message, EINVAL);
  s.options = *opts;
  auto addresses = j.find("addresses");
  auto ports = j.find("ports");
  if (addresses == j.end() || !addresses->is_array()) return make_error("field \"addresses\" must be an array", EINVAL);
  if (ports == j.end() || !ports->is_array()) return make_error("field \"ports\" must be an array", EINVAL);
  for (const auto& ja : *addresses) {
    auto a = addr_from_json(ja);
    if (!a) return a.error();
    a->ifindex = s.ifindex;
    s.addresses.push_back(*a);
  }
  for (const auto& jp : *ports) {
    auto p = port_from_json(jp);
    if (!p) return p.error();
    s.ports.push_back(std::move(*p));
  }
  if (auto extras = j.find("extras"); extras != j.end()) {  // absent in snapshots written before hydra recorded them
    auto decoded = extras_from_json(*extras);
    if (!decoded) return make_error("extras: " + decoded.error().message, EINVAL);
    s.extras = std::move(*decoded);
  }
  return s;
}

}  // namespace hydra::net
