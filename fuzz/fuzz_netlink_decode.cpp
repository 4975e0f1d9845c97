// SPDX-License-Identifier: Apache-2.0
// Fuzz target: any bytes as an rtnetlink notification. Decoding must give a
// value or an error, never a crash or an out-of-bounds read.
#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "netlink/monitor.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < sizeof(nlmsghdr) || size > 65536) return 0;
  std::vector<uint32_t> aligned((size + 3) / 4);
  std::memcpy(aligned.data(), data, size);
  auto* nlh = reinterpret_cast<nlmsghdr*>(aligned.data());
  // The monitor only decodes messages whose length fits the datagram.
  if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > size) nlh->nlmsg_len = static_cast<uint32_t>(size);
  auto ev = hydra::netlink::decode_notification(nlh);
  (void)ev;
  return 0;
}
