// SPDX-License-Identifier: Apache-2.0
// Snapshots on disk: one JSON file per protected bridge in the state
// directory, replaced by atomic rename so a crash never leaves half a file.
#pragma once

#include <optional>
#include <string>

#include "net/bridge_snapshot.hpp"

namespace hydra::guard {

class SnapshotStore {
 public:
  explicit SnapshotStore(std::string dir) : dir_(std::move(dir)) {}
  // Creates the directory (0700) when missing.
  Status prepare() const;
  Status save(const net::BridgeSnapshot& snap) const;
  // The file's text for `snap` (what save() writes).
  [[nodiscard]] static std::string encode(const net::BridgeSnapshot& snap);
  // nullopt when there is no snapshot; an error when there is one that
  // cannot be read (EBADMSG: it does not decode, and should be moved aside).
  Result<std::optional<net::BridgeSnapshot>> load(const std::string& bridge) const;
  // Renames a snapshot that did not decode to bridge-NAME.json.corrupt-<time>.
  Result<std::string> move_aside(const std::string& bridge) const;
  [[nodiscard]] std::string path_of(const std::string& bridge) const;

 private:
  std::string dir_;
};

}  // namespace hydra::guard
