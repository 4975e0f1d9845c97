// SPDX-License-Identifier: Apache-2.0
// Encoders for address changes.
#pragma once

#include "netlink/request.hpp"
#include "netlink/types.hpp"

namespace hydra::netlink {

// Adds an address as recorded: IPv4 with its broadcast, IPv6 with IFA_F_NODAD
// (a restored address must be usable at once, not after duplicate detection).
// Only the flags a user may set are carried over.
Request add_address(const AddrInfo& addr, const std::string& ifname);
Request delete_address(const AddrInfo& addr, const std::string& ifname);

// Address flags that may be requested (the rest are state the kernel keeps).
uint32_t settable_addr_flags(uint32_t flags);

}  // namespace hydra::netlink
