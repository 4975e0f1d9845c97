// SPDX-License-Identifier: Apache-2.0
// Full dumps of links and addresses, redone when the kernel marks a dump
// interrupted (the table changed while it was being read).
#pragma once

#include <vector>

#include "base/result.hpp"
#include "netlink/rtnl_socket.hpp"
#include "netlink/types.hpp"

namespace hydra::netlink {

inline constexpr int kMaxDumpAttempts = 10;

Result<std::vector<LinkInfo>> dump_links(RtnlSocket& sock);
// IPv4 and IPv6 addresses of every link.
Result<std::vector<AddrInfo>> dump_addrs(RtnlSocket& sock);
// One link by index; ENODEV when it does not exist.
Result<LinkInfo> fetch_link(RtnlSocket& sock, int ifindex);
// One link by name; ENODEV when no link has it.
Result<LinkInfo> fetch_link(RtnlSocket& sock, const std::string& name);

}  // namespace hydra::netlink
