// SPDX-License-Identifier: Apache-2.0
// The verdict on whether protected bridges were touched while a session
// started: the kernel's looks and the guard's counters.
#include <gtest/gtest.h>

#include "session/manager/bridge_witness.hpp"

namespace hydra::session {
namespace {

const BridgeMark kMark{.losses = 4, .restores = 3, .present = {"docker0"}};

TEST(BridgeTouch, NothingSeenIsUntouched) {
  const auto t = judge_bridge_touch(kMark, {{"docker0", true}}, 4, 3);
  EXPECT_FALSE(t.touched);
  EXPECT_EQ(t.restores, 0);
}

TEST(BridgeTouch, ARestoreFinishedSinceTheMarkCounts) {
  const auto t = judge_bridge_touch(kMark, {{"docker0", true}}, 5, 4);
  EXPECT_TRUE(t.touched);
  EXPECT_EQ(t.restores, 1);
}

TEST(BridgeTouch, ALossTheGuardBeganCountsBeforeItsRestoreEnds) {
  const auto t = judge_bridge_touch(kMark, {{"docker0", true}}, 5, 3);
  EXPECT_TRUE(t.touched);
  EXPECT_EQ(t.restores, 0);
}

// The guard has not read the deletion yet: only the kernel knows.
TEST(BridgeTouch, ABridgeTheKernelNoLongerHasCountsThoughTheGuardLags) {
  EXPECT_TRUE(judge_bridge_touch(kMark, {{"docker0", false}}, 4, 3).touched);
}

TEST(BridgeTouch, NoLookLeavesTheVerdictToTheCounters) {
  EXPECT_FALSE(judge_bridge_touch(kMark, {}, 4, 3).touched);
  EXPECT_TRUE(judge_bridge_touch(kMark, {}, 5, 3).touched);
}

// A bridge dropped from the guard by a reload takes its restores with it:
// never a negative count.
TEST(BridgeTouch, FewerRestoresThanAtTheMarkIsNone) {
  const auto t = judge_bridge_touch(kMark, {}, 4, 1);
  EXPECT_EQ(t.restores, 0);
  EXPECT_FALSE(t.touched);
}

}  // namespace
}  // namespace hydra::session
