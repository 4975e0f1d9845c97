// SPDX-License-Identifier: Apache-2.0
// Encoders for the link changes hydra makes. Each returns a Request ready for
// RtnlSocket::execute; names are validated here, before the kernel sees them.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "netlink/request.hpp"
#include "netlink/types.hpp"

namespace hydra::netlink {

struct BridgeSpec {
  std::string name;
  int ifindex = 0;           // requested ifindex, 0 lets the kernel choose
  std::vector<uint8_t> mac;  // set explicitly so the bridge MAC never follows its ports
  uint32_t mtu = 0;          // 0 leaves the default
  AttrValues options;        // IFLA_BR_* (attr_tables.hpp)
  bool up = true;
  // IFLA_GROUP. Unlike the alias, the kernel applies it in the create
  // itself, so it can mark a bridge from its first instant.
  std::optional<uint32_t> group;
};

// A locally administered unicast MAC from six random bytes (as Docker gives
// the bridges it creates). A bridge created without an address of its own
// takes its smallest port's and changes it whenever a smaller port joins:
// every neighbour that cached the old one loses the gateway.
std::vector<uint8_t> local_unicast_mac(std::array<uint8_t, 6> random_bytes);
// The same from getrandom(2).
std::vector<uint8_t> random_local_mac();

// Creates and configures a bridge in one message (NLM_F_CREATE|NLM_F_EXCL).
Result<Request> create_bridge(const BridgeSpec& spec);
Request delete_link(int ifindex, const std::string& name);
// master == 0 clears the master ("nomaster").
Request set_master(int ifindex, const std::string& name, int master, const std::string& master_name);
Request set_mtu(int ifindex, const std::string& name, uint32_t mtu);
Request set_admin_up(int ifindex, const std::string& name, bool up);
// A change that changes nothing: the kernel applies it under RTNL, so its
// ack comes only after any link change in flight (a bridge's deletion, whose
// ports leave well before the bridge itself on a busy machine) has finished.
// ENODEV when the ifindex is gone by then.
Request link_barrier(int ifindex, const std::string& name);
// IFLA_GROUP: the device group.
Request set_group(int ifindex, const std::string& name, uint32_t group);
// IFLA_BRPORT_* flags of a port, through the bridge's slave data.
Request set_port_flags(int ifindex, const std::string& name, const AttrValues& flags);
// A veth pair; the peer is created directly in the namespace open at peer_netns_fd
// (-1: the current namespace).
Result<Request> create_veth(const std::string& name, const std::string& peer_name, int peer_netns_fd);

}  // namespace hydra::netlink
