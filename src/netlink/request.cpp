// SPDX-License-Identifier: Apache-2.0
#include "netlink/request.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>

#include <cstring>

namespace hydra::netlink {

Request::Request(uint16_t type, uint16_t flags, std::string what)
    : buf_(kCapacity, 0), what_(std::move(what)) {
  nlmsghdr* nlh = mnl_nlmsg_put_header(buf_.data());
  nlh->nlmsg_type = type;
  nlh->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | NLM_F_ACK | flags);
}

void* Request::put_extra(size_t len) { return mnl_nlmsg_put_extra_header(header(), len); }

void Request::put(uint16_t type, const void* data, size_t len) {
  if (!mnl_attr_put_check(header(), kCapacity, type, len, data)) overflowed_ = true;
}

void Request::put_uint(uint16_t type, uint8_t width, bool network_order, uint64_t v) {
  switch (width) {
    case 1:
      put_u8(type, static_cast<uint8_t>(v));
      break;
    case 2: {
      auto x = static_cast<uint16_t>(v);
      put_u16(type, network_order ? htons(x) : x);
      break;
    }
    default: {
      auto x = static_cast<uint32_t>(v);
      put_u32(type, network_order ? htonl(x) : x);
      break;
    }
  }
}

size_t Request::begin_nest(uint16_t type) {
  nlattr* nest = mnl_attr_nest_start_check(header(), kCapacity, type);
  if (!nest) {
    overflowed_ = true;
    return 0;
  }
  return static_cast<size_t>(reinterpret_cast<uint8_t*>(nest) - buf_.data());
}

void Request::end_nest(size_t offset) {
  if (offset == 0) return;
  mnl_attr_nest_end(header(), reinterpret_cast<nlattr*>(buf_.data() + offset));
}

}  // namespace hydra::netlink
