// SPDX-License-Identifier: Apache-2.0
#include "netlink/addr_requests.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

namespace hydra::netlink {
namespace {

void put_addr_body(Request& r, const AddrInfo& addr, uint32_t flags) {
  auto* ifa = r.put_extra_header<ifaddrmsg>();
  ifa->ifa_family = addr.family;
  ifa->ifa_prefixlen = addr.prefixlen;
  ifa->ifa_scope = addr.scope;
  ifa->ifa_index = static_cast<uint32_t>(addr.ifindex);
  ifa->ifa_flags = static_cast<uint8_t>(flags & 0xff);
  IpAddr local = addr.local.value_or(addr.primary());
  IpAddr peer = addr.address.value_or(local);
  r.put(IFA_LOCAL, local.bytes.data(), local.size());
  r.put(IFA_ADDRESS, peer.bytes.data(), peer.size());
  if (addr.family == AF_INET && addr.broadcast) r.put(IFA_BROADCAST, addr.broadcast->bytes.data(), 4);
  if (flags > 0xff) r.put_u32(IFA_FLAGS, flags);
}

}  // namespace

uint32_t settable_addr_flags(uint32_t flags) {
  return flags & (IFA_F_NODAD | IFA_F_HOMEADDRESS | IFA_F_NOPREFIXROUTE | IFA_F_MCAUTOJOIN |
                  IFA_F_MANAGETEMPADDR | IFA_F_OPTIMISTIC);
}

Request add_address(const AddrInfo& addr, const std::string& ifname) {
  Request r(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, "add address " + addr.cidr() + " to " + ifname);
  uint32_t flags = settable_addr_flags(addr.flags);
  if (addr.family == AF_INET6) flags |= IFA_F_NODAD;
  put_addr_body(r, addr, flags);
  return r;
}

Request delete_address(const AddrInfo& addr, const std::string& ifname) {
  Request r(RTM_DELADDR, 0, "delete address " + addr.cidr() + " from " + ifname);
  put_addr_body(r, addr, 0);
  return r;
}

}  // namespace hydra::netlink
