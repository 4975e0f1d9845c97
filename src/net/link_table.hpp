// SPDX-License-Identifier: Apache-2.0
// The live view of one namespace's links and addresses, fed by a dump and
// kept current by monitor events. Pure data: no I/O.
#pragma once

#include <map>
#include <string_view>
#include <vector>

#include "netlink/monitor.hpp"
#include "netlink/types.hpp"

namespace hydra::net {

using netlink::AddrInfo;
using netlink::LinkInfo;

class LinkTable {
 public:
  void reset(std::vector<LinkInfo> links, std::vector<AddrInfo> addrs);
  void apply(const netlink::LinkEvent& ev);
  void apply(const netlink::AddrEvent& ev);

  [[nodiscard]] const LinkInfo* find(int ifindex) const;
  [[nodiscard]] const LinkInfo* find(std::string_view name) const;
  [[nodiscard]] const std::vector<AddrInfo>& addresses_of(int ifindex) const;
  [[nodiscard]] std::vector<const LinkInfo*> ports_of(int master) const;
  [[nodiscard]] const std::map<int, LinkInfo>& links() const { return links_; }
  [[nodiscard]] size_t size() const { return links_.size(); }

 private:
  std::map<int, LinkInfo> links_;
  std::map<int, std::vector<AddrInfo>> addrs_;
};

// Two records name the same address when family, address and prefix agree.
bool same_address(const AddrInfo& a, const AddrInfo& b);

}  // namespace hydra::net
