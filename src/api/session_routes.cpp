// SPDX-License-Identifier: Apache-2.0
#include "api/session_routes.hpp"

#include <set>


#include "base/clock.hpp"

namespace hydra::api {

namespace {

// `session_id` as the client sends it: a bare scope id (Hydra's client), or
// scope_type/scope_id. A bare id names the session of any type with that
// id; a running one wins over stopped ones of other types.
Result<session::SessionKey> resolve_session_id(const ApiContext& ctx, const std::string& text) {
  if (auto slash = text.find('/'); slash != std::string::npos) {
    session::SessionKey key{text.substr(0, slash), text.substr(slash + 1)};
    if (auto st = session::validate_key(key); !st) return st.error();
    return key;
  }
  if (auto st = session::validate_scope_id(text); !st) return st.error();
  std::vector<session::SessionKey> all, alive;
  for (const auto& v : ctx.sessions.list()) {
    if (v.key.scope_id != text) continue;
    all.push_back(v.key);
    if (session::session_alive(v.state)) alive.push_back(v.key);
  }
  const auto& pick = alive.empty() ? all : alive;
  if (pick.empty()) return make_error("no session has the id \"" + text + "\"", ENOENT);
  if (pick.size() > 1) {
    std::string names;
    for (const auto& k : pick) names += (names.empty() ? "" : " and ") + k.text();
    return make_error("\"" + text + "\" names " + names + ": send scope_type/scope_id", EEXIST);
  }
  return pick.front();
}

DockerInstance instance_sized(const ApiContext& ctx, const session::SessionView& v) {
  if (v.paths.data_root.empty()) return instance_of(v, std::nullopt);
  return instance_of(v, ctx.usage.of(v.paths.data_root));
}

}  // namespace

DockerInstance instance_of(const session::SessionView& v, std::optional<session::DataUsage::Figure> size) {
  DockerInstance d;
  d.scope_type = v.key.scope_type;
  d.scope_id = v.key.scope_id;
  d.user_id = v.user_id;
  d.docker_socket = v.paths.socket;
  d.docker_host = "unix://" + v.paths.socket;
  d.data_root = v.paths.data_root;
  d.status = session::hydra_status(v.state, v.failed);
  if (d.status == "error") d.error = v.reason;
  d.bridge_name = v.net.bridge;
  d.subnet = v.net.subnet;
  d.gateway = v.net.gateway;
  d.container_count = static_cast<int64_t>(v.container_count.value_or(0));
  if (v.counted_unix > 0) d.container_count_at = rfc3339(v.counted_unix);
  d.uptime_seconds = v.uptime_seconds.value_or(0);
  d.created_at = rfc3339(v.created_unix);
  if (size) {
    d.data_size_bytes = static_cast<int64_t>(size->bytes);
    d.data_size_at = rfc3339(size->measured_unix);
  }
  d.state = session::session_state_name(v.state);
  d.address_pool = v.net.address_pool;
  d.index = v.index;
  d.max_containers = v.max_containers;
  d.host_docker = v.host_docker;
  d.pid = v.pid;
  d.exit_code = v.exit_code;
  d.golden = v.golden;
  if (v.clone)
    d.clone = DockerInstance::Clone{v.clone->golden, v.clone->method, static_cast<int64_t>(v.clone->bytes_done),
                                    static_cast<int64_t>(v.clone->bytes_total)};
  if (!v.host_docker) d.network = v.net.isolated ? "isolated" : "shared";
  d.limits = v.limits;
  d.cgroup = v.cgroup;
  if (v.usage)
    d.usage = SessionUsage{v.usage->cpu_seconds, static_cast<int64_t>(v.usage->memory_bytes),
                           static_cast<int64_t>(v.usage->memory_peak_bytes), static_cast<int64_t>(v.usage->pids),
                           static_cast<int64_t>(v.usage->oom_kills)};
  if (v.net.isolated) {
    d.netns = v.net.netns;
    d.uplink = v.net.uplink;
    d.uplink_address = v.net.uplink_address;
    d.uplink_gateway = v.net.uplink_gateway;
  }
  if (!v.desktop_container.empty()) {
    d.desktop = DesktopLink{v.desktop_container, v.desktop_pid, v.net.desktop_ip, v.net.desktop_veth,
                            session::kDesktopInterface, v.net.gateway, {}, {}, {}};
    for (const auto& n : v.desktop.names) d.desktop->names.push_back({n.name, n.address});
    for (const auto& p : v.desktop.ports) d.desktop->forwarded_ports.push_back({p.proto, p.port, p.container});
    for (const auto& p : v.desktop.skipped) d.desktop->skipped_ports.push_back({p.proto, p.port, p.container});
  }
  return d;
}

HttpResponse create_instance(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_create_request(req.body);
  if (!body) return error_for(body.error());
  auto r = ctx.sessions.create({body->scope_type, body->scope_id},
                               {body->user_id, body->max_containers, body->use_host_docker, body->golden,
                                body->limits});
  if (!r) return error_for(r.error());
  if (r->second) ctx.usage.refresh();
  return json_response(r->second ? 201 : 200, to_json(instance_sized(ctx, r->first)));
}

HttpResponse list_instances(ApiContext& ctx) {
  std::vector<DockerInstance> out;
  for (const auto& v : ctx.sessions.list()) out.push_back(instance_sized(ctx, v));
  return json_response(200, to_json(out));
}

HttpResponse inspect_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto r = ctx.sessions.inspect({type, id});
  if (!r) return error_for(r.error());
  return json_response(200, to_json(instance_sized(ctx, *r)));
}

