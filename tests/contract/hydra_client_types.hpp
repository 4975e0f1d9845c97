// SPDX-License-Identifier: Apache-2.0
// The types Hydra's Go client decodes (helixml/helix api/pkg/hydra/types.go
// at 1a29cbdbb, as ../shared/HYDRA-API-CONTRACT.md records them), mirrored
// field for field. Decoding is strict where Go would give the caller a zero
// value: a field missing (unless omitempty in Go) or of another JSON type
// than Go's field fails, naming it. Unknown fields are ignored, as Go does.
#pragma once

#include <cstdint>
#include <regex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hydra::contract {

using nlohmann::json;

// Collects what does not fit; empty means it decoded.
struct Problems {
  std::vector<std::string> list;
  [[nodiscard]] bool ok() const { return list.empty(); }
  [[nodiscard]] std::string text() const {
    std::string out;
    for (const auto& p : list) out += p + "; ";
    return out;
  }
};

inline const json* field(const json& j, const char* key, bool omitempty, Problems& p) {
  if (!j.is_object()) {
    p.list.push_back(std::string("not an object where ") + key + " belongs");
    return nullptr;
  }
  auto it = j.find(key);
  if (it == j.end()) {
    if (!omitempty) p.list.push_back(std::string("missing ") + key);
    return nullptr;
  }
  return &*it;
}

inline void get(const json& j, const char* key, std::string& out, Problems& p, bool omitempty = false) {
  if (const json* v = field(j, key, omitempty, p)) {
    if (v->is_string()) out = v->get<std::string>();
    else p.list.push_back(std::string(key) + " is not a string");
  }
}
inline void get(const json& j, const char* key, int64_t& out, Problems& p, bool omitempty = false) {
  if (const json* v = field(j, key, omitempty, p)) {
    if (v->is_number_integer()) out = v->get<int64_t>();
    else p.list.push_back(std::string(key) + " is not an integer");
  }
}
inline void get(const json& j, const char* key, bool& out, Problems& p, bool omitempty = false) {
  if (const json* v = field(j, key, omitempty, p)) {
    if (v->is_boolean()) out = v->get<bool>();
    else p.list.push_back(std::string(key) + " is not a boolean");
  }
}
// time.Time: an RFC 3339 string.
inline void get_time(const json& j, const char* key, std::string& out, Problems& p) {
  static const std::regex rfc3339(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))");
  get(j, key, out, p);
  if (!out.empty() && !std::regex_match(out, rfc3339)) p.list.push_back(std::string(key) + " is not RFC 3339: " + out);
}

// Requests, as Go's encoder writes them: every field, zero values included.
struct CreateDockerInstanceRequest {
  std::string scope_type, scope_id, user_id;
  int64_t max_containers = 0;
  bool use_host_docker = false;
  [[nodiscard]] json encode() const {
    return {{"scope_type", scope_type}, {"scope_id", scope_id}, {"user_id", user_id},
            {"max_containers", max_containers}, {"use_host_docker", use_host_docker}};
  }
};
struct BridgeDesktopRequest {
  std::string session_id, desktop_container_id;
  [[nodiscard]] json encode() const {
    return {{"session_id", session_id}, {"desktop_container_id", desktop_container_id}};
  }
};

struct DockerInstanceResponse {
  std::string scope_type, scope_id, docker_socket, docker_host, data_root, status, error, bridge_name, subnet, gateway;
  static DockerInstanceResponse decode(const json& j, Problems& p) {
    DockerInstanceResponse r;
    get(j, "scope_type", r.scope_type, p);
    get(j, "scope_id", r.scope_id, p);
    get(j, "docker_socket", r.docker_socket, p);
    get(j, "docker_host", r.docker_host, p);
    get(j, "data_root", r.data_root, p);
    get(j, "status", r.status, p);
    get(j, "error", r.error, p, true);
    get(j, "bridge_name", r.bridge_name, p, true);
    get(j, "subnet", r.subnet, p, true);
    get(j, "gateway", r.gateway, p, true);
    return r;
  }
};

