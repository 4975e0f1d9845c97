// SPDX-License-Identifier: Apache-2.0
#include "api/schema.hpp"

#include <cctype>

#include "api/schema_detail.hpp"
#include "base/json_fields.hpp"

namespace hydra::api {

using json_fields::first_error;
using json_fields::read;
using detail::bad;
using detail::opt;

namespace {

bool same_name(const std::string& a, const char* b) {
  size_t i = 0;
  for (; i < a.size() && b[i]; ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return i == a.size() && !b[i];
}

// A request body as Go's encoding/json would fill a struct with the fields
// `known`: the object of those fields found (exact name first, else any
// case), nulls left out; everything else ignored.
Result<json> request_object(const std::string& body, std::initializer_list<const char*> known) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded()) return make_error("the body is not valid JSON", EINVAL);
  if (!j.is_object()) return make_error("the body must be a JSON object", EINVAL);
  json out = json::object();
  for (const char* name : known) {
    auto it = j.find(name);
    if (it == j.end())
      for (auto i = j.begin(); i != j.end(); ++i)
        if (same_name(i.key(), name)) it = i;
    if (it != j.end() && !it->is_null()) out[name] = *it;
  }
  return out;
}

}  // namespace

json error_json(const std::string& message) { return json{{"error", message}}; }

json to_json(const Health& h) {
  return json{{"status", h.status},
              {"active_instances", h.active_instances},
              {"version", h.version},
              {"bridges", h.bridges},
              {"guarded", h.guarded},
              {"sessions_unresponsive", h.sessions_unresponsive},
              {"containerd", {{"mode", h.containerd_mode},
                              {"running", h.containerd_running},
                              {"pid", h.containerd_pid},
                              {"restarts", h.containerd_restarts},
                              {"error", h.containerd_error}}},
              {"warm_pool", {{"target", h.pool_target}, {"ready", h.pool_ready}, {"starting", h.pool_starting}}}};
}

Result<Health> decode_health(const json& j) {
  if (!j.is_object()) return make_error("health: not a JSON object", EINVAL);
  Health h;
  if (auto st = first_error({read(j, "status", h.status, true), read(j, "version", h.version),
                             read(j, "bridges", h.bridges), read(j, "guarded", h.guarded),
                             read(j, "active_instances", h.active_instances),
                             read(j, "sessions_unresponsive", h.sessions_unresponsive)});
      !st)
    return bad("health", st.error());
  if (auto c = j.find("containerd"); c != j.end() && c->is_object())
    if (auto st = first_error({read(*c, "mode", h.containerd_mode), read(*c, "running", h.containerd_running),
                               read(*c, "pid", h.containerd_pid), read(*c, "restarts", h.containerd_restarts),
                               read(*c, "error", h.containerd_error)});
        !st)
      return bad("health.containerd", st.error());
  if (auto p = j.find("warm_pool"); p != j.end() && p->is_object())
    if (auto st = first_error({read(*p, "target", h.pool_target), read(*p, "ready", h.pool_ready),
                               read(*p, "starting", h.pool_starting)});
        !st)
      return bad("health.warm_pool", st.error());
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
  return detail::decode_array<telemetry::BridgeStatus>(j, &decode_bridge, "bridges");
}

