// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as a session dockerd's answers — a container list
// (GET /containers/json), an inspect (its State, its networking), an error
// body, a line of the event stream. Never a crash or an exception; what
// decodes is what the types promise.
#include <cstdint>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "docker/container_networking.hpp"
#include "docker/engine_decode.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  if (auto list = hydra::docker::decode_container_list(text))
    for (const auto& c : *list)
      if (c.id.empty() || c.name.empty() || c.name[0] == '/') std::abort();
  (void)hydra::docker::decode_container_count(text);
  if (auto pid = hydra::docker::decode_container_pid(text); pid && *pid <= 0) std::abort();
  (void)hydra::docker::decode_error_message(text);
  for (size_t start = 0; start <= text.size();) {
    const size_t nl = text.find('\n', start);
    (void)hydra::docker::decode_event_time(std::string_view(text).substr(start, nl == std::string::npos ? nl : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  (void)hydra::docker::decode_container_networking(nlohmann::json::parse(text, nullptr, false));
  return 0;
}
