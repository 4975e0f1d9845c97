#include "api/session_routes.hpp"

namespace hydra::api {

namespace {

HttpResponse ok_json(int status, const json& j) { return {status, j.dump() + "\n"}; }
HttpResponse failed(const Error& e) { return error_response(status_for(e), e.text()); }

Result<session::SessionKey> key_from(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return make_error("session_id must be \"scope_type/scope_id\"", EINVAL);
  session::SessionKey key{text.substr(0, slash), text.substr(slash + 1)};
  if (auto st = session::validate_key(key); !st) return st.error();
  return key;
}

}  // namespace

DockerInstance instance_of(const session::SessionView& v, bool detail) {
  DockerInstance d;
  d.scope_type = v.key.scope_type;
  d.scope_id = v.key.scope_id;
  d.user_id = v.user_id;
  d.docker_socket = v.paths.socket;
  d.docker_host = "unix://" + v.paths.socket;
  d.data_root = v.paths.data_root;
  d.status = session::session_state_name(v.state);
  d.bridge_name = v.net.bridge;
  d.subnet = v.net.subnet;
  d.gateway = v.net.gateway;
  d.address_pool = v.net.address_pool;
  d.index = v.index;
  if (!v.desktop_container.empty())
    d.desktop = DesktopLink{v.desktop_container, v.desktop_pid, v.net.desktop_ip, v.net.desktop_veth};
  if (!v.reason.empty()) d.error = v.reason;
  d.detail = detail;
  if (detail) {
    d.pid = v.pid;
    d.uptime_seconds = v.uptime_seconds;
    d.container_count = v.container_count;
    d.exit_code = v.exit_code;
  }
  return d;
}

HttpResponse create_instance(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_create_request(req.body);
  if (!body) return failed(body.error());
  auto r = ctx.sessions.create({body->scope_type, body->scope_id}, body->user_id);
  if (!r) return failed(r.error());
  return ok_json(r->second ? 201 : 200, to_json(instance_of(r->first, false)));
}

HttpResponse list_instances(ApiContext& ctx) {
  json arr = json::array();
  for (const auto& v : ctx.sessions.list()) arr.push_back(to_json(instance_of(v, false)));
  return ok_json(200, arr);
}

HttpResponse inspect_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto r = ctx.sessions.inspect({type, id});
  if (!r) return failed(r.error());
  return ok_json(200, to_json(instance_of(*r, true)));
}

HttpResponse delete_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto st = ctx.sessions.remove({type, id});
  if (!st) return failed(st.error());
  return ok_json(200, {{"scope_type", type}, {"scope_id", id}, {"status", "deleted"}, {"data_kept", true}});
}

HttpResponse purge_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto st = ctx.sessions.purge({type, id});
  if (!st) return failed(st.error());
  return ok_json(200, {{"scope_type", type}, {"scope_id", id}, {"status", "purged"}});
}

HttpResponse bridge_desktop(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_bridge_desktop_request(req.body, true);
  if (!body) return failed(body.error());
  auto key = key_from(body->session_id);
  if (!key) return failed(key.error());
  auto r = ctx.sessions.bridge_desktop(*key, body->desktop_container_id);
  if (!r) return failed(r.error());
  return ok_json(200, to_json(instance_of(*r, false)));
}

HttpResponse unbridge_desktop(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_bridge_desktop_request(req.body, false);
  if (!body) return failed(body.error());
  auto key = key_from(body->session_id);
  if (!key) return failed(key.error());
  return unbridge_desktop_key(ctx, key->scope_type, key->scope_id);
}

HttpResponse unbridge_desktop_key(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto st = ctx.sessions.unbridge_desktop({type, id});
  if (!st) return failed(st.error());
  return ok_json(200, {{"session_id", type + "/" + id}, {"status", "unbridged"}});
}

}  // namespace hydra::api
