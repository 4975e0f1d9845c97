// SPDX-License-Identifier: Apache-2.0
// btrfs subvolumes, through the kernel's own ioctls: where data_dir is on
// btrfs, each new data root is a subvolume, so a golden is a read-only
// snapshot of it and a clone a writable snapshot of the golden — both
// instant, whatever the size, and sharing every extent.
#pragma once

#include <string>

#include "base/result.hpp"
#include "session/storage/data_usage.hpp"

namespace hydra::session {

bool on_btrfs(const std::string& path);
// The root of a subvolume (inode 256 on btrfs).
bool is_subvolume(const std::string& path);
Status create_subvolume(const std::string& path);
Status snapshot_subvolume(const std::string& source, const std::string& target, bool read_only);
// Deletes a subvolume with everything in it (also a read-only one).
Status delete_subvolume(const std::string& path);
// A data root or a clone's temporary: a subvolume is deleted as one, other
// trees file by file. What it held; absent is zero bytes.
Result<TreeSize> remove_data_tree(const std::string& path);

}  // namespace hydra::session
