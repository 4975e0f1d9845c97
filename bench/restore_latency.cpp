// Restore latency of hydrad, seen from outside: a bridge with N ports is
// deleted through netlink, and an independent listener timestamps (in the
// kernel) the first port release, the bridge's deletion and the event that
// completes the restore (bridge up, its address back, every port attached).
//
//   restore_latency [--ports 1,2,10,100,1000] [--reps 20]
//
// Prints one markdown table row per port count.
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

#include "bench_world.hpp"
#include "stamped_listener.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

struct Sample {
  double kernel_delete_us;  // delete request sent → bridge's RTM_DELLINK
  double hydra_us;          // RTM_DELLINK → restore complete
  double outage_us;         // first port released → last port back
  double hydrad_restore_us; // hydrad's own restore_us
  double hydrad_detect_us;  // hydrad's detect_us: deletion read → batch sent
  double hydrad_batch_us;   // hydrad's batch_us: batch sent → all acked
};

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

std::string stats(const std::vector<double>& v) {
  char b[160];
  std::snprintf(b, sizeof b, "%.0f | %.0f | %.0f | %.0f", percentile(v, 0.5), percentile(v, 0.99),
                *std::min_element(v.begin(), v.end()), *std::max_element(v.begin(), v.end()));
  return b;
}

int64_t json_int(const std::string& line, const std::string& key) {
  auto at = line.find("\"" + key + "\":");
  return at == std::string::npos ? -1 : std::stoll(line.substr(at + key.size() + 3));
}

std::optional<Sample> one_deletion(netlink::RtnlSocket& sock, StampedListener& listener, Hydrad& hydrad,
                                   size_t restores_before, int n) {
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
  for (int waited = 0; !done && waited < 30000; waited += 5) {
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
  if (!hydrad.wait_for("bridge_restored", restores_before + 1, 10000)) return std::nullopt;
  auto line = hydrad.lines_with("bridge_restored")[restores_before];
  return Sample{(dellink - t_req) / 1e3, (done - dellink) / 1e3, (done - first_release) / 1e3,
                static_cast<double>(json_int(line, "restore_us")), static_cast<double>(json_int(line, "detect_us")),
                static_cast<double>(json_int(line, "batch_us"))};
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> counts = {1, 2, 10, 100, 1000};
  int reps = 20;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--reps") reps = std::stoi(argv[i + 1]);
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
  std::printf("| ports | reps | hydra median | p99 | min | max | outage median | p99 | min | max "
              "| kernel deletion median | p99 | min | max | hydrad detect / batch / restore_us (medians) |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
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
    Hydrad hydrad(sbx.path(), "/tmp/hydra-bench-" + std::to_string(getpid()));
    if (!hydrad.wait_for("\"ready\"", 1, 10000)) return 1;
    std::vector<double> hydra_us, outage_us, kernel_us, hydrad_us, detect_us, batch_us;
    for (int r = 0; r < reps; ++r) {
      auto s = one_deletion(*sock, listener, hydrad, static_cast<size_t>(r), n);
      if (!s) {
        std::fprintf(stderr, "ports=%d rep %d: no complete restore seen\n", n, r);
        return 1;
      }
      hydra_us.push_back(s->hydra_us);
      outage_us.push_back(s->outage_us);
      kernel_us.push_back(s->kernel_delete_us);
      hydrad_us.push_back(s->hydrad_restore_us);
      detect_us.push_back(s->hydrad_detect_us);
      batch_us.push_back(s->hydrad_batch_us);
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // let the snapshot be written
    }
    std::printf("| %d | %d | %s | %s | %s | %.0f / %.0f / %.0f |\n", n, reps, stats(hydra_us).c_str(),
                stats(outage_us).c_str(), stats(kernel_us).c_str(), percentile(detect_us, 0.5),
                percentile(batch_us, 0.5), percentile(hydrad_us, 0.5));
    std::fflush(stdout);
  }
  return 0;
}
