// SPDX-License-Identifier: Apache-2.0
// Strict iteration over netlink attributes. Unlike a lenient walk that stops
// at the first bad attribute, this reports truncation and bad lengths as
// errors, so a malformed message can never be half-decoded silently.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <span>
#include <string>

#include "base/result.hpp"
#include "netlink/types.hpp"

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

// "<what> attribute too short" (EBADMSG).
Error attr_too_short(const char* what);
// A fixed-width integer attribute, checked for length.
template <class T>
Status read_int_attr(const AttrView& a, T& out, const char* what) {
  if (!a.fits(sizeof(T))) return attr_too_short(what);
  out = a.as<T>();
  return {};
}
// An address attribute of `family` (4 or 16 bytes), checked for length.
Status read_ip_attr(const AttrView& a, uint8_t family, std::optional<IpAddr>& out, const char* what);

Status walk_attrs(std::span<const uint8_t> region, const std::function<Status(const AttrView&)>& on_attr);

// The attribute region of a message after a fixed header of `fixed` bytes.
Result<std::span<const uint8_t>> attr_region(const nlmsghdr* nlh, size_t fixed);

}  // namespace hydra::netlink
