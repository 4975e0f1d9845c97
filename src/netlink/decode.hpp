// SPDX-License-Identifier: Apache-2.0
// Typed decoding of RTM_NEWLINK/RTM_DELLINK and RTM_NEWADDR/RTM_DELADDR.
// Malformed input gives an Error; unknown attributes are skipped, as the
// kernel adds new ones with every release.
#pragma once

#include <linux/netlink.h>

#include "base/result.hpp"
#include "netlink/types.hpp"

namespace hydra::netlink {

Result<LinkInfo> decode_link(const nlmsghdr* nlh);
Result<AddrInfo> decode_addr(const nlmsghdr* nlh);

}  // namespace hydra::netlink
