// Fuzz target: any bytes as a request body (POST /api/v1/docker-instances,
// /api/v1/bridge-desktop) and as a reply hydractl decodes (health, bridges,
// docker instances). Never a crash, never an exception; what decodes
// re-encodes to the same fields.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/schema.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  if (auto r = hydra::api::decode_create_request(body); r && (r->scope_type.empty() && body.find("scope_type") == std::string::npos))
    std::abort();  // a required field was let through
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
  return 0;
}
