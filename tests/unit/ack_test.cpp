// SPDX-License-Identifier: Apache-2.0
// Matching acks to requests by sequence number.
#include <gtest/gtest.h>
#include <linux/netlink.h>

#include <cstring>
#include <limits>

#include "netlink/ack.hpp"

using namespace hydra::netlink;

namespace {

// Builds one capped ack, optionally with extended-ack TLVs.
std::vector<uint8_t> make_ack(uint32_t seq, int error, const std::string& msg = "",
                              std::optional<uint32_t> offs = std::nullopt) {
  std::vector<uint8_t> tlvs;
  auto put = [&](uint16_t type, const void* data, size_t len) {
    nlattr a{static_cast<uint16_t>(sizeof(nlattr) + len), type};
    size_t at = tlvs.size();
    tlvs.resize(at + NLA_ALIGN(a.nla_len), 0);
    std::memcpy(tlvs.data() + at, &a, sizeof a);
    std::memcpy(tlvs.data() + at + sizeof a, data, len);
  };
  if (!msg.empty()) put(NLMSGERR_ATTR_MSG, msg.c_str(), msg.size() + 1);
  if (offs) put(NLMSGERR_ATTR_OFFS, &*offs, 4);
  nlmsghdr h{};
  h.nlmsg_type = NLMSG_ERROR;
  h.nlmsg_flags = NLM_F_CAPPED | (tlvs.empty() ? 0 : NLM_F_ACK_TLVS);
  h.nlmsg_seq = seq;
  nlmsgerr e{};
  e.error = -error;
  e.msg.nlmsg_len = sizeof(nlmsghdr) + 32;  // the original request's length
  e.msg.nlmsg_seq = seq;
  h.nlmsg_len = static_cast<uint32_t>(sizeof h + sizeof e + tlvs.size());
  std::vector<uint8_t> out(h.nlmsg_len);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, &e, sizeof e);
  if (!tlvs.empty()) std::memcpy(out.data() + sizeof h + sizeof e, tlvs.data(), tlvs.size());
  return out;
}

}  // namespace

TEST(AckCollector, MatchesOutOfOrderAndAcrossWrapAround) {
  const uint32_t first = std::numeric_limits<uint32_t>::max() - 1;  // seqs: max-1, max, 0, 1
  AckCollector c(first, 4);
  std::vector<uint8_t> dgram;
  for (uint32_t seq : {1u, first, 0u}) {
    auto a = make_ack(seq, seq == 0 ? ENODEV : 0);
    dgram.insert(dgram.end(), a.begin(), a.end());
  }
  ASSERT_TRUE(c.feed(dgram));
  EXPECT_FALSE(c.complete());
  EXPECT_EQ(c.remaining(), 1u);
  ASSERT_TRUE(c.feed(make_ack(first + 1, EBUSY)));
  ASSERT_TRUE(c.complete());
  const auto& acks = c.acks();
  EXPECT_TRUE(acks[0].ok());
  EXPECT_EQ(acks[1].error, EBUSY);
  EXPECT_EQ(acks[2].error, ENODEV);
  EXPECT_TRUE(acks[3].ok());
}

TEST(AckCollector, IgnoresForeignAndDuplicateAcks) {
  AckCollector c(100, 2);
  ASSERT_TRUE(c.feed(make_ack(99, EPERM)));    // before the batch
  ASSERT_TRUE(c.feed(make_ack(102, EPERM)));   // after it
  ASSERT_TRUE(c.feed(make_ack(100, 0)));
  ASSERT_TRUE(c.feed(make_ack(100, EPERM)));   // duplicate: first one wins
  EXPECT_EQ(c.remaining(), 1u);
  EXPECT_TRUE(c.acks()[0].ok());
}

TEST(AckCollector, ExtendedAckMessageAndOffset) {
  AckCollector c(7, 1);
  ASSERT_TRUE(c.feed(make_ack(7, EINVAL, "Unknown device type", 36)));
  const Ack& a = c.acks()[0];
  EXPECT_EQ(a.error, EINVAL);
  EXPECT_EQ(a.ext_message, "Unknown device type");
  ASSERT_TRUE(a.bad_attr_offset);
  EXPECT_EQ(*a.bad_attr_offset, 36u);
  auto e = ack_error("create bridge docker0", a);
  EXPECT_EQ(e.code, EINVAL);
  EXPECT_NE(e.text().find("kernel: Unknown device type"), std::string::npos);
  EXPECT_NE(e.text().find("create bridge docker0"), std::string::npos);
}

TEST(AckCollector, MalformedDatagramIsAnError) {
  AckCollector c(1, 1);
  auto a = make_ack(1, 0);
  a.resize(a.size() - 4);  // header claims more than arrived
  EXPECT_FALSE(c.feed(a));
  std::vector<uint8_t> tiny(8, 0);
  EXPECT_FALSE(c.feed(tiny));
}

TEST(AckCollector, MissingAckIsReportedPerRequest) {
  Ack never;
  auto e = ack_error("set master of veth1", never);
  EXPECT_EQ(e.code, EIO);
}
