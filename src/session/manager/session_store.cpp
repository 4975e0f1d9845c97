// SPDX-License-Identifier: Apache-2.0
#include "session/manager/session_store.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "base/json_fields.hpp"
#include "base/state_file.hpp"

namespace hydra::session {

using nlohmann::json;

namespace {

Result<SessionRecord> decode_record(const json& j) {
  if (!j.is_object()) return make_error("not an object");
  SessionRecord r;
  std::string network = "shared";
  using json_fields::read;
  if (auto st = json_fields::first_error(
          {read(j, "scope_type", r.key.scope_type, true), read(j, "scope_id", r.key.scope_id, true),
           read(j, "user_id", r.user_id), read(j, "index", r.index), read(j, "index_held", r.index_held),
           read(j, "started_unix", r.started_unix), read(j, "created_unix", r.created_unix),
           read(j, "max_containers", r.max_containers), read(j, "host_docker", r.host_docker),
           read(j, "desktop_container", r.desktop_container),
           read(j, "desktop_pid", r.desktop_pid), read(j, "network", network),
           read(j, "desktop_resolv", r.desktop_resolv), read(j, "stopped_unix", r.stopped_unix),
           read(j, "golden", r.golden)});
      !st)
    return st.error();
  if (auto it = j.find("limits"); it != j.end() && !it->is_null()) {
    auto limits = limits_from_json(*it);
    if (!limits) return make_error("limits: " + limits.error().message);
    r.limits = *limits;
  }
  auto mode = network_mode_from(network);
  if (!mode) return make_error("network \"" + network + "\" is neither shared nor isolated");
  r.network = *mode;
  if (auto st = validate_key(r.key); !st) return st.error();
  if (r.index_held && (r.index < kMinIndex || r.index > kMaxIndex))
    return make_error("index " + std::to_string(r.index) + " is out of range");
  if (r.desktop_pid < 0) return make_error("desktop_pid is negative");
  if (r.max_containers < 0) return make_error("max_containers is negative");
  if (r.host_docker && r.index_held) return make_error("a host-docker session holds no index");
  return r;
}

}  // namespace

Result<DecodedRecords> decode_session_records(const std::string& text) {
  auto arr = json::parse(text, nullptr, false);
  if (arr.is_discarded()) return make_error("not valid JSON", EBADMSG);
  if (!arr.is_array()) return make_error("not a JSON array", EBADMSG);
  DecodedRecords out;
  std::set<SessionKey> keys;
  std::set<int> held;
  for (size_t i = 0; i < arr.size(); ++i) {
    auto r = decode_record(arr[i]);
    std::string why = !r ? r.error().message
                      : keys.count(r->key) ? "a second entry for " + r->key.text()
                      : r->index_held && held.count(r->index) ? "index " + std::to_string(r->index) + " held twice"
                                                             : "";
    if (!why.empty()) {
      out.skipped.push_back("entry " + std::to_string(i) + ": " + why);
      continue;
    }
    keys.insert(r->key);
    if (r->index_held) held.insert(r->index);
    out.records.push_back(std::move(*r));
  }
  return out;
}

std::string encode_session_records(const std::vector<SessionRecord>& records) {
  json arr = json::array();
  for (const auto& r : records)
    arr.push_back({{"scope_type", r.key.scope_type}, {"scope_id", r.key.scope_id}, {"user_id", r.user_id},
                   {"index", r.index}, {"index_held", r.index_held}, {"started_unix", r.started_unix},
                   {"created_unix", r.created_unix}, {"max_containers", r.max_containers},
                   {"host_docker", r.host_docker},
                   {"desktop_container", r.desktop_container}, {"desktop_pid", r.desktop_pid},
                   {"network", network_mode_name(r.network)}, {"desktop_resolv", r.desktop_resolv},
                   {"stopped_unix", r.stopped_unix}, {"golden", r.golden}, {"limits", limits_json(r.limits)}});
  return arr.dump(2) + "\n";
}

std::optional<int> lowest_free_index(const std::set<int>& held, int max_index) {
  for (int n = kMinIndex; n <= std::min(max_index, kMaxIndex); ++n)
    if (!held.count(n)) return n;
  return std::nullopt;
}

Result<SessionStore::Loaded> SessionStore::load() const {
  auto text = read_state_file(path_);
  if (!text) return text.error();
  Loaded out;
  if (!*text) return out;
  auto decoded = decode_session_records(**text);
  if (!decoded) {
    auto aside = move_aside(path_);
    if (!aside) return make_error(path_ + " is " + decoded.error().message + ", and " + aside.error().text(), EBADMSG);
    out.moved_aside = *aside;
    out.skipped.push_back(path_ + " is " + decoded.error().message);
    return out;
  }
  out.records = std::move(decoded->records);
  out.skipped = std::move(decoded->skipped);
  return out;
}

}  // namespace hydra::session
