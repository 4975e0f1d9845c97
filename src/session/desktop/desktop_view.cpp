// SPDX-License-Identifier: Apache-2.0
#include "session/desktop/desktop_view.hpp"

#include <algorithm>
#include <map>
#include <sstream>

namespace hydra::session {

namespace {

bool dns_name(const std::string& n) {
  if (n.empty() || n.size() > 253 || n.front() == '.' || n.back() == '.' || n.front() == '-') return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_';
  });
}

}  // namespace

DesktopView desktop_view(const std::vector<docker::ContainerNetworking>& containers) {
  std::set<NameRecord> names;
  std::map<std::pair<std::string, uint16_t>, std::string> ports;
  for (const auto& c : containers) {
    if (!c.running) continue;
    for (const auto& a : c.networks) {
      std::vector<std::string> own{c.name};
      if (!c.compose_service.empty()) own.push_back(c.compose_service);
      own.insert(own.end(), a.aliases.begin(), a.aliases.end());
      for (const auto& n : own)
        for (const auto& name : {n, n + "." + a.network})
          for (const auto& addr : {a.ipv4, a.ipv6})
            if (!addr.empty() && dns_name(name)) names.insert({name, addr});
    }
    for (const auto& p : c.ports) ports.emplace(std::make_pair(p.proto, p.host_port), c.name);
  }
  DesktopView v;
  v.names.assign(names.begin(), names.end());
  for (const auto& [key, container] : ports) v.ports.push_back({key.first, key.second, container});
  return v;
}

std::string hosts_file(const DesktopView& view) {
  std::map<std::string, std::vector<std::string>> by_address;
  for (const auto& r : view.names) by_address[r.address].push_back(r.name);
  std::string out = "# written by hydrad: the session's containers, for its desktop\n";
  for (const auto& [addr, names] : by_address) {
    out += addr;
    for (const auto& n : names) out += " " + n;
    out += "\n";
  }
  return out;
}

std::string local_names_file(const DesktopView& view) {
  std::set<std::string> dotted;
  for (const auto& r : view.names)
    if (r.name.find('.') != std::string::npos) dotted.insert(r.name);
  std::string out = "# written by hydrad: names the session's resolver answers alone\n";
  for (const auto& n : dotted) out += "server=/" + n + "/\n";
  return out;
}

std::set<uint16_t> listening_ports(const std::string& text, const std::string& proto) {
  // "  sl  local_address rem_address   st ..." then "0: 0100007F:0BB8 00000000:0000 0A ..."
  const std::string listen_state = proto == "tcp" ? "0A" : "07";
  std::set<uint16_t> out;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string sl, local, remote, st;
    if (!(f >> sl >> local >> remote >> st) || st != listen_state) continue;
    auto colon = local.find(':');
    if (colon == std::string::npos) continue;
    std::string addr = local.substr(0, colon);
    unsigned long port = std::strtoul(local.c_str() + colon + 1, nullptr, 16);
    bool wildcard = addr.find_first_not_of('0') == std::string::npos;
    // Stored as 32-bit words in host (little-endian) order: 127.x ends "7F".
    bool loopback4 = addr.size() == 8 && addr.substr(6) == "7F";
    bool loopback6 = addr == "00000000000000000000000001000000";
    bool mapped_loopback = addr.size() == 32 && addr.substr(0, 16) == "0000000000000000" &&
                           addr.substr(16, 8) == "FFFF0000" && addr.substr(30) == "7F";
    if ((wildcard || loopback4 || loopback6 || mapped_loopback) && port > 0 && port < 65536)
      out.insert(static_cast<uint16_t>(port));
  }
  return out;
}

std::string desktop_nat_script(const SessionNet& net, const std::vector<ForwardedPort>& ports) {
  std::string s = std::string("add table ") + kDesktopTable + "\ndelete table " + kDesktopTable + "\n";
  s += std::string("table ") + kDesktopTable + " {\n";
  s += "  chain output {\n    type nat hook output priority -100; policy accept;\n";
  for (const auto& p : ports)
    s += "    ip daddr 127.0.0.1 " + p.proto + " dport " + std::to_string(p.port) + " dnat to " + net.gateway + ":" +
         std::to_string(p.port) + " comment \"" + p.container + "\"\n";
  s += "  }\n  chain postrouting {\n    type nat hook postrouting priority srcnat; policy accept;\n";
  s += std::string("    oifname \"") + kDesktopInterface + "\" ip saddr 127.0.0.0/8 snat to " + net.desktop_ip + "\n";
  s += "  }\n}\n";
  return s;
}

}  // namespace hydra::session
