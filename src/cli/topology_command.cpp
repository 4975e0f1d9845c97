// SPDX-License-Identifier: Apache-2.0
#include "cli/topology_command.hpp"

#include <sys/stat.h>

#include <map>
#include <optional>
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

// What sits behind a veth: "container NAME (IFNAME[, owner])".
struct Peer {
  std::string container;
  std::string ifname;
  std::string owner;  // "" for the main dockerd, else the session
};

// One network namespace as drawn: the sandbox's, or an isolated session's.
struct NamespaceView {
  std::string title;
  std::string id_prefix;  // keeps Graphviz node names apart across namespaces
  net::LinkTable table;
  std::map<int, Peer> peers;                       // veth ifindex → container behind it
  std::map<std::string, std::string> labels;       // link name → label
};

// The links and addresses of the namespace this thread is in.
Result<net::LinkTable> read_links() {
  auto sock = netlink::RtnlSocket::open();
  if (!sock) return sock.error();
  auto links = netlink::dump_links(*sock);
  auto addrs = netlink::dump_addrs(*sock);
  if (!links) return links.error();
  if (!addrs) return addrs.error();
  net::LinkTable table;
  table.reset(std::move(*links), std::move(*addrs));
  return table;
}

// Maps veth ifindex (in `view`) → the container on its other end, for every
// running container of one dockerd. A pair is matched from both ends (each
// names the other's ifindex), so a coincidence of numbers cannot mislead.
void find_peers(const std::string& docker_socket, const std::string& owner, NamespaceView& view) {
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
      const net::LinkInfo* ours = view.table.find(l.peer_ifindex);
      if (ours && ours->kind == "veth" && ours->peer_ifindex == l.ifindex) view.peers[ours->ifindex] = {c.name, l.name, owner};
    }
  }
}

std::string addrs_of(const net::LinkTable& t, int ifindex) {
  std::string s;
  for (const auto& a : t.addresses_of(ifindex))
    if (a.scope == 0) s += (s.empty() ? "" : " ") + a.cidr();
  return s;
}

// A bridge that only a session's containers use is that session's network.
void label_session_networks(NamespaceView& v) {
  for (const auto& [idx, p] : v.peers) {
    const net::LinkInfo* port = v.table.find(idx);
    const net::LinkInfo* br = port && port->master ? v.table.find(port->master) : nullptr;
    if (br && !p.owner.empty() && !v.labels.count(br->name)) v.labels[br->name] = "network of session " + p.owner;
  }
}

void split(const NamespaceView& v, std::vector<const net::LinkInfo*>& bridges, std::vector<const net::LinkInfo*>& loose) {
  for (const auto& [_, l] : v.table.links()) {
    if (l.kind == "bridge") bridges.push_back(&l);
    else if (!l.master && l.name != "lo") loose.push_back(&l);
  }
}

void draw_tree(const NamespaceView& v, std::ostream& out) {
  auto label = [&](const std::string& name) {
    auto it = v.labels.find(name);
    return it == v.labels.end() ? std::string() : "  [" + it->second + "]";
  };
  auto port_text = [&](const net::LinkInfo& port) {
    auto it = v.peers.find(port.ifindex);
    if (it == v.peers.end()) return port.name;
    std::string s = port.name + " → container " + it->second.container + " (" + it->second.ifname;
    if (!it->second.owner.empty()) s += ", " + it->second.owner;
    s += ")";
    if (port.name.rfind("vethb-", 0) == 0) {
      auto note = v.labels.find(port.name);
      s += "  [desktop link" + (note == v.labels.end() ? std::string() : "; " + note->second) + "]";
    }
    return s;
  };
  std::vector<const net::LinkInfo*> bridges, loose;
  split(v, bridges, loose);
  out << v.title << "\n";
  size_t shown = 0;
  const size_t total = bridges.size() + loose.size();
  for (const auto* b : bridges) {
    bool last = ++shown == total;
    out << (last ? "└─ " : "├─ ") << b->name << "  bridge  " << addrs_of(v.table, b->ifindex) << "  "
        << netlink::format_mac(b->mac) << (b->admin_up() ? "" : "  DOWN") << label(b->name) << "\n";
    auto ports = v.table.ports_of(b->ifindex);
    for (size_t i = 0; i < ports.size(); ++i)
      out << (last ? "   " : "│  ") << (i + 1 == ports.size() ? "└─ " : "├─ ") << port_text(*ports[i]) << "\n";
  }
  for (const auto* l : loose) {
    bool last = ++shown == total;
    std::string kind = l->kind.empty() ? "device" : l->kind;
    out << (last ? "└─ " : "├─ ") << l->name << "  " << kind << "  " << addrs_of(v.table, l->ifindex)
        << label(l->name) << "\n";
  }
}

