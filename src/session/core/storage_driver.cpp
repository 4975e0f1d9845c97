// SPDX-License-Identifier: Apache-2.0
#include "session/core/storage_driver.hpp"

#include <algorithm>

namespace hydra::session {

StorageDriverChoice choose_storage_driver(const std::string& configured, const std::vector<std::string>& existing,
                                          bool data_dir_on_btrfs) {
  if (!existing.empty()) {
    // dockerd itself refuses a data root with two stores unless told which.
    if (!configured.empty() && std::find(existing.begin(), existing.end(), configured) != existing.end())
      return {configured, ""};
    return {existing.front(), "the data root was made with " + existing.front()};
  }
  if (!configured.empty()) return {configured, ""};
  if (data_dir_on_btrfs)
    return {"overlay2", "data_dir is on btrfs: goldens are snapshots there, and dockerd's btrfs driver keeps layers "
                        "as subvolumes a snapshot does not carry"};
  return {"", ""};
}

}  // namespace hydra::session
