// SPDX-License-Identifier: Apache-2.0
#include "guard/snapshot_store.hpp"

#include <sys/stat.h>

#include <sstream>

#include "base/state_file.hpp"

namespace hydra::guard {

std::string SnapshotStore::path_of(const std::string& bridge) const { return dir_ + "/bridge-" + bridge + ".json"; }

Status SnapshotStore::prepare() const {
  std::string partial;
  std::stringstream parts(dir_);
  std::string piece;
  while (std::getline(parts, piece, '/')) {
    if (piece.empty()) continue;
    partial += "/" + piece;
    if (mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) return errno_error("create state directory " + partial);
  }
  return {};
}

std::string SnapshotStore::encode(const net::BridgeSnapshot& snap) { return net::snapshot_to_json(snap).dump(2) + "\n"; }

Status SnapshotStore::save(const net::BridgeSnapshot& snap) const { return write_state_file(path_of(snap.name), encode(snap)); }

Result<std::optional<net::BridgeSnapshot>> SnapshotStore::load(const std::string& bridge) const {
  std::string path = path_of(bridge);
  auto text = read_state_file(path);
  if (!text) return text.error();
  if (!*text) return std::optional<net::BridgeSnapshot>();
  auto j = nlohmann::json::parse(**text, nullptr, false);
  if (j.is_discarded()) return make_error("snapshot " + path + " is not valid JSON", EBADMSG);
  auto snap = net::snapshot_from_json(j);
  if (!snap) return make_error("snapshot " + path + ": " + snap.error().message, EBADMSG);
  if (snap->name != bridge) return make_error("snapshot " + path + " is of " + snap->name, EBADMSG);
  return std::optional<net::BridgeSnapshot>(std::move(*snap));
}

Result<std::string> SnapshotStore::move_aside(const std::string& bridge) const {
  return hydra::move_aside(path_of(bridge));
}

}  // namespace hydra::guard
