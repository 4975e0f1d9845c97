// SPDX-License-Identifier: Apache-2.0
// The docker-instance bodies: what Hydra's client reads, field for field
// (names and JSON types), and hydra's additions after them.
#include "api/schema.hpp"
#include "api/schema_detail.hpp"
#include "base/json_fields.hpp"

namespace hydra::api {

using detail::bad;
using detail::opt;
using json_fields::first_error;
using json_fields::read;

json to_json(const DockerInstance& d) {
  json j{{"scope_type", d.scope_type},
         {"scope_id", d.scope_id},
         {"user_id", d.user_id},
         {"docker_socket", d.docker_socket},
         {"docker_host", d.docker_host},
         {"data_root", d.data_root},
         {"status", d.status},
         {"container_count", d.container_count},
         {"uptime_seconds", d.uptime_seconds},
         {"data_size_bytes", d.data_size_bytes},
         {"created_at", d.created_at},
         {"state", d.state},
         {"index", d.index},
         {"max_containers", d.max_containers},
         {"host_docker", d.host_docker},
         {"data_size_at", opt(d.data_size_at)},
         {"container_count_at", opt(d.container_count_at)},
         {"pid", opt(d.pid)}};
  // omitempty in Hydra's types:
  if (!d.error.empty()) j["error"] = d.error;
  if (!d.bridge_name.empty()) j["bridge_name"] = d.bridge_name;
  if (!d.subnet.empty()) j["subnet"] = d.subnet;
  if (!d.gateway.empty()) j["gateway"] = d.gateway;
  if (!d.address_pool.empty()) j["address_pool"] = d.address_pool;
  if (d.exit_code) j["exit_code"] = *d.exit_code;
  if (!d.network.empty()) j["network"] = d.network;
  if (!d.netns.empty()) {
    j["netns"] = d.netns;
    j["uplink"] = d.uplink;
    j["uplink_address"] = d.uplink_address;
    j["uplink_gateway"] = d.uplink_gateway;
  }
  if (!d.golden.empty()) j["golden"] = d.golden;
  if (!d.host_docker) j["limits"] = session::limits_json(d.limits);
  if (!d.cgroup.empty()) j["cgroup"] = d.cgroup;
  if (d.usage)
    j["usage"] = {{"cpu_seconds", d.usage->cpu_seconds}, {"memory_bytes", d.usage->memory_bytes},
                  {"memory_peak_bytes", d.usage->memory_peak_bytes}, {"pids", d.usage->pids},
                  {"oom_kills", d.usage->oom_kills}};
  if (d.clone)
    j["clone"] = {{"golden", d.clone->golden}, {"method", d.clone->method}, {"bytes_done", d.clone->bytes_done},
                  {"bytes_total", d.clone->bytes_total}};
  if (d.desktop) {
    auto ports = [](const std::vector<DesktopPort>& v) {
      json a = json::array();
      for (const auto& p : v) a.push_back({{"proto", p.proto}, {"port", p.port}, {"container", p.container}});
      return a;
    };
    json names = json::array();
    for (const auto& n : d.desktop->names) names.push_back({{"name", n.name}, {"address", n.address}});
    j["desktop"] = {{"container_id", d.desktop->container_id}, {"pid", d.desktop->pid}, {"ip", d.desktop->ip},
                    {"veth", d.desktop->veth}, {"interface", d.desktop->interface},
                    {"resolver", d.desktop->resolver}, {"names", std::move(names)},
                    {"forwarded_ports", ports(d.desktop->forwarded_ports)},
                    {"skipped_ports", ports(d.desktop->skipped_ports)}};
  }
  return j;
}

json to_json(const std::vector<DockerInstance>& list) {
  json arr = json::array();
  for (const auto& d : list) arr.push_back(to_json(d));
  return json{{"instances", std::move(arr)}};
}

Result<DockerInstance> decode_instance(const json& j) {
  if (!j.is_object()) return make_error("docker instance: not a JSON object", EINVAL);
  DockerInstance d;
  if (auto st = first_error(
          {read(j, "scope_type", d.scope_type, true), read(j, "scope_id", d.scope_id, true),
           read(j, "user_id", d.user_id), read(j, "docker_socket", d.docker_socket),
           read(j, "docker_host", d.docker_host), read(j, "data_root", d.data_root), read(j, "status", d.status, true),
           read(j, "error", d.error), read(j, "bridge_name", d.bridge_name), read(j, "subnet", d.subnet),
           read(j, "gateway", d.gateway), read(j, "container_count", d.container_count),
           read(j, "uptime_seconds", d.uptime_seconds), read(j, "data_size_bytes", d.data_size_bytes),
           read(j, "created_at", d.created_at), read(j, "state", d.state), read(j, "address_pool", d.address_pool),
           read(j, "index", d.index), read(j, "max_containers", d.max_containers), read(j, "host_docker", d.host_docker),
           read(j, "data_size_at", d.data_size_at),
           read(j, "container_count_at", d.container_count_at), read(j, "pid", d.pid), read(j, "exit_code", d.exit_code),
           read(j, "network", d.network), read(j, "netns", d.netns), read(j, "uplink", d.uplink),
           read(j, "uplink_address", d.uplink_address), read(j, "uplink_gateway", d.uplink_gateway),
           read(j, "golden", d.golden)});
      !st)
    return bad("docker instance", st.error());
  if (auto it = j.find("desktop"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return make_error("docker instance: field \"desktop\" must be an object", EINVAL);
    DesktopLink l;
    if (auto st = first_error({read(*it, "container_id", l.container_id), read(*it, "pid", l.pid),
                               read(*it, "ip", l.ip), read(*it, "veth", l.veth), read(*it, "interface", l.interface),
                               read(*it, "resolver", l.resolver)});
        !st)
      return bad("docker instance desktop", st.error());
    if (auto names = it->find("names"); names != it->end() && names->is_array())
      for (const auto& n : *names)
        if (n.is_object())
          l.names.push_back({json_fields::string_or(n, "name"), json_fields::string_or(n, "address")});
    for (auto [key, out] : {std::pair{"forwarded_ports", &l.forwarded_ports}, std::pair{"skipped_ports", &l.skipped_ports}})
      if (auto ports = it->find(key); ports != it->end() && ports->is_array())
        for (const auto& p : *ports)
          if (const int port = json_fields::int_or(p, "port", 0); p.is_object() && port > 0)
            out->push_back({json_fields::string_or(p, "proto"), port, json_fields::string_or(p, "container")});
    d.desktop = l;
  }
  if (auto it = j.find("limits"); it != j.end() && !it->is_null()) {
    auto limits = session::limits_from_json(*it);
    if (!limits) return bad("docker instance limits", limits.error());
    d.limits = *limits;
  }
  if (auto st = read(j, "cgroup", d.cgroup); !st) return bad("docker instance", st.error());
  if (auto it = j.find("usage"); it != j.end() && it->is_object()) {
    SessionUsage u;
    if (auto st = first_error({read(*it, "memory_bytes", u.memory_bytes), read(*it, "memory_peak_bytes", u.memory_peak_bytes),
                               read(*it, "pids", u.pids), read(*it, "oom_kills", u.oom_kills)});
        !st)
      return bad("docker instance usage", st.error());
    if (auto cpu = it->find("cpu_seconds"); cpu != it->end()) {
      if (!cpu->is_number()) return make_error("docker instance usage: field \"cpu_seconds\" must be a number", EINVAL);
      u.cpu_seconds = cpu->get<double>();
    }
    d.usage = u;
  }
  if (auto it = j.find("clone"); it != j.end() && it->is_object()) {
    DockerInstance::Clone c;
    if (auto st = first_error({read(*it, "golden", c.golden), read(*it, "method", c.method),
                               read(*it, "bytes_done", c.bytes_done), read(*it, "bytes_total", c.bytes_total)});
        !st)
      return bad("docker instance clone", st.error());
    d.clone = c;
  }
  return d;
}

Result<std::vector<DockerInstance>> decode_instances(const json& j) {
  auto it = j.find("instances");
  if (!j.is_object() || it == j.end()) return make_error("docker instances: not an object with \"instances\"", EINVAL);
  return detail::decode_array<DockerInstance>(*it, &decode_instance, "instances");
}

json to_json(const StopResponse& r) {
  return {{"scope_type", r.scope_type},
          {"scope_id", r.scope_id},
          {"status", r.status},
          {"containers_stopped", r.containers_stopped},
          {"data_preserved", r.data_preserved},
          {"was_running", r.was_running}};
}

Result<StopResponse> decode_stop_response(const json& j) {
  if (!j.is_object()) return make_error("stop: not a JSON object", EINVAL);
  StopResponse r;
  if (auto st = first_error({read(j, "scope_type", r.scope_type, true), read(j, "scope_id", r.scope_id, true),
                             read(j, "status", r.status, true), read(j, "containers_stopped", r.containers_stopped),
                             read(j, "data_preserved", r.data_preserved), read(j, "was_running", r.was_running)});
      !st)
    return bad("stop", st.error());
  return r;
}

json to_json(const PurgeResponse& r) {
  return {{"scope_type", r.scope_type},
          {"scope_id", r.scope_id},
          {"status", r.status},
          {"data_deleted_bytes", r.data_deleted_bytes}};
}

Result<PurgeResponse> decode_purge_response(const json& j) {
  if (!j.is_object()) return make_error("purge: not a JSON object", EINVAL);
  PurgeResponse r;
  if (auto st = first_error({read(j, "scope_type", r.scope_type, true), read(j, "scope_id", r.scope_id, true),
                             read(j, "status", r.status, true), read(j, "data_deleted_bytes", r.data_deleted_bytes)});
      !st)
    return bad("purge", st.error());
  return r;
}

json to_json(const PrivilegedModeStatus& p) {
  json j{{"enabled", p.enabled}, {"description", p.description}};
  if (!p.host_docker_socket.empty()) j["host_docker_socket"] = p.host_docker_socket;
  return j;
}

json to_json(const BridgeDesktopResponse& r) {
  return {{"desktop_ip", r.desktop_ip},
          {"gateway", r.gateway},
          {"subnet", r.subnet},
          {"interface", r.interface},
          {"scope_type", r.scope_type},
          {"scope_id", r.scope_id},
          {"desktop_container_id", r.desktop_container_id},
          {"veth", r.veth},
          {"bridge_name", r.bridge_name}};
}

Result<BridgeDesktopResponse> decode_bridge_desktop_response(const json& j) {
  if (!j.is_object()) return make_error("bridge-desktop: not a JSON object", EINVAL);
  BridgeDesktopResponse r;
  if (auto st = first_error({read(j, "desktop_ip", r.desktop_ip, true), read(j, "gateway", r.gateway),
                             read(j, "subnet", r.subnet), read(j, "interface", r.interface),
                             read(j, "scope_type", r.scope_type), read(j, "scope_id", r.scope_id),
                             read(j, "desktop_container_id", r.desktop_container_id), read(j, "veth", r.veth),
                             read(j, "bridge_name", r.bridge_name)});
      !st)
    return bad("bridge-desktop", st.error());
  return r;
}

}  // namespace hydra::api
