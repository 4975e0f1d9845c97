// Strict iteration over netlink attributes. Unlike a lenient walk that stops
// at the first bad attribute, this reports truncation and bad lengths as
// errors, so a malformed message can never be half-decoded silently.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <string>

#include "base/result.hpp"

namespace hydra::netlink {

struct AttrView {
  uint16_t type;  // without NLA_F_NESTED / NLA_F_NET_BYTEORDER
  std::span<const uint8_t> payload;

  // Each reader checks the payload is long enough; nullopt-like errors are
  // reported through ok().
  [[nodiscard]] bool fits(size_t n) const { return payload.size() >= n; }
  template <class T>
  [[nodiscard]] T as() const {
    T v{};
    std::memcpy(&v, payload.data(), sizeof(T));
    return v;
  }
  // A NUL-terminated string within the payload, or nothing if unterminated.
  [[nodiscard]] bool as_string(std::string& out) const;
};

Status walk_attrs(std::span<const uint8_t> region, const std::function<Status(const AttrView&)>& on_attr);

// The attribute region of a message after a fixed header of `fixed` bytes.
Result<std::span<const uint8_t>> attr_region(const nlmsghdr* nlh, size_t fixed);

}  // namespace hydra::netlink
