// SPDX-License-Identifier: Apache-2.0
// The reflink clone on a loop-mounted XFS (root): what only root can make
// in an overlay2 store comes out exact — other owners, a set-uid file, a
// file capability (which a chown clears: set after it), trusted.overlay.*
// xattrs, a whiteout device node, an opaque directory — and every regular
// file's extents are shared with its source (FIEMAP says so). Across
// filesystems FICLONE is refused and each file is copied; a copy that runs
// out of space is an error naming the file.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "../loop_fs.hpp"
#include "../tree_manifest.hpp"
#include "netns_fixture.hpp"
#include "session/storage/reflink_tree.hpp"

using namespace hydra::test;
using namespace hydra::session;

namespace {

// Whether every extent of `path` is shared (FIEMAP_EXTENT_SHARED): a
// reflink, not a copy.
bool extents_shared(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  alignas(fiemap) char buf[sizeof(fiemap) + 32 * sizeof(fiemap_extent)] = {};
  auto* fm = reinterpret_cast<fiemap*>(buf);
  fm->fm_length = FIEMAP_MAX_OFFSET;
  fm->fm_flags = FIEMAP_FLAG_SYNC;
  fm->fm_extent_count = 32;
  const bool ok = ioctl(fd, FS_IOC_FIEMAP, fm) == 0 && fm->fm_mapped_extents > 0;
  close(fd);
  if (!ok) return false;
  for (unsigned i = 0; i < fm->fm_mapped_extents; ++i)
    if (!(fm->fm_extents[i].fe_flags & FIEMAP_EXTENT_SHARED)) return false;
  return true;
}

void put(const std::string& path, const std::string& data) { std::ofstream(path, std::ios::binary) << data; }

}  // namespace

TEST(ReflinkTreeXfs, WhatOnlyRootMakesComesOutExactAndEveryFileSharesItsExtents) {
  HYDRA_REQUIRE_ROOT();
  LoopFs fs(512, "xfs");
  ASSERT_TRUE(fs.ok) << "could not make a loop-mounted XFS in " << fs.dir;
  const std::string src = fs.mnt + "/src";
  ASSERT_EQ(mkdir(src.c_str(), 0710), 0);
  // An overlay2 store's shapes: a layer's diff with an opaque directory, a
  // whiteout, a set-uid binary and a capability; files of other owners.
  for (const char* d : {"/overlay2", "/overlay2/l1", "/overlay2/l1/diff", "/overlay2/l1/diff/etc",
                        "/overlay2/l1/diff/opaque", "/overlay2/l1/diff/home", "/volumes"})
    ASSERT_EQ(mkdir((src + d).c_str(), 0755), 0);
  const std::string diff = src + "/overlay2/l1/diff";
  ASSERT_EQ(setxattr((diff + "/opaque").c_str(), "trusted.overlay.opaque", "y", 1, 0), 0);
  ASSERT_EQ(mknod((diff + "/etc/removed").c_str(), S_IFCHR | 0, makedev(0, 0)), 0);
  ASSERT_EQ(setxattr((diff + "/etc/removed").c_str(), "trusted.hydra-node", "n", 1, 0), 0);
  put(diff + "/su", std::string(70000, 'u'));
  ASSERT_EQ(chown((diff + "/su").c_str(), 0, 0), 0);
  ASSERT_EQ(chmod((diff + "/su").c_str(), 04755), 0);
  put(diff + "/ping", std::string(9000, 'p'));
  ASSERT_EQ(chown((diff + "/ping").c_str(), 1234, 5678), 0);
  // A v2 capability (cap_net_raw, effective): a chown after it would clear it.
  const uint32_t cap[5] = {0x02000001, 1u << 13, 0, 0, 0};
  ASSERT_EQ(setxattr((diff + "/ping").c_str(), "security.capability", cap, sizeof cap, 0), 0);
  put(diff + "/home/user-file", std::string(5000, 'h'));
  ASSERT_EQ(chown((diff + "/home/user-file").c_str(), 1000, 1000), 0);
  ASSERT_EQ(chown((diff + "/home").c_str(), 1000, 1000), 0);
  ASSERT_EQ(setxattr((diff + "/home/user-file").c_str(), "trusted.overlay.origin", "o", 1, 0), 0);
  ASSERT_EQ(symlink("user-file", (diff + "/home/link").c_str()), 0);
  ASSERT_EQ(lchown((diff + "/home/link").c_str(), 1000, 1000), 0);
  ASSERT_EQ(link((diff + "/su").c_str(), (src + "/volumes/su-again").c_str()), 0);
  ASSERT_EQ(chmod((src + "/overlay2").c_str(), 0710), 0);

  ASSERT_TRUE(reflink_tree(src, fs.mnt + "/dst", {}).ok());
  EXPECT_EQ(first_difference(tree_manifest(src), tree_manifest(fs.mnt + "/dst")), "");
  for (const char* f : {"/overlay2/l1/diff/su", "/overlay2/l1/diff/ping", "/overlay2/l1/diff/home/user-file"})
    EXPECT_TRUE(extents_shared(fs.mnt + "/dst" + f)) << f << ": a copy, not a reflink";
  struct stat ping {};
  ASSERT_EQ(stat((fs.mnt + "/dst/overlay2/l1/diff/ping").c_str(), &ping), 0);
  EXPECT_EQ(ping.st_uid, 1234u);
  EXPECT_EQ(getxattr((fs.mnt + "/dst/overlay2/l1/diff/ping").c_str(), "security.capability", nullptr, 0),
            static_cast<ssize_t>(sizeof cap))
      << "the capability outlives the chown";
}

TEST(ReflinkTreeXfs, AcrossFilesystemsFilesAreCopiedAndRunningOutOfSpaceNamesTheFile) {
  HYDRA_REQUIRE_ROOT();
  LoopFs xfs(512, "xfs"), small(16, "ext4");
  ASSERT_TRUE(xfs.ok && small.ok) << "could not make the loop-mounted filesystems";
  const std::string src = xfs.mnt + "/src";
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  put(src + "/fits", std::string(100000, 'f'));
  ASSERT_TRUE(reflink_tree(src, small.mnt + "/copy", {}).ok());
  EXPECT_EQ(first_difference(tree_manifest(src), tree_manifest(small.mnt + "/copy")), "");
  EXPECT_FALSE(extents_shared(small.mnt + "/copy/fits")) << "another filesystem: copied";

  std::string big(32u << 20, '\0');
  for (size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>(i / 4096);
  put(src + "/too-big", big);
  auto full = reflink_tree(src, small.mnt + "/copy2", {});
  ASSERT_FALSE(full.ok());
  EXPECT_EQ(full.error().code, ENOSPC) << full.error().text();
  EXPECT_NE(full.error().text().find("/copy2/too-big"), std::string::npos) << full.error().text();
}
