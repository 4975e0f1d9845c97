// SPDX-License-Identifier: Apache-2.0
#include "netlink/monitor.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sys/socket.h>
#include <linux/if_link.h>

#include "base/clock.hpp"
#include "netlink/attr_walk.hpp"
#include "netlink/decode.hpp"
#include <linux/netconf.h>

namespace hydra::netlink {

Result<std::optional<MonitorEvent>> decode_notification(const nlmsghdr* nlh) {
  switch (nlh->nlmsg_type) {
    case RTM_NEWLINK:
    case RTM_DELLINK: {
      // AF_BRIDGE link messages describe a bridge *port* (sent as a port
      // joins or leaves); an RTM_DELLINK of that family deletes no device.
      if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg)) &&
          static_cast<const ifinfomsg*>(NLMSG_DATA(nlh))->ifi_family == AF_BRIDGE)
        return std::optional<MonitorEvent>();
      auto link = decode_link(nlh);
      if (!link) return link.error();
      return std::optional<MonitorEvent>(LinkEvent{nlh->nlmsg_type == RTM_DELLINK, std::move(*link)});
    }
    case RTM_NEWADDR:
    case RTM_DELADDR: {
      auto addr = decode_addr(nlh);
      if (!addr) {
        // Families other than IPv4/IPv6 are not ours to track.
        if (addr.error().code == EAFNOSUPPORT) return std::optional<MonitorEvent>();
        return addr.error();
      }
      return std::optional<MonitorEvent>(AddrEvent{nlh->nlmsg_type == RTM_DELADDR, std::move(*addr)});
    }
    case RTM_NEWROUTE:
    case RTM_DELROUTE: {
      auto route = decode_route(nlh);
      if (!route) {
        if (route.error().code == EAFNOSUPPORT) return std::optional<MonitorEvent>();  // e.g. MPLS
        return route.error();
      }
      return std::optional<MonitorEvent>(RouteEvent{nlh->nlmsg_type == RTM_DELROUTE, std::move(*route)});
    }
    case RTM_NEWNEIGH:
    case RTM_DELNEIGH: {
      auto neigh = decode_neigh(nlh);
      if (!neigh) {
        if (neigh.error().code == EAFNOSUPPORT) return std::optional<MonitorEvent>();
        return neigh.error();
      }
      return std::optional<MonitorEvent>(NeighEvent{nlh->nlmsg_type == RTM_DELNEIGH, std::move(*neigh)});
    }
    case RTM_NEWNETCONF: {
      auto region = attr_region(nlh, sizeof(netconfmsg));
      if (!region) return region.error();
      NetconfEvent ev;
      auto st = walk_attrs(*region, [&](const AttrView& a) -> Status {
        if (a.type != NETCONFA_IFINDEX) return {};
        if (!a.fits(4)) return make_error("NETCONFA_IFINDEX attribute too short", EBADMSG);
        ev.ifindex = a.as<int32_t>();
        return {};
      });
      if (!st) return st.error();
      if (ev.ifindex <= 0) return std::optional<MonitorEvent>();  // "all" or "default"
      return std::optional<MonitorEvent>(ev);
    }
    default:
      return std::optional<MonitorEvent>();
  }
}

Result<Monitor> Monitor::open(int recv_buf_bytes) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (!nl) return errno_error("open rtnetlink monitor socket");
  Monitor m(nl);
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) return errno_error("bind rtnetlink monitor socket");
  for (int group : {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_IPV4_ROUTE, RTNLGRP_IPV6_ROUTE,
                    RTNLGRP_NEIGH, RTNLGRP_IPV4_NETCONF, RTNLGRP_IPV6_NETCONF}) {
    if (mnl_socket_setsockopt(nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
      return errno_error("join rtnetlink group " + std::to_string(group));
  }
  int fd = mnl_socket_get_fd(nl);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &recv_buf_bytes, sizeof recv_buf_bytes) != 0 &&
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &recv_buf_bytes, sizeof recv_buf_bytes) != 0)
    return errno_error("set monitor receive buffer");
  return m;
}

Monitor::Monitor(mnl_socket* nl) : nl_(nl), buf_(64 << 10) {}
Monitor::Monitor(Monitor&& o) noexcept : nl_(std::exchange(o.nl_, nullptr)), buf_(std::move(o.buf_)) {}
Monitor& Monitor::operator=(Monitor&& o) noexcept {
  if (this != &o) {
    if (nl_) mnl_socket_close(nl_);
    nl_ = std::exchange(o.nl_, nullptr);
    buf_ = std::move(o.buf_);
  }
  return *this;
}
Monitor::~Monitor() {
  if (nl_) mnl_socket_close(nl_);
}

int Monitor::fd() const { return mnl_socket_get_fd(nl_); }

Result<size_t> Monitor::drain(const std::function<void(const MonitorEvent&, int64_t)>& on_event) {
  size_t delivered = 0;
  for (;;) {
    ssize_t n = recv(fd(), buf_.data(), buf_.size(), 0);
    int64_t read_us = monotonic_us();
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return delivered;
      if (errno == ENOBUFS) {
        on_event(ResyncNeeded{"monitor receive buffer overrun (ENOBUFS): events were lost"}, read_us);
        ++delivered;
        continue;
      }
      return errno_error("receive rtnetlink notifications");
    }
    size_t off = 0;
    const auto len = static_cast<size_t>(n);
    while (off + sizeof(nlmsghdr) <= len) {
      const auto* nlh = reinterpret_cast<const nlmsghdr*>(buf_.data() + off);
      if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > len - off) {
        on_event(ResyncNeeded{"malformed notification datagram"}, read_us);
        ++delivered;
        break;
      }
      auto ev = decode_notification(nlh);
      if (!ev) {
        // A notification we cannot read leaves our view unknown: resync.
        on_event(ResyncNeeded{"undecodable notification: " + ev.error().text()}, read_us);
        ++delivered;
      } else if (ev->has_value()) {
        on_event(**ev, read_us);
        ++delivered;
      }
      off += NLMSG_ALIGN(nlh->nlmsg_len);
    }
  }
}

Result<size_t> Monitor::wait_and_drain(int timeout_ms,
                                       const std::function<void(const MonitorEvent&, int64_t)>& on_event) {
  pollfd p{fd(), POLLIN, 0};
  int r = poll(&p, 1, timeout_ms);
  if (r < 0) return errno_error("poll rtnetlink monitor");
  if (r == 0) return size_t{0};
  return drain(on_event);
}

}  // namespace hydra::netlink
