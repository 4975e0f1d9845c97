// SPDX-License-Identifier: Apache-2.0
#include "cli/status_command.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

#include "api/schema.hpp"
#include "cli/api_client.hpp"
#include "cli/table.hpp"

namespace hydra::cli {

using nlohmann::json;

namespace {

// Sessions, the warm pool and the shared containerd, from /health; nothing
// when an older hydrad does not say.
void print_session_layer(const std::string& socket, std::ostream& out) {
  auto reply = api_request(socket, "GET", "/health");
  if (!reply || reply->status != 200) return;
  auto h = api::decode_health(json::parse(reply->body, nullptr, false));
  if (!h) return;
  out << "sessions: " << h->active_instances << " running";
  if (h->sessions_unresponsive > 0) out << ", " << h->sessions_unresponsive << " unresponsive";
  out << "\n";
  if (h->pool_target > 0)
    out << "warm pool: " << h->pool_ready << " ready of " << h->pool_target
        << (h->pool_starting > 0 ? ", " + std::to_string(h->pool_starting) + " starting" : std::string()) << "\n";
  else
    out << "warm pool: off\n";
  if (h->containerd_mode == "shared")
    out << "containerd: shared, "
        << (h->containerd_running ? "pid " + std::to_string(h->containerd_pid) : std::string("not running"))
        << (h->containerd_restarts > 0 ? ", restarted " + std::to_string(h->containerd_restarts) + " times"
                                        : std::string())
        << (h->containerd_error.empty() ? std::string() : " (" + h->containerd_error + ")") << "\n";
  else if (!h->containerd_mode.empty())
    out << "containerd: one per session\n";
}

}  // namespace

int run_status(const std::string& socket, bool as_json, std::ostream& out, std::ostream& err) {
  auto reply = api_request(socket, "GET", "/api/v1/bridges");
  if (!reply) {
    err << "hydractl: " << reply.error().message << "\n";
    return 1;
  }
  auto j = json::parse(reply->body, nullptr, false);
  auto bridges = api::decode_bridges(j);
  if (reply->status != 200 || !bridges) {
    err << "hydractl: hydrad answered " << reply->status << ": "
        << (bridges ? reply->body : bridges.error().message + ": " + reply->body) << "\n";
    return 1;
  }
  if (as_json) {
    out << j.dump(2) << "\n";
    return 0;
  }
  Table t({"BRIDGE", "STATE", "IFINDEX", "MAC", "MTU", "UP", "ADDRESSES", "PORTS", "RESTORES", "LAST RESTORE"});
  for (const auto& b : *bridges) {
    std::string addrs;
    for (const auto& a : b.addresses) addrs += (addrs.empty() ? "" : " ") + a;
    std::string last = "-";
    if (b.last_restore)
      last = std::to_string(b.last_restore->restore_us) + " us, " + std::to_string(b.last_restore->ports_attached) +
             " ports, " + b.last_restore->at;
    t.add({b.name, b.state, cell(b.ifindex), cell(b.mac), cell(b.mtu), b.up ? "yes" : "no", addrs.empty() ? "-" : addrs,
           std::to_string(b.ports.size()), std::to_string(b.restores), last});
  }
  t.print(out);
  for (const auto& b : *bridges) {
    std::string ports;
    for (const auto& p : b.ports) ports += (ports.empty() ? "" : ", ") + p.name + " (#" + std::to_string(p.ifindex) + ")";
    if (!ports.empty()) out << b.name << " ports: " << ports << "\n";
    if (b.conflict) out << b.name << ": " << *b.conflict << "\n";
    if (b.restore_attempts) out << b.name << ": restore pending, " << *b.restore_attempts << " attempts failed\n";
  }
  print_session_layer(socket, out);
  return 0;
}

}  // namespace hydra::cli
