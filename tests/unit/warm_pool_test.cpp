// SPDX-License-Identifier: Apache-2.0
// The warm pool's bookkeeping: what is missing, what a create may take, the
// indexes it holds whatever state its members are in, and its dead.
#include <gtest/gtest.h>

#include "session/manager/warm_pool.hpp"

using namespace hydra::session;

namespace {

std::unique_ptr<PoolMember> member(int index, const std::string& golden = "", const std::string& golden_id = "") {
  auto m = std::make_unique<PoolMember>();
  m->index = index;
  m->golden = golden;
  m->golden_id = golden_id;
  return m;
}

}  // namespace

TEST(WarmPool, KeepsItsTargetCountingMembersBeingMade) {
  WarmPool pool(2);
  EXPECT_EQ(pool.missing(), 2);
  pool.reserve(1, "/d/warm-1-5");
  EXPECT_EQ(pool.missing(), 1) << "one being made counts";
  EXPECT_EQ(pool.counts().starting, 1);
  pool.add_ready(member(1));
  pool.reserve(2, "/d/warm-2-6");
  pool.start_failed(2);
  EXPECT_EQ(pool.missing(), 1);
  EXPECT_EQ(pool.reserved(), (std::set<int>{1}));
  EXPECT_EQ(pool.counts().ready, 1);
  EXPECT_EQ(pool.counts().starting, 0);
  pool.quit();
  EXPECT_EQ(pool.missing(), 0) << "nothing more is made once it stops";
  EXPECT_EQ(WarmPool(0).missing(), 0);
}

TEST(WarmPool, ATakeGetsTheOldestLiveMemberOfTheRightDataRoot) {
  WarmPool pool(3);
  for (int i : {4, 5, 6}) pool.reserve(i, warm_data_root("/d", i, 7));
  pool.add_ready(member(4));
  pool.add_ready(member(5, "base", "id1"));
  pool.add_ready(member(6));
  pool.mark_dead(4);
  auto m = pool.take("", "");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->index, 6) << "the dead one is never handed out";
  EXPECT_EQ(pool.reserved(), (std::set<int>{4, 5})) << "a taken index is the session's now";
  EXPECT_FALSE(pool.take("", "")) << "5 is a clone of a golden";
  EXPECT_FALSE(pool.take("base", "id2")) << "5 is a clone of base as it was before it was made again";
  auto g = pool.take("base", "id1");
  ASSERT_TRUE(g);
  EXPECT_EQ(g->index, 5);
  auto dead = pool.take_dead();
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0]->index, 4);
  EXPECT_EQ(pool.reserved(), (std::set<int>{4})) << "held until discarded";
  pool.discarded(4);
  EXPECT_TRUE(pool.reserved().empty());
  EXPECT_EQ(pool.missing(), 3);
}

TEST(WarmPool, MembersOfAnotherGoldenAreTakenOutForReplacement) {
  WarmPool pool(4);
  for (int i : {1, 2, 3, 4}) pool.reserve(i, warm_data_root("/d", i, 7));
  pool.add_ready(member(1));                 // made while base was absent
  pool.add_ready(member(2, "base", "old"));  // a clone of base before it was made again
  pool.add_ready(member(3, "base", "new"));
  pool.add_ready(member(4, "other", "x"));   // default_golden changed in the config
  auto unlike = pool.take_unlike("base", "new");
  std::set<int> out;
  for (const auto& m : unlike) out.insert(m->index);
  EXPECT_EQ(out, (std::set<int>{1, 2, 4}));
  EXPECT_EQ(pool.counts().ready, 1);
  EXPECT_EQ(pool.reserved(), (std::set<int>{1, 2, 3, 4})) << "held until discarded";
  EXPECT_TRUE(pool.take_unlike("base", "new").empty());
  // base removed: now only empty members serve.
  auto gone = pool.take_unlike("", "");
  ASSERT_EQ(gone.size(), 1u);
  EXPECT_EQ(gone[0]->index, 3);
}

TEST(WarmPool, StaleMembersHoldTheirIndexesUntilDiscarded) {
  WarmPool pool(1);
  pool.add_stale(3, "/d/warm-3-1");
  EXPECT_EQ(pool.reserved(), (std::set<int>{3}));
  EXPECT_EQ(pool.records().at(3), "/d/warm-3-1");
  auto stale = pool.take_stale();
  EXPECT_EQ(stale.size(), 1u);
  EXPECT_TRUE(pool.take_stale().empty()) << "handed over once";
  EXPECT_EQ(pool.reserved(), (std::set<int>{3}));
  pool.discarded(3);
  EXPECT_TRUE(pool.records().empty());
}

TEST(WarmPool, MemberDataRootsAreNeverASessionsName) {
  EXPECT_EQ(warm_data_root("/var/lib/hydra/sessions", 3, 42), "/var/lib/hydra/sessions/warm-3-42");
  EXPECT_TRUE(is_warm_data_root_name("warm-3-42"));
  EXPECT_FALSE(is_warm_data_root_name("session-warm-3"));
  EXPECT_FALSE(validate_key({"warm", "3"})) << "warm is no session type";
}

TEST(WarmPool, UnderPressureItGivesWayOneMemberAtATimeAndMakesNone) {
  const uint64_t gib = uint64_t{1} << 30;
  PoolPressure calm{false, 8 * gib, 24 * gib};
  EXPECT_FALSE(memory_short(calm));
  EXPECT_EQ(pool_action(2, 0, calm).start, 2);
  EXPECT_EQ(pool_action(2, 0, calm).discard, 0);
  PoolPressure disk{true, 8 * gib, 24 * gib};
  EXPECT_EQ(pool_action(2, 3, disk).start, 0);
  EXPECT_EQ(pool_action(2, 3, disk).discard, 1);
  EXPECT_EQ(pool_action(2, 0, disk).discard, 0) << "nothing to give";
  PoolPressure eighth{false, 3 * gib - 1, 24 * gib};
  EXPECT_TRUE(memory_short(eighth)) << "less than an eighth of 24 GiB";
  PoolPressure small{false, 400u << 20, 2 * gib};
  EXPECT_TRUE(memory_short(small)) << "under 512 MiB, whatever the eighth";
  EXPECT_FALSE(memory_short(PoolPressure{false, 0, 0})) << "unknown is no pressure";
  EXPECT_EQ(pool_action(1, 1, eighth).discard, 1);
}

TEST(WarmPool, MeminfoIsReadInBytes) {
  PoolPressure p;
  parse_meminfo("MemTotal:       24576000 kB\nMemFree:         1000 kB\nMemAvailable:   12288000 kB\n", p);
  EXPECT_EQ(p.mem_total, uint64_t{24576000} * 1024);
  EXPECT_EQ(p.mem_available, uint64_t{12288000} * 1024);
  PoolPressure none;
  parse_meminfo("", none);
  EXPECT_EQ(none.mem_total, 0u);
  EXPECT_EQ(none.mem_available, 0u);
}
