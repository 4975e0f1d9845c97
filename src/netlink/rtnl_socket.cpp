// SPDX-License-Identifier: Apache-2.0
#include "netlink/rtnl_socket.hpp"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstring>
#include <ctime>

namespace hydra::netlink {
namespace {

constexpr int kRecvBufBytes = 8 << 20;
constexpr int kSendBufBytes = 4 << 20;
constexpr size_t kDatagramBytes = 64 << 10;  // large enough for any dump part

void set_buffer(mnl_socket* nl, int force_opt, int opt, int bytes) {
  int fd = mnl_socket_get_fd(nl);
  // The *FORCE variants pass the sysctl caps (needs CAP_NET_ADMIN); fall back.
  if (setsockopt(fd, SOL_SOCKET, force_opt, &bytes, sizeof bytes) != 0)
    setsockopt(fd, SOL_SOCKET, opt, &bytes, sizeof bytes);
}

}  // namespace

Result<RtnlSocket> RtnlSocket::open() {
  mnl_socket* nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
  if (!nl) return errno_error("open rtnetlink socket");
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
    Error e = errno_error("bind rtnetlink socket");
    mnl_socket_close(nl);
    return e;
  }
  int on = 1;
  // Capped acks keep 1000 acks small; extended acks give the kernel's reason.
  mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &on, sizeof on);
  mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &on, sizeof on);
  set_buffer(nl, SO_RCVBUFFORCE, SO_RCVBUF, kRecvBufBytes);
  set_buffer(nl, SO_SNDBUFFORCE, SO_SNDBUF, kSendBufBytes);
  return RtnlSocket(nl, mnl_socket_get_portid(nl));
}

RtnlSocket::RtnlSocket(mnl_socket* nl, uint32_t portid)
    : nl_(nl), portid_(portid), recv_buf_(kDatagramBytes) {
  // Start from a time-derived sequence so acks of a previous process using
  // the same port id can never be mistaken for ours.
  next_seq_ = static_cast<uint32_t>(time(nullptr));
}

RtnlSocket::RtnlSocket(RtnlSocket&& o) noexcept
    : nl_(std::exchange(o.nl_, nullptr)),
      portid_(o.portid_),
      next_seq_(o.next_seq_),
      send_buf_(std::move(o.send_buf_)),
      recv_buf_(std::move(o.recv_buf_)) {}

RtnlSocket& RtnlSocket::operator=(RtnlSocket&& o) noexcept {
  if (this != &o) {
    if (nl_) mnl_socket_close(nl_);
    nl_ = std::exchange(o.nl_, nullptr);
    portid_ = o.portid_;
    next_seq_ = o.next_seq_;
    send_buf_ = std::move(o.send_buf_);
    recv_buf_ = std::move(o.recv_buf_);
  }
  return *this;
}

RtnlSocket::~RtnlSocket() {
  if (nl_) mnl_socket_close(nl_);
}

int RtnlSocket::fd() const { return mnl_socket_get_fd(nl_); }

Result<std::vector<Ack>> RtnlSocket::execute(std::span<const Request> requests) {
  std::vector<Ack> all;
  all.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); i += kMaxPerSend) {
    auto chunk = requests.subspan(i, std::min(kMaxPerSend, requests.size() - i));
    auto acks = execute_chunk(chunk);
    if (!acks) return acks.error();
    for (auto& a : *acks) all.push_back(std::move(a));
  }
  return all;
}

Result<std::vector<Ack>> RtnlSocket::execute_chunk(std::span<const Request> requests) {
  const uint32_t first_seq = next_seq_;
  send_buf_.clear();
  for (const Request& req : requests) {
    if (req.overflowed()) return make_error(req.what() + ": request does not fit a message", EMSGSIZE);
    size_t at = send_buf_.size();
    auto bytes = req.bytes();
    send_buf_.resize(at + NLMSG_ALIGN(bytes.size()), 0);
    std::memcpy(send_buf_.data() + at, bytes.data(), bytes.size());
    auto* nlh = reinterpret_cast<nlmsghdr*>(send_buf_.data() + at);
    nlh->nlmsg_seq = next_seq_++;
    nlh->nlmsg_pid = 0;
  }
  if (mnl_socket_sendto(nl_, send_buf_.data(), send_buf_.size()) < 0)
    return errno_error("send netlink batch of " + std::to_string(requests.size()) + " requests");

  AckCollector acks(first_seq, requests.size());
  auto st = receive_until([&](std::span<const uint8_t> dgram) -> Result<bool> {
    if (auto s = acks.feed(dgram); !s) return s.error();
    return acks.complete();
  });
  if (!st) return st.error();
  return acks.take();
}

