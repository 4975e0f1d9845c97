// SPDX-License-Identifier: Apache-2.0
// A small filesystem of a given type on a loop device the test makes, for
// the data roots of a world's sessions; unmounted and removed at the end.
#pragma once

#include <sys/statvfs.h>

#include <fstream>
#include <string>

#include "docker_world.hpp"

namespace hydra::test {

// Whether the running kernel knows the filesystem type (loading its module
// if it is one and not loaded yet).
inline bool kernel_has_fs(const std::string& type) {
  auto listed = [&] {
    std::ifstream in("/proc/filesystems");
    std::string line;
    while (std::getline(in, line))
      if (line.size() >= type.size() && line.compare(line.size() - type.size(), type.size(), type) == 0) return true;
    return false;
  };
  if (listed()) return true;
  (void)sh("modprobe -q " + type + " 2>/dev/null");
  return listed();
}

struct LoopFs {
  std::string dir = make_temp_dir("hydra-fs");
  std::string mnt = dir + "/mnt";
  bool ok = false;
  explicit LoopFs(int mib, const std::string& type = "ext4") {
    const std::string mkfs = type == "ext4"  ? "mkfs.ext4 -q -F "
                             : type == "xfs" ? "mkfs.xfs -q -f "
                                             : "mkfs.btrfs -q -f ";
    ok = sh("truncate -s " + std::to_string(mib) + "M " + dir + "/fs.img && " + mkfs + dir + "/fs.img && mkdir " +
            mnt + " && mount -o loop " + dir + "/fs.img " + mnt) == 0;
  }
  ~LoopFs() {
    sh("umount -l " + mnt);
    sh("rm -rf " + dir);
  }
  LoopFs(const LoopFs&) = delete;
  LoopFs& operator=(const LoopFs&) = delete;
  [[nodiscard]] uint64_t free_bytes() const {
    struct statvfs st {};
    return statvfs(mnt.c_str(), &st) == 0 ? static_cast<uint64_t>(st.f_bavail) * st.f_frsize : 0;
  }
  // Fills the filesystem until `leave` bytes are free.
  bool fill_to(uint64_t leave) const {
    uint64_t f = free_bytes();
    if (f <= leave) return true;
    return sh("fallocate -l " + std::to_string(f - leave) + " " + mnt + "/fill-" + std::to_string(f)) == 0;
  }
  void unfill() const { sh("rm -f " + mnt + "/fill-*"); }
};

}  // namespace hydra::test
