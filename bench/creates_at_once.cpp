// SPDX-License-Identifier: Apache-2.0
// Sessions asked for at once, isolated against shared: N creates sent
// together (a thread each), for --rounds rounds; each create's POST → 201
// and each round's wall time until the last 201. Shared sessions' dockerds
// start one at a time (their iptables start-ups fail each other when two
// run together); isolated ones, each in its namespace, at once.
//
//   creates_at_once [--n 4] [--rounds 3]
#include <cstdio>
#include <fstream>
#include <future>

#include "bench_world.hpp"
#include "docker/unix_http.hpp"
#include "stats.hpp"

using namespace hydra;
using namespace hydra::bench;

namespace {

double ms_from(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

struct AtOnce {
  std::vector<double> create_ms, round_ms;
  int failed = 0;
};

bool run_mode(const Netns& sbx, const std::string& dir, const char* network, int n, int rounds, AtOnce& f) {
  sh("rm -rf " + dir + "/data " + dir + "/run");
  std::ofstream(dir + "/hydra.toml") << "[sessions]\ndata_dir = \"" << dir << "/data\"\nrun_dir = \"" << dir
                                     << "/run\"\nnetwork = \"" << network << "\"\nlimits.cgroup = \"/hydra-bench/"
                                     << getpid() << "\"\n";
  Hydrad hydrad(sbx.path(), dir + "/state", {"--config", dir + "/hydra.toml"});
  if (!hydrad.wait_for("\"ready\"", 1, 10000)) return false;
  const std::string sock = dir + "/state/hydra.sock";
  for (int r = -1; r < rounds; ++r) {  // r = -1: not timed (the shared containerd starts)
    std::vector<std::future<std::pair<int, double>>> creates;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < n; ++i)
      creates.push_back(std::async(std::launch::async, [&, i] {
        const auto c0 = std::chrono::steady_clock::now();
        auto reply = docker::unix_http(sock, "POST", "/api/v1/docker-instances",
                                       R"({"scope_type":"session","scope_id":"c)" + std::to_string(i) + "\"}", 120);
        if (reply && reply->status != 201) std::fprintf(stderr, "%s: %s\n", network, reply->body.c_str());
        return std::make_pair(reply ? static_cast<int>(reply->status) : 0, ms_from(c0));
      }));
    std::vector<std::pair<int, double>> done;
    for (auto& c : creates) done.push_back(c.get());
    const double round = ms_from(t0);
    for (const auto& [status, ms] : done) {
      if (status != 201) ++f.failed;
      else if (r >= 0) f.create_ms.push_back(ms);
    }
    if (r >= 0) f.round_ms.push_back(round);
    for (int i = 0; i < n; ++i) {
      const std::string path = "/api/v1/docker-instances/session/c" + std::to_string(i);
      (void)docker::unix_http(sock, "DELETE", path, "", 120);
      (void)docker::unix_http(sock, "DELETE", path + "/data", "", 120);
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 4, rounds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::string(argv[i]) == "--n") n = std::stoi(argv[i + 1]);
    if (std::string(argv[i]) == "--rounds") rounds = std::stoi(argv[i + 1]);
  }
  if (geteuid() != 0 || access("/usr/sbin/dockerd", X_OK) != 0) {
    std::fprintf(stderr, "creates_at_once: needs root and dockerd\n");
    return 1;
  }
  Netns sbx("csbx");
  const std::string dir = "/tmp/hydra-bench-c-" + std::to_string(getpid());
  sh("mkdir -p " + dir);
  AtOnce isolated, shared;
  const bool ok = sbx.ok() && run_mode(sbx, dir, "isolated", n, rounds, isolated) &&
                  run_mode(sbx, dir, "shared", n, rounds, shared);
  sh("for m in $(grep ' " + dir + "' /proc/mounts | cut -d' ' -f2 | sort -r); do umount -l $m; done; rm -rf " + dir +
     "; for h in /sys/fs/cgroup/*/hydra-bench/" + std::to_string(getpid()) + "; do rmdir $h; done");
  if (!ok) {
    std::fprintf(stderr, "creates_at_once: a run failed\n");
    return 1;
  }
  std::printf("| %d creates at once, %d rounds (ms) | median | p99 | min | max | failed |\n"
              "|---|---:|---:|---:|---:|---:|\n", n, rounds);
  std::printf("| isolated: each POST → 201 | %s | %d |\n", stat_cells(isolated.create_ms).c_str(), isolated.failed);
  std::printf("| isolated: the round, to the last 201 | %s | |\n", stat_cells(isolated.round_ms).c_str());
  std::printf("| shared: each POST → 201 | %s | %d |\n", stat_cells(shared.create_ms).c_str(), shared.failed);
  std::printf("| shared: the round, to the last 201 | %s | |\n", stat_cells(shared.round_ms).c_str());
  return 0;
}
