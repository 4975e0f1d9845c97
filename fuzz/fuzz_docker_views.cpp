// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as what a bridged desktop's link reads from outside
// hydra — a container inspect from a session dockerd, a /proc/PID/net/tcp of
// the desktop, a resolv.conf. Never a crash or an exception; what decodes
// gives names that are DNS names and ports that are ports.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "docker/container_networking.hpp"
#include "session/desktop/desktop_view.hpp"
#include "session/desktop/session_dns.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_discarded()) {
    if (auto c = hydra::docker::decode_container_networking(j)) {
      c->running = true;
      auto view = hydra::session::desktop_view({*c});
      for (const auto& n : view.names)
        if (n.name.empty() || n.name.find_first_of(" \n\t#") != std::string::npos) std::abort();
      for (const auto& p : view.ports)
        if (p.port == 0 || (p.proto != "tcp" && p.proto != "udp")) std::abort();
      (void)hydra::session::hosts_file(view);
    }
  }
  for (uint16_t port : hydra::session::listening_ports(text, "tcp"))
    if (port == 0) std::abort();
  (void)hydra::session::listening_ports(text, "udp");
  for (const auto& s : hydra::session::upstream_resolvers(text))
    if (s.empty() || s.find_first_of(" \n") != std::string::npos) std::abort();
  (void)hydra::session::resolv_with_gateway(text, "10.200.1.1");
  return 0;
}
