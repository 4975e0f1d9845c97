// SPDX-License-Identifier: Apache-2.0
// Sizing and removing a data root: allocated bytes as du counts them, hard
// links once, symlinks never followed.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "session/storage/data_usage.hpp"

using namespace hydra;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/hydra-usage-XXXXXX";
    path = mkdtemp(tmpl) ? tmpl : "";
  }
  ~TempDir() { (void)session::remove_tree(path); }
};

void write_file(const std::string& path, size_t bytes) {
  std::ofstream(path) << std::string(bytes, 'x');
}

uint64_t allocated(const std::string& path) {
  struct stat st {};
  lstat(path.c_str(), &st);
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace

TEST(DataUsage, MeasuresAllocatedBytesWithHardLinksOnce) {
  TempDir t;
  ASSERT_FALSE(t.path.empty());
  const std::string root = t.path + "/session-s1";
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  ASSERT_EQ(mkdir((root + "/a").c_str(), 0755), 0);
  write_file(root + "/a/big", 1 << 20);
  write_file(root + "/small", 100);
  ASSERT_EQ(link((root + "/a/big").c_str(), (root + "/big-again").c_str()), 0);
  ASSERT_EQ(symlink("/usr", (root + "/usr-link").c_str()), 0);
  uint64_t expected = allocated(root) + allocated(root + "/a") + allocated(root + "/a/big") +
                      allocated(root + "/small") + allocated(root + "/usr-link");
  auto size = session::measure_tree(root);
  ASSERT_TRUE(size) << size.error().text();
  EXPECT_EQ(size->bytes, expected);
  EXPECT_GE(size->bytes, uint64_t{1} << 20);
  EXPECT_LT(size->bytes, uint64_t{3} << 20) << "the hard link counted twice, or /usr followed";

  auto removed = session::remove_tree(root);
  ASSERT_TRUE(removed) << removed.error().text();
  EXPECT_EQ(removed->bytes, expected);
  EXPECT_NE(access(root.c_str(), F_OK), 0);
  EXPECT_EQ(access("/usr/bin", F_OK), 0) << "never through a symlink";
  auto again = session::remove_tree(root);
  ASSERT_TRUE(again) << "absent is zero bytes, not an error";
  EXPECT_EQ(again->bytes, 0u);
  EXPECT_EQ(session::measure_tree(root).error().code, ENOENT);
}

TEST(DataUsage, TheBackgroundFigureAppearsAndIsServedWithItsTime) {
  TempDir t;
  const std::string root = t.path + "/spectask-t1";
  ASSERT_EQ(mkdir(root.c_str(), 0755), 0);
  write_file(root + "/f", 64 * 1024);
  session::DataUsage usage(t.path, 3600 * 1000);  // measures once at start, then on refresh()
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!usage.of(root) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto fig = usage.of(root);
  ASSERT_TRUE(fig) << "no figure within 30 s";
  EXPECT_GE(fig->bytes, 64u * 1024);
  EXPECT_GT(fig->measured_unix, 0);
  write_file(root + "/g", 256 * 1024);
  usage.refresh();
  deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (usage.of(root)->bytes < (64u + 256u) * 1024 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_GE(usage.of(root)->bytes, (64u + 256u) * 1024) << "refresh() measures again";
}
