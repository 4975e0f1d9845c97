// SPDX-License-Identifier: Apache-2.0
// The reflink clone's pure parts (which steps an entry needs, the umask,
// the thread count), and a clone as any user, in a temporary directory of
// whatever filesystem holds it (where FICLONE is refused, each file is
// copied with its holes): the tree comes out exact. The root-only parts
// (owners, trusted xattrs, whiteouts, shared extents on XFS) are in the
// integration tests.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>

#include "../tree_manifest.hpp"
#include "session/storage/data_usage.hpp"
#include "session/storage/reflink_tree.hpp"

using namespace hydra::session;
using hydra::test::first_difference;
using hydra::test::tree_manifest;

TEST(ReflinkSteps, OwnerOnlyWhereItDiffersModeOnlyWhereTheUmaskOrAChownWouldLoseIt) {
  EXPECT_FALSE(entry_steps(S_IFREG | 0644, 0, 0, 0, 0, 022).chown);
  EXPECT_FALSE(entry_steps(S_IFREG | 0644, 0, 0, 0, 0, 022).chmod) << "0644 survives umask 022";
  EXPECT_TRUE(entry_steps(S_IFREG | 0666, 0, 0, 0, 0, 022).chmod) << "umask 022 takes the group's and others' write";
  EXPECT_TRUE(entry_steps(S_IFREG | 0644, 1000, 0, 0, 0, 022).chown);
  EXPECT_TRUE(entry_steps(S_IFREG | 0644, 0, 5, 0, 0, 022).chown);
  EXPECT_TRUE(entry_steps(S_IFREG | 04755, 0, 0, 0, 0, 022).chmod) << "set-id bits are set again";
  EXPECT_TRUE(entry_steps(S_IFREG | 02755, 1, 1, 0, 0, 0).chmod);
  EXPECT_FALSE(entry_steps(S_IFREG | 0777, 0, 0, 0, 0, 0).chmod);
}

TEST(ReflinkSteps, UmaskIsReadFromStatusOrUnknown) {
  EXPECT_EQ(umask_from_status("Name:\thydrad\nUmask:\t0022\nState:\tS\n"), mode_t{022});
  EXPECT_EQ(umask_from_status("Name:\tx\nUmask:\t0077\n"), mode_t{077});
  EXPECT_EQ(umask_from_status("Name:\tx\nState:\tS\n"), std::nullopt) << "a kernel before 4.7 has no Umask line";
  EXPECT_EQ(umask_from_status("Name:\tx\nUmask:\tzz\n"), std::nullopt);
}

TEST(ReflinkSteps, ThreadsOnePerCpuFromTwoToEight) {
  EXPECT_EQ(reflink_threads(0, 1), 2);
  EXPECT_EQ(reflink_threads(0, 4), 4);
  EXPECT_EQ(reflink_threads(0, 64), 8);
  EXPECT_EQ(reflink_threads(3, 64), 3);
}

