// SPDX-License-Identifier: Apache-2.0
// Slow and greedy clients on hydrad's control socket (issue 18): one uid
// (nobody) keeps 300 connections that announce a body and stall, opening a
// new one whenever hydrad closes one. Meanwhile another client (root) asks
// GET /health, and docker0 (10 ports) is deleted and restored. Compared with
// the same without the stalled clients.
//
//   api_stall [--stalled 300] [--health 300] [--deletions 10]
#include <grp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <vector>

#include "bench_world.hpp"
#include "restore_probe.hpp"
#include "stamped_listener.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

int connect_unix(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", path.c_str());
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// One GET /health on a new connection: its round trip in microseconds, or -1.
double health_once(const std::string& sock) {
  const auto t0 = std::chrono::steady_clock::now();
  int fd = connect_unix(sock);
  if (fd < 0) return -1;
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  const std::string req = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  (void)::send(fd, req.data(), req.size(), MSG_NOSIGNAL);
  std::string got;
  char buf[4096];
  for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) got.append(buf, static_cast<size_t>(n));
  close(fd);
  if (got.rfind("HTTP/1.1 200", 0) != 0) return -1;
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
}

struct Phase {
  std::vector<double> health, restore;
  int health_failed = 0;
};

Phase measure(const std::string& sock, netlink::RtnlSocket& rtnl, StampedListener& listener, int ports, int healths,
              int deletions) {
  Phase p;
  for (int i = 0; i < healths; ++i) {
    double us = health_once(sock);
    if (us < 0) ++p.health_failed;
    else p.health.push_back(us);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int i = 0; i < deletions; ++i) {
    p.restore.push_back(restore_once(rtnl, listener, ports));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return p;
}

// The greedy peer, as uid nobody: keeps `count` stalled connections until
// `stop` becomes readable; reports (refused with 503, cut by the deadline).
[[noreturn]] void greedy(const std::string& sock, int count, int stop, int report) {
  if (setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
  const std::string stall = "POST /api/v1/docker-instances HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{";
  std::vector<pollfd> fds(static_cast<size_t>(count) + 1);
  fds[0] = {stop, POLLIN, 0};
  auto open_one = [&](pollfd& p) {
    p.fd = connect_unix(sock);
    p.events = POLLIN;
    if (p.fd >= 0) (void)::send(p.fd, stall.data(), stall.size(), MSG_NOSIGNAL);
  };
  for (size_t i = 1; i < fds.size(); ++i) open_one(fds[i]);
  long refused = 0, cut = 0;
  for (;;) {
    if (poll(fds.data(), fds.size(), 1000) < 0) continue;
    if (fds[0].revents) break;
    for (size_t i = 1; i < fds.size(); ++i) {
      if (fds[i].fd >= 0 && !fds[i].revents) continue;
      if (fds[i].fd >= 0) {
        char buf[512];
        ssize_t n = recv(fds[i].fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0 && std::string(buf, static_cast<size_t>(n)).rfind("HTTP/1.1 503", 0) == 0) ++refused;
        else ++cut;
        close(fds[i].fd);
      }
      open_one(fds[i]);  // again: the pressure stays
    }
  }
  long counts[2] = {refused, cut};
  (void)!write(report, counts, sizeof counts);
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  int stalled = 300, healths = 300, deletions = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--stalled") stalled = std::stoi(argv[i + 1]);
    if (a == "--health") healths = std::stoi(argv[i + 1]);
    if (a == "--deletions") deletions = std::stoi(argv[i + 1]);
  }
  if (geteuid() != 0 || !getgrnam("nogroup")) return 1;
  const int ports = 10;
  Netns sbx("ssbx"), peers("speers");
  auto in = netlink::NetnsSwitch::enter(sbx.path());
  auto rtnl = netlink::RtnlSocket::open();
  if (!rtnl || !build_bridge_with_ports(*rtnl, peers.path(), ports)) return 1;
  std::string dir = "/tmp/hydra-bench-s-" + std::to_string(getpid());
  sh("mkdir -p " + dir + " && chmod 0711 " + dir);  // uid nobody reaches the socket inside
  std::ofstream(dir + "/h.toml") << "socket_group = \"nogroup\"\n";
  Hydrad hydrad(sbx.path(), dir, {"--config", dir + "/h.toml"});
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return 1;
  const std::string sock = dir + "/hydra.sock";
  StampedListener listener;
  listener.start();
  Phase quiet = measure(sock, *rtnl, listener, ports, healths, deletions);

  int stop[2], report[2];
  if (pipe(stop) != 0 || pipe(report) != 0) return 1;
  pid_t child = fork();
  if (child == 0) {
    close(stop[1]);
    close(report[0]);
    greedy(sock, stalled, stop[0], report[1]);
  }
  close(stop[0]);
  close(report[1]);
  // Past the 5 s request deadline: the first stalled ones have been cut and reopened.
  std::this_thread::sleep_for(std::chrono::seconds(6));
  Phase loaded = measure(sock, *rtnl, listener, ports, healths, deletions);
  close(stop[1]);
  long counts[2] = {0, 0};
  (void)!read(report[0], counts, sizeof counts);
  waitpid(child, nullptr, 0);

  std::printf("| %d stalled connections from uid nobody, /health from root | /health median (us) | p99 | failed | "
              "docker0 restore (10 ports) median (us) | max |\n|---|---:|---:|---:|---:|---:|\n",
              stalled);
  for (const auto& [name, p] : {std::pair<const char*, const Phase&>{"quiet", quiet}, {"stalled clients", loaded}})
    std::printf("| %s | %.0f | %.0f | %d | %.0f | %.0f |\n", name, percentile(p.health, 0.5),
                percentile(p.health, 0.99), p.health_failed, percentile(p.restore, 0.5), percentile(p.restore, 1.0));
  std::printf("\nThe greedy peer's connections: %ld answered 503 at once (past its share of 64), %ld cut at the "
              "5 s request deadline, each reopened at once.\n",
              counts[0], counts[1]);
  bool met = loaded.health_failed == 0 && !loaded.health.empty() && percentile(loaded.health, 0.99) < 100000 &&
             percentile(loaded.restore, 0.5) <= percentile(quiet.restore, 0.5) * 1.5;
  std::printf("\nTarget: every /health answered, p99 under 100 ms, and the restore median within 1.5x of quiet: "
              "**%s**.\n",
              met ? "met" : "missed");
  return 0;
}
