// SPDX-License-Identifier: Apache-2.0
// Restore latency seen from outside, for three repairs of the same deletion:
// hydrad; the kernel floor (hydrad's batch, prebuilt, sent by a bare thread);
// the naive repair (one ip(8) per step). A bridge with N ports is deleted
// through netlink; an independent listener thread stamps the bridge's
// RTM_DELLINK and the notification that completes the restore (docker0 up,
// 10.213.0.1/24 back, all N ports attached).
//
//   restore_latency [--ports 1,2,10,100,1000] [--reps 20] [--naive-reps-1000 5] [--data FILE]
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "bench_world.hpp"
#include "repairers.hpp"
#include "stamped_listener.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

struct Sample {
  double restore_us;        // RTM_DELLINK → restore complete
  double outage_us;         // first port released → restore complete
  double kernel_delete_us;  // delete request sent → RTM_DELLINK
};

std::optional<Sample> one_deletion(netlink::RtnlSocket& sock, StampedListener& listener, int n) {
  auto links = netlink::dump_links(sock);
  if (!links) return std::nullopt;
  int bridge = 0;
  std::set<int> ports;
  for (const auto& l : *links) {
    if (l.name == "docker0") bridge = l.ifindex;
    if (l.name.rfind("vb", 0) == 0) ports.insert(l.ifindex);
  }
  if (!bridge || static_cast<int>(ports.size()) != n) return std::nullopt;
  int64_t first_release = 0, dellink = 0, done = 0;
  int new_bridge = 0;
  bool up = false, addr = false;
  std::set<int> attached;
  listener.take();
  const int64_t t_req = realtime_ns();
  if (!sock.execute_one(netlink::delete_link(bridge, "docker0"))) return std::nullopt;
  for (int waited = 0; !done && waited < 120000; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (const auto& [ev, ts] : listener.take()) {
      if (done) break;
      if (const auto* l = std::get_if<netlink::LinkEvent>(&ev)) {
        if (l->link.name == "docker0" && l->deleted && l->link.ifindex == bridge && !dellink) dellink = ts;
        if (l->link.name == "docker0" && !l->deleted && dellink) {
          new_bridge = l->link.ifindex;
          up = l->link.admin_up();
        }
        if (ports.count(l->link.ifindex)) {
          if (l->link.master == 0 && !first_release) first_release = ts;
          if (dellink && new_bridge && l->link.master == new_bridge) attached.insert(l->link.ifindex);
          else attached.erase(l->link.ifindex);
        }
      } else if (const auto* a = std::get_if<netlink::AddrEvent>(&ev)) {
        if (dellink && !a->deleted && a->addr.ifindex == new_bridge && a->addr.cidr() == "10.213.0.1/24") addr = true;
      }
      if (dellink && up && addr && static_cast<int>(attached.size()) == n) done = ts;
    }
  }
  if (listener.overrun() || !done) return std::nullopt;
  return Sample{(done - dellink) / 1e3, (done - first_release) / 1e3, (dellink - t_req) / 1e3};
}

