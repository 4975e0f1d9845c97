// SPDX-License-Identifier: Apache-2.0
// Free-space thresholds and garbage collection's choice, without a disk.
#include <gtest/gtest.h>

#include "session/storage/storage_policy.hpp"

using namespace hydra::session;

TEST(FreeThreshold, BytesUnitsAndPercentages) {
  EXPECT_FALSE(FreeThreshold::parse("")->set());
  EXPECT_FALSE(FreeThreshold::parse("0")->set());
  EXPECT_EQ(FreeThreshold::parse("2147483648")->bytes, 2147483648u);
  EXPECT_EQ(FreeThreshold::parse("512MiB")->bytes, 512u << 20);
  EXPECT_EQ(FreeThreshold::parse("1.5GiB")->bytes, 3u << 29);
  EXPECT_EQ(FreeThreshold::parse("20GB")->bytes, 20000000000u);
  auto pct = FreeThreshold::parse("5%");
  ASSERT_TRUE(pct);
  EXPECT_EQ(pct->bytes_for(1000000), 50000u);
  EXPECT_EQ(pct->text(), "5%");
  for (const char* bad : {"-1", "ten", "5 GiB", "12XB", "101%", "%"}) {
    auto r = FreeThreshold::parse(bad);
    EXPECT_FALSE(r) << bad;
    if (!r) {
      EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
    }
  }
}

TEST(FreeThreshold, BelowSaysHowMuchAndFailsClosed) {
  FsReading fs{"/var/lib/hydra/sessions", 800u << 20, 10ull << 30, ""};
  EXPECT_FALSE(below_threshold(fs, {}, "[storage] min_free")) << "off when unset";
  EXPECT_FALSE(below_threshold(fs, *FreeThreshold::parse("512MiB"), "[storage] min_free"));
  auto why = below_threshold(fs, *FreeThreshold::parse("1GiB"), "[storage] min_free");
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "free space on /var/lib/hydra/sessions is 800.0 MiB, below [storage] min_free 1.0 GiB");
  auto pct = below_threshold(fs, *FreeThreshold::parse("10%"), "[storage] min_free");
  ASSERT_TRUE(pct);
  EXPECT_NE(pct->find("below [storage] min_free 1.0 GiB (10% of 10.0 GiB)"), std::string::npos) << *pct;
  FsReading broken{"/var/lib/hydra/sessions", 0, 0, "Input/output error"};
  auto closed = below_threshold(broken, *FreeThreshold::parse("1GiB"), "[storage] min_free");
  ASSERT_TRUE(closed) << "a filesystem that cannot be measured refuses creates";
  EXPECT_NE(closed->find("cannot be measured (Input/output error)"), std::string::npos);
  EXPECT_EQ(human_bytes(0), "0 B");
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
}

TEST(GarbageCollection, OnlyStoppedSessionsPastTheGraceOutsideLive) {
  const int64_t now = 1'800'000'000;
  auto key = [](const char* id) { return SessionKey{"session", id}; };
  std::vector<GcSession> all{
      {key("old-stopped"), SessionState::kExited, false, now - 7200},
      {key("fresh-stopped"), SessionState::kExited, false, now - 60},
      {key("live-stopped"), SessionState::kExited, false, now - 7200},
      {key("starting"), SessionState::kStarting, false, now - 999999},   // being created again
      {key("running"), SessionState::kRunning, false, now - 999999},
      {key("unresponsive"), SessionState::kUnresponsive, false, now - 999999},
      {key("stopping"), SessionState::kStopping, false, now - 999999},
      {key("host"), SessionState::kExited, true, now - 999999},
      {key("never-stopped"), SessionState::kExited, false, 0},
  };
  auto victims = gc_victims(all, {key("live-stopped")}, 3600, now);
  ASSERT_EQ(victims.size(), 1u);
  EXPECT_EQ(victims[0], key("old-stopped"));
  // Whatever the clock says: far in the future, still none of the others.
  auto later = gc_victims(all, {key("live-stopped")}, 0, now + 100'000'000);
  EXPECT_EQ(later, (std::vector<SessionKey>{key("old-stopped"), key("fresh-stopped")}));
  EXPECT_TRUE(parse_session_ref("spectask/t1"));
  EXPECT_FALSE(parse_session_ref("t1"));
  EXPECT_FALSE(parse_session_ref("pod/x"));
}
