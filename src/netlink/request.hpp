// SPDX-License-Identifier: Apache-2.0
// One rtnetlink request under construction. A Request owns its bytes; the
// socket stamps sequence and port id when it sends it, so a Request can be
// built anywhere (including in pure code and tests) and compared byte for byte.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace hydra::netlink {

class Request {
 public:
  static constexpr size_t kCapacity = 4096;

  // flags are added to NLM_F_REQUEST | NLM_F_ACK.
  Request(uint16_t type, uint16_t flags, std::string what);

  [[nodiscard]] nlmsghdr* header() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }
  [[nodiscard]] const nlmsghdr* header() const {
    return reinterpret_cast<const nlmsghdr*>(buf_.data());
  }
  template <class T>
  T* put_extra_header() {
    return static_cast<T*>(put_extra(sizeof(T)));
  }

  void put_u8(uint16_t type, uint8_t v) { put(type, &v, sizeof v); }
  void put_u16(uint16_t type, uint16_t v) { put(type, &v, sizeof v); }
  void put_u32(uint16_t type, uint32_t v) { put(type, &v, sizeof v); }
  void put_s32(uint16_t type, int32_t v) { put(type, &v, sizeof v); }
  void put_str(uint16_t type, const std::string& s) { put(type, s.c_str(), s.size() + 1); }
  void put(uint16_t type, const void* data, size_t len);
  // Writes an integer of `width` bytes, big-endian when network_order.
  void put_uint(uint16_t type, uint8_t width, bool network_order, uint64_t v);

  // Returns the offset of the nest, to be passed to end_nest.
  size_t begin_nest(uint16_t type);
  void end_nest(size_t offset);

  [[nodiscard]] std::span<const uint8_t> bytes() const { return {buf_.data(), header()->nlmsg_len}; }
  // What this request does, for error text: "set master of veth1a to docker0".
  [[nodiscard]] const std::string& what() const { return what_; }
  // True when an attribute did not fit; such a request is never sent.
  [[nodiscard]] bool overflowed() const { return overflowed_; }

 private:
  void* put_extra(size_t len);

  std::vector<uint8_t> buf_;
  std::string what_;
  bool overflowed_ = false;
};

}  // namespace hydra::netlink
