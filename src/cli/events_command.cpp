// SPDX-License-Identifier: Apache-2.0
#include "cli/events_command.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

#include "base/json_fields.hpp"
#include "docker/unix_http.hpp"
#include "telemetry/event_log.hpp"

namespace hydra::cli {

int run_events(const std::string& socket, bool json, std::ostream& out, std::ostream& err) {
  std::string partial;
  auto r = docker::unix_http_stream(socket, "/api/v1/events", [&](std::string_view data) {
    partial.append(data);
    size_t nl = 0;
    while ((nl = partial.find('\n')) != std::string::npos) {
      std::string line = partial.substr(0, nl);
      partial.erase(0, nl + 1);
      if (line.empty()) continue;  // the server's keep-alive
      if (json) {
        out << line << "\n";
      } else {
        auto e = nlohmann::json::parse(line, nullptr, false);
        if (!e.is_object()) continue;
        std::string ts = json_fields::string_or(e, "ts"), name = json_fields::string_or(e, "event");
        e.erase("ts");
        e.erase("event");
        out << ts << " " << name << " " << telemetry::EventLog::text_fields(e) << "\n";
      }
      out.flush();
    }
    return static_cast<bool>(out);
  });
  if (!r) {
    err << "hydractl: cannot reach hydrad at " << socket << ": " << r.error().message << "\n";
    return 1;
  }
  if (r->status != 200) {
    err << "hydractl: hydrad answered " << r->status << "\n";
    return 1;
  }
  return 0;
}

}  // namespace hydra::cli
