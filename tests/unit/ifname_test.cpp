// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "netlink/ifname.hpp"

using hydra::netlink::validate_ifname;

TEST(Ifname, AcceptsOrdinaryNames) {
  for (const char* n : {"docker0", "hydra254", "vethb-h1", "eth0", "a", "123456789012345"})
    EXPECT_TRUE(validate_ifname(n)) << n;
}

TEST(Ifname, RejectsBadNamesWithAReason) {
  struct Case {
    const char* name;
    const char* reason;
  };
  for (auto c : {Case{"", "empty"}, Case{"1234567890123456", "longer than 15"}, Case{".", "reserved"},
                 Case{"..", "reserved"}, Case{"a/b", "'/'"}, Case{"a b", "whitespace"},
                 Case{"tab\there", "whitespace"}, Case{"a:b", "':'"}}) {
    auto st = validate_ifname(c.name);
    ASSERT_FALSE(st) << c.name;
    EXPECT_NE(st.error().message.find(c.reason), std::string::npos) << st.error().message;
    EXPECT_EQ(st.error().code, EINVAL);
  }
}
