// SPDX-License-Identifier: Apache-2.0
#include "cli/session_commands.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>

#include <nlohmann/json.hpp>
#include <ostream>

#include "api/schema.hpp"
#include "base/clock.hpp"
#include "base/json_fields.hpp"
#include "cli/api_client.hpp"
#include "cli/table.hpp"
#include "cli/top_view.hpp"

namespace hydra::cli {

using nlohmann::json;

namespace {



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
    std::string msg = r->body;
    if (j.is_object()) (void)json_fields::read(j, "error", msg);
    err << "hydractl: hydrad answered " << r->status << ": " << msg << "\n";
    return 1;
  }
  if (a.json) out << j.dump(2) << "\n";
  else show(j);
  return 0;
}

std::string key_path(const SessionArgs& a) { return a.scope_type + "/" + a.scope_id; }

std::string limits_text(const session::ResourceLimits& l) {
  std::string t;
  auto add = [&](const std::string& part) { t += (t.empty() ? "" : ", ") + part; };
  if (l.memory) add("memory " + short_bytes(static_cast<int64_t>(*l.memory)));
  if (l.memory_high) add("memory_high " + short_bytes(static_cast<int64_t>(*l.memory_high)));
  if (l.cpus) {
    char cpus[32];
    (void)std::snprintf(cpus, sizeof cpus, "%g", *l.cpus);
    add(std::string(cpus) + " CPUs");
  }
  if (l.cpu_weight) add("cpu_weight " + std::to_string(*l.cpu_weight));
  if (l.pids) add(std::to_string(*l.pids) + " tasks");
  return t.empty() ? "none" : t;
}

void show_one(const json& j, std::ostream& out, std::ostream& err) {
  auto s = api::decode_instance(j);
  if (!s) {
    err << "hydractl: unexpected answer: " << s.error().message << "\n";
    return;
  }
  Table t({"FIELD", "VALUE"});
  for (const auto& [k, v] : std::vector<std::pair<const char*, std::string>>{
           {"scope_type", s->scope_type},
           {"scope_id", s->scope_id},
           {"user_id", cell(s->user_id)},
           {"status", s->status + " (" + s->state + ")"},
           {"docker_host", s->docker_host},
           {"data_root", cell(s->data_root)},
           {"bridge_name", cell(s->bridge_name)},
           {"subnet", cell(s->subnet)},
           {"gateway", cell(s->gateway)},
           {"address_pool", cell(s->address_pool)},
           {"max_containers", s->max_containers ? std::to_string(s->max_containers) : "no limit"},
           {"container_count", std::to_string(s->container_count)},
           {"uptime_seconds", std::to_string(s->uptime_seconds)},
           {"created_at", s->created_at},
           {"data_size_bytes", std::to_string(s->data_size_bytes) + (s->data_size_at ? " (at " + *s->data_size_at + ")"
                                                                                      : " (not measured yet)")},
           {"pid", cell(s->pid)}})
    t.add({k, v});
  if (s->host_docker) t.add({"host_docker", "yes: the main dockerd, no isolation"});
  if (!s->network.empty())
    t.add({"network", s->network == "isolated" ? "isolated: a network namespace of its own" : "shared: the sandbox's namespace"});
  if (!s->netns.empty()) {
    t.add({"netns", s->netns});
    t.add({"uplink", s->uplink + " " + s->uplink_gateway + " (sandbox) ↔ uplink " + s->uplink_address + " (session)"});
  }
  if (!s->golden.empty()) t.add({"golden", s->golden + " (its data root started as a clone of it)"});
  if (s->clone)
    t.add({"clone", "from golden " + s->clone->golden + " by " + s->clone->method + ": " +
                        std::to_string(s->clone->bytes_done) + " of " + std::to_string(s->clone->bytes_total) + " bytes"});
  if (!s->host_docker) t.add({"limits", limits_text(s->limits)});
  if (!s->cgroup.empty()) t.add({"cgroup", s->cgroup});
  if (s->usage) {
    char cpu[32];
    (void)std::snprintf(cpu, sizeof cpu, "%.2f", s->usage->cpu_seconds);
    t.add({"usage", std::string(cpu) + " CPU-seconds, memory " + short_bytes(s->usage->memory_bytes) + " (peak " +
                        short_bytes(s->usage->memory_peak_bytes) + "), " + std::to_string(s->usage->pids) + " tasks, " +
                        std::to_string(s->usage->oom_kills) + " OOM kills"});
  }
  if (s->exit_code) t.add({"exit_code", std::to_string(*s->exit_code)});
  if (!s->error.empty()) t.add({"error", s->error});
  if (s->desktop) {
    t.add({"desktop", s->desktop->container_id + " at " + s->desktop->ip + " (" + s->desktop->interface + ", " +
                          s->desktop->veth + ")"});
    t.add({"desktop resolver", s->desktop->resolver + ":53, first in the desktop's resolv.conf"});
    std::map<std::string, std::string> by_name;
    for (const auto& n : s->desktop->names) by_name[n.name] += (by_name[n.name].empty() ? "" : " ") + n.address;
    for (const auto& [name, addrs] : by_name) t.add({"  name", std::string(name).append(" → ").append(addrs)});
    for (const auto& p : s->desktop->forwarded_ports)
      t.add({"  port", "localhost:" + std::to_string(p.port) + "/" + p.proto + " → " + p.container});
    for (const auto& p : s->desktop->skipped_ports)
      t.add({"  port", "localhost:" + std::to_string(p.port) + "/" + p.proto + " not forwarded (" + p.container +
                           "): the desktop listens there itself"});
  }
  t.print(out);
}

}  // namespace

