// SPDX-License-Identifier: Apache-2.0
// Traffic on docker0 while a session dockerd restarts, with live-restore off
// (the case that deletes docker0 in the shared mode): UDP at 1 kHz from three
// containers of the main dockerd to docker0's gateway, across N restarts of
// one session, in the shared and in the isolated session network. Debian's
// real dockerd, in throwaway namespaces (the end-to-end tests' world).
//
//   session_traffic [--restarts 20]
#include <cstdio>

#include "../tests/e2e/docker_world.hpp"
#include "udp_probe.hpp"

using namespace hydra;
using namespace hydra::bench;
using hydra::test::DockerWorld;

namespace {

struct Row {
  std::string mode;
  int restarts = 0;
  int64_t sent = 0, lost = 0, longest_gap_us = 0;
  size_t restored = 0;
  bool same_ifindex = false;
  double seconds = 0;
};

bool run(const std::string& mode, int restarts, Row& row) {
  DockerWorld w(/*live_restore=*/false, "network = \"" + mode + "\"\n");
  if (!w.ok) return false;
  if (w.docker_rc(w.main_socket(), "run -d --init --name probe3 busybox:hydra sleep 100000") != 0) return false;
  std::vector<std::string> namespaces;
  for (const char* c : {"buildkit", "desktop", "probe3"})
    namespaces.push_back("/proc/" + w.docker(w.main_socket(), std::string("inspect -f '{{.State.Pid}}' ") + c) + "/ns/net");
  const std::string ifindex = w.docker0_ifindex();
  std::atomic<bool> stop{false}, stop_echo{false};
  std::atomic<int64_t> never{0};
  std::thread echo(udp_echo, w.sbx.path(), std::ref(stop_echo));
  std::vector<UdpResult> results(namespaces.size());
  std::vector<std::thread> senders;
  for (size_t i = 0; i < namespaces.size(); ++i)
    senders.emplace_back(udp_sender, namespaces[i], std::ref(stop), std::cref(never), std::ref(results[i]));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const auto t0 = std::chrono::steady_clock::now();
  const std::string create = R"({"scope_type":"session","scope_id":"s1"})";
  bool ok = w.api("POST", "/api/v1/docker-instances", create).first == 201;
  for (int i = 0; ok && i < restarts; ++i)
    ok = w.api("DELETE", "/api/v1/docker-instances/session/s1").first == 200 &&
         w.api("POST", "/api/v1/docker-instances", create).first == 201;
  row.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // echoes still in flight
  stop = true;
  for (auto& t : senders) t.join();
  stop_echo = true;
  echo.join();
  row.mode = mode;
  row.restarts = restarts;
  for (const auto& r : results) {
    row.sent += r.sent;
    row.lost += r.sent - r.received;
    row.longest_gap_us = std::max(row.longest_gap_us, r.longest_gap_us);
  }
  row.restored = w.hydrad->count("bridge_restored");
  row.same_ifindex = w.docker0_ifindex() == ifindex;
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int restarts = 20;
  for (int i = 1; i + 1 < argc; i += 2)
    if (std::string(argv[i]) == "--restarts") restarts = std::stoi(argv[i + 1]);
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0) {
    std::fprintf(stderr, "session_traffic: needs root and dockerd\n");
    return 1;
  }
  std::printf("| session network | restarts | packets sent | lost | longest gap (ms) | docker0 restored | docker0 ifindex kept | time (s) |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---|---:|\n");
  for (const char* mode : {"shared", "isolated"}) {
    Row row;
    if (!run(mode, restarts, row)) {
      std::fprintf(stderr, "session_traffic: the %s run failed\n", mode);
      return 1;
    }
    std::printf("| %s | %d | %lld | %lld | %.1f | %zu | %s | %.1f |\n", row.mode.c_str(), row.restarts,
                static_cast<long long>(row.sent), static_cast<long long>(row.lost), row.longest_gap_us / 1000.0,
                row.restored, row.same_ifindex ? "yes" : "no", row.seconds);
    std::fflush(stdout);
  }
  return 0;
}
