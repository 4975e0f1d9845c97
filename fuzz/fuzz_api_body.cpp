// Fuzz target: any bytes as the body of POST /api/v1/docker-instances and
// POST /api/v1/bridge-desktop. Decoded fields are exactly the allowed ones.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "api/session_routes.hpp"
#include "session/session_spec.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  auto r = hydra::api::decode_body(body, {"scope_type", "scope_id"}, {"user_id"});
  if (r) {
    for (const auto& [k, v] : *r)
      if (k != "scope_type" && k != "scope_id" && k != "user_id") std::abort();
    if (!r->count("scope_type") || !r->count("scope_id")) std::abort();
    (void)hydra::session::validate_key({r->at("scope_type"), r->at("scope_id")});
  }
  auto b = hydra::api::decode_body(body, {"session_id", "desktop_container_id"}, {});
  (void)b;
  return 0;
}
