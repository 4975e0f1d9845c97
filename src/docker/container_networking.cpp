// SPDX-License-Identifier: Apache-2.0
#include "docker/container_networking.hpp"

#include <charconv>

#include "base/json_fields.hpp"

namespace hydra::docker {

using nlohmann::json;

namespace {

// Every read of a dockerd's answer: a field of another type is absent.
std::string text(const json& j, const char* key) { return json_fields::string_or(j, key); }

}  // namespace

Result<ContainerNetworking> decode_container_networking(const json& inspect) {
  if (!inspect.is_object()) return make_error("container inspect: not a JSON object", EBADMSG);
  ContainerNetworking c;
  c.id = text(inspect, "Id");
  c.name = text(inspect, "Name");
  if (!c.name.empty() && c.name[0] == '/') c.name.erase(0, 1);
  if (auto st = inspect.find("State"); st != inspect.end() && st->is_object())
    c.running = json_fields::bool_or(*st, "Running", false);
  if (auto cfg = inspect.find("Config"); cfg != inspect.end() && cfg->is_object())
    if (auto labels = cfg->find("Labels"); labels != cfg->end() && labels->is_object())
      c.compose_service = text(*labels, "com.docker.compose.service");
  auto ns = inspect.find("NetworkSettings");
  if (ns == inspect.end() || !ns->is_object()) return c;
  if (auto nets = ns->find("Networks"); nets != ns->end() && nets->is_object()) {
    for (const auto& [name, n] : nets->items()) {
      if (!n.is_object()) return make_error("container inspect: network " + name + " is not an object", EBADMSG);
      NetworkAttachment a;
      a.network = name;
      a.ipv4 = text(n, "IPAddress");
      a.ipv6 = text(n, "GlobalIPv6Address");
      if (auto al = n.find("Aliases"); al != n.end() && al->is_array())
        for (const auto& x : *al)
          if (auto alias = json_fields::as_string(x)) a.aliases.push_back(std::move(*alias));
      c.networks.push_back(std::move(a));
    }
  }
  // "Ports": {"8080/tcp": [{"HostIp": "10.200.1.1", "HostPort": "3000"}], "53/udp": null}
  if (auto ports = ns->find("Ports"); ports != ns->end() && ports->is_object()) {
    for (const auto& [key, bindings] : ports->items()) {
      std::string proto = key.substr(key.find('/') == std::string::npos ? key.size() : key.find('/') + 1);
      if (!bindings.is_array() || (proto != "tcp" && proto != "udp")) continue;
      for (const auto& b : bindings) {
        std::string hp = b.is_object() ? text(b, "HostPort") : "";
        unsigned port = 0;
        auto [end, ec] = std::from_chars(hp.data(), hp.data() + hp.size(), port);
        if (ec != std::errc() || end != hp.data() + hp.size() || port == 0 || port > 65535) continue;
        PublishedPort p{proto, static_cast<uint16_t>(port)};
        bool seen = false;
        for (const auto& q : c.ports) seen |= q == p;  // 0.0.0.0 and :: bind the same port twice
        if (!seen) c.ports.push_back(p);
      }
    }
  }
  return c;
}

}  // namespace hydra::docker
