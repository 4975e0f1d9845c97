// SPDX-License-Identifier: Apache-2.0
#include "netlink/types.hpp"

#include "base/whole_file.hpp"

#include <arpa/inet.h>
#include <linux/if.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <cstdio>

namespace hydra::netlink {

std::string IpAddr::to_string() const {
  char buf[INET6_ADDRSTRLEN] = {};
  if (family != AF_INET && family != AF_INET6) return "?";
  inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddr> IpAddr::parse(const std::string& text) {
  IpAddr a;
  if (inet_pton(AF_INET, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
    return a;
  }
  if (inet_pton(AF_INET6, text.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
    return a;
  }
  return std::nullopt;
}

std::string format_mac(const std::vector<uint8_t>& mac) {
  std::string out;
  char part[4];
  for (size_t i = 0; i < mac.size(); ++i) {
    (void)std::snprintf(part, sizeof part, i ? ":%02x" : "%02x", mac[i]);
    out += part;
  }
  return out;
}

std::optional<std::vector<uint8_t>> parse_mac(const std::string& text) {
  std::vector<uint8_t> out;
  size_t i = 0;
  while (i < text.size()) {
    if (i + 2 > text.size()) return std::nullopt;
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, v, 16);
    if (ec != std::errc{} || end != text.data() + i + 2) return std::nullopt;
    out.push_back(static_cast<uint8_t>(v));
    i += 2;
    if (i == text.size()) break;
    if (text[i] != ':') return std::nullopt;
    ++i;
    if (i == text.size()) return std::nullopt;
  }
  if (out.size() != 6) return std::nullopt;  // Ethernet only: bridges and veths
  return out;
}

std::optional<uint8_t> read_addr_assign_type(const std::string& name, int ifindex) {
  auto read_int = [&](const char* file) -> std::optional<long> {
    // read(2), not a stream: the interface may go while it is read, and a
    // failed read (ENODEV) is an exception in libstdc++'s filebuf.
    auto whole = read_whole_file("/sys/class/net/" + name + "/" + file);
    if (!whole) return std::nullopt;
    std::string text = *whole;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.empty()) return std::nullopt;
    long v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return std::optional<long>(v);
  };
  auto idx = read_int("ifindex");
  if (!idx || *idx != ifindex) return std::nullopt;
  auto type = read_int("addr_assign_type");
  if (!type) return std::nullopt;
  return static_cast<uint8_t>(*type);
}

bool LinkInfo::admin_up() const { return (flags & IFF_UP) != 0; }
bool LinkInfo::lower_up() const { return (flags & IFF_LOWER_UP) != 0; }

std::string LinkInfo::operstate_name() const {
  static const char* const names[] = {"UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN",
                                      "TESTING", "DORMANT",    "UP"};
  return operstate < 7 ? names[operstate] : "?";
}

IpAddr AddrInfo::primary() const {
  if (family == AF_INET && local) return *local;
  if (address) return *address;
  if (local) return *local;
  return IpAddr{family, {}};
}

std::string AddrInfo::cidr() const {
  return primary().to_string() + "/" + std::to_string(prefixlen);
}

}  // namespace hydra::netlink
