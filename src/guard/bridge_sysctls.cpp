// SPDX-License-Identifier: Apache-2.0
#include "guard/bridge_sysctls.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "base/whole_file.hpp"
#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "net/bridge_extras.hpp"

namespace hydra::guard {
namespace {

// "ipv4.rp_filter" → /proc/sys/net/ipv4/conf/<ifname>/rp_filter
std::string sysctl_path(const std::string& key, const std::string& ifname) {
  auto dot = key.find('.');
  return "/proc/sys/net/" + key.substr(0, dot) + "/conf/" + ifname + "/" + key.substr(dot + 1);
}

bool read_value(const std::string& path, std::string& out) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return false;
  char buf[64];
  ssize_t n = ::read(fd.get(), buf, sizeof buf - 1);
  if (n <= 0) return false;
  out.assign(buf, static_cast<size_t>(n));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return true;
}

}  // namespace

std::map<std::string, std::string> read_bridge_sysctls(const std::string& ifname) {
  std::map<std::string, std::string> out;
  for (const auto& key : net::recorded_sysctls()) {
    std::string value;
    if (read_value(sysctl_path(key, ifname), value)) out[key] = value;
  }
  return out;
}

std::vector<std::string> write_bridge_sysctls(const std::string& ifname, const std::map<std::string, std::string>& wanted) {
  std::vector<std::string> failed;
  for (const auto& [key, value] : wanted) {
    std::string path = sysctl_path(key, ifname);
    std::string now;
    if (read_value(path, now) && now == value) continue;
    if (auto st = write_sysctl(path, value); !st) {
      std::string what = key;
      what.append(" = ").append(value);
      failed.push_back(make_error(std::move(what), st.error().code).text());
    }
  }
  return failed;
}

}  // namespace hydra::guard
