// SPDX-License-Identifier: Apache-2.0
// What a container shows the network: its names (container name, compose
// service, aliases per network), its addresses on each network, and the host
// ports it publishes — decoded from the Engine API's container inspect.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace hydra::docker {

struct NetworkAttachment {
  std::string network;
  std::string ipv4;
  std::string ipv6;  // "" without IPv6
  std::vector<std::string> aliases;
};

struct PublishedPort {
  std::string proto;  // tcp | udp
  uint16_t host_port = 0;
  friend bool operator==(const PublishedPort&, const PublishedPort&) = default;
};

struct ContainerNetworking {
  std::string id;
  std::string name;             // without the leading '/'
  std::string compose_service;  // label com.docker.compose.service, "" if none
  bool running = false;
  std::vector<NetworkAttachment> networks;
  std::vector<PublishedPort> ports;
};

// GET /containers/{id}/json, decoded; a field of the wrong type is an error.
Result<ContainerNetworking> decode_container_networking(const nlohmann::json& inspect);

}  // namespace hydra::docker
