// SPDX-License-Identifier: Apache-2.0
// Encoder for the one kind of route hydra adds: an IPv4 route via a gateway.
#pragma once

#include "netlink/request.hpp"
#include "netlink/types.hpp"

namespace hydra::netlink {

// `dst/prefixlen via gateway dev ifindex`, main table, static.
Request add_route_v4(const IpAddr& dst, uint8_t prefixlen, const IpAddr& gateway, int ifindex,
                     const std::string& ifname);

}  // namespace hydra::netlink
