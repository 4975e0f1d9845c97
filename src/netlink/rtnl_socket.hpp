// SPDX-License-Identifier: Apache-2.0
// The request socket: all rtnetlink request/ack and dump I/O goes through
// here. Requests are packed many to a sendmsg, and every request gets exactly
// one ack matched by sequence number — the kernel does not stop a batch at the
// first error, so neither do we.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <vector>

#include "base/result.hpp"
#include "netlink/ack.hpp"
#include "netlink/request.hpp"

struct mnl_socket;

namespace hydra::netlink {

class RtnlSocket {
 public:
  // Requests per sendmsg; bounded so the acks of one send always fit the
  // receive buffer (an ack that does not fit is dropped by the kernel).
  static constexpr size_t kMaxPerSend = 256;

  static Result<RtnlSocket> open();
  RtnlSocket(RtnlSocket&&) noexcept;
  RtnlSocket& operator=(RtnlSocket&&) noexcept;
  ~RtnlSocket();

  // One Ack per request, in request order. The Result is an error only when
  // the socket itself failed; per-request failures are in the Acks.
  Result<std::vector<Ack>> execute(std::span<const Request> requests);
  // A single request; its failure becomes the error.
  Status execute_one(const Request& request);

  // Sends `request` with NLM_F_DUMP and hands every reply message to
  // on_message. `interrupted` is set when the kernel flagged NLM_F_DUMP_INTR.
  Status dump(Request request, const std::function<Status(const nlmsghdr*)>& on_message,
              bool& interrupted);

  // Sends a GET-style request answered by one object and an ack.
  Status query(Request request, const std::function<Status(const nlmsghdr*)>& on_message);

  [[nodiscard]] int fd() const;
  // Next sequence number; exposed so tests can start a batch near 2^32.
  void set_next_seq(uint32_t seq) { next_seq_ = seq; }

 private:
  RtnlSocket(mnl_socket* nl, uint32_t portid);
  Result<std::vector<Ack>> execute_chunk(std::span<const Request> requests);
  Status receive_until(const std::function<Result<bool>(std::span<const uint8_t>)>& on_datagram);

  mnl_socket* nl_ = nullptr;
  uint32_t portid_ = 0;
  uint32_t next_seq_ = 1;
  std::vector<uint8_t> send_buf_;
  std::vector<uint8_t> recv_buf_;
};

}  // namespace hydra::netlink
