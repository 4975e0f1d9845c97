// SPDX-License-Identifier: Apache-2.0
// Writes the raw rtnetlink link and address messages of the current namespace
// as hex files, to refresh the fixtures in tests/fixtures (see README there).
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "netlink/decode.hpp"
#include "netlink/rtnl_socket.hpp"

using namespace hydra::netlink;

static void write_hex(const std::string& path, const nlmsghdr* nlh) {
  std::ofstream out(path);
  const auto* p = reinterpret_cast<const uint8_t*>(nlh);
  for (size_t i = 0; i < nlh->nlmsg_len; ++i) {
    char b[4];
    std::snprintf(b, sizeof b, "%02x", p[i]);
    out << b << ((i % 16 == 15) ? "\n" : " ");
  }
  out << "\n";
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: nlcapture OUTDIR\n";
    return 2;
  }
  std::string dir = argv[1];
  auto sock = RtnlSocket::open();
  if (!sock) return 1;
  bool intr = false;
  Request links(RTM_GETLINK, 0, "dump links");
  links.put_extra_header<ifinfomsg>();
  auto st = sock->dump(std::move(links), [&](const nlmsghdr* nlh) -> hydra::Status {
    auto l = decode_link(nlh);
    if (l) write_hex(dir + "/link-" + l->name + ".hex", nlh);
    return {};
  }, intr);
  Request addrs(RTM_GETADDR, 0, "dump addrs");
  addrs.put_extra_header<ifaddrmsg>();
  st = sock->dump(std::move(addrs), [&](const nlmsghdr* nlh) -> hydra::Status {
    auto a = decode_addr(nlh);
    if (a) write_hex(dir + "/addr-" + std::to_string(a->ifindex) + "-" + (a->family == AF_INET ? "inet" : "inet6") + "-" + a->primary().to_string() + ".hex", nlh);
    return {};
  }, intr);
  return st ? 0 : 1;
}
