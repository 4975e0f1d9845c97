// SPDX-License-Identifier: Apache-2.0
// The per-interface sysctls of a bridge (net/bridge_extras.hpp lists them),
// read from and written to /proc/sys of the namespace hydrad runs in.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace hydra::guard {

// Every recorded sysctl of `ifname` that can be read (IPv6 ones are absent
// when IPv6 is off in the kernel). Empty when the device does not exist.
std::map<std::string, std::string> read_bridge_sysctls(const std::string& ifname);

// Writes the values of `wanted` that differ from what is there now; returns
// one line per value that could not be written ("ipv4.rp_filter: <errno>").
std::vector<std::string> write_bridge_sysctls(const std::string& ifname, const std::map<std::string, std::string>& wanted);

}  // namespace hydra::guard
