// SPDX-License-Identifier: Apache-2.0
// The two repairs hydrad is measured against, each started by its own
// monitor thread the moment it reads docker0's RTM_DELLINK:
//  - NaiveRepair: the original design — one ip(8) process per step: create,
//    address, up, list the veths, `set master` each masterless one (skipping
//    eth*, lo, vethb-*). A new MAC, whatever ifindex the kernel gives.
//  - FloorRepair: the kernel floor — the same netlink operations hydrad
//    sends, prebuilt as one batch before the deletion, sent as is.
#pragma once

#include <atomic>
#include <cstdio>
#include <functional>
#include <memory>
#include <thread>

#include "bench_world.hpp"
#include "netlink/monitor.hpp"

namespace hydra::bench {

class DeletionWatcher {
 public:
  // Runs `repair` each time docker0 is deleted; the thread lives in `netns_path`.
  DeletionWatcher(std::string netns_path, std::function<void()> repair)
      : netns_(std::move(netns_path)), repair_(std::move(repair)) {
    thread_ = std::thread([this] { run(); });
    while (!ready_) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~DeletionWatcher() {
    stop_ = true;
    thread_.join();
  }

 private:
  void run() {
    auto in = netlink::NetnsSwitch::enter(netns_);
    if (!in) std::abort();
    auto mon = netlink::Monitor::open();
    if (!mon) std::abort();
    ready_ = true;
    while (!stop_) {
      bool deleted = false;
      (void)mon->wait_and_drain(20, [&](const netlink::MonitorEvent& ev, int64_t) {
        if (const auto* l = std::get_if<netlink::LinkEvent>(&ev))
          if (l->deleted && l->link.name == "docker0") deleted = true;
      });
      if (deleted) repair_();
    }
  }
  std::string netns_;
  std::function<void()> repair_;
  std::thread thread_;
  std::atomic<bool> ready_{false}, stop_{false};
};

// The naive repair, exactly as the original note describes it.
inline void naive_repair(const std::string& ns) {
  std::string ip = "ip -n " + ns + " ";
  sh(ip + "link add docker0 type bridge");
  sh(ip + "addr add 10.213.0.1/24 dev docker0");
  sh(ip + "link set docker0 up");
  FILE* p = popen((ip + "-o link show type veth").c_str(), "r");
  std::vector<std::string> masterless;
  char line[1024];
  while (p && fgets(line, sizeof line, p)) {
    std::string l = line;
    auto a = l.find(": ");
    auto b = l.find_first_of("@:", a + 2);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string name = l.substr(a + 2, b - a - 2);
    if (name.rfind("eth", 0) == 0 || name == "lo" || name.rfind("vethb-", 0) == 0) continue;
    if (l.find(" master ") == std::string::npos) masterless.push_back(name);
  }
  if (p) pclose(p);
  for (const auto& name : masterless) sh(ip + "link set " + name + " master docker0");
}

// The floor: hydrad's batch without hydrad — built once, sent on deletion.
class FloorRepair {
 public:
  FloorRepair(const std::string& ns_path, const std::vector<netlink::Request>& batch) : batch_(batch) {
    auto in = netlink::NetnsSwitch::enter(ns_path);
    if (!in) std::abort();
    auto s = netlink::RtnlSocket::open();  // the socket stays in that namespace
    if (!s) std::abort();
    sock_ = std::make_unique<netlink::RtnlSocket>(std::move(*s));
  }
  void operator()() { (void)sock_->execute(batch_); }

 private:
  std::vector<netlink::Request> batch_;
  std::unique_ptr<netlink::RtnlSocket> sock_;
};

}  // namespace hydra::bench
