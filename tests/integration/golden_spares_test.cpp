// SPDX-License-Identifier: Apache-2.0
// Spare clones of goldens on a loop-mounted XFS (root; the golden store and
// its spares' thread, no dockerd): a spare is made ahead, taken by a clone
// with a rename (exact), made again when woken; two clones at once share one
// spare without harm; removing a golden while its spare is being made stops
// the spare and leaves nothing; a spare a crash left half-made is removed at
// start; one held back for want of room is made once there is room, unasked.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <future>

#include "../loop_fs.hpp"
#include "../tree_manifest.hpp"
#include "hydrad_process.hpp"
#include "netns_fixture.hpp"
#include "session/storage/golden_spares.hpp"
#include "session/storage/golden_store.hpp"

using namespace hydra::test;
using namespace hydra::session;

namespace {

// A stopped session's data root, as far as a golden cares: FILES files in
// directories of 500, a hard link and an xattr among them.
std::string make_source(const std::string& data_dir, int files) {
  const std::string root = data_dir + "/session-src";
  mkdir(root.c_str(), 0710);
  const std::string layer = root + "/overlay2";
  mkdir(layer.c_str(), 0710);
  for (int i = 0; i < files; ++i) {
    const std::string d = layer + "/" + std::to_string(i / 500);
    if (i % 500 == 0) mkdir(d.c_str(), 0755);
    std::ofstream(d + "/" + std::to_string(i), std::ios::binary) << std::string(64 + i % 700, 'g');
  }
  link((layer + "/0/1").c_str(), (root + "/hard-link").c_str());
  return root;
}

struct SparesWorld {
  LoopFs fs{1024, "xfs"};
  std::string data_dir = fs.mnt + "/data";
  hydra::telemetry::EventLog log{hydra::telemetry::LogFormat::kJson, open("/dev/null", O_WRONLY | O_CLOEXEC)};
  std::unique_ptr<GoldenStore> store;
  bool ready(int files) {
    if (!fs.ok || mkdir(data_dir.c_str(), 0710) != 0) return false;
    store = std::make_unique<GoldenStore>(data_dir, "/bin/cp", log);
    const std::string src = make_source(data_dir, files);
    auto g = store->create("g", "session/src", src);
    return g.ok() && g->method == "reflink";
  }
  bool spare_ready() const {
    auto g = store->get("g");
    return g.ok() && g->spare;
  }
};

}  // namespace

TEST(GoldenSparesXfs, ASpareIsMadeAheadTakenByARenameExactAndMadeAgain) {
  HYDRA_REQUIRE_ROOT();
  SparesWorld w;
  ASSERT_TRUE(w.ready(2000)) << "no golden on a loop-mounted XFS in " << w.fs.dir;
  EXPECT_FALSE(w.spare_ready()) << "nothing made ahead before the spares' thread runs";
  GoldenSpares spares(*w.store, w.log, [] { return true; }, 60000);
  spares.start();
  ASSERT_TRUE(wait_until([&] { return w.spare_ready(); }, 30000, 20)) << "no spare made";

  auto a = w.store->clone_to("g", w.data_dir + "/session-a", nullptr);
  ASSERT_TRUE(a.ok()) << a.error().text();
  EXPECT_TRUE(a->spare) << "the clone took the spare";
  EXPECT_FALSE(w.spare_ready()) << "taken, not copied";
  const std::string golden_root = w.data_dir + "/.goldens/g/root";
  EXPECT_EQ(first_difference(tree_manifest(golden_root), tree_manifest(w.data_dir + "/session-a")), "");
  struct stat root {};
  ASSERT_EQ(stat((w.data_dir + "/session-a").c_str(), &root), 0);
  EXPECT_EQ(root.st_mode & 07777, 0710u) << "a data root of its own, writable";

  spares.wake();
  ASSERT_TRUE(wait_until([&] { return w.spare_ready(); }, 30000, 20)) << "not made again when woken";
  // Two clones at once, one spare: one takes it, the other clones; both exact.
  auto b = std::async(std::launch::async, [&] { return w.store->clone_to("g", w.data_dir + "/session-b", nullptr); });
  auto c = w.store->clone_to("g", w.data_dir + "/session-c", nullptr);
  auto bb = b.get();
  ASSERT_TRUE(bb.ok() && c.ok());
  EXPECT_EQ(static_cast<int>(bb->spare) + static_cast<int>(c->spare), 1);
  for (const char* s : {"/session-b", "/session-c"})
    EXPECT_EQ(first_difference(tree_manifest(golden_root), tree_manifest(w.data_dir + s)), "") << s;
}

