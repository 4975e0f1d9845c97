// SPDX-License-Identifier: Apache-2.0
#include "api/authz_plugin.hpp"

#include <nlohmann/json.hpp>

#include <unistd.h>

#include "api/control_socket.hpp"
#include "base/json_fields.hpp"
#include "session/core/session_spec.hpp"
#include "session/dockerd/dockerd_config.hpp"

namespace hydra::api {

namespace {

using nlohmann::json;

HttpResponse plugin_json(const json& j) { return {200, j.dump(), "application/vnd.docker.plugins.v1.2+json"}; }

HttpResponse verdict(bool allow, const std::string& msg = "") {
  json j{{"Allow", allow}};
  if (!msg.empty()) j["Msg"] = msg;
  return plugin_json(j);
}

}  // namespace

HttpResponse authz_plugin_route(session::ContainerLimiter& limiter, const HttpRequest& req) {
  if (req.method != "POST") return error_response(405, "plugin calls are POSTs");
  if (req.path == "/Plugin.Activate") return plugin_json({{"Implements", {"authz"}}});
  const bool is_request = req.path == "/AuthZPlugin.AuthZReq";
  if (!is_request && req.path != "/AuthZPlugin.AuthZRes") return error_response(404, "no such plugin call: " + req.path);
  // A response too large to keep whole is never a container create's.
  if (req.body_truncated) return verdict(true);
  auto j = json::parse(req.body, nullptr, false);
  std::string method, uri;
  if (j.is_discarded() || !j.is_object() ||
      !json_fields::first_error({json_fields::read(j, "RequestMethod", method, true),
                                 json_fields::read(j, "RequestUri", uri, true)}))
    return is_request ? verdict(false, "hydra: the authorization request did not decode") : verdict(true);
  const auto peer = static_cast<pid_t>(req.peer_pid);
  if (!is_request) {
    limiter.on_response(peer, method, uri);
    return verdict(true);
  }
  auto v = limiter.on_request(peer, method, uri);
  return verdict(v.allow, v.message);
}

AuthzPluginServer::AuthzPluginServer(session::ContainerLimiter& limiter, const std::string& name)
    : limiter_(limiter), socket_(session::authz_plugin_socket(name)) {}

AuthzPluginServer::~AuthzPluginServer() {
  if (!server_) return;
  server_.reset();  // removes the socket
  rmdir(socket_.substr(0, socket_.rfind('/')).c_str());
}

Status AuthzPluginServer::ensure() {
  std::lock_guard lock(mu_);
  if (server_) return {};
  auto listener = listen_unix(socket_, 0600);
  if (!listener) return make_error("authorization plugin socket: " + listener.error().text(), listener.error().code);
  auto started = HttpServer::start(
      std::move(*listener), socket_, [this](const HttpRequest& req) { return authz_plugin_route(limiter_, req); },
      kAuthzLimits);
  if (!started) return started.error();
  server_ = std::move(*started);
  return {};
}

}  // namespace hydra::api
