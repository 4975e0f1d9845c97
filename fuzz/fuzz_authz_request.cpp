// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as a Docker authorization-plugin call from a session
// dockerd (AuthZReq, AuthZRes, Activate; the first byte picks which). Never a
// crash or an exception; every answer is a plugin verdict: 200 with a JSON
// object whose "Allow" is a boolean (or the Activate answer), or a 4xx.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "api/authz_plugin.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static hydra::session::ContainerLimiter limiter(
      [](const std::string&) { return hydra::Result<size_t>(size_t{1}); }, 0);
  static bool tracked = [] {
    limiter.track(4242, "session/fuzz", "/nonexistent.sock", 1);
    limiter.set_ready();
    return true;
  }();
  (void)tracked;
  if (size == 0) return 0;
  static const char* const kPaths[] = {"/AuthZPlugin.AuthZReq", "/AuthZPlugin.AuthZRes", "/Plugin.Activate",
                                       "/AuthZPlugin.Other"};
  hydra::api::HttpRequest req;
  req.method = (data[0] & 0x80) ? "GET" : "POST";
  req.path = kPaths[data[0] & 3];
  req.peer_pid = (data[0] & 0x40) ? 4242 : 7;
  req.body.assign(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto resp = hydra::api::authz_plugin_route(limiter, req);
  if (resp.status == 200) {
    auto j = nlohmann::json::parse(resp.body, nullptr, false);
    if (!j.is_object()) std::abort();
    if (req.path != std::string("/Plugin.Activate")) {
      auto allow = j.find("Allow");
      if (allow == j.end() || !allow->is_boolean()) std::abort();
    }
  } else if (resp.status < 400 || resp.status >= 500) {
    std::abort();
  }
  return 0;
}
