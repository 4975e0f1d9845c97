// SPDX-License-Identifier: Apache-2.0
// Worlds for the benchmarks: namespaces made with ip(8) (fixture code), links
// made through hydra's own netlink encoders so 1000 ports take milliseconds.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "netlink/addr_requests.hpp"
#include "netlink/dump.hpp"
#include "netlink/link_requests.hpp"
#include "netlink/netns.hpp"

namespace hydra::bench {

inline int sh(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

class Netns {
 public:
  explicit Netns(const std::string& role) : name_("hyb-" + std::to_string(getpid()) + "-" + role) {
    sh("ip netns del " + name_);
    ok_ = sh("ip netns add " + name_) == 0 && sh("ip -n " + name_ + " link set lo up") == 0;
  }
  ~Netns() { sh("ip netns del " + name_); }
  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::string path() const { return "/var/run/netns/" + name_; }

 private:
  std::string name_;
  bool ok_ = false;
};

// docker0 (10.213.0.1/24, fixed MAC) with n veth ports whose peers live in `peers`.
inline Status build_bridge_with_ports(netlink::RtnlSocket& sock, const std::string& peers_path, int n) {
  netlink::BridgeSpec br;
  br.name = "docker0";
  br.mac = *netlink::parse_mac("02:42:0a:d5:00:01");
  auto create = netlink::create_bridge(br);
  if (!create) return create.error();
  if (auto st = sock.execute_one(*create); !st) return st;
  auto links = netlink::dump_links(sock);
  if (!links) return links.error();
  int bridge = 0;
  for (const auto& l : *links)
    if (l.name == "docker0") bridge = l.ifindex;
  netlink::AddrInfo a;
  a.family = AF_INET;
  a.prefixlen = 24;
  a.ifindex = bridge;
  a.local = a.address = netlink::IpAddr::parse("10.213.0.1");
  a.broadcast = netlink::IpAddr::parse("10.213.0.255");
  if (auto st = sock.execute_one(netlink::add_address(a, "docker0")); !st) return st;
  auto peers = netlink::open_netns(peers_path);
  if (!peers) return peers.error();
  std::vector<netlink::Request> veths;
  for (int i = 0; i < n; ++i) {
    auto v = netlink::create_veth("vb" + std::to_string(i), "p" + std::to_string(i), peers->get());
    if (!v) return v.error();
    veths.push_back(std::move(*v));
  }
  auto acks = sock.execute(veths);
  if (!acks) return acks.error();
  links = netlink::dump_links(sock);
  if (!links) return links.error();
  std::vector<netlink::Request> attach;
  for (const auto& l : *links) {
    if (l.name.rfind("vb", 0) != 0) continue;
    attach.push_back(netlink::set_master(l.ifindex, l.name, bridge, "docker0"));
    attach.push_back(netlink::set_admin_up(l.ifindex, l.name, true));
  }
  auto done = sock.execute(attach);
  if (!done) return done.error();
  for (const auto& ack : *done)
    if (!ack.ok()) return make_error("attach port", ack.error);
  return {};
}

// hydrad, run inside a namespace, its JSON events in a file.
class Hydrad {
 public:
  Hydrad(const std::string& netns_path, const std::string& dir, std::vector<std::string> extra = {}) : dir_(dir) {
    sh("mkdir -p " + dir);
    pid_ = fork();
    if (pid_ == 0) {
      int ns = open(netns_path.c_str(), O_RDONLY);
      if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) _exit(120);
      int log = open((dir + "/events.log").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(log, 2);
      std::string bin = std::string(HYDRA_BIN_DIR) + "/hydrad";
      std::string sock = dir + "/hydra.sock";
      std::vector<std::string> args = {bin, "--state-dir", dir, "--socket", sock, "--log-format", "json"};
      args.insert(args.end(), extra.begin(), extra.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(121);
    }
  }
  ~Hydrad() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    sh("rm -rf " + dir_);
  }
  [[nodiscard]] pid_t pid() const { return pid_; }
  [[nodiscard]] std::vector<std::string> lines_with(const std::string& needle) const {
    std::ifstream in(dir_ + "/events.log");
    std::vector<std::string> out;
    std::string line;
    while (std::getline(in, line))
      if (line.find(needle) != std::string::npos) out.push_back(line);
    return out;
  }
  bool wait_for(const std::string& needle, size_t count, int timeout_ms) const {
    for (int i = 0; i < timeout_ms; ++i) {
      if (lines_with(needle).size() >= count) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return false;
  }

 private:
  std::string dir_;
  pid_t pid_ = -1;
};

}  // namespace hydra::bench