HttpResponse delete_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  StopResponse resp;
  resp.scope_type = type;
  resp.scope_id = id;
  auto r = ctx.sessions.remove({type, id});
  // Stopping what does not run is a success: Hydra's client takes anything
  // but 200 as a failure.
  if (!r && r.error().code != ENOENT) return error_for(r.error());
  if (r) {
    resp.was_running = r->was_running;
    resp.containers_stopped = static_cast<int64_t>(r->containers_stopped);
    ctx.usage.refresh();
  }
  return json_response(200, to_json(resp));
}

HttpResponse purge_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto bytes = ctx.sessions.purge({type, id});
  if (!bytes) return error_for(bytes.error());
  ctx.usage.refresh();
  PurgeResponse resp;
  resp.scope_type = type;
  resp.scope_id = id;
  resp.data_deleted_bytes = static_cast<int64_t>(*bytes);
  return json_response(200, to_json(resp));
}

HttpResponse gc_reconcile(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_gc_request(req.body);
  if (!body) return error_response(400, body.error().message);
  std::set<session::SessionKey> live;
  for (const auto& ref : body->live) {
    auto key = session::parse_session_ref(ref);
    if (!key) return error_response(400, "live: " + key.error().message);
    live.insert(*key);
  }
  auto r = ctx.sessions.reconcile(live, body->grace_period_seconds, body->dry_run);
  if (!r) return error_for(r.error());
  if (!body->dry_run) ctx.usage.refresh();
  json removed = json::array();
  for (const auto& item : r->removed) {
    json e{{"session", item.key.text()}, {"scope_type", item.key.scope_type}, {"scope_id", item.key.scope_id},
           {"bytes", item.bytes}, {"stopped_at", rfc3339(item.stopped_unix)}};
    if (!item.error.empty()) e["error"] = item.error;
    removed.push_back(std::move(e));
  }
  json goldens = json::array();
  for (const auto& g : r->goldens_removed) {
    json e{{"golden", g.name}, {"bytes", g.bytes}, {"last_used_at", rfc3339(g.last_used_unix)}};
    if (!g.error.empty()) e["error"] = g.error;
    goldens.push_back(std::move(e));
  }
  return json_response(200, json{{"dry_run", body->dry_run}, {"removed", std::move(removed)},
                           {"goldens_removed", std::move(goldens)}, {"bytes_freed", r->bytes_freed}});
}

HttpResponse privileged_mode(ApiContext& ctx) {
  PrivilegedModeStatus p;
  p.enabled = ctx.sessions.privileged_mode();
  if (p.enabled) {
    p.host_docker_socket = ctx.sessions.main_socket();
    p.description = "use_host_docker is allowed: such an instance runs its containers on the main dockerd (" +
                    p.host_docker_socket + "), with no isolation from the sandbox";
  } else {
    p.description = "use_host_docker is refused; [sessions] privileged_mode = true in hydra.toml allows it";
  }
  return json_response(200, to_json(p));
}

HttpResponse bridge_desktop(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_bridge_desktop_request(req.body, true);
  if (!body) return error_for(body.error());
  auto key = resolve_session_id(ctx, body->session_id);
  if (!key) return error_for(key.error());
  auto v = ctx.sessions.bridge_desktop(*key, body->desktop_container_id);
  if (!v) return error_for(v.error());
  BridgeDesktopResponse resp;
  resp.desktop_ip = v->net.desktop_ip;
  resp.gateway = v->net.gateway;
  resp.subnet = v->net.subnet;
  resp.interface = session::kDesktopInterface;
  resp.scope_type = key->scope_type;
  resp.scope_id = key->scope_id;
  resp.desktop_container_id = v->desktop_container;
  resp.veth = v->net.desktop_veth;
  resp.bridge_name = v->net.bridge;
  return json_response(200, to_json(resp));
}

HttpResponse unbridge_desktop(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_bridge_desktop_request(req.body, false);
  if (!body) return error_for(body.error());
  auto key = resolve_session_id(ctx, body->session_id);
  if (!key) return error_for(key.error());
  return unbridge_desktop_key(ctx, key->scope_type, key->scope_id);
}

HttpResponse unbridge_desktop_key(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto st = ctx.sessions.unbridge_desktop({type, id});
  if (!st) return error_for(st.error());
  return json_response(200, {{"session_id", type + "/" + id}, {"status", "unbridged"}});
}

}  // namespace hydra::api
