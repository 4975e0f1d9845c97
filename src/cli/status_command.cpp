#include "cli/status_command.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/api_client.hpp"
#include "cli/table.hpp"

namespace hydra::cli {

using nlohmann::json;

namespace {

std::string str(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>();
  return j.dump();
}

}  // namespace

int run_status(const std::string& socket, bool as_json, std::ostream& out, std::ostream& err) {
  auto reply = api_request(socket, "GET", "/api/v1/bridges");
  if (!reply) {
    err << "hydractl: " << reply.error().message << "\n";
    return 1;
  }
  auto bridges = json::parse(reply->body, nullptr, false);
  if (reply->status != 200 || bridges.is_discarded()) {
    err << "hydractl: hydrad answered " << reply->status << ": " << reply->body << "\n";
    return 1;
  }
  if (as_json) {
    out << bridges.dump(2) << "\n";
    return 0;
  }
  Table t({"BRIDGE", "STATE", "IFINDEX", "MAC", "MTU", "UP", "ADDRESSES", "PORTS", "RESTORES", "LAST RESTORE"});
  for (const auto& b : bridges) {
    std::string addrs;
    for (const auto& a : b.value("addresses", json::array())) addrs += (addrs.empty() ? "" : " ") + a.get<std::string>();
    std::string last = "-";
    if (b.contains("last_restore") && !b["last_restore"].is_null()) {
      const auto& l = b["last_restore"];
      last = str(l["restore_us"]) + " us, " + str(l["ports_attached"]) + " ports, " + str(l["at"]);
    }
    t.add({str(b["name"]), str(b["state"]), str(b["ifindex"]), str(b["mac"]), str(b["mtu"]),
           b.value("up", false) ? "yes" : "no", addrs.empty() ? "-" : addrs,
           std::to_string(b.value("ports", json::array()).size()), str(b["restores"]), last});
  }
  t.print(out);
  for (const auto& b : bridges) {
    std::string ports;
    for (const auto& p : b.value("ports", json::array()))
      ports += (ports.empty() ? "" : ", ") + str(p["name"]) + " (#" + str(p["ifindex"]) + ")";
    if (!ports.empty()) out << str(b["name"]) << " ports: " << ports << "\n";
    if (b.contains("conflict")) out << str(b["name"]) << ": " << str(b["conflict"]) << "\n";
  }
  return 0;
}

}  // namespace hydra::cli
