// A flood of API clients against hydrad's control socket, and the restore
// latency of docker0 deletions during it: 1000 clients connect at once and
// keep asking GET /api/v1/bridges; the guard runs on its own thread and must
// not notice. Compared with the same deletions without the flood.
//
//   api_flood [--clients 1000] [--deletions 10]
#include <sys/socket.h>
#include <sys/un.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <set>

#include "bench_world.hpp"
#include "restore_probe.hpp"
#include "stamped_listener.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

// One client: connect, send a request, read the answer, again, until stopped.
void client(const std::string& socket, std::atomic<bool>& stop, std::atomic<long>& answered,
            std::atomic<long>& refused) {
  const std::string req = "GET /api/v1/bridges HTTP/1.1\r\nHost: localhost\r\n\r\n";
  while (!stop) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", socket.c_str());
    if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
      ++refused;
      close(fd);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      continue;
    }
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < 20 && !stop; ++i) {
      if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) <= 0) break;
      char buf[8192];
      ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) {
        ++refused;
        break;
      }
      ++answered;
    }
    close(fd);
  }
}


}  // namespace

int main(int argc, char** argv) {
  int clients = 1000, deletions = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--clients") clients = std::stoi(argv[i + 1]);
    if (a == "--deletions") deletions = std::stoi(argv[i + 1]);
  }
  if (geteuid() != 0) return 1;
  const int n = 10;
  Netns sbx("fsbx"), peers("fpeers");
  auto in = netlink::NetnsSwitch::enter(sbx.path());
  auto sock = netlink::RtnlSocket::open();
  if (!sock || !build_bridge_with_ports(*sock, peers.path(), n)) return 1;
  std::string dir = "/tmp/hydra-bench-f-" + std::to_string(getpid());
  Hydrad hydrad(sbx.path(), dir);
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return 1;
  StampedListener listener;
  listener.start();
  std::vector<double> quiet, flooded;
  for (int i = 0; i < deletions; ++i) {
    quiet.push_back(restore_once(*sock, listener, n));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::atomic<bool> stop{false};
  std::atomic<long> answered{0}, refused{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back(client, dir + "/hydra.sock", std::ref(stop), std::ref(answered), std::ref(refused));
  std::this_thread::sleep_for(std::chrono::seconds(1));
  auto t0 = std::chrono::steady_clock::now();
  long answered0 = answered;
  for (int i = 0; i < deletions; ++i) {
    flooded.push_back(restore_once(*sock, listener, n));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  long rate = static_cast<long>(static_cast<double>(answered - answered0) / secs);
  stop = true;
  for (auto& t : threads) t.join();
  std::printf("| %d API clients at once, %d ports | answers per second | refused or dropped | restore quiet, median / max "
              "(us) | restore during the flood, median / max (us) |\n|---|---:|---:|---:|---:|\n",
              clients, n);
  std::printf("| hydrad | %ld | %ld | %.0f / %.0f | %.0f / %.0f |\n", rate, refused.load(), percentile(quiet, 0.5),
              percentile(quiet, 1.0), percentile(flooded, 0.5), percentile(flooded, 1.0));
  std::printf("\nThe control socket takes at most 256 connections at once (more are refused), each served by its own "
              "thread; the guard's loop is a separate thread that never waits on them.\n");
  return 0;
}
