// SPDX-License-Identifier: Apache-2.0
#include "session/storage/btrfs_subvolume.hpp"

#include <fcntl.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sys/statfs.h>

#include <cstring>

#include "base/unique_fd.hpp"

namespace hydra::session {

namespace {

constexpr ino_t kSubvolumeRootInode = 256;  // BTRFS_FIRST_FREE_OBJECTID

// The parent directory, opened, and the last component (which must fit a
// btrfs volume name).
Result<std::pair<UniqueFd, std::string>> parent_of(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash == 0 ? 1 : slash);
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.empty() || name.size() >= BTRFS_SUBVOL_NAME_MAX) return make_error("bad subvolume name in " + path, EINVAL);
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return errno_error("open " + dir);
  return std::make_pair(std::move(fd), std::move(name));
}

}  // namespace

bool on_btrfs(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && static_cast<unsigned long>(fs.f_type) == BTRFS_SUPER_MAGIC;
}

bool is_subvolume(const std::string& path) {
  struct stat st {};
  return lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_ino == kSubvolumeRootInode && on_btrfs(path);
}

Status create_subvolume(const std::string& path) {
  auto parent = parent_of(path);
  if (!parent) return parent.error();
  btrfs_ioctl_vol_args_v2 args{};
  std::memcpy(args.name, parent->second.c_str(), parent->second.size());
  if (ioctl(parent->first.get(), BTRFS_IOC_SUBVOL_CREATE_V2, &args) != 0)
    return errno_error("create btrfs subvolume " + path);
  return {};
}

Status snapshot_subvolume(const std::string& source, const std::string& target, bool read_only) {
  UniqueFd src(::open(source.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!src.valid()) return errno_error("open " + source);
  auto parent = parent_of(target);
  if (!parent) return parent.error();
  btrfs_ioctl_vol_args_v2 args{};
  args.fd = src.get();
  args.flags = read_only ? BTRFS_SUBVOL_RDONLY : 0;
  std::memcpy(args.name, parent->second.c_str(), parent->second.size());
  if (ioctl(parent->first.get(), BTRFS_IOC_SNAP_CREATE_V2, &args) != 0)
    return errno_error("snapshot " + source + " as " + target);
  return {};
}

Status delete_subvolume(const std::string& path) {
  auto parent = parent_of(path);
  if (!parent) return parent.error();
  btrfs_ioctl_vol_args args{};
  std::memcpy(args.name, parent->second.c_str(), parent->second.size());
  if (ioctl(parent->first.get(), BTRFS_IOC_SNAP_DESTROY, &args) != 0)
    return errno_error("delete btrfs subvolume " + path);
  return {};
}

Result<TreeSize> remove_data_tree(const std::string& path) {
  if (!is_subvolume(path)) return remove_tree(path);
  auto size = measure_tree(path);
  if (auto st = delete_subvolume(path); !st) return st.error();
  return size ? *size : TreeSize{};
}

}  // namespace hydra::session
