// SPDX-License-Identifier: Apache-2.0
// The address plan of the sessions: which /24 is session N's bridge, which
// /20 its containers' pools, which /31 its uplink — all from three ranges
// the operator may set. Pure: checked for overlaps (with each other and
// with the routes the sandbox already has) without root.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"

namespace hydra::session {

// An IPv4 network: base address (host bits zero) and prefix length.
struct Ipv4Net {
  uint32_t base = 0;
  int prefix = 0;
  // "a.b.c.d/p"; host bits set is an error ("10.200.1.0/16" is not a network).
  static Result<Ipv4Net> parse(const std::string& text);
  [[nodiscard]] std::string text() const;
  [[nodiscard]] uint32_t last() const { return base | host_mask(); }
  [[nodiscard]] uint32_t host_mask() const { return prefix == 0 ? ~0u : (1u << (32 - prefix)) - 1; }
  [[nodiscard]] bool overlaps(const Ipv4Net& o) const { return base <= o.last() && o.base <= last(); }
  // How many networks of `sub_prefix` fit (saturated at 2^31).
  [[nodiscard]] uint64_t count(int sub_prefix) const;
  // The n-th network of `sub_prefix` inside this one.
  [[nodiscard]] Ipv4Net subnet(int sub_prefix, uint64_t n) const;
  friend bool operator==(const Ipv4Net&, const Ipv4Net&) = default;
};
std::string ipv4_text(uint32_t address);

enum class NetworkMode { kShared, kIsolated };
const char* network_mode_name(NetworkMode mode);
std::optional<NetworkMode> network_mode_from(const std::string& name);

inline constexpr int kBridgePrefix = 24;  // per session
inline constexpr int kPoolPrefix = 20;    // per session, cut into /24 networks by its dockerd
inline constexpr int kUplinkPrefix = 31;  // per session: sandbox side even, session side odd

struct AddressPlan {
  Ipv4Net bridges{(10u << 24) | (200u << 16), 16};
  Ipv4Net pools{(10u << 24) | (112u << 16), 12};
  Ipv4Net uplinks{(10u << 24) | (201u << 16), 16};
  // Each range big enough for one session, no two overlapping.
  [[nodiscard]] Status validate() const;
  // The highest session index the plan has room for (indexes start at 1).
  [[nodiscard]] int max_index() const;
};

// A route the sandbox has (main table), for the overlap check.
struct SandboxRoute {
  Ipv4Net dst;
  std::string dev;
};
// hydra's own links (hydraN, hup-hN, vethb-hN): their routes are the plan's.
bool hydra_link_name(const std::string& name);
// The first route that overlaps a range of the plan, described for the
// operator ("bridge_subnets 10.200.0.0/16 overlaps 10.200.7.0/24 on docker0");
// default routes, hydra's own links and Docker bridges (br-*) inside the
// pools — shared sessions' user networks — do not count.
std::optional<std::string> plan_conflict(const AddressPlan& plan, const std::vector<SandboxRoute>& routes);

}  // namespace hydra::session
