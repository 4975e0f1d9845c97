// SPDX-License-Identifier: Apache-2.0
// The control socket's bookkeeping: per-peer shares, the server's limit,
// and the request deadline (time passed in).
#include <gtest/gtest.h>

#include <vector>

#include "api/connection_table.hpp"

using hydra::api::ConnectionLimits;
using hydra::api::ConnectionTable;
using Admission = ConnectionTable::Admission;

namespace {

std::vector<int> expired(ConnectionTable& t, int64_t now) {
  std::vector<int> fds;
  t.expire(now, [&](int fd) { fds.push_back(fd); });
  return fds;
}

}  // namespace

TEST(ConnectionTable, OnePeerGetsItsShareOthersTheRest) {
  ConnectionTable t(ConnectionLimits{6, 2, 0});
  EXPECT_EQ(t.admit(1000), Admission::kAdmitted);
  EXPECT_EQ(t.admit(1000), Admission::kAdmitted);
  EXPECT_EQ(t.admit(1000), Admission::kPeerFull);
  t.opened(10, 1000, 0);
  t.opened(11, 1000, 0);
  EXPECT_EQ(t.held_by(1000), 2u);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(t.admit(static_cast<long>(i)), Admission::kAdmitted) << "other peers";
  EXPECT_EQ(t.admit(7), Admission::kServerFull);
  t.closed(10);
  EXPECT_EQ(t.held_by(1000), 1u);
  EXPECT_EQ(t.admit(1000), Admission::kAdmitted) << "a closed connection frees its slot";
  t.closed(10);  // twice: nothing more
  EXPECT_EQ(t.held_by(1000), 2u);
}

TEST(ConnectionTable, NoPerPeerLimitWhenZero) {
  ConnectionTable t(ConnectionLimits{3, 0, 0});
  for (int i = 0; i < 3; ++i) EXPECT_EQ(t.admit(0), Admission::kAdmitted);
  EXPECT_EQ(t.admit(0), Admission::kServerFull);
}

TEST(ConnectionTable, ARequestMustArriveWholeInTime) {
  ConnectionTable t(ConnectionLimits{10, 0, 1000});
  t.admit(0);
  t.opened(5, 0, 0);
  t.admit(0);
  t.opened(6, 0, 500);
  EXPECT_TRUE(expired(t, 999).empty());
  EXPECT_EQ(expired(t, 1000), std::vector<int>{5}) << "fd 5 is due at 1000";
  EXPECT_TRUE(expired(t, 1200).empty()) << "reported once";
  t.handling(6);  // its request arrived: answered as long as it takes
  EXPECT_TRUE(expired(t, 100000).empty());
  t.waiting(6, 100000);  // answered: the next request (or the close) is due
  EXPECT_EQ(expired(t, 101000), std::vector<int>{6});
}

TEST(ConnectionTable, NoDeadlineWhenTheTimeoutIsZero) {
  ConnectionTable t(ConnectionLimits{10, 0, 0});
  t.admit(0);
  t.opened(5, 0, 0);
  t.waiting(5, 0);
  EXPECT_TRUE(expired(t, int64_t{1} << 60).empty());
}
