// SPDX-License-Identifier: Apache-2.0
#include "docker/engine_client.hpp"

#include <nlohmann/json.hpp>

#include "docker/unix_http.hpp"

namespace hydra::docker {

using nlohmann::json;

namespace {

Error api_error(const std::string& what, const HttpReply& r) {
  auto j = json::parse(r.body, nullptr, false);
  std::string msg = j.is_object() && j.contains("message") ? j["message"].get<std::string>() : r.body;
  return make_error(what + ": HTTP " + std::to_string(r.status) + ": " + msg, r.status == 404 ? ENOENT : EIO);
}

}  // namespace

Status EngineClient::ping(long timeout_s) const {
  auto r = unix_http(socket_, "GET", "/_ping", "", timeout_s);
  if (!r) return r.error();
  if (r->status != 200) return api_error("ping dockerd", *r);
  return {};
}

Result<std::vector<EngineClient::Container>> EngineClient::containers() const {
  auto r = unix_http(socket_, "GET", "/containers/json", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("list containers", *r);
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_array()) return make_error("list containers: not a JSON array", EBADMSG);
  std::vector<Container> out;
  for (const auto& c : j) {
    Container k;
    k.id = c.value("Id", "");
    if (c.contains("Names") && c["Names"].is_array() && !c["Names"].empty()) k.name = c["Names"][0];
    if (!k.name.empty() && k.name[0] == '/') k.name.erase(0, 1);
    if (k.name.empty()) k.name = k.id.substr(0, 12);
    out.push_back(std::move(k));
  }
  return out;
}

Result<std::vector<std::string>> EngineClient::running_containers() const {
  auto r = unix_http(socket_, "GET", "/containers/json", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("list containers", *r);
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_array()) return make_error("list containers: not a JSON array", EBADMSG);
  std::vector<std::string> ids;
  for (const auto& c : j)
    if (c.contains("Id") && c["Id"].is_string()) ids.push_back(c["Id"]);
  return ids;
}

Result<size_t> EngineClient::container_count() const {
  auto r = unix_http(socket_, "GET", "/containers/json?all=1", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("list containers", *r);
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_array()) return make_error("list containers: not a JSON array", EBADMSG);
  return j.size();
}

Status EngineClient::stop_container(const std::string& id, int grace_s) const {
  auto r = unix_http(socket_, "POST", "/containers/" + id + "/stop?t=" + std::to_string(grace_s), "", grace_s + 30);
  if (!r) return r.error();
  if (r->status != 204 && r->status != 304) return api_error("stop container " + id.substr(0, 12), *r);
  return {};
}

Result<ContainerNetworking> EngineClient::networking(const std::string& id) const {
  auto r = unix_http(socket_, "GET", "/containers/" + id + "/json", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("inspect container " + id.substr(0, 12), *r);
  return decode_container_networking(json::parse(r->body, nullptr, false));
}

Result<pid_t> EngineClient::container_pid(const std::string& id) const {
  auto r = unix_http(socket_, "GET", "/containers/" + id + "/json", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("inspect container " + id, *r);
  auto j = json::parse(r->body, nullptr, false);
  if (!j.is_object() || !j.contains("State")) return make_error("inspect container " + id + ": no State", EBADMSG);
  const auto& st = j["State"];
  if (!st.value("Running", false)) return make_error("container " + id + " is not running", ESRCH);
  auto pid = st.value("Pid", 0);
  if (pid <= 0) return make_error("container " + id + " has no pid", ESRCH);
  return static_cast<pid_t>(pid);
}

}  // namespace hydra::docker
