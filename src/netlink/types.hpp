// SPDX-License-Identifier: Apache-2.0
// Decoded rtnetlink objects: what a link or an address *is*, independent of
// how it was read. Plain values, cheap to copy, compared field by field.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hydra::netlink {

// Attribute type → value, for the declaratively described bridge option and
// bridge port attributes (see attr_tables.hpp). Values are host order.
using AttrValues = std::map<uint16_t, uint64_t>;

struct IpAddr {
  uint8_t family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};

  [[nodiscard]] size_t size() const { return family == 10 /*AF_INET6*/ ? 16 : 4; }
  [[nodiscard]] std::string to_string() const;
  static std::optional<IpAddr> parse(const std::string& text);
  friend bool operator==(const IpAddr&, const IpAddr&) = default;
  friend auto operator<=>(const IpAddr&, const IpAddr&) = default;
};

std::string format_mac(const std::vector<uint8_t>& mac);
std::optional<std::vector<uint8_t>> parse_mac(const std::string& text);

struct LinkInfo {
  int ifindex = 0;
  std::string name;
  std::string kind;        // IFLA_INFO_KIND: "bridge", "veth", ... ("" for none)
  std::string slave_kind;  // IFLA_INFO_SLAVE_KIND: "bridge" for a bridge port
  uint32_t group = 0;      // IFLA_GROUP
  int master = 0;          // IFLA_MASTER, 0 when none
  std::vector<uint8_t> mac;
  uint32_t mtu = 0;
  uint32_t flags = 0;      // ifi_flags
  uint8_t operstate = 0;   // IF_OPER_*
  int peer_ifindex = 0;    // IFLA_LINK: for a veth, its peer's ifindex
  std::optional<int32_t> link_netnsid;  // IFLA_LINK_NETNSID: namespace of the peer
  // NET_ADDR_PERM/RANDOM/STOLEN/SET. rtnetlink does not carry it; it is read
  // from sysfs by read_addr_assign_type() where sysfs shows this namespace.
  std::optional<uint8_t> addr_assign_type;
  std::optional<AttrValues> bridge;     // IFLA_BR_* when kind == "bridge"
  std::optional<AttrValues> port;       // IFLA_BRPORT_* when slave_kind == "bridge"

  [[nodiscard]] bool admin_up() const;
  [[nodiscard]] bool lower_up() const;
  [[nodiscard]] std::string operstate_name() const;
  friend bool operator==(const LinkInfo&, const LinkInfo&) = default;
};

// Reads /sys/class/net/<name>/addr_assign_type, but only when that sysfs
// entry is the same device (its ifindex matches): sysfs belongs to the
// namespace that mounted it, which need not be ours.
std::optional<uint8_t> read_addr_assign_type(const std::string& name, int ifindex);

struct AddrInfo {
  uint8_t family = 0;
  uint8_t prefixlen = 0;
  uint32_t flags = 0;  // IFA_FLAGS when present, else ifa_flags
  uint8_t scope = 0;
  int ifindex = 0;
  std::optional<IpAddr> local;      // IFA_LOCAL
  std::optional<IpAddr> address;    // IFA_ADDRESS
  std::optional<IpAddr> broadcast;  // IFA_BROADCAST
  std::string label;                // IFA_LABEL

  // The address a person means: IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6.
  [[nodiscard]] IpAddr primary() const;
  // "10.213.0.1/24"
  [[nodiscard]] std::string cidr() const;
  friend bool operator==(const AddrInfo&, const AddrInfo&) = default;
};

}  // namespace hydra::netlink
