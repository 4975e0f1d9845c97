// SPDX-License-Identifier: Apache-2.0
// Which storage driver a session dockerd runs with. Pure: the facts (what is
// configured, what the data root already holds, the filesystem) come in.
//
// THREADS: any; nothing here keeps state. LOCKS: none.
#pragma once

#include <string>
#include <vector>

namespace hydra::session {

struct StorageDriverChoice {
  std::string driver;  // "" leaves the choice to dockerd
  std::string reason;  // why hydra chose it; "" when it is simply the configured one (or dockerd's)
};

// `configured`: [sessions] storage_driver. `existing`: the drivers whose
// stores the session's data root already holds (empty for a new one): a data
// root keeps the driver it was made with, whatever the configuration says
// now, since another driver would start it empty. On btrfs with nothing
// configured, overlay2: dockerd's own choice there (its btrfs driver) keeps
// layers as subvolumes that neither a golden's snapshot nor a copy carries.
StorageDriverChoice choose_storage_driver(const std::string& configured, const std::vector<std::string>& existing,
                                          bool data_dir_on_btrfs);

}  // namespace hydra::session
