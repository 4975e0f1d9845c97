// SPDX-License-Identifier: Apache-2.0
// Traffic across a deletion of docker0.
//  1. UDP at 1 kHz from three container namespaces to an echo server on the
//     gateway; one deletion; packets lost and the longest gap, for hydrad and
//     for the naive repair (measured until traffic recovers, at most 60 s).
//  2. A long-lived TCP connection from each container, through the sandbox
//     (routed and masqueraded) to a server upstream, a small message every
//     10 ms; 100 deletions repaired by hydrad: resets and the longest stall.
//
//   traffic_loss [--deletions 100]
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <map>
#include <mutex>

#include "repairers.hpp"
#include "stamped_listener.hpp"
#include "stats.hpp"
#include "traffic_world.hpp"
#include "udp_probe.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

struct UdpRun {
  std::vector<UdpResult> per_container;
};

// One deletion with traffic flowing; `repair_running` decides when it ended.
UdpRun udp_run(TrafficWorld& w, netlink::RtnlSocket& sock, int64_t after_ms,
               const std::function<bool(const std::vector<UdpResult>&, int64_t)>& finished) {
  std::atomic<bool> stop{false}, stop_echo{false};
  std::atomic<int64_t> deleted_at{0};
  std::thread echo(udp_echo, w.sbx.path(), std::ref(stop_echo));
  std::vector<UdpResult> results(w.containers.size());
  std::vector<std::thread> senders;
  for (size_t i = 0; i < w.containers.size(); ++i)
    senders.emplace_back(udp_sender, w.containers[i]->path(), std::ref(stop), std::cref(deleted_at),
                         std::ref(results[i]));
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  auto links = netlink::dump_links(sock);
  for (const auto& l : *links)
    if (l.name == "docker0") {
      deleted_at = now_us();
      (void)sock.execute_one(netlink::delete_link(l.ifindex, "docker0"));
    }
  const int64_t start = now_us();
  while (!finished(results, now_us() - start)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
  stop = true;
  for (auto& t : senders) t.join();
  stop_echo = true;
  echo.join();
  return {results};
}

std::string udp_row(const std::string& who, const UdpRun& r) {
  int64_t lost = 0, gap = 0, recovered = 0;
  for (const auto& c : r.per_container) {
    lost += c.sent - c.received;
    gap = std::max(gap, c.longest_gap_us);
    recovered = std::max(recovered, c.recovered_us);
  }
  char b[256];
  std::snprintf(b, sizeof b, "| %s | %lld | %.1f | %.1f |", who.c_str(), static_cast<long long>(lost), gap / 1000.0,
                recovered / 1000.0);
  return b;
}

// TCP: a server upstream, one client per container.
struct TcpStats {
  std::atomic<int> resets{0}, reconnects{0};
  std::atomic<int64_t> longest_stall_us{0};
};

void tcp_server(const std::string& ns, std::atomic<bool>& stop, TcpStats& stats) {
  auto in = netlink::NetnsSwitch::enter(ns);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  auto addr = inet("192.0.2.1", 9000);
  bind(lfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  listen(lfd, 16);
  std::vector<pollfd> fds{{lfd, POLLIN, 0}};
  std::map<int, int64_t> last;
  char buf[4096];
  while (!stop) {
    poll(fds.data(), fds.size(), 20);
    int64_t t = now_us();
    for (size_t i = 1; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        close(fds[i].fd);
        last.erase(fds[i].fd);
        fds[i].fd = -1;
        continue;
      }
      int64_t gap = t - last[fds[i].fd];
      if (gap > stats.longest_stall_us) stats.longest_stall_us = gap;
      last[fds[i].fd] = t;
    }
    std::erase_if(fds, [](const pollfd& p) { return p.fd < 0; });
    if (fds[0].revents & POLLIN) {
      int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
      if (c >= 0) {
        fds.push_back({c, POLLIN, 0});
        last[c] = now_us();
      }
    }
    for (auto& p : fds) p.revents = 0;
  }
  for (auto& p : fds) close(p.fd);
}

void tcp_client(const std::string& ns, std::atomic<bool>& stop, TcpStats& stats) {
  auto in = netlink::NetnsSwitch::enter(ns);
  signal(SIGPIPE, SIG_IGN);
  auto server = inet("192.0.2.1", 9000);
  int fd = -1;
  bool first = true;
  while (!stop) {
    if (fd < 0) {
      fd = socket(AF_INET, SOCK_STREAM, 0);
      if (connect(fd, reinterpret_cast<sockaddr*>(&server), sizeof server) != 0) {
        close(fd);
        fd = -1;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      if (!first) ++stats.reconnects;
      first = false;
    }
    char msg[16] = "frame";
    if (send(fd, msg, sizeof msg, MSG_NOSIGNAL) != sizeof msg) {
      ++stats.resets;
      close(fd);
      fd = -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (fd >= 0) close(fd);
}

}  // namespace

int main(int argc, char** argv) {
  int deletions = 100;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--deletions") deletions = std::stoi(argv[i + 1]);
  if (geteuid() != 0) {
    std::fprintf(stderr, "traffic_loss: needs root\n");
    return 1;
  }
  std::printf("| repair | UDP packets lost (3 × 1 kHz) | longest gap (ms) | first echo after the deletion (ms) |\n");
  std::printf("|---|---:|---:|---:|\n");
  {  // hydrad
    TrafficWorld w;
    if (!w.ok) return 1;
    auto in = netlink::NetnsSwitch::enter(w.sbx.path());
    auto sock = netlink::RtnlSocket::open();
    Hydrad hydrad(w.sbx.path(), "/tmp/hydra-bench-t-" + std::to_string(getpid()));
    if (!hydrad.wait_for("\"ready\"", 1, 10000)) return 1;
    auto r = udp_run(w, *sock, 1000, [](const auto&, int64_t elapsed) { return elapsed > 1000000; });
    std::printf("%s\n", udp_row("hydrad", r).c_str());
    int64_t lost = 0;
    for (const auto& c : r.per_container) lost += c.sent - c.received;
    std::printf("\nTarget, no packet lost at 1 kHz (N ≤ 10): %s.\n\n", lost == 0 ? "**met**" : "**missed**");
    std::fflush(stdout);

    // TCP through the sandbox, 100 deletions.
    std::atomic<bool> stop{false};
    TcpStats stats;
    std::thread server(tcp_server, w.up.path(), std::ref(stop), std::ref(stats));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::vector<std::thread> clients;
    for (auto& c : w.containers) clients.emplace_back(tcp_client, c->path(), std::ref(stop), std::ref(stats));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stats.longest_stall_us = 0;
    size_t restored_before = hydrad.lines_with("bridge_restored").size();
    for (int d = 0; d < deletions; ++d) {
      auto links = netlink::dump_links(*sock);
      for (const auto& l : *links)
        if (l.name == "docker0") (void)sock->execute_one(netlink::delete_link(l.ifindex, "docker0"));
      hydrad.wait_for("bridge_restored", restored_before + static_cast<size_t>(d) + 1, 5000);
      std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    stop = true;
    for (auto& t : clients) t.join();
    server.join();
    std::printf("\n| TCP, 3 connections, %d deletions repaired by hydrad | connections reset | reconnects | longest "
                "stall (ms) |\n|---|---:|---:|---:|\n| hydrad | %d | %d | %.1f |\n\n",
                deletions, stats.resets.load(), stats.reconnects.load(), stats.longest_stall_us.load() / 1000.0);
    bool tcp_ok = stats.resets == 0 && stats.reconnects == 0 && stats.longest_stall_us < 250000;
    std::printf("Target, no TCP connection reset and the longest stall under 250 ms: %s.\n\n",
                tcp_ok ? "**met**" : "**missed**");
    std::fflush(stdout);
  }
  {  // naive repair: traffic resumes only once the containers re-resolve the gateway
    TrafficWorld w;
    if (!w.ok) return 1;
    auto in = netlink::NetnsSwitch::enter(w.sbx.path());
    auto sock = netlink::RtnlSocket::open();
    std::string ns = w.sbx.name();
    DeletionWatcher watcher(w.sbx.path(), [ns] { naive_repair(ns); });
    auto r = udp_run(w, *sock, 500, [](const std::vector<UdpResult>& rs, int64_t elapsed) {
      bool all = true;
      for (const auto& x : rs) all &= x.recovered_us > 0;
      return all || elapsed > 60000000;
    });
    std::printf("| UDP, naive repair |  |  |  |\n");
    std::printf("%s\n", udp_row("naive", r).c_str());
  }
  return 0;
}
