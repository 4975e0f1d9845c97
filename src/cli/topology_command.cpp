// SPDX-License-Identifier: Apache-2.0
#include "cli/topology_command.hpp"

#include <map>
#include <nlohmann/json.hpp>
#include <ostream>

#include "api/schema.hpp"
#include "cli/api_client.hpp"
#include "docker/engine_client.hpp"
#include "net/link_table.hpp"
#include "netlink/dump.hpp"
#include "netlink/netns.hpp"

namespace hydra::cli {

using nlohmann::json;

namespace {

// What sits behind a sandbox-side veth: "container NAME (IFNAME[, owner])".
struct Peer {
  std::string container;
  std::string ifname;
  std::string owner;  // "" for the main dockerd, else the session
};

// Maps sandbox veth ifindex → the container on its other end, for every
// running container of one dockerd. A pair is matched from both ends (each
// names the other's ifindex), so a coincidence of numbers cannot mislead.
void find_peers(const std::string& docker_socket, const std::string& owner, const net::LinkTable& sandbox,
                std::map<int, Peer>& out) {
  docker::EngineClient engine(docker_socket);
  auto containers = engine.containers();
  if (!containers) return;
  for (const auto& c : *containers) {
    auto pid = engine.container_pid(c.id);
    if (!pid) continue;
    auto in = netlink::NetnsSwitch::enter_pid(*pid);
    if (!in) continue;
    auto sock = netlink::RtnlSocket::open();
    if (!sock) continue;
    auto links = netlink::dump_links(*sock);
    if (!links) continue;
    for (const auto& l : *links) {
      if (l.kind != "veth" || !l.link_netnsid) continue;
      const net::LinkInfo* ours = sandbox.find(l.peer_ifindex);
      if (ours && ours->kind == "veth" && ours->peer_ifindex == l.ifindex) out[ours->ifindex] = {c.name, l.name, owner};
    }
  }
}

std::string addrs_of(const net::LinkTable& t, int ifindex) {
  std::string s;
  for (const auto& a : t.addresses_of(ifindex))
    if (a.scope == 0) s += (s.empty() ? "" : " ") + a.cidr();
  return s;
}

}  // namespace

int run_topology(const TopologyArgs& a, std::ostream& out, std::ostream& err) {
  auto sock = netlink::RtnlSocket::open();
  if (!sock) {
    err << "hydractl: " << sock.error().text() << "\n";
    return 1;
  }
  auto links = netlink::dump_links(*sock);
  auto addrs = netlink::dump_addrs(*sock);
  if (!links || !addrs) {
    err << "hydractl: cannot read the links of this namespace\n";
    return 1;
  }
  net::LinkTable table;
  table.reset(std::move(*links), std::move(*addrs));

  // hydrad's view: guarded bridges and sessions (optional).
  std::map<std::string, std::string> bridge_label;  // bridge name → label
  std::vector<std::pair<std::string, std::string>> session_sockets;  // owner, socket
  bool hydrad_up = false;
  if (auto r = api_request(a.socket, "GET", "/api/v1/bridges"); r && r->status == 200) {
    hydrad_up = true;
    if (auto list = api::decode_bridges(json::parse(r->body, nullptr, false)))
      for (const auto& b : *list)
        bridge_label[b.name] = "guarded by hydrad: " + b.state + ", " + std::to_string(b.restores) + " restores";
  }
  if (auto r = api_request(a.socket, "GET", "/api/v1/docker-instances"); r && r->status == 200) {
    if (auto list = api::decode_instances(json::parse(r->body, nullptr, false))) {
      for (const auto& s : *list) {
        std::string owner = s.scope_type + "/" + s.scope_id;
        if (s.host_docker) continue;  // the main dockerd: seen above
        if (s.status == "running") session_sockets.emplace_back(owner, s.docker_socket);
        bridge_label[s.bridge_name] = "session " + owner + ", dockerd " + s.state + " (" + s.docker_host + ")";
      }
    }
  }
  std::map<int, Peer> peers;
  find_peers(a.docker_socket, "", table, peers);
  for (const auto& [owner, socket] : session_sockets) find_peers(socket, owner, table, peers);
  // A bridge that only a session's containers use is that session's network.
  for (const auto& [idx, p] : peers) {
    const net::LinkInfo* port = table.find(idx);
    const net::LinkInfo* br = port && port->master ? table.find(port->master) : nullptr;
    if (br && !p.owner.empty() && !bridge_label.count(br->name)) bridge_label[br->name] = "network of session " + p.owner;
  }
  auto port_text = [&](const net::LinkInfo& port) {
    auto it = peers.find(port.ifindex);
    if (it == peers.end()) return port.name;
    std::string s = port.name + " → container " + it->second.container + " (" + it->second.ifname;
    if (!it->second.owner.empty()) s += ", " + it->second.owner;
    s += ")";
    if (port.name.rfind("vethb-", 0) == 0) s += "  [desktop link]";
    return s;
  };

  std::vector<const net::LinkInfo*> bridges, loose;
  for (const auto& [_, l] : table.links()) {
    if (l.kind == "bridge") bridges.push_back(&l);
    else if (!l.master && l.name != "lo") loose.push_back(&l);
  }
  if (a.dot) {
    out << "digraph sandbox {\n  rankdir=LR;\n  node [fontname=\"sans\"];\n";
    for (const auto* b : bridges) {
      std::string label = b->name + "\\n" + addrs_of(table, b->ifindex);
      if (bridge_label.count(b->name)) label += "\\n" + bridge_label[b->name];
      out << "  \"" << b->name << "\" [shape=box, label=\"" << label << "\""
          << (bridge_label[b->name].rfind("guarded", 0) == 0 ? ", style=bold, color=darkgreen" : "") << "];\n";
      for (const auto* p : table.ports_of(b->ifindex)) {
        auto it = peers.find(p->ifindex);
        std::string target = it == peers.end() ? p->name : "container " + it->second.container;
        out << "  \"" << target << "\" [shape=ellipse];\n  \"" << b->name << "\" -> \"" << target << "\" [label=\""
            << p->name << "\"];\n";
      }
    }
    for (const auto* l : loose) out << "  \"" << l->name << "\" [shape=plaintext];\n";
    out << "}\n";
    return 0;
  }
  out << "sandbox network namespace" << (hydrad_up ? "" : "  (hydrad not reachable: no guard or session labels)")
      << "\n";
  size_t shown = 0;
  const size_t total = bridges.size() + loose.size();
  for (const auto* b : bridges) {
    bool last = ++shown == total;
    out << (last ? "└─ " : "├─ ") << b->name << "  bridge  " << addrs_of(table, b->ifindex) << "  "
        << netlink::format_mac(b->mac) << (b->admin_up() ? "" : "  DOWN");
    if (bridge_label.count(b->name)) out << "  [" << bridge_label[b->name] << "]";
    out << "\n";
    auto ports = table.ports_of(b->ifindex);
    for (size_t i = 0; i < ports.size(); ++i)
      out << (last ? "   " : "│  ") << (i + 1 == ports.size() ? "└─ " : "├─ ") << port_text(*ports[i]) << "\n";
  }
  for (const auto* l : loose) {
    bool last = ++shown == total;
    std::string kind = l->kind.empty() ? "device" : l->kind;
    out << (last ? "└─ " : "├─ ") << l->name << "  " << kind << "  " << addrs_of(table, l->ifindex) << "\n";
  }
  return 0;
}

}  // namespace hydra::cli
