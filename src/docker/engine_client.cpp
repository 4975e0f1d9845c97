// SPDX-License-Identifier: Apache-2.0
#include "docker/engine_client.hpp"

#include <nlohmann/json.hpp>

#include "docker/engine_decode.hpp"
#include "docker/unix_http.hpp"

namespace hydra::docker {

using nlohmann::json;

namespace {

Error api_error(const std::string& what, const HttpReply& r) {
  const std::string msg = decode_error_message(r.body);
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
  auto list = decode_container_list(r->body);
  if (!list) return list.error();
  std::vector<Container> out;
  for (auto& c : *list) out.push_back({std::move(c.id), std::move(c.name)});
  return out;
}

Result<std::vector<std::string>> EngineClient::running_containers() const {
  auto r = unix_http(socket_, "GET", "/containers/json", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("list containers", *r);
  auto list = decode_container_list(r->body);
  if (!list) return list.error();
  std::vector<std::string> ids;
  for (auto& c : *list) ids.push_back(std::move(c.id));
  return ids;
}

Result<size_t> EngineClient::container_count() const {
  auto r = unix_http(socket_, "GET", "/containers/json?all=1", "", timeout_s_);
  if (!r) return r.error();
  if (r->status != 200) return api_error("list containers", *r);
  return decode_container_count(r->body);
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
  auto pid = decode_container_pid(r->body);
  if (!pid) return make_error("inspect container " + id + ": " + pid.error().message, pid.error().code);
  return pid;
}

}  // namespace hydra::docker
