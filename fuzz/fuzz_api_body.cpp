// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as a request body (POST /api/v1/docker-instances,
// /api/v1/bridge-desktop, the authorization plugin's AuthZReq/AuthZRes) and
// as a reply hydractl decodes (health, bridges, docker instances, stop,
// purge, bridge-desktop). Never a crash, never an exception; what decodes
// re-encodes to the same fields.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/authz_plugin.hpp"
#include "api/schema.hpp"

namespace {

// Keys match in any case (as Go's decoder matches them).
bool mentions(std::string body, const char* key) {
  std::transform(body.begin(), body.end(), body.begin(), [](unsigned char c) { return std::tolower(c); });
  return body.find(key) != std::string::npos;
}

hydra::session::ContainerLimiter& limiter() {
  static hydra::session::ContainerLimiter l([](const std::string&) -> hydra::Result<size_t> { return size_t{1}; });
  static bool once = [] {
    l.track(1, "session/s1", "/nonexistent", 1);
    l.set_ready();
    return true;
  }();
  (void)once;
  return l;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  if (auto r = hydra::api::decode_create_request(body); r && (!mentions(body, "scope_type") || r->max_containers < 0))
    std::abort();  // a required field was let through, or a bad value
  if (auto g = hydra::api::decode_golden_request(body); g && (!mentions(body, "name") || !mentions(body, "from")))
    std::abort();
  for (const char* call : {"/AuthZPlugin.AuthZReq", "/AuthZPlugin.AuthZRes"}) {
    hydra::api::HttpRequest req{"POST", call, body};
    req.peer_pid = 1;
    auto resp = hydra::api::authz_plugin_route(limiter(), req);
    auto answer = nlohmann::json::parse(resp.body, nullptr, false);
    if (resp.status != 200 || !answer.is_object() || !answer["Allow"].is_boolean()) std::abort();
    hydra::api::HttpRequest done{"POST", "/AuthZPlugin.AuthZRes", body};
    done.peer_pid = 1;
    (void)hydra::api::authz_plugin_route(limiter(), done);  // never leave the gate held
  }
  (void)hydra::api::decode_bridge_desktop_request(body, true);
  (void)hydra::api::decode_bridge_desktop_request(body, false);
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) return 0;
  (void)hydra::api::decode_health(j);
  if (auto b = hydra::api::decode_bridges(j)) {
    for (const auto& one : *b) {
      auto again = hydra::api::decode_bridge(hydra::api::to_json(one));
      if (!again || again->name != one.name || again->ports != one.ports) std::abort();
    }
  }
  if (auto d = hydra::api::decode_instances(j)) {
    for (const auto& one : *d) {
      auto again = hydra::api::decode_instance(hydra::api::to_json(one));
      if (!again || again->scope_id != one.scope_id || again->status != one.status) std::abort();
    }
  }
  (void)hydra::api::decode_stop_response(j);
  (void)hydra::api::decode_purge_response(j);
  (void)hydra::api::decode_bridge_desktop_response(j);
  return 0;
}