struct DockerInstanceStatusResponse {
  std::string scope_type, scope_id, status, docker_socket, data_root, user_id, created_at;
  int64_t container_count = 0, uptime_seconds = 0, data_size_bytes = 0;
  static DockerInstanceStatusResponse decode(const json& j, Problems& p) {
    DockerInstanceStatusResponse r;
    get(j, "scope_type", r.scope_type, p);
    get(j, "scope_id", r.scope_id, p);
    get(j, "status", r.status, p);
    get(j, "container_count", r.container_count, p);
    get(j, "uptime_seconds", r.uptime_seconds, p);
    get(j, "docker_socket", r.docker_socket, p);
    get(j, "data_root", r.data_root, p);
    get(j, "data_size_bytes", r.data_size_bytes, p);
    get(j, "user_id", r.user_id, p);
    get_time(j, "created_at", r.created_at, p);
    return r;
  }
};

struct ListDockerInstancesResponse {
  std::vector<DockerInstanceStatusResponse> instances;
  static ListDockerInstancesResponse decode(const json& j, Problems& p) {
    ListDockerInstancesResponse r;
    if (const json* arr = field(j, "instances", false, p)) {
      if (!arr->is_array()) p.list.push_back("instances is not an array");
      else
        for (const auto& item : *arr) r.instances.push_back(DockerInstanceStatusResponse::decode(item, p));
    }
    return r;
  }
};

struct DeleteDockerInstanceResponse {
  std::string scope_type, scope_id, status;
  int64_t containers_stopped = 0;
  bool data_preserved = false;
  static DeleteDockerInstanceResponse decode(const json& j, Problems& p) {
    DeleteDockerInstanceResponse r;
    get(j, "scope_type", r.scope_type, p);
    get(j, "scope_id", r.scope_id, p);
    get(j, "status", r.status, p);
    get(j, "containers_stopped", r.containers_stopped, p);
    get(j, "data_preserved", r.data_preserved, p);
    return r;
  }
};

struct PurgeDockerInstanceResponse {
  std::string scope_type, scope_id, status;
  int64_t data_deleted_bytes = 0;
  static PurgeDockerInstanceResponse decode(const json& j, Problems& p) {
    PurgeDockerInstanceResponse r;
    get(j, "scope_type", r.scope_type, p);
    get(j, "scope_id", r.scope_id, p);
    get(j, "status", r.status, p);
    get(j, "data_deleted_bytes", r.data_deleted_bytes, p);
    return r;
  }
};

struct PrivilegedModeStatusResponse {
  bool enabled = false;
  std::string host_docker_socket, description;
  static PrivilegedModeStatusResponse decode(const json& j, Problems& p) {
    PrivilegedModeStatusResponse r;
    get(j, "enabled", r.enabled, p);
    get(j, "host_docker_socket", r.host_docker_socket, p, true);
    get(j, "description", r.description, p);
    return r;
  }
};

struct HealthResponse {
  std::string status, version;
  int64_t active_instances = 0;
  static HealthResponse decode(const json& j, Problems& p) {
    HealthResponse r;
    get(j, "status", r.status, p);
    get(j, "active_instances", r.active_instances, p);
    get(j, "version", r.version, p);
    return r;
  }
};

struct BridgeDesktopResponse {
  std::string desktop_ip, gateway, subnet, interface;
  static BridgeDesktopResponse decode(const json& j, Problems& p) {
    BridgeDesktopResponse r;
    get(j, "desktop_ip", r.desktop_ip, p);
    get(j, "gateway", r.gateway, p);
    get(j, "subnet", r.subnet, p);
    get(j, "interface", r.interface, p);
    return r;
  }
};

// The statuses an instance may have in the client's vocabulary.
inline bool known_status(const std::string& s) {
  return s == "running" || s == "stopped" || s == "starting" || s == "error";
}

}  // namespace hydra::contract
