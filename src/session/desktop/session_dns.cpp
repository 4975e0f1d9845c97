// SPDX-License-Identifier: Apache-2.0
#include "session/desktop/session_dns.hpp"

#include <arpa/inet.h>

#include <sstream>

namespace hydra::session {

std::vector<std::string> upstream_resolvers(const std::string& resolv_conf) {
  std::vector<std::string> out;
  std::istringstream in(resolv_conf);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string key, addr;
    if (!(f >> key >> addr) || key != "nameserver") continue;
    unsigned char buf[16];
    if (inet_pton(AF_INET, addr.c_str(), buf) == 1) {
      if (buf[0] == 127) continue;
    } else if (inet_pton(AF_INET6, addr.c_str(), buf) == 1) {
      if (addr == "::1") continue;
    } else {
      continue;
    }
    out.push_back(addr);
  }
  return out;
}

DnsPaths dns_paths(const std::string& run_dir, int index) {
  DnsPaths p;
  p.dir = run_dir + "/dns/h" + std::to_string(index);
  p.hosts_file = p.dir + "/containers";
  p.local_names_file = p.dir + "/local-names";
  p.pidfile = p.dir + "/dnsmasq.pid";
  p.log = p.dir + "/dnsmasq.log";
  return p;
}

std::vector<std::string> dnsmasq_argv(const std::string& dnsmasq, const SessionNet& net, const DnsPaths& paths,
                                      const std::vector<std::string>& upstreams) {
  std::vector<std::string> argv{dnsmasq,
                                "--keep-in-foreground",
                                "--conf-file=/dev/null",  // nothing of the sandbox's dnsmasq.conf
                                "--no-resolv",            // upstreams are given below, not read
                                "--no-hosts",             // nor the sandbox's /etc/hosts
                                "--addn-hosts=" + paths.hosts_file,
                                "--listen-address=" + net.gateway,
                                "--bind-interfaces",  // only that address: sessions' dnsmasqs side by side
                                "--port=53",
                                "--domain-needed",
                                // A bare name is a container's or nobody's, for every query type (domain-needed
                                // alone keeps back only A and AAAA); dotted names of the session: the file.
                                "--local=//",
                                "--servers-file=" + paths.local_names_file,
                                "--pid-file=" + paths.pidfile,
                                "--log-facility=-"};
  for (const auto& u : upstreams) argv.push_back("--server=" + u);
  return argv;
}

std::string resolv_with_gateway(const std::string& original, const std::string& gateway) {
  std::string out = "# hydrad: the session's resolver first (its containers by name); unbridge restores this file\n"
                    "nameserver " + gateway + "\n";
  std::istringstream in(original);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string key, addr;
    if (f >> key >> addr && key == "nameserver" && addr == gateway) continue;
    out += line + "\n";
  }
  return out;
}

}  // namespace hydra::session
