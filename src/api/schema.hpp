// hydrad's API on the wire: every body it sends or reads, as types, with one
// to_json and one decoder each, shared by hydrad (which sends them) and
// hydractl (which reads them). Decoders never throw: a field of the wrong
// type is an error naming it.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "telemetry/status_board.hpp"

namespace hydra::api {

using nlohmann::json;

// GET /health
struct Health {
  std::string status;  // ok | starting
  std::string version;
  size_t bridges = 0;
  size_t guarded = 0;
  size_t sessions_running = 0;
  size_t sessions_unresponsive = 0;
};

// A session ("docker instance" in Hydra's words).
struct DesktopLink {
  std::string container_id;
  pid_t pid = 0;
  std::string ip;
  std::string veth;
};
struct DockerInstance {
  std::string scope_type, scope_id, user_id;
  std::string docker_socket, docker_host, data_root;
  std::string status;  // session::session_state_name()
  std::string bridge_name, subnet, gateway, address_pool;
  int index = 0;
  std::optional<DesktopLink> desktop;
  // GET of one instance only:
  bool detail = false;
  std::optional<pid_t> pid;
  std::optional<int64_t> uptime_seconds;
  std::optional<size_t> container_count;
  std::optional<int> exit_code;
  std::optional<std::string> error;  // why it is unresponsive or exited
};

// POST /api/v1/docker-instances
struct CreateInstanceRequest {
  std::string scope_type, scope_id, user_id;
};
// POST/DELETE /api/v1/bridge-desktop
struct BridgeDesktopRequest {
  std::string session_id;  // scope_type/scope_id
  std::string desktop_container_id;
};

json to_json(const Health& h);
json to_json(const telemetry::BridgeStatus& b);
json to_json(const DockerInstance& d);
json error_json(const std::string& message);

Result<Health> decode_health(const json& j);
Result<telemetry::BridgeStatus> decode_bridge(const json& j);
Result<std::vector<telemetry::BridgeStatus>> decode_bridges(const json& j);
Result<DockerInstance> decode_instance(const json& j);
Result<std::vector<DockerInstance>> decode_instances(const json& j);

// Request bodies: a JSON object with only the known fields, each of its type.
Result<CreateInstanceRequest> decode_create_request(const std::string& body);
// `desktop_container_id` is required when `need_container`.
Result<BridgeDesktopRequest> decode_bridge_desktop_request(const std::string& body, bool need_container);

}  // namespace hydra::api
