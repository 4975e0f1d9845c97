// SPDX-License-Identifier: Apache-2.0
#include "netlink/ifname.hpp"

#include <cctype>
#include <string>

namespace hydra::netlink {

Status validate_ifname(std::string_view name) {
  auto bad = [&](const char* why) {
    return make_error("invalid interface name \"" + std::string(name) + "\": " + why, EINVAL);
  };
  if (name.empty()) return bad("empty");
  if (name.size() > kMaxIfnameLen) return bad("longer than 15 bytes");
  if (name == "." || name == "..") return bad("reserved name");
  for (unsigned char c : name) {
    if (c == '/') return bad("contains '/'");
    if (c == ':') return bad("contains ':'");
    if (std::isspace(c)) return bad("contains whitespace");
    if (c < 0x20 || c == 0x7f) return bad("contains a control character");
  }
  return {};
}

}  // namespace hydra::netlink