void draw_dot(const NamespaceView& v, std::ostream& out) {
  const bool cluster = !v.id_prefix.empty();
  const std::string pad = cluster ? "    " : "  ";
  if (cluster) out << "  subgraph \"cluster_" << v.id_prefix << "\" {\n    label=\"" << v.title << "\";\n";
  std::vector<const net::LinkInfo*> bridges, loose;
  split(v, bridges, loose);
  auto id = [&](const std::string& name) { return "\"" + v.id_prefix + name + "\""; };
  for (const auto* b : bridges) {
    auto it = v.labels.find(b->name);
    std::string label = b->name + "\\n" + addrs_of(v.table, b->ifindex) + (it == v.labels.end() ? "" : "\\n" + it->second);
    out << pad << id(b->name) << " [shape=box, label=\"" << label << "\""
        << (it != v.labels.end() && it->second.rfind("guarded", 0) == 0 ? ", style=bold, color=darkgreen" : "") << "];\n";
    for (const auto* p : v.table.ports_of(b->ifindex)) {
      auto peer = v.peers.find(p->ifindex);
      // Containers are one node each, wherever their legs are.
      std::string target = peer == v.peers.end() ? id(p->name) : "\"container " + peer->second.container + "\"";
      out << pad << target << " [shape=ellipse];\n" << pad << id(b->name) << " -> " << target << " [label=\""
          << p->name << "\"];\n";
    }
  }
  for (const auto* l : loose) out << pad << id(l->name) << " [shape=plaintext, label=\"" << l->name << "\"];\n";
  if (cluster) out << "  }\n";
}

std::string netns_id(const std::string& proc_path) {
  struct stat st {};
  if (stat(proc_path.c_str(), &st) != 0) return "?";
  return "net:[" + std::to_string(st.st_ino) + "]";
}

// The namespace to draw is hydrad's, wherever hydractl runs: entered through
// hydrad's pid when it is not this one. The title says which was drawn.
struct DrawnNamespace {
  std::string title;
  std::optional<netlink::NetnsSwitch> in;
};

DrawnNamespace choose_namespace(const std::string& socket, std::ostream& err) {
  const std::string here = netns_id("/proc/self/ns/net");
  auto pid = api_server_pid(socket);
  if (!pid) return {"this network namespace (" + here + "; hydrad not reachable: no guard or session labels)", {}};
  if (*pid <= 0)
    return {"this network namespace (" + here + "; hydrad's pid is not visible from here, so it may not be hydrad's)", {}};
  const std::string path = "/proc/" + std::to_string(*pid) + "/ns/net";
  const std::string theirs = netns_id(path);
  if (theirs == here) return {"hydrad's network namespace (" + here + ", this one)", {}};
  auto in = netlink::NetnsSwitch::enter(path);
  if (!in) {
    err << "hydractl: cannot enter hydrad's network namespace " << theirs << " (pid " << *pid
        << "): " << in.error().text() << "\n";
    return {"this network namespace (" + here + "), NOT hydrad's (" + theirs + ", pid " + std::to_string(*pid) +
                "): hydrad's labels may name links that are not here",
            {}};
  }
  return {"hydrad's network namespace (" + theirs + ", hydrad pid " + std::to_string(*pid) + "; not this shell's)",
          std::move(*in)};
}

}  // namespace

