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
  // nullopt when there is no snapshot; an error when there is one that cannot be read.
  Result<std::optional<net::BridgeSnapshot>> load(const std::string& bridge) const;
  [[nodiscard]] std::string path_of(const std::string& bridge) const;

 private:
  std::string dir_;
};

}  // namespace hydra::guard