Status RtnlSocket::execute_one(const Request& request) {
  auto acks = execute(std::span<const Request>(&request, 1));
  if (!acks) return acks.error();
  const Ack& ack = acks->front();
  if (!ack.ok()) return ack_error(request.what(), ack);
  return {};
}

Status RtnlSocket::receive_until(
    const std::function<Result<bool>(std::span<const uint8_t>)>& on_datagram) {
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl_, recv_buf_.data(), recv_buf_.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno_error("receive from rtnetlink");
    }
    auto done = on_datagram({recv_buf_.data(), static_cast<size_t>(n)});
    if (!done) return done.error();
    if (*done) return {};
  }
}

namespace {

// Walks the messages of one dump datagram; returns true at NLMSG_DONE.
Result<bool> walk_reply(std::span<const uint8_t> dgram, uint32_t seq, bool& interrupted,
                        const std::function<Status(const nlmsghdr*)>& on_message, const std::string& what) {
  size_t off = 0;
  while (off < dgram.size()) {
    if (dgram.size() - off < sizeof(nlmsghdr)) return make_error(what + ": truncated reply", EBADMSG);
    const auto* nlh = reinterpret_cast<const nlmsghdr*>(dgram.data() + off);
    if (nlh->nlmsg_len < sizeof(nlmsghdr) || nlh->nlmsg_len > dgram.size() - off)
      return make_error(what + ": reply with a bad length", EBADMSG);
    off += NLMSG_ALIGN(nlh->nlmsg_len);
    if (nlh->nlmsg_seq != seq) continue;  // a late ack of something else
    if (nlh->nlmsg_flags & NLM_F_DUMP_INTR) interrupted = true;
    if (nlh->nlmsg_type == NLMSG_DONE) return true;
    if (nlh->nlmsg_type == NLMSG_ERROR) {
      if (nlh->nlmsg_len < sizeof(nlmsghdr) + sizeof(nlmsgerr))
        return make_error(what + ": truncated error", EBADMSG);
      AckCollector one(seq, 1);
      if (auto s = one.feed({reinterpret_cast<const uint8_t*>(nlh), nlh->nlmsg_len}); !s) return s.error();
      const Ack& ack = one.acks().front();
      if (!ack.ok()) return ack_error(what, ack);
      return true;  // the ack that ends a non-dump query
    }
    if (auto s = on_message(nlh); !s) return s.error();
  }
  return false;
}

}  // namespace

Status RtnlSocket::dump(Request request, const std::function<Status(const nlmsghdr*)>& on_message,
                        bool& interrupted) {
  interrupted = false;
  nlmsghdr* nlh = request.header();
  // A dump is ended by NLMSG_DONE, not by an ack.
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  nlh->nlmsg_seq = next_seq_++;
  uint32_t seq = nlh->nlmsg_seq;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return errno_error(request.what());
  return receive_until([&](std::span<const uint8_t> dgram) {
    return walk_reply(dgram, seq, interrupted, on_message, request.what());
  });
}

Status RtnlSocket::query(Request request, const std::function<Status(const nlmsghdr*)>& on_message) {
  nlmsghdr* nlh = request.header();
  nlh->nlmsg_seq = next_seq_++;
  uint32_t seq = nlh->nlmsg_seq;
  bool interrupted = false;
  if (mnl_socket_sendto(nl_, nlh, nlh->nlmsg_len) < 0) return errno_error(request.what());
  return receive_until([&](std::span<const uint8_t> dgram) {
    return walk_reply(dgram, seq, interrupted, on_message, request.what());
  });
}

}  // namespace hydra::netlink
