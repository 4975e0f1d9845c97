// SPDX-License-Identifier: Apache-2.0
#include "netlink/dump.hpp"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "netlink/decode.hpp"
#include "netlink/route_neigh.hpp"

namespace hydra::netlink {
namespace {

template <class T, class Decode>
Result<std::vector<T>> dump_with_retry(RtnlSocket& sock, const std::function<Request()>& make_request,
                                       Decode decode) {
  for (int attempt = 0; attempt < kMaxDumpAttempts; ++attempt) {
    std::vector<T> out;
    bool interrupted = false;
    auto st = sock.dump(make_request(),
                        [&](const nlmsghdr* nlh) -> Status {
                          auto item = decode(nlh);
                          if (!item) return item.error();
                          out.push_back(std::move(*item));
                          return {};
                        },
                        interrupted);
    if (!st) return st.error();
    if (!interrupted) return out;
  }
  return make_error("dump interrupted " + std::to_string(kMaxDumpAttempts) + " times in a row", EAGAIN);
}

}  // namespace

Result<std::vector<LinkInfo>> dump_links(RtnlSocket& sock) {
  return dump_with_retry<LinkInfo>(
      sock,
      [] {
        Request r(RTM_GETLINK, 0, "dump links");
        r.put_extra_header<ifinfomsg>()->ifi_family = AF_UNSPEC;
        return r;
      },
      decode_link);
}

Result<std::vector<AddrInfo>> dump_addrs(RtnlSocket& sock) {
  return dump_with_retry<AddrInfo>(
      sock,
      [] {
        Request r(RTM_GETADDR, 0, "dump addresses");
        r.put_extra_header<ifaddrmsg>()->ifa_family = AF_UNSPEC;
        return r;
      },
      [](const nlmsghdr* nlh) -> Result<AddrInfo> { return decode_addr(nlh); });
}

namespace {

// One RTM_GETLINK answered by one link.
Result<LinkInfo> fetch_one_link(RtnlSocket& sock, Request r, const std::string& what) {
  std::optional<LinkInfo> found;
  auto st = sock.query(std::move(r), [&](const nlmsghdr* nlh) -> Status {
    auto link = decode_link(nlh);
    if (!link) return link.error();
    found = std::move(*link);
    return {};
  });
  if (!st) return st.error();
  if (!found) return make_error("get link " + what + ": no reply", ENODEV);
  return std::move(*found);
}

}  // namespace

Result<LinkInfo> fetch_link(RtnlSocket& sock, int ifindex) {
  Request r(RTM_GETLINK, 0, "get link " + std::to_string(ifindex));
  r.put_extra_header<ifinfomsg>()->ifi_index = ifindex;
  return fetch_one_link(sock, std::move(r), std::to_string(ifindex));
}

Result<LinkInfo> fetch_link(RtnlSocket& sock, const std::string& name) {
  Request r(RTM_GETLINK, 0, "get link " + name);
  r.put_extra_header<ifinfomsg>();
  r.put_str(IFLA_IFNAME, name);
  return fetch_one_link(sock, std::move(r), name);
}

}  // namespace hydra::netlink

namespace hydra::netlink {

Result<std::vector<RouteInfo>> dump_routes(RtnlSocket& sock, uint8_t family) {
  return dump_with_retry<RouteInfo>(
      sock,
      [family] {
        Request r(RTM_GETROUTE, 0, "dump routes");
        r.put_extra_header<rtmsg>()->rtm_family = family;
        return r;
      },
      [](const nlmsghdr* nlh) -> Result<RouteInfo> { return decode_route(nlh); });
}

Result<std::vector<NeighInfo>> dump_neighs(RtnlSocket& sock, uint8_t family) {
  return dump_with_retry<NeighInfo>(
      sock,
      [family] {
        Request r(RTM_GETNEIGH, 0, family == AF_BRIDGE ? "dump fdb" : "dump neighbours");
        r.put_extra_header<ndmsg>()->ndm_family = family;
        return r;
      },
      [](const nlmsghdr* nlh) -> Result<NeighInfo> { return decode_neigh(nlh); });
}

}  // namespace hydra::netlink
