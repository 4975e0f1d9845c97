// SPDX-License-Identifier: Apache-2.0
// hydractl's reading of a session argument: TYPE/ID as the list prints it,
// or an ID with --type; anything malformed refused before a request.
#include <gtest/gtest.h>

#include "cli/session_ref.hpp"

using hydra::cli::session_from_args;

TEST(SessionRef, TheListsFormIsAccepted) {
  auto k = session_from_args("session/u1", "");
  ASSERT_TRUE(k) << k.error().message;
  EXPECT_EQ(k->scope_type, "session");
  EXPECT_EQ(k->scope_id, "u1");
  k = session_from_args("spectask/t-9", "");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->scope_type, "spectask");
  k = session_from_args("spectask/t-9", "spectask");
  ASSERT_TRUE(k) << "an agreeing --type is fine";
}

TEST(SessionRef, ABareIdTakesTheTypeOrSession) {
  auto k = session_from_args("u1", "");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->scope_type, "session");
  k = session_from_args("u1", "exploratory");
  ASSERT_TRUE(k);
  EXPECT_EQ(k->scope_type, "exploratory");
}

TEST(SessionRef, MalformedIdsAreRefusedNamingTheRule) {
  auto k = session_from_args("session/session/u1", "");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("scope_id may hold only"), std::string::npos) << k.error().message;
  k = session_from_args("u 1", "");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("scope_id may hold only"), std::string::npos) << k.error().message;
  k = session_from_args("box/u1", "");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("scope_type must be"), std::string::npos) << k.error().message;
  k = session_from_args("u1", "box");
  ASSERT_FALSE(k);
  k = session_from_args("session/u1", "spectask");
  ASSERT_FALSE(k);
  EXPECT_NE(k.error().message.find("different scope types"), std::string::npos) << k.error().message;
  EXPECT_FALSE(session_from_args("", ""));
  EXPECT_FALSE(session_from_args("session/", ""));
  EXPECT_FALSE(session_from_args("session/..", ""));
}
