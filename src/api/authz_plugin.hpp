// SPDX-License-Identifier: Apache-2.0
// Docker's authorization-plugin protocol, served on a socket of hydrad's
// own to the session dockerds started with a max_containers limit
// (--authorization-plugin). Every request such a dockerd serves is asked
// about (AuthZReq) and reported (AuthZRes); only container creates are
// ever refused.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "api/http_server.hpp"
#include "session/limits/container_limiter.hpp"

namespace hydra::api {

// Bodies can carry a whole request or response body (base64); only the
// method and URI matter here. Every session dockerd is root: no per-peer
// share; and dockerd keeps its connections open between calls.
inline constexpr HttpLimits kAuthzLimits{size_t{4} * 1024 * 1024, true, {256, 0, 0}};

HttpResponse authz_plugin_route(session::ContainerLimiter& limiter, const HttpRequest& req);

// The plugin's socket, /run/docker/plugins/NAME/NAME.sock, served from the
// first time a limited session needs it (a hydrad without limits leaves the
// machine's plugin folder alone). Removed with its folder when destroyed.
class AuthzPluginServer {
 public:
  AuthzPluginServer(session::ContainerLimiter& limiter, const std::string& name);
  ~AuthzPluginServer();
  AuthzPluginServer(const AuthzPluginServer&) = delete;
  AuthzPluginServer& operator=(const AuthzPluginServer&) = delete;

  // Serving (now or already); thread-safe.
  Status ensure();

 private:
  session::ContainerLimiter& limiter_;
  const std::string socket_;
  std::mutex mu_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace hydra::api
