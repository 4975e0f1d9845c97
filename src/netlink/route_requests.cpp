// SPDX-License-Identifier: Apache-2.0
#include "netlink/route_requests.hpp"

#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace hydra::netlink {

Request add_route_v4(const IpAddr& dst, uint8_t prefixlen, const IpAddr& gateway, int ifindex,
                     const std::string& ifname) {
  Request r(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL,
            "add route " + dst.to_string() + "/" + std::to_string(prefixlen) + " via " + gateway.to_string() +
                " dev " + ifname);
  auto* rt = r.put_extra_header<rtmsg>();
  rt->rtm_family = AF_INET;
  rt->rtm_dst_len = prefixlen;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  r.put(RTA_DST, dst.bytes.data(), 4);
  r.put(RTA_GATEWAY, gateway.bytes.data(), 4);
  r.put_u32(RTA_OIF, static_cast<uint32_t>(ifindex));
  return r;
}

}  // namespace hydra::netlink
