// SPDX-License-Identifier: Apache-2.0
#include "netlink/ack.hpp"

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <cstring>

namespace hydra::netlink {

Error ack_error(const std::string& what, const Ack& ack) {
  if (!ack.received) return make_error(what + ": no acknowledgement from the kernel", EIO);
  std::string msg = what;
  if (!ack.ext_message.empty()) msg += " (kernel: " + ack.ext_message + ")";
  if (ack.bad_attr_offset) msg += " [attribute at byte " + std::to_string(*ack.bad_attr_offset) + "]";
  return make_error(msg, ack.error);
}

AckCollector::AckCollector(uint32_t first_seq, size_t count)
    : first_seq_(first_seq), acks_(count), remaining_(count) {}

namespace {

// Extended-ack TLVs follow the nlmsgerr; with a capped ack the echoed request
// is only its header, otherwise the whole request.
void parse_ext_ack(const nlmsghdr* nlh, const nlmsgerr* err, Ack& ack) {
  if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS)) return;
  size_t off = sizeof(nlmsghdr) + sizeof(nlmsgerr);
  if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) off += err->msg.nlmsg_len - sizeof(nlmsghdr);
  off = NLMSG_ALIGN(off);
  const auto* base = reinterpret_cast<const uint8_t*>(nlh);
  while (off + sizeof(nlattr) <= nlh->nlmsg_len) {
    const auto* a = reinterpret_cast<const nlattr*>(base + off);
    if (a->nla_len < sizeof(nlattr) || off + a->nla_len > nlh->nlmsg_len) return;
    const uint8_t* payload = base + off + sizeof(nlattr);
    size_t plen = a->nla_len - sizeof(nlattr);
    uint16_t type = a->nla_type & NLA_TYPE_MASK;
    if (type == NLMSGERR_ATTR_MSG && plen > 0) {
      ack.ext_message.assign(reinterpret_cast<const char*>(payload), strnlen(reinterpret_cast<const char*>(payload), plen));
    } else if (type == NLMSGERR_ATTR_OFFS && plen >= 4) {
      uint32_t v = 0;
      std::memcpy(&v, payload, 4);
      ack.bad_attr_offset = v;
    }
    off += NLA_ALIGN(a->nla_len);
  }
}

}  // namespace

Status AckCollector::feed(std::span<const uint8_t> datagram) {
  size_t off = 0;
  while (off < datagram.size()) {
    if (datagram.size() - off < sizeof(nlmsghdr)) return make_error("truncated netlink message", EBADMSG);
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(datagram.data() + off);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > datagram.size() - off)
      return make_error("netlink message with a bad length", EBADMSG);
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (nlh->nlmsg_len < sizeof(nlmsghdr) + sizeof(nlmsgerr))
        return make_error("truncated netlink ack", EBADMSG);
      uint32_t index = nlh->nlmsg_seq - first_seq_;  // unsigned: wraps correctly
      if (index < acks_.size() && !acks_[index].received) {
        const auto* err = reinterpret_cast<const nlmsgerr*>(NLMSG_DATA(nlh));
        Ack& ack = acks_[index];
        ack.received = true;
        ack.error = -err->error;
        parse_ext_ack(nlh, err, ack);
        --remaining_;
      }
    }
    off += NLMSG_ALIGN(nlh->nlmsg_len);
  }
  return {};
}

}  // namespace hydra::netlink
