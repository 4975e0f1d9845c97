// SPDX-License-Identifier: Apache-2.0
#include "session/core/address_plan.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>

namespace hydra::session {

Result<Ipv4Net> Ipv4Net::parse(const std::string& text) {
  auto slash = text.find('/');
  if (slash == std::string::npos) return make_error("\"" + text + "\" is not a network (a.b.c.d/prefix)", EINVAL);
  std::string addr = text.substr(0, slash), len = text.substr(slash + 1);
  in_addr a{};
  if (inet_pton(AF_INET, addr.c_str(), &a) != 1) return make_error("\"" + text + "\": bad IPv4 address", EINVAL);
  if (len.empty() || len.size() > 2 || !std::all_of(len.begin(), len.end(), [](char c) { return std::isdigit(c); }))
    return make_error("\"" + text + "\": bad prefix length", EINVAL);
  Ipv4Net net;
  net.prefix = std::stoi(len);
  if (net.prefix > 32) return make_error("\"" + text + "\": prefix length over 32", EINVAL);
  net.base = ntohl(a.s_addr);
  if (net.base & net.host_mask())
    return make_error("\"" + text + "\" has host bits set (the network is " + ipv4_text(net.base & ~net.host_mask()) +
                          "/" + len + ")",
                      EINVAL);
  return net;
}

std::string ipv4_text(uint32_t address) {
  return std::to_string(address >> 24) + "." + std::to_string((address >> 16) & 255) + "." +
         std::to_string((address >> 8) & 255) + "." + std::to_string(address & 255);
}

std::string Ipv4Net::text() const { return ipv4_text(base) + "/" + std::to_string(prefix); }

uint64_t Ipv4Net::count(int sub_prefix) const {
  if (sub_prefix < prefix) return 0;
  return uint64_t{1} << std::min(31, sub_prefix - prefix);
}

Ipv4Net Ipv4Net::subnet(int sub_prefix, uint64_t n) const {
  return {base + static_cast<uint32_t>(n << (32 - sub_prefix)), sub_prefix};
}

const char* network_mode_name(NetworkMode mode) { return mode == NetworkMode::kIsolated ? "isolated" : "shared"; }

std::optional<NetworkMode> network_mode_from(const std::string& name) {
  if (name == "isolated") return NetworkMode::kIsolated;
  if (name == "shared") return NetworkMode::kShared;
  return std::nullopt;
}

namespace {

struct NamedRange {
  const char* key;
  Ipv4Net net;
  int per_session;
};

std::vector<NamedRange> ranges(const AddressPlan& p) {
  return {{"bridge_subnets", p.bridges, kBridgePrefix},
          {"address_pools", p.pools, kPoolPrefix},
          {"uplink_subnet", p.uplinks, kUplinkPrefix}};
}

bool digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(c); });
}

}  // namespace

Status AddressPlan::validate() const {
  auto all = ranges(*this);
  // Session N uses the N-th /24 and /31 (the 0th stays unused) and the
  // (N-1)-th /20: room for session 1 needs two, two and one.
  for (const auto& r : all) {
    uint64_t need = r.per_session == kPoolPrefix ? 1 : 2;
    if (r.net.count(r.per_session) < need)
      return make_error(std::string(r.key) + " " + r.net.text() + " is too small: it must hold at least " +
                            std::to_string(need) + " /" + std::to_string(r.per_session),
                        EINVAL);
  }
  for (size_t i = 0; i < all.size(); ++i)
    for (size_t j = i + 1; j < all.size(); ++j)
      if (all[i].net.overlaps(all[j].net))
        return make_error(std::string(all[i].key) + " " + all[i].net.text() + " overlaps " + all[j].key + " " +
                              all[j].net.text(),
                          EINVAL);
  return {};
}

int AddressPlan::max_index() const {
  // Session N: bridge /24 number N, pool /20 number N-1, uplink /31 number N.
  uint64_t n = std::min({bridges.count(kBridgePrefix) - 1, pools.count(kPoolPrefix), uplinks.count(kUplinkPrefix) - 1});
  return static_cast<int>(std::min<uint64_t>(n, 4094));
}

bool hydra_link_name(const std::string& name) {
  for (const char* prefix : {"hydra", "hup-h", "vethb-h"}) {
    std::string p(prefix);
    if (name.rfind(p, 0) == 0 && digits(name.substr(p.size()))) return true;
  }
  return false;
}

std::optional<std::string> plan_conflict(const AddressPlan& plan, const std::vector<SandboxRoute>& routes) {
  for (const auto& r : ranges(plan))
    for (const auto& route : routes) {
      if (route.dst.prefix == 0 || hydra_link_name(route.dev)) continue;
      // A shared session's own user networks: Docker's bridges inside the pools.
      const bool inside_pools = plan.pools.base <= route.dst.base && route.dst.last() <= plan.pools.last();
      if (inside_pools && route.dev.rfind("br-", 0) == 0) continue;
      if (r.net.overlaps(route.dst))
        return std::string(r.key) + " " + r.net.text() + " overlaps the sandbox's route " + route.dst.text() +
               (route.dev.empty() ? "" : " on " + route.dev);
    }
  return std::nullopt;
}

}  // namespace hydra::session
