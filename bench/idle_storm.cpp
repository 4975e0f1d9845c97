// SPDX-License-Identifier: Apache-2.0
// hydrad's cost when nothing happens, and its restore under an event storm.
//  - idle: hydrad guarding a bridge with 100 ports for N seconds: CPU time,
//    wakeups per second (context switches of all its threads), peak RSS;
//  - storm: 10,000 unrelated link events per second (veth pairs created and
//    deleted elsewhere in the namespace) for 10 s: hydrad's CPU, and the
//    restore latency of a deletion injected mid-storm against a quiet one.
//
//   idle_storm [--idle-seconds 60] [--storm-seconds 10]
#include <cstdio>
#include <set>

#include "bench_world.hpp"
#include "proc_usage.hpp"
#include "restore_probe.hpp"
#include "stamped_listener.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

// Deletes docker0 and returns DELLINK → restored (all ports, up, address), in us.

}  // namespace

int main(int argc, char** argv) {
  int idle_s = 60, storm_s = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--idle-seconds") idle_s = std::stoi(argv[i + 1]);
    if (a == "--storm-seconds") storm_s = std::stoi(argv[i + 1]);
  }
  if (geteuid() != 0) return 1;
  const int n = 100;
  Netns sbx("isbx"), peers("ipeers");
  auto in = netlink::NetnsSwitch::enter(sbx.path());
  auto sock = netlink::RtnlSocket::open();
  if (!sock || !build_bridge_with_ports(*sock, peers.path(), n)) return 1;
  std::string dir = "/tmp/hydra-bench-i-" + std::to_string(getpid());
  Hydrad hydrad(sbx.path(), dir);
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return 1;
  pid_t pid = hydrad.pid();
  // Let the world settle first: IPv6 duplicate address detection on 100 new
  // ports keeps the kernel announcing address changes for a few seconds.
  std::this_thread::sleep_for(std::chrono::seconds(5));

  ProcUsage a = proc_usage(pid);
  std::this_thread::sleep_for(std::chrono::seconds(idle_s));
  ProcUsage b = proc_usage(pid);
  std::printf("| idle, %d ports, %d s | CPU time (ms) | wakeups per second | peak RSS (MiB) |\n|---|---:|---:|---:|\n",
              n, idle_s);
  const double wakeups = static_cast<double>(b.switches - a.switches) / idle_s;
  std::printf("| hydrad | %.1f | %.2f | %.1f |\n\n", (b.cpu_s - a.cpu_s) * 1000, wakeups, b.peak_rss_kb / 1024.0);
  // "No periodic wakeups": under one a second (a timer would show as at least one).
  std::printf("Target, no periodic wakeups: %s. Target, RSS ≤ 10 MB: %s.\n\n", wakeups < 1 ? "**met**" : "**missed**",
              b.peak_rss_kb <= 10 * 1024 ? "**met**" : "**missed**");
  std::fflush(stdout);

  StampedListener listener;
  listener.start();
  std::vector<double> quiet;
  for (int i = 0; i < 5; ++i) {
    quiet.push_back(restore_once(*sock, listener, n));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }

  // The storm. Creating and deleting veth pairs costs the kernel milliseconds
  // each, far below 10k events/s on this machine; so a few pairs are created
  // and deleted continuously, and 50 more veths (100 links) are flipped down
  // and up, paced to about 10,000 link notifications a second as counted by
  // the independent listener.
  std::atomic<bool> stop{false};
  {
    std::vector<netlink::Request> pre;
    for (int i = 0; i < 50; ++i) pre.push_back(*netlink::create_veth("sf" + std::to_string(i), "sf" + std::to_string(i) + "p", -1));
    (void)sock->execute(pre);
  }
  std::thread storm([&] {
    auto sin = netlink::NetnsSwitch::enter(sbx.path());
    auto ss = netlink::RtnlSocket::open();
    auto links = netlink::dump_links(*ss);
    std::vector<std::pair<int, std::string>> flip;
    for (const auto& l : *links)
      if (l.name.rfind("sf", 0) == 0) flip.emplace_back(l.ifindex, l.name);
    int round = 0;
    while (!stop) {
      auto t0 = std::chrono::steady_clock::now();
      std::vector<netlink::Request> reqs;
      for (const auto& [idx, name] : flip) reqs.push_back(netlink::set_admin_up(idx, name, round % 2 == 0));
      if (round % 10 == 0) reqs.push_back(*netlink::create_veth("sc" + std::to_string(round % 20), "scp" + std::to_string(round % 20), -1));
      (void)ss->execute(reqs);
      if (round % 10 == 5) {
        auto all = netlink::dump_links(*ss);
        std::vector<netlink::Request> del;
        for (const auto& l : *all)
          if (l.name.rfind("sc", 0) == 0) del.push_back(netlink::delete_link(l.ifindex, l.name));
        (void)ss->execute(del);
      }
      ++round;
      std::this_thread::sleep_until(t0 + std::chrono::milliseconds(13));
    }
  });
  listener.take();
  ProcUsage c = proc_usage(pid);
  auto storm_start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(storm_s / 2));
  long long events = static_cast<long long>(listener.take().size());
  std::vector<double> stormy;
  for (int i = 0; i < 3; ++i) {
    stormy.push_back(restore_once(*sock, listener, n));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::this_thread::sleep_until(storm_start + std::chrono::seconds(storm_s));
  stop = true;
  storm.join();
  events += static_cast<long long>(listener.take().size());
  ProcUsage d = proc_usage(pid);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - storm_start).count();
  std::printf("| storm, %d ports | link events per second | hydrad CPU (%% of one core) | restore quiet, median (us) | "
              "restore mid-storm, median (us) | ratio |\n|---|---:|---:|---:|---:|---:|\n",
              n);
  std::printf("| hydrad | %.0f | %.1f | %.0f | %.0f | %.2f× |\n", static_cast<double>(events) / secs,
              (d.cpu_s - c.cpu_s) / secs * 100, percentile(quiet, 0.5), percentile(stormy, 0.5),
              percentile(stormy, 0.5) / percentile(quiet, 0.5));
  std::printf("\nTarget, restore mid-storm within 2× the quiet figure: %s.\n",
              percentile(stormy, 0.5) <= 2 * percentile(quiet, 0.5) ? "**met**" : "**missed**");
  return 0;
}
