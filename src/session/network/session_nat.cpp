// SPDX-License-Identifier: Apache-2.0
#include "session/network/session_nat.hpp"

#include <unistd.h>

#include "base/whole_file.hpp"
#include "session/network/nft_runner.hpp"

namespace hydra::session {

std::string session_nat_script(const SessionNet& net) {
  const std::string table = kSessionNatTable;
  const std::string up = std::string("\"") + kUplinkInterface + "\"";
  const std::string bridge = "\"" + net.bridge + "\"";
  // "add" then "delete" then the table: replaces an old one in one
  // transaction, and works when there is none.
  return "add table " + table + "\n" + "delete table " + table + "\n" + "table " + table +
         " {\n"
         "  chain postrouting {\n"
         "    type nat hook postrouting priority srcnat; policy accept;\n"
         "    oifname " + up + " masquerade\n"
         "  }\n"
         "  chain forward {\n"
         "    type filter hook forward priority filter; policy drop;\n"
         "    ct state established,related accept\n"
         "    oifname " + up + " iifname != " + up + " accept\n"
         "    iifname " + bridge + " ip saddr " + net.desktop_ip + " ip daddr " + net.pools + " accept\n"
         "    oifname " + bridge + " ip saddr " + net.pools + " ip daddr " + net.desktop_ip + " accept\n"
         "  }\n"
         "}\n";
}

namespace {

// br_netfilter's switch for this namespace, when the module is there (its
// files exist only then). Written 0: bridged frames stay out of the IP hooks.
Status bridged_frames_skip_ip_hooks() {
  const std::string path = "/proc/sys/net/bridge/bridge-nf-call-iptables";
  if (::access(path.c_str(), F_OK) != 0) return {};
  return write_sysctl(path, "0");
}

}  // namespace

Status install_session_nat(const SessionNet& net) {
  if (auto st = bridged_frames_skip_ip_hooks(); !st) return st;
  NftRunner nft;
  auto done = nft.run(session_nat_script(net));
  if (!done) return make_error("the session's table " + std::string(kSessionNatTable) + ": " + done.error().text(),
                               done.error().code);
  return {};
}

}  // namespace hydra::session
