// SPDX-License-Identifier: Apache-2.0
// What the desktop of a session sees of it: the names its resolver answers
// and the ports forwarded to the desktop's localhost. Pure: computed from the
// session's containers as the Engine API describes them, rendered as the
// hosts file dnsmasq reads and as the desktop's nft table.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "docker/container_networking.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

struct NameRecord {
  std::string name;
  std::string address;  // IPv4 (A) or IPv6 (AAAA)
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const NameRecord&, const NameRecord&) = default;
};

struct ForwardedPort {
  std::string proto;  // tcp | udp
  uint16_t port = 0;
  std::string container;
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const ForwardedPort&, const ForwardedPort&) = default;
};

struct DesktopView {
  std::vector<NameRecord> names;     // sorted, unique
  std::vector<ForwardedPort> ports;  // sorted by proto and port, one container per port
  friend bool operator==(const DesktopView&, const DesktopView&) = default;
};

// Every running container: NAME, its compose service, its aliases, each
// also as NAME.NETWORK, on every network it is on. A name that is not a
// valid DNS name is left out. A host port published twice (two bindings of
// one container, or a container that lost the race) is forwarded once.
DesktopView desktop_view(const std::vector<docker::ContainerNetworking>& containers);
// "ADDRESS NAME..." lines, as dnsmasq's --addn-hosts reads them.
std::string hosts_file(const DesktopView& view);
// "server=/NAME/" for each name with a dot (NAME.NETWORK, a dotted alias), as
// dnsmasq's --servers-file reads them: those names are answered locally only,
// for every query type. (Bare names are all local: --local=//.)
std::string local_names_file(const DesktopView& view);

// The desktop's own listeners, from /proc/PID/net/{tcp,tcp6,udp,udp6}: the
// ports bound on a wildcard or loopback address (a forward would shadow
// them). `proto` is tcp or udp; `text` one of those files.
std::set<uint16_t> listening_ports(const std::string& text, const std::string& proto);

// The desktop's nft table (table ip hydra_desktop), whole, replacing any old
// one in one transaction: localhost:PORT → the session gateway's PORT, and
// the source rewritten to the desktop's own address on eth1.
std::string desktop_nat_script(const SessionNet& net, const std::vector<ForwardedPort>& ports);
inline constexpr const char* kDesktopTable = "ip hydra_desktop";

}  // namespace hydra::session