namespace {

// A size field: bytes as a whole number, or a string as docker --memory
// takes it. 0, "" and null leave it to the default.
Status read_size_field(const json& j, const char* key, std::optional<uint64_t>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (it->is_number_integer()) {
    if (!it->is_number_unsigned() && it->get<int64_t>() < 0)
      return make_error(std::string("field \"") + key + "\" must not be negative", EINVAL);
    if (const uint64_t v = it->get<uint64_t>(); v > 0) out = v;
    return {};
  }
  if (!it->is_string())
    return make_error(std::string("field \"") + key + "\" must be bytes or a size such as \"64MiB\"", EINVAL);
  const auto& text = it->get_ref<const std::string&>();
  if (text.empty()) return {};
  auto v = session::parse_memory_size(text);
  if (!v) return make_error(std::string("field \"") + key + "\": " + v.error().message, EINVAL);
  if (*v > 0) out = *v;
  return {};
}

Status decode_request_limits(const json& j, session::ResourceLimits& l) {
  if (auto st = read_size_field(j, "memory_limit", l.memory); !st) return st;
  if (auto st = read_size_field(j, "memory_high", l.memory_high); !st) return st;
  if (auto it = j.find("cpu_limit"); it != j.end() && !it->is_null()) {
    if (!it->is_number()) return make_error("field \"cpu_limit\" must be a number of CPUs (1.5)", EINVAL);
    const double cpus = it->get<double>();
    if (cpus < 0) return make_error("field \"cpu_limit\" must not be negative", EINVAL);
    if (cpus > 0) l.cpus = cpus;
  }
  int64_t weight = 0, pids = 0;
  if (auto st = first_error({read(j, "cpu_weight", weight), read(j, "pids_limit", pids)}); !st) return st;
  if (weight < 0) return make_error("field \"cpu_weight\" must be 1 to 10000", EINVAL);
  if (pids < 0) return make_error("field \"pids_limit\" must not be negative", EINVAL);
  if (weight > 10000) return make_error("field \"cpu_weight\" must be 1 to 10000", EINVAL);
  if (weight > 0) l.cpu_weight = static_cast<uint32_t>(weight);
  if (pids > 0) l.pids = static_cast<uint64_t>(pids);
  return {};
}

}  // namespace

Result<CreateInstanceRequest> decode_create_request(const std::string& body) {
  auto j = request_object(body, {"scope_type", "scope_id", "user_id", "max_containers", "use_host_docker", "golden",
                                  "memory_limit", "memory_high", "cpu_limit", "cpu_weight", "pids_limit"});
  if (!j) return j.error();
  CreateInstanceRequest r;
  if (auto st = first_error({read(*j, "scope_type", r.scope_type, true), read(*j, "scope_id", r.scope_id, true),
                             read(*j, "user_id", r.user_id), read(*j, "max_containers", r.max_containers),
                             read(*j, "use_host_docker", r.use_host_docker), read(*j, "golden", r.golden)});
      !st)
    return st.error();
  if (r.golden && r.golden->empty()) r.golden.reset();  // "" as absent, as Go's omitempty sends it
  if (r.max_containers < 0) return make_error("field \"max_containers\" must be 0 (no limit) or more", EINVAL);
  if (auto st = decode_request_limits(*j, r.limits); !st) return st.error();
  return r;
}

Result<GoldenCreateRequest> decode_golden_request(const std::string& body) {
  auto j = request_object(body, {"name", "from"});
  if (!j) return j.error();
  GoldenCreateRequest r;
  if (auto st = first_error({read(*j, "name", r.name, true), read(*j, "from", r.from, true)}); !st) return st.error();
  return r;
}

json to_json(const GoldenEntry& g) {
  return {{"name", g.name},     {"source", g.source},   {"created_at", g.created_at},
          {"last_used_at", g.last_used_at}, {"clone_method", g.method}, {"bytes", g.bytes},
          {"files", g.files},   {"in_use", g.in_use},   {"sessions", g.sessions}, {"id", g.id},
          {"spare", g.spare}};
}

Result<GoldenEntry> decode_golden(const json& j) {
  if (!j.is_object()) return make_error("golden: not a JSON object", EINVAL);
  GoldenEntry g;
  if (auto st = first_error({read(j, "name", g.name, true), read(j, "source", g.source),
                             read(j, "created_at", g.created_at), read(j, "last_used_at", g.last_used_at),
                             read(j, "clone_method", g.method), read(j, "bytes", g.bytes), read(j, "files", g.files),
                             read(j, "in_use", g.in_use), read(j, "sessions", g.sessions), read(j, "id", g.id),
                             read(j, "spare", g.spare)});
      !st)
    return st.error();
  return g;
}

Result<GcReconcileRequest> decode_gc_request(const std::string& body) {
  auto j = request_object(body, {"live", "grace_period_seconds", "dry_run"});
  if (!j) return j.error();
  GcReconcileRequest r;
  if (!j->contains("live")) return make_error("field \"live\" is required (the sessions to keep, as type/id)", EINVAL);
  if (auto st = first_error({read(*j, "live", r.live), read(*j, "grace_period_seconds", r.grace_period_seconds),
                             read(*j, "dry_run", r.dry_run)});
      !st)
    return st.error();
  if (r.grace_period_seconds < 0) return make_error("field \"grace_period_seconds\" must be 0 or more", EINVAL);
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
