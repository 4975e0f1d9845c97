// SPDX-License-Identifier: Apache-2.0
// Who holds the HTTP server's connections, and which are too slow. One peer
// (a uid, from SO_PEERCRED) may hold only its share, so a leaking pool or a
// script gone wrong cannot take the socket from everyone else; and a request
// must arrive whole within the request timeout — a connection that trickles
// its headers or body, or idles between keep-alive requests, is closed.
// Pure bookkeeping with the time passed in: unit-tested without sockets.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

namespace hydra::api {

struct ConnectionLimits {
  unsigned max_connections = 256;
  unsigned per_peer = 64;             // connections one uid may hold; 0: no limit
  int64_t request_timeout_us = 5000000;  // a whole request, and the idle time before one; 0: none
};

class ConnectionTable {
 public:
  explicit ConnectionTable(ConnectionLimits limits) : limits_(limits) {}

  enum class Admission { kAdmitted, kPeerFull, kServerFull };
  // Counts a new connection of `uid` (-1: not a unix socket), or says why not.
  Admission admit(long uid);
  // The admitted connection, now served on `fd`: its first request is due
  // by now + request timeout.
  void opened(int fd, long uid, int64_t now_us);
  // Its request arrived whole: no deadline while it is answered (a long
  // answer, such as the event stream, is not the client's slowness).
  void handling(int fd);
  // Answered: the next request on it is due by now + request timeout.
  void waiting(int fd, int64_t now_us);
  // Gone: its peer's count goes down.
  void closed(int fd);
  // Calls `close_it` for every connection past its deadline, once each,
  // with the table's lock held, so the fd cannot be closed and reused by
  // another connection meanwhile (closed() takes the same lock).
  void expire(int64_t now_us, const std::function<void(int fd)>& close_it);

  [[nodiscard]] unsigned connections() const;
  [[nodiscard]] unsigned held_by(long uid) const;

 private:
  struct Conn {
    long uid = -1;
    int64_t deadline_us = 0;  // 0: none (being answered)
  };
  ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::map<int, Conn> conns_;
  std::map<long, unsigned> per_uid_;
  unsigned admitted_ = 0;  // admitted, including those not opened yet
};

}  // namespace hydra::api