// hydrad's batch for this world, built before any deletion.
std::vector<netlink::Request> floor_batch(netlink::RtnlSocket& sock) {
  std::vector<netlink::Request> batch;
  auto links = netlink::dump_links(sock);
  auto addrs = netlink::dump_addrs(sock);
  int bridge = 0;
  for (const auto& l : *links)
    if (l.name == "docker0") {
      netlink::BridgeSpec spec;
      spec.name = "docker0";
      spec.ifindex = bridge = l.ifindex;
      spec.mac = l.mac;
      batch.push_back(*netlink::create_bridge(spec));
    }
  for (const auto& a : *addrs)
    if (a.ifindex == bridge && a.family == AF_INET) batch.push_back(netlink::add_address(a, "docker0"));
  for (const auto& l : *links)
    if (l.master == bridge) batch.push_back(netlink::set_master(l.ifindex, l.name, bridge, "docker0"));
  return batch;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts = {1, 2, 10, 100, 1000};
  int reps = 20, naive_reps_1000 = 5;
  std::string data_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--reps") reps = std::stoi(argv[i + 1]);
    if (a == "--naive-reps-1000") naive_reps_1000 = std::stoi(argv[i + 1]);
    if (a == "--data") data_file = argv[i + 1];
    if (a == "--ports") {
      counts.clear();
      std::stringstream s(argv[i + 1]);
      std::string part;
      while (std::getline(s, part, ',')) counts.push_back(std::stoi(part));
    }
  }
  if (geteuid() != 0) {
    std::fprintf(stderr, "restore_latency: needs root (network namespaces)\n");
    return 1;
  }
  std::map<int, std::map<std::string, std::vector<double>>> restore;  // N → series → samples
  std::map<int, std::vector<double>> outage, kernel;                   // hydrad series
  for (int n : counts) {
    Netns sbx("sbx"), peers("peers");
    if (!sbx.ok() || !peers.ok()) return 1;
    auto in = netlink::NetnsSwitch::enter(sbx.path());
    if (!in) return 1;
    auto sock = netlink::RtnlSocket::open();
    if (!sock) return 1;
    if (auto st = build_bridge_with_ports(*sock, peers.path(), n); !st) {
      std::fprintf(stderr, "build world: %s\n", st.error().text().c_str());
      return 1;
    }
    StampedListener listener;
    listener.start();
    auto run = [&](const std::string& series, int r_count) -> bool {
      for (int r = 0; r < r_count; ++r) {
        auto s = one_deletion(*sock, listener, n);
        if (!s) {
          std::fprintf(stderr, "%s, ports=%d, rep %d: no complete restore seen\n", series.c_str(), n, r);
          return false;
        }
        restore[n][series].push_back(s->restore_us);
        if (series == "hydrad") {
          outage[n].push_back(s->outage_us);
          kernel[n].push_back(s->kernel_delete_us);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      return true;
    };
    {
      Hydrad hydrad(sbx.path(), "/tmp/hydra-bench-" + std::to_string(getpid()));
      if (!hydrad.wait_for("\"ready\"", 1, 10000) || !run("hydrad", reps)) return 1;
    }
    {
      FloorRepair floor(sbx.path(), floor_batch(*sock));
      DeletionWatcher watcher(sbx.path(), [&] { floor(); });
      if (!run("floor", reps)) return 1;
    }
    {
      std::string ns = sbx.name();
      DeletionWatcher watcher(sbx.path(), [ns] { naive_repair(ns); });
      if (!run("naive", n >= 1000 ? naive_reps_1000 : reps)) return 1;
    }
    std::fprintf(stderr, "restore_latency: ports=%d done\n", n);
  }
  std::printf("| ports | repair | reps | median | p99 | min | max | median / floor |\n");
  std::printf("|---:|---|---:|---:|---:|---:|---:|---:|\n");
  for (int n : counts) {
    double floor_median = percentile(restore[n]["floor"], 0.5);
    for (const char* series : {"hydrad", "floor", "naive"}) {
      const auto& v = restore[n][series];
      std::printf("| %d | %s | %zu | %s | %.2f× |\n", n, series, v.size(), stat_cells(v).c_str(),
                  percentile(v, 0.5) / floor_median);
    }
  }
  std::string over;
  for (int n : counts) {
    double ratio = percentile(restore[n]["hydrad"], 0.5) / percentile(restore[n]["floor"], 0.5);
    if (ratio > 1.3) over += " N=" + std::to_string(n) + " (" + std::to_string(ratio).substr(0, 4) + "×)";
  }
  std::printf("\nTarget, hydrad within 1.3× the kernel floor at every N: %s.\n",
              over.empty() ? "**met**" : ("**missed** at" + over).c_str());
  if (restore.count(2))
    std::printf("Target, at least 100× faster than the naive repair at N=2: %.0f× — %s.\n",
                percentile(restore[2]["naive"], 0.5) / percentile(restore[2]["hydrad"], 0.5),
                percentile(restore[2]["naive"], 0.5) / percentile(restore[2]["hydrad"], 0.5) >= 100 ? "**met**"
                                                                                                  : "**missed**");
  std::printf("\n| ports | hydrad outage: first port released → restored (median / p99) | kernel's own deletion: "
              "request → RTM_DELLINK (median / p99) |\n|---:|---:|---:|\n");
  for (int n : counts)
    std::printf("| %d | %.0f / %.0f | %.0f / %.0f |\n", n, percentile(outage[n], 0.5), percentile(outage[n], 0.99),
                percentile(kernel[n], 0.5), percentile(kernel[n], 0.99));
  if (!data_file.empty()) {
    std::ofstream out(data_file);
    out << "# ports hydrad floor naive (median restore, us)\n";
    for (int n : counts)
      out << n << " " << percentile(restore[n]["hydrad"], 0.5) << " " << percentile(restore[n]["floor"], 0.5) << " "
          << percentile(restore[n]["naive"], 0.5) << "\n";
  }
  return 0;
}
