// SPDX-License-Identifier: Apache-2.0
// A small filesystem of a given type on a loop device the test makes, for
// the data roots of a world's sessions or a clone's target; unmounted and
// removed at the end. Root only; used by integration and end-to-end tests.
#pragma once

#include <stdlib.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace hydra::test {

// A fixture's shell command (mkfs, mount), quiet; its exit status.
inline int loop_fs_sh(const std::string& cmd) {
  const int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
inline std::string loop_fs_temp_dir() {
  std::string tmpl = "/tmp/hydra-fs-XXXXXX";
  return mkdtemp(tmpl.data()) ? tmpl : "/tmp/hydra-fs-fallback";
}

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
  (void)loop_fs_sh("modprobe -q " + type);
  return listed();
}

struct LoopFs {
  std::string dir = loop_fs_temp_dir();
  std::string mnt = dir + "/mnt";
  bool ok = false;
  explicit LoopFs(int mib, const std::string& type = "ext4") {
    const std::string mkfs = type == "ext4"  ? "mkfs.ext4 -q -F "
                             : type == "xfs" ? "mkfs.xfs -q -f "
                                             : "mkfs.btrfs -q -f ";
    ok = loop_fs_sh("truncate -s " + std::to_string(mib) + "M " + dir + "/fs.img && " + mkfs + dir + "/fs.img && mkdir " +
            mnt + " && mount -o loop " + dir + "/fs.img " + mnt) == 0;
  }
  ~LoopFs() {
    loop_fs_sh("umount -l " + mnt);
    loop_fs_sh("rm -rf " + dir);
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
    return loop_fs_sh("fallocate -l " + std::to_string(f - leave) + " " + mnt + "/fill-" + std::to_string(f)) == 0;
  }
  void unfill() const { loop_fs_sh("rm -f " + mnt + "/fill-*"); }
};

}  // namespace hydra::test