int run_session_create(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  json body{{"scope_type", a.scope_type}, {"scope_id", a.scope_id}, {"user_id", a.user_id},
            {"max_containers", a.max_containers}, {"use_host_docker", a.use_host_docker}};
  if (!a.golden.empty()) body["golden"] = a.golden;
  if (!a.memory.empty()) body["memory_limit"] = a.memory;
  if (a.cpus > 0) body["cpu_limit"] = a.cpus;
  if (a.pids > 0) body["pids_limit"] = a.pids;
  return call(a, "POST", "/api/v1/docker-instances", body, out, err, [&](const json& s) { show_one(s, out, err); });
}

int run_session_list(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "GET", "/api/v1/docker-instances", nullptr, out, err, [&](const json& arr) {
    auto list = api::decode_instances(arr);
    if (!list) {
      err << "hydractl: unexpected answer: " << list.error().message << "\n";
      return;
    }
    Table t({"SESSION", "STATUS", "BRIDGE", "SUBNET", "POOL", "CONTAINERS", "DOCKER_HOST", "DESKTOP"});
    for (const auto& s : *list) {
      std::string containers = std::to_string(s.container_count);
      if (s.max_containers) containers += "/" + std::to_string(s.max_containers);
      // The list shows the last probe's count: say how old it is (inspect
      // asks the session's dockerd now).
      if (auto at = s.container_count_at ? from_rfc3339(*s.container_count_at) : std::nullopt)
        containers += " (" + std::to_string(std::max<int64_t>(0, time(nullptr) - *at)) + "s ago)";
      t.add({s.scope_type + "/" + s.scope_id, s.state, cell(s.bridge_name), cell(s.subnet), cell(s.address_pool),
             containers, s.docker_host, s.desktop ? s.desktop->container_id.substr(0, 12) : "-"});
    }
    t.print(out);
  });
}

int run_session_inspect(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "GET", "/api/v1/docker-instances/" + key_path(a), nullptr, out, err,
              [&](const json& s) { show_one(s, out, err); });
}

int run_session_delete(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "DELETE", "/api/v1/docker-instances/" + key_path(a), nullptr, out, err,
              [&](const json& j) {
                auto r = api::decode_stop_response(j);
                if (!r) err << "hydractl: unexpected answer: " << r.error().message << "\n";
                else if (!r->was_running) out << key_path(a) << " was not running (nothing to stop)\n";
                else out << "stopped " << key_path(a) << ": " << r->containers_stopped
                         << " containers stopped, data kept (purge removes it)\n";
              });
}

