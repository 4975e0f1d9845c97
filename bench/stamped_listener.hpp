// SPDX-License-Identifier: Apache-2.0
// An independent rtnetlink listener for benchmarks. It runs in its own
// thread, always blocked in poll(), and stamps each datagram as it is read.
// Netlink carries no kernel timestamp (SO_TIMESTAMPNS yields no cmsg on a
// netlink socket — checked), so the stamp is the read time; the thread runs
// at SCHED_FIFO 30, above hydrad's guard, so that a busy machine delays its
// reads by microseconds, not by a scheduler tick.
#pragma once

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>

#include <cstring>
#include <ctime>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "netlink/monitor.hpp"

namespace hydra::bench {

inline int64_t realtime_ns() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct StampedEvent {
  netlink::MonitorEvent event;
  int64_t ns;
};

class StampedListener {
 public:
  StampedListener() {
    nl_ = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
    mnl_socket_bind(nl_, 0, MNL_SOCKET_AUTOPID);
    for (int g : {RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR}) mnl_socket_setsockopt(nl_, NETLINK_ADD_MEMBERSHIP, &g, sizeof g);
    int buf = 64 << 20;
    setsockopt(fd(), SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof buf);
  }
  ~StampedListener() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    mnl_socket_close(nl_);
  }

  void start() {
    thread_ = std::thread([this] {
      sched_param rt{};
      rt.sched_priority = 30;
      realtime_ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &rt) == 0;
      while (!stop_) {
        bool ok = poll_once(20, [this](const netlink::MonitorEvent& ev, int64_t ns) {
          std::lock_guard lock(mu_);
          events_.push_back({ev, ns});
        });
        if (!ok) overrun_ = true;
      }
    });
  }
  // Everything read since the last call.
  std::vector<StampedEvent> take() {
    std::lock_guard lock(mu_);
    return std::exchange(events_, {});
  }
  [[nodiscard]] bool overrun() const { return overrun_; }
  [[nodiscard]] bool realtime() const { return realtime_; }
  int fd() const { return mnl_socket_get_fd(nl_); }

  // Waits up to timeout_ms, then hands every queued event with the time it was read (ns).
  // Returns false on overrun (the figures of that run are void).
  bool poll_once(int timeout_ms, const std::function<void(const netlink::MonitorEvent&, int64_t)>& on_event) {
    pollfd p{fd(), POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) <= 0) return true;
    for (;;) {
      iovec iov{buf_.data(), buf_.size()};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      ssize_t n = recvmsg(fd(), &msg, 0);
      if (n < 0) return errno != ENOBUFS;
      int64_t stamp = realtime_ns();
      size_t off = 0;
      while (off + sizeof(nlmsghdr) <= static_cast<size_t>(n)) {
        auto* nlh = reinterpret_cast<nlmsghdr*>(buf_.data() + off);
        auto ev = netlink::decode_notification(nlh);
        if (ev && ev->has_value()) on_event(**ev, stamp);
        off += NLMSG_ALIGN(nlh->nlmsg_len);
      }
    }
  }

 private:
  mnl_socket* nl_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<bool> overrun_{false};
  std::atomic<bool> realtime_{false};
  std::mutex mu_;
  std::vector<StampedEvent> events_;
  std::vector<uint8_t> buf_ = std::vector<uint8_t>(256 << 10);
};

}  // namespace hydra::bench
