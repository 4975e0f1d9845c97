#include "cli/session_commands.hpp"

#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/api_client.hpp"
#include "cli/table.hpp"

namespace hydra::cli {

using nlohmann::json;

namespace {

std::string str(const json& j) {
  if (j.is_null()) return "-";
  if (j.is_string()) return j.get<std::string>().empty() ? "-" : j.get<std::string>();
  return j.dump();
}

// Sends a request; on success hands the JSON answer to `show`, else prints
// hydrad's error. Returns the exit code.
int call(const SessionArgs& a, const std::string& method, const std::string& path, const json& body,
         std::ostream& out, std::ostream& err, const std::function<void(const json&)>& show) {
  auto r = api_request(a.socket, method, path, body.is_null() ? "" : body.dump());
  if (!r) {
    err << "hydractl: " << r.error().message << "\n";
    return 1;
  }
  auto j = json::parse(r->body, nullptr, false);
  if (r->status >= 300 || j.is_discarded()) {
    std::string msg = j.is_object() && j.contains("error") ? str(j["error"]) : r->body;
    err << "hydractl: hydrad answered " << r->status << ": " << msg << "\n";
    return 1;
  }
  if (a.json) out << j.dump(2) << "\n";
  else show(j);
  return 0;
}

std::string key_path(const SessionArgs& a) { return a.scope_type + "/" + a.scope_id; }

void show_one(const json& s, std::ostream& out) {
  Table t({"FIELD", "VALUE"});
  for (const char* k : {"scope_type", "scope_id", "user_id", "status", "docker_host", "data_root", "bridge_name",
                        "subnet", "gateway", "address_pool", "pid", "container_count", "uptime_seconds", "exit_code"})
    if (s.contains(k)) t.add({k, str(s[k])});
  if (s.contains("desktop")) t.add({"desktop", str(s["desktop"]["container_id"]) + " at " + str(s["desktop"]["ip"]) +
                                                   " (" + str(s["desktop"]["veth"]) + ")"});
  t.print(out);
}

}  // namespace

int run_session_create(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  json body{{"scope_type", a.scope_type}, {"scope_id", a.scope_id}};
  if (!a.user_id.empty()) body["user_id"] = a.user_id;
  return call(a, "POST", "/api/v1/docker-instances", body, out, err, [&](const json& s) { show_one(s, out); });
}

int run_session_list(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "GET", "/api/v1/docker-instances", nullptr, out, err, [&](const json& arr) {
    Table t({"SESSION", "STATUS", "BRIDGE", "SUBNET", "POOL", "DOCKER_HOST", "DESKTOP"});
    for (const auto& s : arr)
      t.add({str(s["scope_type"]) + "/" + str(s["scope_id"]), str(s["status"]), str(s["bridge_name"]),
             str(s["subnet"]), str(s["address_pool"]), str(s["docker_host"]),
             s.contains("desktop") ? str(s["desktop"]["container_id"]).substr(0, 12) : "-"});
    t.print(out);
  });
}

int run_session_inspect(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "GET", "/api/v1/docker-instances/" + key_path(a), nullptr, out, err,
              [&](const json& s) { show_one(s, out); });
}

int run_session_delete(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "DELETE", "/api/v1/docker-instances/" + key_path(a), nullptr, out, err,
              [&](const json&) { out << "deleted " << key_path(a) << " (data kept; purge removes it)\n"; });
}

int run_session_purge(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "DELETE", "/api/v1/docker-instances/" + key_path(a) + "/data", nullptr, out, err,
              [&](const json&) { out << "purged the data of " << key_path(a) << "\n"; });
}

int run_bridge_desktop(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  if (a.undo)
    return call(a, "DELETE", "/api/v1/bridge-desktop/" + key_path(a), nullptr, out, err,
                [&](const json&) { out << "unbridged the desktop of " << key_path(a) << "\n"; });
  json body{{"session_id", key_path(a)}, {"desktop_container_id", a.desktop}};
  return call(a, "POST", "/api/v1/bridge-desktop", body, out, err, [&](const json& s) { show_one(s, out); });
}

}  // namespace hydra::cli
