#include "api/schema.hpp"

#include "base/json_fields.hpp"

namespace hydra::api {

using json_fields::first_error;
using json_fields::read;

namespace {

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

Error bad(const std::string& what, const Error& e) { return make_error(what + ": " + e.message, EINVAL); }

// A request body: an object whose fields are all among `known`.
Result<json> request_object(const std::string& body, std::initializer_list<const char*> known) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("the body must be a JSON object", EINVAL);
  for (const auto& [k, _] : j.items()) {
    bool ok = false;
    for (const char* name : known) ok |= k == name;
    if (!ok) return make_error("unknown field \"" + k + "\"", EINVAL);
  }
  return j;
}

template <class T>
Result<std::vector<T>> decode_array(const json& j, Result<T> (*one)(const json&), const char* what) {
  if (!j.is_array()) return make_error(std::string(what) + " must be a JSON array", EINVAL);
  std::vector<T> out;
  for (const auto& item : j) {
    auto v = one(item);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace

json error_json(const std::string& message) { return json{{"error", message}}; }

json to_json(const Health& h) {
  return json{{"status", h.status},
              {"version", h.version},
              {"bridges", h.bridges},
              {"guarded", h.guarded},
              {"sessions_running", h.sessions_running},
              {"sessions_unresponsive", h.sessions_unresponsive}};
}

Result<Health> decode_health(const json& j) {
  if (!j.is_object()) return make_error("health: not a JSON object", EINVAL);
  Health h;
  if (auto st = first_error({read(j, "status", h.status, true), read(j, "version", h.version),
                             read(j, "bridges", h.bridges), read(j, "guarded", h.guarded),
                             read(j, "sessions_running", h.sessions_running),
                             read(j, "sessions_unresponsive", h.sessions_unresponsive)});
      !st)
    return bad("health", st.error());
  return h;
}

json to_json(const telemetry::BridgeStatus& b) {
  json ports = json::array();
  for (const auto& p : b.ports) ports.push_back({{"name", p.name}, {"ifindex", p.ifindex}});
  json j{{"name", b.name},
         {"state", b.state},
         {"up", b.up},
         {"ifindex", opt(b.ifindex)},
         {"mac", opt(b.mac)},
         {"mtu", opt(b.mtu)},
         {"addresses", b.addresses},
         {"ports", ports},
         {"restores", b.restores},
         {"last_restore", nullptr},
         {"degraded", b.degraded},
         {"extras", b.extras}};
  if (b.last_restore)
    j["last_restore"] = {{"restore_us", b.last_restore->restore_us},
                         {"ports_attached", b.last_restore->ports_attached},
                         {"at", b.last_restore->at}};
  if (b.restore_attempts) j["restore_attempts"] = *b.restore_attempts;
  if (b.conflict) j["conflict"] = *b.conflict;
  return j;
}

Result<telemetry::BridgeStatus> decode_bridge(const json& j) {
  if (!j.is_object()) return make_error("bridge: not a JSON object", EINVAL);
  telemetry::BridgeStatus b;
  if (auto st = first_error({read(j, "name", b.name, true), read(j, "state", b.state, true), read(j, "up", b.up),
                             read(j, "ifindex", b.ifindex), read(j, "mac", b.mac), read(j, "mtu", b.mtu),
                             read(j, "addresses", b.addresses), read(j, "restores", b.restores),
                             read(j, "restore_attempts", b.restore_attempts), read(j, "conflict", b.conflict),
                             read(j, "degraded", b.degraded)});
      !st)
    return bad("bridge", st.error());
  if (auto it = j.find("ports"); it != j.end()) {
    if (!it->is_array()) return make_error("bridge: field \"ports\" must be an array", EINVAL);
    for (const auto& p : *it) {
      telemetry::BridgeStatus::Port port;
      if (!p.is_object()) return make_error("bridge: a port is not an object", EINVAL);
      if (auto st = first_error({read(p, "name", port.name, true), read(p, "ifindex", port.ifindex, true)}); !st)
        return bad("bridge port", st.error());
      b.ports.push_back(std::move(port));
    }
  }
  if (auto it = j.find("last_restore"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return make_error("bridge: field \"last_restore\" must be an object", EINVAL);
    telemetry::BridgeStatus::LastRestore l;
    if (auto st = first_error({read(*it, "restore_us", l.restore_us), read(*it, "ports_attached", l.ports_attached),
                               read(*it, "at", l.at)});
        !st)
      return bad("bridge last_restore", st.error());
    b.last_restore = l;
  }
  if (auto it = j.find("extras"); it != j.end() && it->is_object()) b.extras = *it;
  return b;
}

Result<std::vector<telemetry::BridgeStatus>> decode_bridges(const json& j) {
  return decode_array<telemetry::BridgeStatus>(j, &decode_bridge, "bridges");
}

json to_json(const DockerInstance& d) {
  json j{{"scope_type", d.scope_type}, {"scope_id", d.scope_id},   {"user_id", d.user_id},
         {"docker_socket", d.docker_socket}, {"docker_host", d.docker_host}, {"data_root", d.data_root},
         {"status", d.status},         {"bridge_name", d.bridge_name}, {"subnet", d.subnet},
         {"gateway", d.gateway},       {"address_pool", d.address_pool}, {"index", d.index}};
  if (d.desktop)
    j["desktop"] = {{"container_id", d.desktop->container_id}, {"pid", d.desktop->pid}, {"ip", d.desktop->ip},
                    {"veth", d.desktop->veth}};
  if (d.error) j["error"] = *d.error;
  if (!d.detail) return j;
  j["pid"] = opt(d.pid);
  j["uptime_seconds"] = opt(d.uptime_seconds);
  j["container_count"] = opt(d.container_count);
  if (d.exit_code) j["exit_code"] = *d.exit_code;
  return j;
}

Result<DockerInstance> decode_instance(const json& j) {
  if (!j.is_object()) return make_error("docker instance: not a JSON object", EINVAL);
  DockerInstance d;
  if (auto st = first_error(
          {read(j, "scope_type", d.scope_type, true), read(j, "scope_id", d.scope_id, true),
           read(j, "user_id", d.user_id), read(j, "docker_socket", d.docker_socket),
           read(j, "docker_host", d.docker_host), read(j, "data_root", d.data_root), read(j, "status", d.status, true),
           read(j, "bridge_name", d.bridge_name), read(j, "subnet", d.subnet), read(j, "gateway", d.gateway),
           read(j, "address_pool", d.address_pool), read(j, "index", d.index), read(j, "pid", d.pid),
           read(j, "uptime_seconds", d.uptime_seconds), read(j, "container_count", d.container_count),
           read(j, "exit_code", d.exit_code), read(j, "error", d.error)});
      !st)
    return bad("docker instance", st.error());
  d.detail = j.contains("pid");
  if (auto it = j.find("desktop"); it != j.end() && !it->is_null()) {
    if (!it->is_object()) return make_error("docker instance: field \"desktop\" must be an object", EINVAL);
    DesktopLink l;
    if (auto st = first_error({read(*it, "container_id", l.container_id), read(*it, "pid", l.pid),
                               read(*it, "ip", l.ip), read(*it, "veth", l.veth)});
        !st)
      return bad("docker instance desktop", st.error());
    d.desktop = l;
  }
  return d;
}

Result<std::vector<DockerInstance>> decode_instances(const json& j) {
  return decode_array<DockerInstance>(j, &decode_instance, "docker instances");
}

Result<CreateInstanceRequest> decode_create_request(const std::string& body) {
  auto j = request_object(body, {"scope_type", "scope_id", "user_id"});
  if (!j) return j.error();
  CreateInstanceRequest r;
  if (auto st = first_error({read(*j, "scope_type", r.scope_type, true), read(*j, "scope_id", r.scope_id, true),
                             read(*j, "user_id", r.user_id)});
      !st)
    return st.error();
  return r;
}

Result<BridgeDesktopRequest> decode_bridge_desktop_request(const std::string& body, bool need_container) {
  auto j = request_object(body, {"session_id", "desktop_container_id"});
  if (!j) return j.error();
  BridgeDesktopRequest r;
  if (auto st = first_error({read(*j, "session_id", r.session_id, true),
                             read(*j, "desktop_container_id", r.desktop_container_id, need_container)});
      !st)
    return st.error();
  return r;
}

}  // namespace hydra::api
