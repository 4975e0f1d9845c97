// SPDX-License-Identifier: Apache-2.0
// The rtnetlink monitor: link, address, route, neighbour and netconf
// notifications, decoded. An overrun
// of its receive buffer (ENOBUFS) means events were lost; it is delivered as
// an explicit ResyncNeeded event so the owner rebuilds its view from a dump.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "netlink/route_neigh.hpp"
#include "netlink/types.hpp"

struct mnl_socket;

namespace hydra::netlink {

struct LinkEvent {
  bool deleted = false;  // RTM_DELLINK
  LinkInfo link;
};
struct AddrEvent {
  bool deleted = false;  // RTM_DELADDR
  AddrInfo addr;
};
struct RouteEvent {
  bool deleted = false;  // RTM_DELROUTE
  RouteInfo route;
};
struct NeighEvent {
  bool deleted = false;  // RTM_DELNEIGH
  NeighInfo neigh;
};
// A per-interface setting changed (RTM_NEWNETCONF): the kernel announces
// forwarding, rp_filter, proxy_arp and a few more; the values are re-read
// from /proc/sys by whoever cares.
struct NetconfEvent {
  int ifindex = 0;
};
struct ResyncNeeded {
  std::string reason;
};
using MonitorEvent = std::variant<LinkEvent, AddrEvent, RouteEvent, NeighEvent, NetconfEvent, ResyncNeeded>;

class Monitor {
 public:
  static constexpr int kDefaultRecvBuf = 32 << 20;

  // Subscribes to links, IPv4/IPv6 addresses, IPv4/IPv6 routes, neighbours
  // (IP and FDB) and IPv4/IPv6 netconf.
  static Result<Monitor> open(int recv_buf_bytes = kDefaultRecvBuf);
  Monitor(Monitor&&) noexcept;
  Monitor& operator=(Monitor&&) noexcept;
  ~Monitor();

  [[nodiscard]] int fd() const;
  // Reads every queued message without blocking and calls on_event for each,
  // with the monotonic time (us) at which its datagram was read.
  // Returns the number of events delivered.
  Result<size_t> drain(const std::function<void(const MonitorEvent&, int64_t read_us)>& on_event);
  // Waits up to timeout_ms for the socket to become readable, then drains.
  Result<size_t> wait_and_drain(int timeout_ms,
                                const std::function<void(const MonitorEvent&, int64_t read_us)>& on_event);

 private:
  explicit Monitor(mnl_socket* nl);
  mnl_socket* nl_ = nullptr;
  std::vector<uint8_t> buf_;
};

// Decodes one notification; unrelated message types yield nothing.
Result<std::optional<MonitorEvent>> decode_notification(const nlmsghdr* nlh);

}  // namespace hydra::netlink
