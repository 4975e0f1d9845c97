// SPDX-License-Identifier: Apache-2.0
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
#include "session/core/resource_limits.hpp"
#include "telemetry/status_board.hpp"

namespace hydra::api {

using nlohmann::json;

// GET /health: Hydra's HealthResponse (status, active_instances, version)
// and hydra's own counts.
struct Health {
  std::string status;  // ok | starting
  std::string version;
  size_t active_instances = 0;  // running sessions
  size_t bridges = 0;
  size_t guarded = 0;
  size_t sessions_unresponsive = 0;
  // The sessions' containerd: "shared" (one, hydrad's) or "per-session".
  std::string containerd_mode;
  bool containerd_running = false;  // shared: it runs and answers
  int containerd_pid = 0;
  int containerd_restarts = 0;
  std::string containerd_error;
  // [sessions] warm_pool: members kept, answering, being made.
  int pool_target = 0;
  int pool_ready = 0;
  int pool_starting = 0;
};

// A session ("docker instance" in Hydra's words): the fields of Hydra's
// DockerInstanceResponse and DockerInstanceStatusResponse, then hydra's own.
struct DesktopName {
  std::string name, address;
};
struct DesktopPort {
  std::string proto;  // tcp | udp
  int port = 0;
  std::string container;
};
struct DesktopLink {
  std::string container_id;
  pid_t pid = 0;
  std::string ip;
  std::string veth;
  std::string interface;
  std::string resolver;                    // the session's dnsmasq (its gateway), first in the desktop's resolv.conf
  std::vector<DesktopName> names;          // what it answers
  std::vector<DesktopPort> forwarded_ports;  // answering on the desktop's localhost
  std::vector<DesktopPort> skipped_ports;    // published, but the desktop listens there itself
};
// What a running session uses, from its cgroup.
struct SessionUsage {
  double cpu_seconds = 0;
  int64_t memory_bytes = 0;
  int64_t memory_peak_bytes = 0;
  int64_t pids = 0;
  int64_t oom_kills = 0;
};
struct DockerInstance {
  std::string scope_type, scope_id, user_id;
  std::string docker_socket, docker_host, data_root;
  std::string status;  // running | stopped | starting | error
  std::string error;   // omitted when empty
  std::string bridge_name, subnet, gateway;  // omitted when empty (host-docker sessions)
  int64_t container_count = 0;  // every state; the last count (probe) in lists
  int64_t uptime_seconds = 0;
  int64_t data_size_bytes = 0;
  std::string created_at;  // RFC 3339
  // hydra's own:
  std::string state;  // session::session_state_name()
  std::string address_pool;
  int index = 0;
  int max_containers = 0;
  bool host_docker = false;
  std::optional<std::string> data_size_at;  // when data_size_bytes was measured
  std::optional<std::string> container_count_at;  // when container_count was taken
  std::optional<pid_t> pid;
  std::optional<int> exit_code;
  std::optional<DesktopLink> desktop;
  // Where its dockerd runs: "shared" (the sandbox's namespace) or "isolated"
  // (a namespace of its own, netns, reached through the uplink); "" for a
  // host-docker session.
  std::string network;
  std::string netns;
  std::string uplink;          // hup-hN, the sandbox's end
  std::string uplink_address;  // the session's end
  std::string uplink_gateway;  // the sandbox's end's address
  std::string golden;          // its data root was cloned from this golden (omitted: none)
  // While its data root is being cloned from a golden (status "starting").
  struct Clone {
    std::string golden, method;
    int64_t bytes_done = 0, bytes_total = 0;
  };
  std::optional<Clone> clone;
  session::ResourceLimits limits;  // what it was started with ({} for none)
  std::string cgroup;              // its cgroup (omitted: none)
  std::optional<SessionUsage> usage;
};

// DELETE /api/v1/docker-instances/{type}/{id}
struct StopResponse {
  std::string scope_type, scope_id;
  std::string status = "stopped";
  int64_t containers_stopped = 0;
  bool data_preserved = true;
  bool was_running = false;  // hydra's own
};
// DELETE /api/v1/docker-instances/{type}/{id}/data
struct PurgeResponse {
  std::string scope_type, scope_id;
  std::string status = "purged";
  int64_t data_deleted_bytes = 0;
};
// GET /api/v1/privileged-mode/status
struct PrivilegedModeStatus {
  bool enabled = false;
  std::string host_docker_socket;  // omitted when empty
  std::string description;
};
// POST /api/v1/bridge-desktop
struct BridgeDesktopResponse {
  std::string desktop_ip, gateway, subnet, interface;
  // hydra's own:
  std::string scope_type, scope_id, desktop_container_id, veth, bridge_name;
};

// POST /api/v1/docker-instances
struct CreateInstanceRequest {
  std::string scope_type, scope_id, user_id;
  int max_containers = 0;
  bool use_host_docker = false;
  std::optional<std::string> golden;  // hydra's own: start a new data root from this golden
  // hydra's own: memory_limit (bytes, or "64MiB" as docker --memory takes
  // it), memory_high (the same), cpu_limit (CPUs), cpu_weight, pids_limit.
  session::ResourceLimits limits;
};

// POST /api/v1/goldens
struct GoldenCreateRequest {
  std::string name;
  std::string from;  // "type/id" of a stopped session
};
Result<GoldenCreateRequest> decode_golden_request(const std::string& body);
// A golden as GET /api/v1/goldens lists it.
struct GoldenEntry {
  std::string name, source, created_at, last_used_at, method;
  int64_t bytes = 0, files = 0;
  int in_use = 0;                   // sessions being created from it now
  std::vector<std::string> sessions;  // sessions whose data root came from it
  std::string id;                     // another id: the name was made again
  bool spare = false;                 // a clone made ahead is ready ([sessions] golden_spare)
};
json to_json(const GoldenEntry& g);
Result<GoldenEntry> decode_golden(const json& j);
// POST/DELETE /api/v1/bridge-desktop
struct BridgeDesktopRequest {
  std::string session_id;  // a bare scope id, or scope_type/scope_id
  std::string desktop_container_id;
};

// POST /api/v1/gc/reconcile
struct GcReconcileRequest {
  std::vector<std::string> live;  // "type/id" of every session the caller still wants
  int64_t grace_period_seconds = 0;
  bool dry_run = false;
};
Result<GcReconcileRequest> decode_gc_request(const std::string& body);

json to_json(const Health& h);
json to_json(const telemetry::BridgeStatus& b);
json to_json(const DockerInstance& d);
json to_json(const std::vector<DockerInstance>& list);  // {"instances": [...]}
json to_json(const StopResponse& r);
json to_json(const PurgeResponse& r);
json to_json(const PrivilegedModeStatus& p);
json to_json(const BridgeDesktopResponse& r);
json error_json(const std::string& message);

Result<Health> decode_health(const json& j);
Result<telemetry::BridgeStatus> decode_bridge(const json& j);
Result<std::vector<telemetry::BridgeStatus>> decode_bridges(const json& j);
Result<DockerInstance> decode_instance(const json& j);
Result<std::vector<DockerInstance>> decode_instances(const json& j);  // {"instances": [...]}
Result<StopResponse> decode_stop_response(const json& j);
Result<PurgeResponse> decode_purge_response(const json& j);
Result<BridgeDesktopResponse> decode_bridge_desktop_response(const json& j);

// Request bodies, read the way Go's encoding/json reads them (Hydra's client
// is written in Go): a JSON object; unknown fields ignored; keys matched
// case-insensitively when no exact match; null leaves a field unset; a
// known field of the wrong JSON type is an error naming it.
Result<CreateInstanceRequest> decode_create_request(const std::string& body);
// `desktop_container_id` is required when `need_container`.
Result<BridgeDesktopRequest> decode_bridge_desktop_request(const std::string& body, bool need_container);

}  // namespace hydra::api
