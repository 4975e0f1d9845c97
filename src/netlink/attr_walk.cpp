// SPDX-License-Identifier: Apache-2.0
#include "netlink/attr_walk.hpp"

namespace hydra::netlink {

Error attr_too_short(const char* what) { return make_error(std::string(what) + " attribute too short", EBADMSG); }

Status read_ip_attr(const AttrView& a, uint8_t family, std::optional<IpAddr>& out, const char* what) {
  IpAddr ip;
  ip.family = family;
  if (!a.fits(ip.size())) return attr_too_short(what);
  std::memcpy(ip.bytes.data(), a.payload.data(), ip.size());
  out = ip;
  return {};
}

bool AttrView::as_string(std::string& out) const {
  const void* nul = std::memchr(payload.data(), 0, payload.size());
  if (!nul) return false;
  out.assign(reinterpret_cast<const char*>(payload.data()),
             static_cast<const uint8_t*>(nul) - payload.data());
  return true;
}

Status walk_attrs(std::span<const uint8_t> region,
                  const std::function<Status(const AttrView&)>& on_attr) {
  size_t off = 0;
  while (off < region.size()) {
    if (region.size() - off < sizeof(nlattr))
      return make_error("truncated attribute header at byte " + std::to_string(off), EBADMSG);
    nlattr a;
    std::memcpy(&a, region.data() + off, sizeof a);
    if (a.nla_len < sizeof(nlattr) || a.nla_len > region.size() - off)
      return make_error("attribute " + std::to_string(a.nla_type & NLA_TYPE_MASK) +
                            " has a bad length " + std::to_string(a.nla_len),
                        EBADMSG);
    AttrView view{static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK),
                  region.subspan(off + sizeof(nlattr), a.nla_len - sizeof(nlattr))};
    if (auto st = on_attr(view); !st) return st;
    off += NLA_ALIGN(a.nla_len);
  }
  return {};
}

Result<std::span<const uint8_t>> attr_region(const nlmsghdr* nlh, size_t fixed) {
  if (nlh->nlmsg_len < NLMSG_HDRLEN + fixed)
    return make_error("message shorter than its fixed header", EBADMSG);
  size_t start = NLMSG_HDRLEN + NLMSG_ALIGN(fixed);
  if (start > nlh->nlmsg_len) start = nlh->nlmsg_len;
  const auto* base = reinterpret_cast<const uint8_t*>(nlh);
  return std::span<const uint8_t>(base + start, nlh->nlmsg_len - start);
}

}  // namespace hydra::netlink
