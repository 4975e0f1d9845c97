#include "net/bridge_snapshot.hpp"

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

Result<std::vector<uint8_t>> mac_field(const json& j, const char* key) {
  auto mac = netlink::parse_mac(j.at(key).get<std::string>());
  if (!mac) return make_error(std::string("field \"") + key + "\" is not a MAC address", EINVAL);
  return *mac;
}

}  // namespace

Result<BridgeSnapshot> snapshot_from_json(const json& j) {
  try {
    if (j.at("version").get<int>() != 1) return make_error("unsupported snapshot version", EINVAL);
    BridgeSnapshot s;
    s.name = j.at("name").get<std::string>();
    if (auto st = netlink::validate_ifname(s.name); !st) return st.error();
    s.ifindex = j.at("ifindex").get<int>();
    auto mac = mac_field(j, "mac");
    if (!mac) return mac.error();
    s.mac = *mac;
    s.mtu = j.at("mtu").get<uint32_t>();
    s.group = j.contains("group") ? j.at("group").get<uint32_t>() : 0;  // older snapshots have none
    s.admin_up = j.at("admin_up").get<bool>();
    auto opts = attrs_from_json(j.at("options"), netlink::bridge_option_specs());
    if (!opts) return make_error("options: " + opts.error().message, EINVAL);
    s.options = *opts;
    for (const auto& ja : j.at("addresses")) {
      auto a = addr_from_json(ja);
      if (!a) return a.error();
      a->ifindex = s.ifindex;
      s.addresses.push_back(*a);
    }
    for (const auto& jp : j.at("ports")) {
      PortRecord p;
      p.ifindex = jp.at("ifindex").get<int>();
      p.name = jp.at("name").get<std::string>();
      auto pmac = mac_field(jp, "mac");
      if (!pmac) return pmac.error();
      p.mac = *pmac;
      p.kind = jp.at("kind").get<std::string>();
      p.peer_ifindex = jp.at("peer_ifindex").get<int>();
      if (!jp.at("peer_netnsid").is_null()) p.peer_netnsid = jp.at("peer_netnsid").get<int32_t>();
      auto flags = attrs_from_json(jp.at("flags"), netlink::port_flag_specs());
      if (!flags) return make_error("port " + p.name + ": " + flags.error().message, EINVAL);
      p.flags = *flags;
      s.ports.push_back(std::move(p));
    }
    if (j.contains("extras")) {  // absent in snapshots written before hydra recorded them
      auto extras = extras_from_json(j.at("extras"));
      if (!extras) return make_error("extras: " + extras.error().message, EINVAL);
      s.extras = std::move(*extras);
    }
    return s;
  } catch (const json::exception& e) {
    return make_error(std::string("bad snapshot: ") + e.what(), EINVAL);
  }
}

}  // namespace hydra::net
