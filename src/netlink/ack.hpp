// SPDX-License-Identifier: Apache-2.0
// Acknowledgements of a batch, matched to their requests by sequence number.
// Pure: it only parses bytes, so it is unit-tested on synthesized acks.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hydra::netlink {

struct Ack {
  bool received = false;
  int error = 0;                            // 0 on success, else a positive errno
  std::string ext_message;                  // NLMSGERR_ATTR_MSG, when the kernel gave one
  std::optional<uint32_t> bad_attr_offset;  // NLMSGERR_ATTR_OFFS: byte offset in the request

  [[nodiscard]] bool ok() const { return received && error == 0; }
};

// Text for a failed request: "<what>: <strerror> (<kernel message>)".
Error ack_error(const std::string& what, const Ack& ack);

class AckCollector {
 public:
  // Requests carry sequence numbers first_seq, first_seq+1, ... (mod 2^32).
  AckCollector(uint32_t first_seq, size_t count);

  // Feeds one received datagram (one or more netlink messages). Messages that
  // are not acks of this batch are ignored; a malformed datagram is an error.
  Status feed(std::span<const uint8_t> datagram);

  [[nodiscard]] bool complete() const { return remaining_ == 0; }
  [[nodiscard]] size_t remaining() const { return remaining_; }
  [[nodiscard]] const std::vector<Ack>& acks() const { return acks_; }
  std::vector<Ack> take() { return std::move(acks_); }

 private:
  uint32_t first_seq_;
  std::vector<Ack> acks_;
  size_t remaining_;
};

}  // namespace hydra::netlink
