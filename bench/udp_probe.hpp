// SPDX-License-Identifier: Apache-2.0
// UDP at 1 kHz from a container's namespace to an echo server on docker0's
// gateway (10.213.0.1:7777): packets sent and echoed, the longest gap, and
// the time from a deletion to the first echo after it.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <string>

#include "netlink/netns.hpp"
#include "stamped_listener.hpp"
#include "traffic_world.hpp"

namespace hydra::bench {

inline int64_t now_us() { return realtime_ns() / 1000; }

// UDP echo on the gateway (the sandbox namespace), until stopped.
inline void udp_echo(const std::string& ns, std::atomic<bool>& stop) {
  auto in = netlink::NetnsSwitch::enter(ns);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  auto addr = inet("0.0.0.0", 7777);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  timeval tv{0, 20000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[64];
  while (!stop) {
    sockaddr_in from{};
    socklen_t len = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    if (n > 0) sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), len);
  }
  close(fd);
}

struct UdpResult {
  int64_t sent = 0, received = 0;
  int64_t longest_gap_us = 0;
  int64_t recovered_us = 0;  // from the deletion to the first echo after it
};

// 1 kHz sender in a container namespace. Runs until `stop`.
inline void udp_sender(const std::string& ns, std::atomic<bool>& stop, const std::atomic<int64_t>& deleted_at,
                UdpResult& out) {
  auto in = netlink::NetnsSwitch::enter(ns);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  auto gw = inet("10.213.0.1", 7777);
  connect(fd, reinterpret_cast<sockaddr*>(&gw), sizeof gw);
  int64_t seq = 0, last_rx = 0, next = now_us();
  char buf[64];
  while (!stop) {
    int64_t t = now_us();
    if (t >= next) {
      std::memcpy(buf, &seq, sizeof seq);
      if (send(fd, buf, sizeof seq, 0) == sizeof seq) ++out.sent;
      ++seq;
      next += 1000;
    }
    while (recv(fd, buf, sizeof buf, 0) > 0) {
      int64_t rx = now_us();
      if (last_rx) out.longest_gap_us = std::max(out.longest_gap_us, rx - last_rx);
      int64_t d = deleted_at.load();
      if (d && rx > d && !out.recovered_us) out.recovered_us = rx - d;
      last_rx = rx;
      ++out.received;
    }
    usleep(100);
  }
  close(fd);
}

}  // namespace hydra::bench