int run_session_purge(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "DELETE", "/api/v1/docker-instances/" + key_path(a) + "/data", nullptr, out, err,
              [&](const json& j) {
                auto r = api::decode_purge_response(j);
                if (!r) err << "hydractl: unexpected answer: " << r.error().message << "\n";
                else out << "purged the data of " << key_path(a) << ": " << r->data_deleted_bytes << " bytes\n";
              });
}

int run_bridge_desktop(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  if (a.undo)
    return call(a, "DELETE", "/api/v1/bridge-desktop/" + key_path(a), nullptr, out, err,
                [&](const json&) { out << "unbridged the desktop of " << key_path(a) << "\n"; });
  json body{{"session_id", key_path(a)}, {"desktop_container_id", a.desktop}};
  return call(a, "POST", "/api/v1/bridge-desktop", body, out, err, [&](const json& j) {
    auto r = api::decode_bridge_desktop_response(j);
    if (!r) {
      err << "hydractl: unexpected answer: " << r.error().message << "\n";
      return;
    }
    out << "bridged " << a.desktop << " into " << key_path(a) << ": " << r->interface << " " << r->desktop_ip
        << " in " << r->subnet << ", gateway " << r->gateway << " (" << r->veth << " on " << r->bridge_name << ")\n";
  });
}

namespace {

// A reflink golden keeps a clone made ahead ([sessions] golden_spare);
// snapshots and copies have none to show.
std::string spare_cell(const api::GoldenEntry& g) {
  if (g.spare) return "ready";
  return g.method == "reflink" ? "none" : "-";
}

void show_golden(const api::GoldenEntry& g, std::ostream& out) {
  Table t({"FIELD", "VALUE"});
  t.add({"name", g.name});
  t.add({"source", g.source});
  t.add({"created_at", g.created_at});
  t.add({"last_used_at", g.last_used_at});
  t.add({"bytes", std::to_string(g.bytes)});
  t.add({"files", std::to_string(g.files)});
  t.add({"clone_method", g.method});
  t.add({"spare", spare_cell(g)});
  std::string users;
  for (const auto& s : g.sessions) users += (users.empty() ? "" : ", ") + s;
  t.add({"sessions", cell(users)});
  if (g.in_use) t.add({"in_use", std::to_string(g.in_use) + " session(s) being created from it"});
  t.print(out);
}

}  // namespace

int run_golden_create(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  json body{{"name", a.golden}, {"from", a.from}};
  return call(a, "POST", "/api/v1/goldens", body, out, err, [&](const json& j) {
    auto g = api::decode_golden(j);
    if (!g) err << "hydractl: unexpected answer: " << g.error().message << "\n";
    else show_golden(*g, out);
  });
}

int run_golden_list(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "GET", "/api/v1/goldens", nullptr, out, err, [&](const json& j) {
    Table t({"GOLDEN", "SOURCE", "BYTES", "FILES", "CREATED", "LAST_USED", "SESSIONS", "IN_USE", "SPARE"});
    const json* goldens = json_fields::array_field(j, "goldens");
    for (const auto& e : goldens ? *goldens : json::array()) {
      auto g = api::decode_golden(e);
      if (!g) {
        err << "hydractl: unexpected answer: " << g.error().message << "\n";
        return;
      }
      t.add({g->name, cell(g->source), std::to_string(g->bytes), std::to_string(g->files), g->created_at,
             g->last_used_at, std::to_string(g->sessions.size()), std::to_string(g->in_use), spare_cell(*g)});
    }
    t.print(out);
  });
}

int run_golden_delete(const SessionArgs& a, std::ostream& out, std::ostream& err) {
  return call(a, "DELETE", "/api/v1/goldens/" + a.golden, nullptr, out, err, [&](const json& j) {
    out << "removed golden " << a.golden << ": " << json_fields::int_or(j, "bytes_freed", uint64_t{0}) << " bytes\n";
  });
}

}  // namespace hydra::cli