int run_topology(const TopologyArgs& a, std::ostream& out, std::ostream& err) {
  DrawnNamespace drawn = choose_namespace(a.socket, err);
  auto table = read_links();
  if (!table) {
    err << "hydractl: cannot read the links of " << drawn.title << ": " << table.error().text() << "\n";
    return 1;
  }
  NamespaceView sandbox{drawn.title, "", std::move(*table), {}, {}};

  // hydrad's view: guarded bridges and sessions (optional).
  std::vector<std::pair<std::string, std::string>> session_sockets;  // owner, socket (shared sessions)
  std::vector<api::DockerInstance> isolated;
  std::map<std::string, std::string> desktop_notes;  // desktop veth → its forwarded ports
  bool hydrad_up = false;
  if (auto r = api_request(a.socket, "GET", "/api/v1/bridges"); r && r->status == 200) {
    hydrad_up = true;
    if (auto list = api::decode_bridges(json::parse(r->body, nullptr, false)))
      for (const auto& b : *list)
        sandbox.labels[b.name] = "guarded by hydrad: " + b.state + ", " + std::to_string(b.restores) + " restores";
  }
  if (auto r = api_request(a.socket, "GET", "/api/v1/docker-instances"); r && r->status == 200) {
    if (auto list = api::decode_instances(json::parse(r->body, nullptr, false))) {
      for (const auto& s : *list) {
        std::string owner = s.scope_type + "/" + s.scope_id;
        if (s.host_docker) continue;  // the main dockerd: seen above
        std::string dockerd = "session " + owner + ", dockerd " + s.state + " (" + s.docker_host + ")";
        if (s.desktop && !s.desktop->forwarded_ports.empty()) {
          std::string ports = "localhost";
          for (const auto& p : s.desktop->forwarded_ports)
            ports += (ports == "localhost" ? ":" : ", :") + std::to_string(p.port) + "/" + p.proto + " → " + p.container;
          desktop_notes[s.desktop->veth] = ports;
        }
        if (!s.netns.empty()) {
          if (s.status == "running") isolated.push_back(s);
          sandbox.labels[s.uplink] = "uplink of session " + owner + " → " + s.uplink_address;
          continue;
        }
        if (s.status == "running") session_sockets.emplace_back(owner, s.docker_socket);
        sandbox.labels[s.bridge_name] = dockerd;
      }
    }
  }
  if (!hydrad_up && drawn.title.find("not reachable") == std::string::npos)
    sandbox.title += "  (hydrad did not answer: no guard or session labels)";
  sandbox.labels.insert(desktop_notes.begin(), desktop_notes.end());
  find_peers(a.docker_socket, "", sandbox);
  for (const auto& [owner, socket] : session_sockets) find_peers(socket, owner, sandbox);
  label_session_networks(sandbox);

  // Each isolated session's own namespace, entered through its pin.
  std::vector<NamespaceView> sessions;
  for (const auto& s : isolated) {
    std::string owner = s.scope_type + "/" + s.scope_id;
    auto in = netlink::NetnsSwitch::enter(s.netns);
    if (!in) {
      err << "hydractl: cannot enter the namespace of " << owner << ": " << in.error().text() << "\n";
      continue;
    }
    auto links = read_links();
    if (!links) continue;
    NamespaceView v{"session " + owner + " (isolated)  namespace " + s.netns, owner + ":", std::move(*links), {}, {}};
    v.labels[s.bridge_name] = "session " + owner + ", dockerd " + s.state + " (" + s.docker_host + ")";
    v.labels["uplink"] = "to " + s.uplink + " " + s.uplink_gateway + " in the sandbox";
    v.labels.insert(desktop_notes.begin(), desktop_notes.end());
    sessions.push_back(std::move(v));
  }
  // Outside every namespace switch: find_peers enters the containers'.
  for (size_t i = 0; i < sessions.size(); ++i) {
    const auto& s = isolated[i];
    find_peers(s.docker_socket, s.scope_type + "/" + s.scope_id, sessions[i]);
    find_peers(a.docker_socket, "", sessions[i]);  // the desktop's leg
    label_session_networks(sessions[i]);
  }

  if (a.dot) {
    out << "digraph sandbox {\n  rankdir=LR;\n  node [fontname=\"sans\"];\n";
    draw_dot(sandbox, out);
    for (const auto& v : sessions) {
      draw_dot(v, out);
      const auto& s = isolated[&v - sessions.data()];
      out << "  \"" << s.uplink << "\" -> \"" << v.id_prefix << "uplink\" [label=\"uplink\", style=dashed];\n";
    }
    out << "}\n";
    return 0;
  }
  draw_tree(sandbox, out);
  for (const auto& v : sessions) {
    out << "\n";
    draw_tree(v, out);
  }
  return 0;
}

}  // namespace hydra::cli
