// SPDX-License-Identifier: Apache-2.0
// A noisy neighbour: session B serves HTTP from a container (busybox httpd,
// a fork per request) while session A runs a memory hog and a fork bomb,
// once without session limits and once with them, in one run. B's request
// latency is measured from B's own network namespace, 20 requests a second.
//
// This machine is shared: the unlimited round's hog is bounded (3 GiB held,
// again and again) and its fork bomb capped by Docker's own --pids-limit at
// 2000 tasks, so that the run cannot take the machine's memory or pid space.
//
//   noisy_neighbour [--seconds 15]
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstdio>

#include "../tests/e2e/docker_world.hpp"

using hydra::test::DockerWorld;
using nlohmann::json;

namespace {

struct Latency {
  std::vector<double> ms;
  int failed = 0;
};

// One GET from the calling thread's namespace; its time in ms, or -1.
double one_request(const std::string& ip, int port) {
  const auto t0 = std::chrono::steady_clock::now();
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  (void)connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  auto wait = [&](short what) {
    pollfd p{fd, what, 0};
    const auto left =
        2000 - std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    return left > 0 && poll(&p, 1, static_cast<int>(left)) == 1 && (p.revents & what);
  };
  double out = -1;
  static const char kReq[] = "GET /nothing-here HTTP/1.0\r\n\r\n";
  if (wait(POLLOUT) && send(fd, kReq, sizeof kReq - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof kReq - 1)) {
    char buf[512];
    ssize_t n = 0;
    bool got = false;
    while (wait(POLLIN) && (n = recv(fd, buf, sizeof buf, 0)) > 0) got = true;
    if (got && n == 0) out = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  close(fd);
  return out;
}

Latency measure(const std::string& netns, const std::string& ip, double seconds) {
  Latency l;
  std::thread t([&] {
    int ns = open(netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (ns < 0 || setns(ns, CLONE_NEWNET) != 0) return;
    close(ns);
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    auto next = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() < end) {
      const double ms = one_request(ip, 8080);
      if (ms < 0)
        ++l.failed;
      else
        l.ms.push_back(ms);
      next += std::chrono::milliseconds(50);
      std::this_thread::sleep_until(next);
    }
  });
  t.join();
  return l;
}

double pct(std::vector<double> v, double p) {
  if (v.empty()) return -1;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void row(const char* round, const char* phase, const Latency& l) {
  std::printf("| %s | %s | %zu | %d | %.2f | %.2f | %.2f |\n", round, phase, l.ms.size() + l.failed, l.failed,
              pct(l.ms, 0.5), pct(l.ms, 0.99), l.ms.empty() ? -1 : *std::max_element(l.ms.begin(), l.ms.end()));
}

bool round_of(bool limited, double seconds) {
  DockerWorld w(/*live_restore=*/true);
  if (!w.ok) return false;
  const char* name = limited ? "limits on A" : "no limits";
  const std::string a_limits = limited ? R"(,"memory_limit":"512MiB","cpu_limit":1,"pids_limit":512)" : "";
  auto a = json::parse(
      w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"a")" + a_limits + "}").second,
      nullptr, false);
  auto b = json::parse(w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"b"})").second,
                       nullptr, false);
  if (!a.is_object() || !b.is_object() || !a.contains("docker_socket") || !b.contains("netns")) return false;
  const std::string sa = a["docker_socket"], sb = b["docker_socket"];
  if (!w.import_busybox(sa) || !w.import_busybox(sb)) return false;
  if (w.docker_rc(sb, "run -d --name web busybox:hydra httpd -f -p 8080 -h /bin") != 0) return false;
  const std::string ip = w.docker(sb, "inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' web");
  row(name, "idle", measure(b["netns"], ip, seconds));
  // The hog holds 3 GiB, again and again (killed at A's limit when there is one).
  w.docker_rc(sa,
              "run -d --name hog busybox:hydra sh -c 'while :; do busybox head -c 3G /dev/zero | busybox tail; done'");
  w.docker_rc(sa, "run -d --name bomb --pids-limit 2000 busybox:hydra sh -c 'f() { f | f & }; f; sleep 100000'");
  std::this_thread::sleep_for(std::chrono::seconds(2));  // both at full strength
  row(name, "A: hog + fork bomb", measure(b["netns"], ip, seconds));
  auto usage = json::parse(w.api("GET", "/api/v1/docker-instances/session/a").second, nullptr, false);
  if (usage.contains("usage")) std::fprintf(stderr, "%s: A's usage %s\n", name, usage["usage"].dump().c_str());
  w.docker_rc(sa, "rm -f hog bomb");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 15;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--seconds") seconds = std::stod(argv[i + 1]);
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0) {
    std::fprintf(stderr, "noisy_neighbour: needs root and dockerd\n");
    return 1;
  }
  std::printf("| round | session A | B's requests | failed | p50 (ms) | p99 (ms) | max (ms) |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");
  for (bool limited : {false, true})
    if (!round_of(limited, seconds)) {
      std::fprintf(stderr, "noisy_neighbour: the %s round could not be set up\n", limited ? "limited" : "unlimited");
      return 1;
    }
  return 0;
}
