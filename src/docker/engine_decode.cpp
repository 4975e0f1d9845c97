// SPDX-License-Identifier: Apache-2.0
#include "docker/engine_decode.hpp"

#include <nlohmann/json.hpp>

#include "base/json_fields.hpp"

namespace hydra::docker {

using nlohmann::json;
namespace jf = json_fields;

namespace {

Result<json> parse_array(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  if (!j.is_array()) return make_error("list containers: not a JSON array", EBADMSG);
  return j;
}

}  // namespace

Result<std::vector<ContainerSummary>> decode_container_list(std::string_view body) {
  auto j = parse_array(body);
  if (!j) return j.error();
  std::vector<ContainerSummary> out;
  for (const auto& c : *j) {
    ContainerSummary k;
    k.id = jf::string_or(c, "Id");
    if (k.id.empty()) continue;
    if (const json* names = jf::array_field(c, "Names"); names && !names->empty())
      k.name = jf::as_string(names->front()).value_or("");
    if (!k.name.empty() && k.name[0] == '/') k.name.erase(0, 1);
    if (k.name.empty()) k.name = k.id.substr(0, 12);
    out.push_back(std::move(k));
  }
  return out;
}

Result<size_t> decode_container_count(std::string_view body) {
  auto j = parse_array(body);
  if (!j) return j.error();
  return j->size();
}

Result<pid_t> decode_container_pid(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  const json* st = jf::object_field(j, "State");
  if (!st) return make_error("no State", EBADMSG);
  if (!jf::bool_or(*st, "Running", false)) return make_error("not running", ESRCH);
  const pid_t pid = jf::int_or(*st, "Pid", pid_t{0});
  if (pid <= 0) return make_error("no pid", ESRCH);
  return pid;
}

std::string decode_error_message(std::string_view body) {
  auto j = json::parse(body, nullptr, false);
  return jf::string_or(j, "message", std::string(body));
}

std::optional<int64_t> decode_event_time(std::string_view line) {
  auto ev = json::parse(line, nullptr, false);
  if (!ev.is_object()) return std::nullopt;
  return jf::int_or(ev, "timeNano", int64_t{0});
}

}  // namespace hydra::docker
