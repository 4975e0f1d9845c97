#include "api/session_routes.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "session/session_manager.hpp"

namespace hydra::api {

using nlohmann::json;

Result<std::map<std::string, std::string>> decode_body(const std::string& body,
                                                       const std::vector<std::string>& required,
                                                       const std::vector<std::string>& optional) {
  auto j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error("the body must be a JSON object", EINVAL);
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : j.items()) {
    bool known = std::count(required.begin(), required.end(), k) || std::count(optional.begin(), optional.end(), k);
    if (!known) return make_error("unknown field \"" + k + "\"", EINVAL);
    if (!v.is_string()) return make_error("field \"" + k + "\" must be a string", EINVAL);
    out[k] = v.get<std::string>();
  }
  for (const auto& r : required)
    if (!out.count(r)) return make_error("missing field \"" + r + "\"", EINVAL);
  return out;
}

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

HttpResponse create_instance(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_body(req.body, {"scope_type", "scope_id"}, {"user_id"});
  if (!body) return failed(body.error());
  session::SessionKey key{(*body)["scope_type"], (*body)["scope_id"]};
  auto r = ctx.sessions.create(key, (*body)["user_id"]);
  if (!r) return failed(r.error());
  return ok_json(r->second ? 201 : 200, r->first);
}

HttpResponse list_instances(ApiContext& ctx) { return ok_json(200, ctx.sessions.list()); }

HttpResponse inspect_instance(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto r = ctx.sessions.inspect({type, id});
  if (!r) return failed(r.error());
  return ok_json(200, *r);
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
  auto body = decode_body(req.body, {"session_id", "desktop_container_id"}, {});
  if (!body) return failed(body.error());
  auto key = key_from((*body)["session_id"]);
  if (!key) return failed(key.error());
  auto r = ctx.sessions.bridge_desktop(*key, (*body)["desktop_container_id"]);
  if (!r) return failed(r.error());
  return ok_json(200, *r);
}

HttpResponse unbridge_desktop(ApiContext& ctx, const HttpRequest& req) {
  auto body = decode_body(req.body, {"session_id"}, {"desktop_container_id"});
  if (!body) return failed(body.error());
  auto key = key_from((*body)["session_id"]);
  if (!key) return failed(key.error());
  return unbridge_desktop_key(ctx, key->scope_type, key->scope_id);
}

HttpResponse unbridge_desktop_key(ApiContext& ctx, const std::string& type, const std::string& id) {
  auto st = ctx.sessions.unbridge_desktop({type, id});
  if (!st) return failed(st.error());
  return ok_json(200, {{"session_id", type + "/" + id}, {"status", "unbridged"}});
}

}  // namespace hydra::api
