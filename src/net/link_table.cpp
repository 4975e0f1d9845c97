// SPDX-License-Identifier: Apache-2.0
#include "net/link_table.hpp"

#include <algorithm>

namespace hydra::net {

bool same_address(const AddrInfo& a, const AddrInfo& b) {
  return a.family == b.family && a.prefixlen == b.prefixlen && a.primary() == b.primary();
}

void LinkTable::reset(std::vector<LinkInfo> links, std::vector<AddrInfo> addrs) {
  links_.clear();
  addrs_.clear();
  for (auto& l : links) links_[l.ifindex] = std::move(l);
  for (auto& a : addrs) addrs_[a.ifindex].push_back(std::move(a));
}

void LinkTable::apply(const netlink::LinkEvent& ev) {
  if (ev.deleted) {
    links_.erase(ev.link.ifindex);
    addrs_.erase(ev.link.ifindex);
    return;
  }
  links_[ev.link.ifindex] = ev.link;
}

void LinkTable::apply(const netlink::AddrEvent& ev) {
  auto& list = addrs_[ev.addr.ifindex];
  auto it = std::find_if(list.begin(), list.end(), [&](const AddrInfo& a) { return same_address(a, ev.addr); });
  if (ev.deleted) {
    if (it != list.end()) list.erase(it);
    if (list.empty()) addrs_.erase(ev.addr.ifindex);
  } else if (it != list.end()) {
    *it = ev.addr;
  } else {
    list.push_back(ev.addr);
  }
}

const LinkInfo* LinkTable::find(int ifindex) const {
  auto it = links_.find(ifindex);
  return it == links_.end() ? nullptr : &it->second;
}

const LinkInfo* LinkTable::find(std::string_view name) const {
  for (const auto& [_, l] : links_)
    if (l.name == name) return &l;
  return nullptr;
}

const std::vector<AddrInfo>& LinkTable::addresses_of(int ifindex) const {
  static const std::vector<AddrInfo> kNone;
  auto it = addrs_.find(ifindex);
  return it == addrs_.end() ? kNone : it->second;
}

std::vector<const LinkInfo*> LinkTable::ports_of(int master) const {
  std::vector<const LinkInfo*> out;
  for (const auto& [_, l] : links_)
    if (l.master == master && master != 0) out.push_back(&l);
  return out;
}

}  // namespace hydra::net
