// SPDX-License-Identifier: Apache-2.0
// The resolver a session's desktop asks: one dnsmasq per session on the
// session's gateway (10.200.N.1:53, UDP and TCP), in the namespace where
// hydraN lives. It answers the names of a hosts file hydrad replaces
// atomically and then signals it to re-read (SIGHUP, as libvirt does; its
// inotify on a hosts directory was seen to miss a quick second rename), and
// forwards every other name to the sandbox's own resolvers. Names it owns —
// every unqualified name, and each dotted name of the hosts file — are never
// forwarded, whatever the query type. dnsmasq is the
// component libvirt runs per virtual network for the same job: a maintained
// DNS server, not packet code of hydra's.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

// The nameservers of a resolv.conf that a session can reach: loopback
// resolvers (Docker's 127.0.0.11, systemd-resolved's 127.0.0.53) are left
// out, as are malformed lines.
std::vector<std::string> upstream_resolvers(const std::string& resolv_conf);

struct DnsPaths {
  std::string dir;        // run_dir/dns/hN (readable by dnsmasq's unprivileged user)
  std::string hosts_file;  // dir/containers
  // dir/local-names: "server=/NAME/" for each dotted name the hosts file
  // holds, re-read on SIGHUP with it: dnsmasq then answers every query type
  // for those names itself (NODATA for a type it lacks) and forwards none.
  std::string local_names_file;
  std::string pidfile;
  std::string log;
};
DnsPaths dns_paths(const std::string& run_dir, int index);

std::vector<std::string> dnsmasq_argv(const std::string& dnsmasq, const SessionNet& net, const DnsPaths& paths,
                                      const std::vector<std::string>& upstreams);

// The desktop's resolv.conf with the session's gateway as first nameserver
// (any line naming it already is dropped, the rest kept in order).
std::string resolv_with_gateway(const std::string& original, const std::string& gateway);

}  // namespace hydra::session