namespace {

struct TempTree {
  std::string dir;
  TempTree() {
    char tmpl[] = "/tmp/hydra-reflink-XXXXXX";
    dir = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempTree() {
    if (dir.empty()) return;
    // Read-only directories of the tree are made writable first.
    (void)chmod((dir + "/src/ro").c_str(), 0755);
    (void)chmod((dir + "/dst/ro").c_str(), 0755);
    (void)remove_tree(dir);
  }
  TempTree(const TempTree&) = delete;
  TempTree& operator=(const TempTree&) = delete;
};

void write_file(const std::string& path, const std::string& data, mode_t mode) {
  std::ofstream(path, std::ios::binary) << data;
  chmod(path.c_str(), mode);
}

void set_mtime(const std::string& path, time_t sec) {
  const timespec t[2] = {{sec, 1}, {sec, 123456789}};
  utimensat(AT_FDCWD, path.c_str(), t, AT_SYMLINK_NOFOLLOW);
}

}  // namespace

TEST(ReflinkTree, ATreeComesOutExactWithItsLinksHolesModesAndTimes) {
  TempTree t;
  ASSERT_FALSE(t.dir.empty());
  const std::string src = t.dir + "/src";
  ASSERT_EQ(mkdir(src.c_str(), 0755), 0);
  for (const char* d : {"/a", "/a/b", "/a/b/c", "/big", "/ro"}) ASSERT_EQ(mkdir((src + d).c_str(), 0755), 0);
  // More files than one job takes: the directory is shared out.
  for (int i = 0; i < 300; ++i) write_file(src + "/big/f" + std::to_string(i), std::string(100 + i, 'x'), 0644);
  // A hard-link group across directories and jobs, and one inside a job.
  ASSERT_EQ(link((src + "/big/f7").c_str(), (src + "/a/link-to-f7").c_str()), 0);
  ASSERT_EQ(link((src + "/big/f7").c_str(), (src + "/a/b/c/link-to-f7").c_str()), 0);
  ASSERT_EQ(link((src + "/big/f299").c_str(), (src + "/big/g299").c_str()), 0);
  write_file(src + "/a/empty", "", 0600);
  write_file(src + "/a/everyone-writes", "w", 0666);  // the umask would narrow it
  write_file(src + "/a/b/exec", "#!/bin/sh\n", 0751);
  {
    // 8 MiB with 4 KiB of data in the middle: the holes must stay holes.
    int fd = open((src + "/a/sparse").c_str(), O_WRONLY | O_CREAT, 0644);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, std::string(4096, 's').data(), 4096, 4 << 20), 4096);
    ASSERT_EQ(ftruncate(fd, 8 << 20), 0);
    close(fd);
  }
  ASSERT_EQ(symlink("../big/f1", (src + "/a/rel-link").c_str()), 0);
  ASSERT_EQ(symlink("/nowhere/at/all", (src + "/a/dangling").c_str()), 0);
  ASSERT_EQ(mkfifo((src + "/a/fifo").c_str(), 0620), 0);
  const bool user_xattrs = setxattr((src + "/a/b/exec").c_str(), "user.hydra", "v1", 2, 0) == 0;
  if (user_xattrs) {
    ASSERT_EQ(setxattr((src + "/a/b").c_str(), "user.dir", "d", 1, 0), 0);
  }
  write_file(src + "/ro/inside", "r", 0444);
  for (const char* p : {"/a/empty", "/a/sparse", "/a/rel-link", "/a/dangling", "/a/fifo", "/big/f7", "/ro/inside"})
    set_mtime(src + p, 1'600'000'000);
  ASSERT_EQ(chmod((src + "/ro").c_str(), 0555), 0);
  ASSERT_EQ(chmod((src + "/a/b/c").c_str(), 0700), 0);
  for (const char* d : {"/a/b/c", "/a/b", "/a", "/big", "/ro", ""}) set_mtime(src + d, 1'500'000'000);

  uint64_t last_progress = 0;
  auto st = reflink_tree(src, t.dir + "/dst", ReflinkOptions{.threads = 3, .progress = [&](uint64_t b) { last_progress = b; }});
  ASSERT_TRUE(st.ok()) << st.error().text();
  EXPECT_EQ(first_difference(tree_manifest(src, true), tree_manifest(t.dir + "/dst", true)), "");
  struct stat sparse {};
  ASSERT_EQ(stat((t.dir + "/dst/a/sparse").c_str(), &sparse), 0);
  EXPECT_EQ(sparse.st_size, 8 << 20);
  EXPECT_LT(sparse.st_blocks * 512, 1 << 20) << "holes stay holes";
  struct stat root {};
  ASSERT_EQ(stat((t.dir + "/dst").c_str(), &root), 0);
  EXPECT_EQ(root.st_mode & 07777, 0755u) << "the root's own mode is the source's";
  (void)last_progress;  // a clone this small ends within the first second
  if (!user_xattrs) GTEST_LOG_(INFO) << "this filesystem takes no user xattrs: not checked here";
}

TEST(ReflinkTree, AnExistingTargetOrAMissingSourceIsAnErrorNamingIt) {
  TempTree t;
  ASSERT_FALSE(t.dir.empty());
  ASSERT_EQ(mkdir((t.dir + "/src").c_str(), 0755), 0);
  ASSERT_EQ(mkdir((t.dir + "/dst").c_str(), 0755), 0);
  auto exists = reflink_tree(t.dir + "/src", t.dir + "/dst", {});
  ASSERT_FALSE(exists.ok());
  EXPECT_EQ(exists.error().code, EEXIST);
  EXPECT_NE(exists.error().text().find(t.dir + "/dst"), std::string::npos) << exists.error().text();
  auto missing = reflink_tree(t.dir + "/nope", t.dir + "/dst2", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, ENOENT);
  EXPECT_NE(missing.error().text().find(t.dir + "/nope"), std::string::npos) << missing.error().text();
}
