// SPDX-License-Identifier: Apache-2.0
// RFC 3339 times as hydrad writes them and hydractl reads them back.
#include <gtest/gtest.h>

#include "base/clock.hpp"

TEST(Rfc3339, ReadsBackWhatItWrites) {
  for (int64_t t : {int64_t{0}, int64_t{1796303235}, int64_t{4102444800}}) {
    auto back = hydra::from_rfc3339(hydra::rfc3339(t));
    ASSERT_TRUE(back) << hydra::rfc3339(t);
    EXPECT_EQ(*back, t);
  }
  EXPECT_EQ(hydra::rfc3339(1796303235), "2026-12-03T13:07:15Z");
}

TEST(Rfc3339, AnythingElseIsNothing) {
  for (const char* bad : {"", "yesterday", "2026-12-03T15:07:15", "2026-12-03T15:07:15Z trailing", "2026-13-03T15:07:15Z"})
    EXPECT_FALSE(hydra::from_rfc3339(bad)) << bad;
}