// No wake comes when the disk has room again: the thread looks again by
// itself while a spare is held back (and only then).
TEST(GoldenSparesXfs, ASpareHeldBackForWantOfRoomIsMadeWhenRoomComes) {
  HYDRA_REQUIRE_ROOT();
  SparesWorld w;
  ASSERT_TRUE(w.ready(200)) << "no golden on a loop-mounted XFS in " << w.fs.dir;
  std::atomic<int> asked{0};
  std::atomic<bool> room{false};
  GoldenSpares spares(*w.store, w.log, [&] { ++asked; return room.load(); }, 50);
  spares.start();
  ASSERT_TRUE(wait_until([&] { return asked >= 3; }, 10000, 5)) << "not looked at again while held back";
  EXPECT_FALSE(w.spare_ready()) << "no room: none made";
  room = true;
  ASSERT_TRUE(wait_until([&] { return w.spare_ready(); }, 30000, 20)) << "room came, no spare made";
  // Nothing held back now: it blocks. A spare taken without a wake is not
  // made again (a thread still polling would make it).
  auto a = w.store->clone_to("g", w.data_dir + "/session-a", nullptr);
  ASSERT_TRUE(a.ok() && a->spare);
  EXPECT_FALSE(wait_until([&] { return w.spare_ready(); }, 500, 50)) << "still polling with nothing held back";
  spares.wake();
  EXPECT_TRUE(wait_until([&] { return w.spare_ready(); }, 30000, 20)) << "made again when woken";
}

TEST(GoldenSparesXfs, RemovingAGoldenStopsItsSpareBeingMadeAndLeavesNothing) {
  HYDRA_REQUIRE_ROOT();
  SparesWorld w;
  ASSERT_TRUE(w.ready(20000)) << "no golden on a loop-mounted XFS in " << w.fs.dir;
  const std::string tmp = w.data_dir + "/.goldens/g/.tmp-spare";
  auto making = std::async(std::launch::async, [&] { return w.store->make_spare("g"); });
  ASSERT_TRUE(wait_until([&] { return access((tmp + "/overlay2").c_str(), F_OK) == 0; }, 30000, 1))
      << "the spare was not seen being made";
  auto removed = w.store->remove("g");
  ASSERT_TRUE(removed.ok()) << removed.error().text();
  auto made = making.get();
  ASSERT_TRUE(made.ok()) << made.error().text();
  EXPECT_FALSE(*made) << "stopped, not made";
  EXPECT_NE(access((w.data_dir + "/.goldens/g").c_str(), F_OK), 0);
  EXPECT_EQ(w.store->list().size(), 0u);
  EXPECT_FALSE(w.store->make_spare("g").value_or(true)) << "no golden, no spare";
}

TEST(GoldenSparesXfs, ASpareACrashLeftHalfMadeIsRemovedAtStart) {
  HYDRA_REQUIRE_ROOT();
  SparesWorld w;
  ASSERT_TRUE(w.ready(100)) << "no golden on a loop-mounted XFS in " << w.fs.dir;
  const std::string tmp = w.data_dir + "/.goldens/g/.tmp-spare";
  ASSERT_EQ(mkdir(tmp.c_str(), 0700), 0);
  std::ofstream(tmp + "/half") << "x";
  w.store->recover();
  EXPECT_NE(access(tmp.c_str(), F_OK), 0);
  EXPECT_TRUE(w.store->make_spare("g").value_or(false)) << "made whole afterwards";
  EXPECT_TRUE(w.spare_ready());
}
