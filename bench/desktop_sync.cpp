// SPDX-License-Identifier: Apache-2.0
// How soon a bridged desktop sees a new container of its session: from the
// container's start (Docker's StartedAt) to its name answering at the
// session's resolver, and to its published port answering on the desktop's
// localhost — both probed from inside the desktop's namespace every
// millisecond. Median and worst of N containers, in the isolated session
// network; the design hydra replaces polled every 10 s.
//
//   desktop_sync [--containers 20]
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cstdio>
#include <ctime>

#include "../tests/e2e/docker_world.hpp"
#include "base/clock.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;
using hydra::test::DockerWorld;
using nlohmann::json;

namespace {

// One A query for `name`; true when the answer has a record.
bool dns_answers(const std::string& server, const std::string& name) {
  std::string q("\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00", 12);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    q += static_cast<char>(dot - start);
    q += name.substr(start, dot - start);
    start = dot + 1;
  }
  q += std::string("\x00\x00\x01\x00\x01", 5);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(53);
  inet_pton(AF_INET, server.c_str(), &to.sin_addr);
  sendto(fd, q.data(), q.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
  pollfd p{fd, POLLIN, 0};
  unsigned char buf[512];
  ssize_t n = poll(&p, 1, 200) == 1 ? recv(fd, buf, sizeof buf, 0) : -1;
  close(fd);
  return n >= 12 && (buf[3] & 0x0f) == 0 && (buf[6] << 8 | buf[7]) > 0;
}

bool port_answers(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0;
  close(fd);
  return ok;
}

// Polls `probe` from inside the namespace every millisecond; the wall-clock
// time it first held (0 after 20 s).
int64_t first_success(const std::string& netns, const std::function<bool()>& probe) {
  auto in = netlink::NetnsSwitch::enter(netns);
  if (!in) return 0;
  const int64_t deadline = realtime_now_ns() + 20'000'000'000;
  while (realtime_now_ns() < deadline) {
    if (probe()) return realtime_now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return 0;
}

// "2026-11-29T15:40:01.123456789Z" → ns since the epoch.
int64_t rfc3339_ns(const std::string& t) {
  tm tm{};
  if (t.size() < 20 || !strptime(t.substr(0, 19).c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return 0;
  int64_t ns = static_cast<int64_t>(timegm(&tm)) * 1'000'000'000;
  if (t[19] == '.') {
    std::string frac = t.substr(20, t.find('Z') - 20);
    frac.resize(9, '0');
    ns += std::stoll(frac);
  }
  return ns;
}

}  // namespace

int main(int argc, char** argv) {
  int count = 20;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--containers") count = std::stoi(argv[i + 1]);
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0 || access("/usr/sbin/dnsmasq", X_OK) != 0) {
    std::fprintf(stderr, "desktop_sync: needs root, dockerd and dnsmasq\n");
    return 1;
  }
  DockerWorld w(true, "network = \"isolated\"\n");
  if (!w.ok) return 1;
  auto [status, body] = w.api("POST", "/api/v1/docker-instances", R"({"scope_type":"session","scope_id":"s1"})");
  if (status != 201) return 1;
  const std::string sock = json::parse(body)["docker_socket"];
  if (!w.import_busybox(sock) ||
      w.api("POST", "/api/v1/bridge-desktop", R"({"session_id":"s1","desktop_container_id":"desktop"})").first != 200)
    return 1;
  const std::string desktop_ns =
      "/proc/" + w.docker(w.main_socket(), "inspect -f '{{.State.Pid}}' desktop") + "/ns/net";
  std::vector<double> name_ms, port_ms;
  for (int i = 0; i < count; ++i) {
    const std::string name = "web" + std::to_string(i);
    const auto port = static_cast<uint16_t>(4000 + i);
    int64_t named = 0, answered = 0;
    std::thread a([&] { named = first_success(desktop_ns, [&] { return dns_answers("10.200.1.1", name); }); });
    std::thread b([&] { answered = first_success(desktop_ns, [&] { return port_answers(port); }); });
    w.docker_rc(sock, "run -d --init --name " + name + " -p " + std::to_string(port) +
                          ":8080 busybox:hydra httpd -f -p 8080 -h /");
    a.join();
    b.join();
    const int64_t started = rfc3339_ns(w.docker(sock, "inspect -f '{{.State.StartedAt}}' " + name));
    if (!named || !answered || !started) {
      std::fprintf(stderr, "desktop_sync: %s never answered (name %s, port %s)\nhosts file:\n%s\ndnsmasq log:\n%s\n",
                   name.c_str(), named ? "yes" : "no", answered ? "yes" : "no",
                   hydra::test::capture("cat " + w.dir + "/run/dns/h1/containers").c_str(),
                   hydra::test::capture("tail -20 " + w.dir + "/run/dns/h1/dnsmasq.log").c_str());
      // How this was found: the gateway's MAC changed under the desktop's neighbour cache.
      std::fprintf(stderr, "the desktop's neighbours:\n%s\n",
                   hydra::test::capture("nsenter --net=" + desktop_ns + " ip neigh").c_str());
      return 1;
    }
    std::fprintf(stderr, "%s: name %.1f ms, port %.1f ms\n", name.c_str(), (named - started) / 1e6,
                 (answered - started) / 1e6);
    name_ms.push_back(static_cast<double>(named - started) / 1e6);
    port_ms.push_back(static_cast<double>(answered - started) / 1e6);
  }
  std::vector<double> hydrad_ms;
  for (const auto& e : w.hydrad->events())
    if (e["event"] == "desktop_synced" && e.contains("event_to_applied_us"))
      hydrad_ms.push_back(e["event_to_applied_us"].get<double>() / 1000.0);
  std::printf("| from a container's start (StartedAt) to | median (ms) | worst (ms) | n |\n|---|---:|---:|---:|\n");
  std::printf("| its name answering at the session's resolver | %.1f | %.1f | %zu |\n", percentile(name_ms, 0.5),
              *std::max_element(name_ms.begin(), name_ms.end()), name_ms.size());
  std::printf("| its published port answering on the desktop's localhost | %.1f | %.1f | %zu |\n", percentile(port_ms, 0.5),
              *std::max_element(port_ms.begin(), port_ms.end()), port_ms.size());
  if (!hydrad_ms.empty())
    std::printf("| (hydrad's part: each Docker event, connect and start, → its resync written, queueing behind the one before) | %.1f | %.1f | %zu |\n",
                percentile(hydrad_ms, 0.5), *std::max_element(hydrad_ms.begin(), hydrad_ms.end()), hydrad_ms.size());
  std::printf("| the polling design it replaces (re-scan every 10 s) | ~5000 | 10000 | |\n");
  return 0;
}
